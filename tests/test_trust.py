"""Nothing lost, nothing leaked (issue 12, items 2–5 and 10): restore takes the database alone and only
takes a LaborBridge database, no personal data in any message or log, a tamper-evident audit log, files
readable by their owner only, full IDs in JSON masked or audited, the forced password change on the CLI."""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.pool import NullPool

from core.access import SYSTEM
from core.i18n import UserError
from db import audit
from db.engine import create_db_engine, describe_failure, log_failure, open_database, upgrade_schema
from db.models import AuditLog, Trainee
from db.services import audit_search, backup, users
from tests.conftest import REPO, SAMPLES

FULL_ID = re.compile(r"\d{17}[\dX]")
PW = "Secret123"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cli(*args: str, env: dict[str, str] | None = None, timeout: int = 180) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("LABORBRIDGE_PASSWORD")}
    full.update(env or {})
    return subprocess.run([sys.executable, str(REPO / "main.py"), *args], capture_output=True, text=True,
                          env=full, cwd=REPO, stdin=subprocess.DEVNULL, timeout=timeout)


def _one_sentence(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def _chain_ok(database) -> audit.ChainReport:  # type: ignore[no-untyped-def]
    report = audit_search.verify(database, SYSTEM)
    assert report.intact, report
    return report


# --- item 2: restore takes the database alone ---------------------------------------------------------

def test_restore_refuses_while_another_connection_writes(demo_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """An import (any writer) holding a connection during a restore: refused in one sentence naming how
    to find it, and the live data is exactly as the writer left it."""
    info = backup.create_backup(demo_db, SYSTEM, tmp_path / f"b{'.sqlite3' if demo_db.backend == 'sqlite' else '.lbbackup'}")
    other = create_engine(demo_db.url, poolclass=NullPool)
    try:
        with other.connect() as conn:  # another office, mid-import: its transaction is open
            conn.execute(text("UPDATE trainee SET notes = 'written by the import' WHERE id <= 100"))
            before = backup.fingerprint(demo_db) if demo_db.backend == "postgresql" else None
            with pytest.raises(UserError) as refused:
                backup.restore_backup(demo_db, SYSTEM, info.path, force=True)
            conn.commit()
    finally:
        other.dispose()
    message = str(refused.value)
    assert refused.value.code == 2 and "正被其他程序或其他办公室使用" in message and "未作任何改动" in message
    assert ("pg_stat_activity" in message) if demo_db.backend == "postgresql" else ("任务管理器" in message)
    if before is not None:
        assert "pid" in message
    with demo_db.session() as s:
        assert s.scalar(select(func.count()).where(Trainee.notes == "written by the import")) == 100
    _chain_ok(demo_db)
    # Alone again, the same restore goes through and is audited in the restored database.
    report = backup.restore_backup(demo_db, SYSTEM, info.path, force=True)
    assert report.total_rows == info.total_rows
    with demo_db.session() as s:
        assert s.scalar(select(func.count()).where(Trainee.notes == "written by the import")) == 0
        last = s.scalar(select(AuditLog).order_by(AuditLog.id.desc()).limit(1))
    assert last.action == "restore" and "confirmed by the administrator" in last.detail
    _chain_ok(demo_db)


def test_restore_waits_a_moment_for_an_office_that_is_signing_off(demo_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Another connection that closes within two seconds of the restore starting is not "another user"
    (PostgreSQL lists a closing session for a moment): the restore goes through."""
    info = backup.create_backup(demo_db, SYSTEM, tmp_path / f"b{'.sqlite3' if demo_db.backend == 'sqlite' else '.lbbackup'}")
    other = create_engine(demo_db.url, poolclass=NullPool)
    conn = other.connect()
    conn.execute(text("SELECT 1"))
    conn.commit()
    closer = threading.Timer(0.5, lambda: (conn.close(), other.dispose()))
    closer.start()
    try:
        report = backup.restore_backup(demo_db, SYSTEM, info.path, force=True)
    finally:
        closer.join()
    assert report.total_rows == info.total_rows
    with demo_db.session() as s:
        assert s.scalar(select(AuditLog.action).order_by(AuditLog.id.desc()).limit(1)) == "restore"


@pytest.mark.sqlite_only
def test_cli_restore_while_a_reader_is_connected_exits_2(tmp_path: Path) -> None:
    db = tmp_path / "office.sqlite3"
    url = f"sqlite:///{db}"
    database = open_database(url)
    users.create_first_admin(database, "chief", PW)
    backup.create_backup(database, SYSTEM, tmp_path / "b.sqlite3")
    database.dispose()
    reader = sqlite3.connect(db)  # another office has the file open
    reader.execute("SELECT count(*) FROM trainee").fetchone()
    try:
        refused = _cli("--db", url, "--user", "chief", "restore", str(tmp_path / "b.sqlite3"), "--force",
                       env={"LABORBRIDGE_PASSWORD": PW})
    finally:
        reader.close()
    assert refused.returncode == 2 and "正被其他程序或其他办公室使用" in refused.stderr
    _one_sentence(refused)


# --- item 3: only a LaborBridge database, and a foreign one is left alone ------------------------------

def _foreign_alembic_db(path: Path) -> None:
    """Another program's Alembic database: revision 0002 (a number ours uses too) and a table invoices."""
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    con.execute("INSERT INTO alembic_version VALUES ('0002')")
    con.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, customer TEXT, amount REAL)")
    con.execute("INSERT INTO invoices (customer, amount) VALUES ('ACME', 12.5)")
    con.commit()
    con.close()


def test_opening_another_programs_alembic_database_changes_no_byte(tmp_path: Path) -> None:
    path = tmp_path / "invoices.db"
    _foreign_alembic_db(path)
    digest = _sha(path)
    with pytest.raises(UserError, match="数据表结构与 LaborBridge 不符") as refused:
        open_database(f"sqlite:///{path}")
    assert refused.value.code == 2 and "+invoices" in str(refused.value)
    result = _cli("--db", f"sqlite:///{path}", "demo", "--trainees", "20")
    assert result.returncode == 2 and "未作任何改动" in result.stderr
    _one_sentence(result)
    assert _sha(path) == digest
    assert not Path(f"{path}-wal").exists() and not Path(f"{path}-shm").exists()


def test_a_laborbridge_database_with_a_changed_table_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "edited.sqlite3"
    open_database(f"sqlite:///{path}").dispose()
    con = sqlite3.connect(path)
    con.execute("ALTER TABLE trainee ADD COLUMN bank_account TEXT")
    con.commit()
    con.close()
    digest = _sha(path)
    with pytest.raises(UserError, match=r"\+trainee\.bank_account"):
        open_database(f"sqlite:///{path}")
    assert _sha(path) == digest


def test_restoring_a_foreign_database_is_refused_and_nothing_changes(demo_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    foreign = tmp_path / "invoices.sqlite3"
    _foreign_alembic_db(foreign)
    before = backup.fingerprint(demo_db)
    with pytest.raises(UserError, match="不是可用的 LaborBridge 备份") as refused:
        backup.restore_backup(demo_db, SYSTEM, foreign, force=True)
    assert "+invoices" in str(refused.value) and refused.value.code == 2
    assert backup.fingerprint(demo_db) == before


def _sqlite_backup_of(database, tmp_path: Path, name: str) -> Path:  # type: ignore[no-untyped-def]
    """A SQLite backup file of ``database`` (on PostgreSQL: through a SQLite office database)."""
    dest = tmp_path / name
    if database.backend == "sqlite":
        backup.create_backup(database, SYSTEM, dest)
        return dest
    lite = open_database(f"sqlite:///{tmp_path / ('lite-' + name)}")
    export = backup.create_backup(database, SYSTEM, tmp_path / f"{name}.lbbackup", use_pg_dump=False)
    backup.restore_backup(lite, SYSTEM, export.path, force=True)
    backup.create_backup(lite, SYSTEM, dest)
    lite.dispose()
    return dest


def test_a_backup_carrying_a_trigger_is_refused(demo_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A backup edited to carry `AFTER INSERT ON audit_log … DELETE` (or any trigger or view of its own)
    is refused before anything changes."""
    path = _sqlite_backup_of(demo_db, tmp_path, "b.sqlite3")
    con = sqlite3.connect(path)
    con.execute("CREATE TRIGGER eraser AFTER INSERT ON audit_log BEGIN DELETE FROM audit_log; END")
    con.commit()
    con.close()
    viewed = tmp_path / "viewed.sqlite3"
    viewed.write_bytes(_sqlite_backup_of(demo_db, tmp_path, "v.sqlite3").read_bytes())
    con = sqlite3.connect(viewed)
    con.execute("CREATE VIEW everyone AS SELECT name, id_number FROM trainee")
    con.commit()
    con.close()
    before = backup.fingerprint(demo_db)
    for bad, name in ((path, "trigger eraser"), (viewed, "view everyone")):
        with pytest.raises(UserError, match="不是可用的 LaborBridge 备份") as refused:
            backup.restore_backup(demo_db, SYSTEM, bad, force=True)
        assert name in str(refused.value)
    assert backup.fingerprint(demo_db) == before


@pytest.mark.sqlite_only
def test_any_failure_during_restore_puts_the_data_back(demo_db, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Not only a refusal: an unexpected error while checking the restored data puts the safety copy back."""
    info = backup.create_backup(demo_db, SYSTEM, tmp_path / "b.sqlite3")
    with demo_db.session() as s:
        s.execute(text("UPDATE trainee SET notes = 'after the backup' WHERE id <= 10"))
    before = backup.fingerprint(demo_db)

    def broken_counts(_conn):  # type: ignore[no-untyped-def]
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(backup, "row_counts", broken_counts)
    with pytest.raises(RuntimeError):
        backup.restore_backup(demo_db, SYSTEM, info.path, force=True)
    monkeypatch.undo()
    assert backup.fingerprint(demo_db) == before


# --- item 4: no personal data in messages or logs; files for their owner only --------------------------

def _trainee_row(id_number: str) -> dict[str, object]:
    import datetime as dt

    return {"name": "张舒雨", "id_number": id_number, "gender": "F", "birth_date": dt.date(1990, 3, 15),
            "household_type": "general", "skills": "elderly_care", "preferred_regions": "",
            "created_at": dt.datetime(2026, 1, 1), "updated_at": dt.datetime(2026, 1, 1), "version": 1,
            "phone": "13912345678"}


def test_database_errors_carry_no_id_number(database) -> None:  # type: ignore[no-untyped-def]
    """A unique violation carrying an ID number in its parameters (and PostgreSQL's DETAIL line quoting
    it) becomes one sentence naming the cause; neither it nor the log holds the number."""
    id_number = "632126199003151234"
    with database.engine.begin() as conn:
        conn.execute(insert(Trainee), [_trainee_row(id_number)])
    with pytest.raises(Exception) as raised:
        with database.engine.begin() as conn:
            conn.execute(insert(Trainee), [_trainee_row(id_number)])
    assert not FULL_ID.search(str(raised.value))
    logged = log_failure(raised.value)
    failure = describe_failure(raised.value, logged)
    assert "冲突" in str(failure) and failure.code == 1 and not FULL_ID.search(str(failure))
    log = Path(logged)
    assert not FULL_ID.search(log.read_text(encoding="utf-8")) and "13912345678" not in log.read_text(encoding="utf-8")
    if os.name == "posix":
        assert stat.S_IMODE(log.stat().st_mode) == 0o600


@pytest.mark.sqlite_only
def test_a_locked_database_is_named_and_no_id_leaks(tmp_path: Path) -> None:
    """A write lock held by another program while the CLI imports a roster full of ID numbers: exit 1,
    one sentence naming the lock, no ID number on screen or in laborbridge.log (mode 0600)."""
    db = tmp_path / "office.sqlite3"
    open_database(f"sqlite:///{db}").dispose()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    data = tmp_path / "data"
    try:
        result = _cli("--db", f"sqlite:///{db}", "import", "trainees", str(SAMPLES / "trainees_gbk.csv"),
                      env={"LABORBRIDGE_DATA_DIR": str(data)})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 1, result.stderr
    assert "锁定" in result.stderr
    _one_sentence(result)
    assert not FULL_ID.search(result.stderr + result.stdout)
    # The import now waits for the write lock itself and names it (a UserError, nothing to log); where
    # a log is written, it holds no ID number and only its owner may read it.
    log = data / "laborbridge.log"
    if log.is_file():
        assert not FULL_ID.search(log.read_text(encoding="utf-8"))
        assert stat.S_IMODE(log.stat().st_mode) == 0o600
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM trainee").fetchone()[0] == 0


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
@pytest.mark.sqlite_only
def test_database_backups_and_safety_copies_are_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABORBRIDGE_BACKUP_DIR", str(tmp_path / "backups"))
    old_umask = os.umask(0o022)  # a typical default: everything world-readable unless we say otherwise
    try:
        db = tmp_path / "office.sqlite3"
        database = open_database(f"sqlite:///{db}")
        users.create_first_admin(database, "chief", PW)
        made = backup.create_backup(database, SYSTEM, tmp_path / "b.sqlite3")
        auto = backup.auto_backup(database, "exit")
        report = backup.restore_backup(database, SYSTEM, made.path, force=True)
        files = [db, Path(f"{db}-wal"), Path(f"{db}-shm"), made.path, auto.path, report.safety_copy]
        database.dispose()
        legacy = tmp_path / "legacy.sqlite3"  # made 0644 by an earlier version: tightened on open
        legacy.write_bytes(db.read_bytes())
        legacy.chmod(0o644)
        open_database(f"sqlite:///{legacy}").dispose()
        files.append(legacy)
    finally:
        os.umask(old_umask)
    for path in files:
        assert path is not None
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


# --- item 5: the tamper-evident audit log ---------------------------------------------------------------

def test_raw_sql_cannot_rewrite_the_audit_log(database) -> None:  # type: ignore[no-untyped-def]
    with database.session() as s:
        audit.record(s, SYSTEM, "test", detail="a fact")
    for sql in ("DELETE FROM audit_log", "UPDATE audit_log SET detail = 'forged'",
                *(("TRUNCATE audit_log",) if database.backend == "postgresql" else ())):
        with pytest.raises(Exception) as refused:
            with database.engine.begin() as conn:
                conn.execute(text(sql))
        assert "只能追加" in str(describe_failure(refused.value))
    with database.session() as s:
        assert s.scalar(select(AuditLog.detail).where(AuditLog.action == "test")) == "a fact"
    _chain_ok(database)


def test_concurrent_writers_do_not_fork_the_chain(database) -> None:  # type: ignore[no-untyped-def]
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(15):
                with database.session() as s:
                    audit.record(s, SYSTEM, "test", detail=f"{n}-{i}")
                    audit.record(s, SYSTEM, "test", detail=f"{n}-{i}b")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert _chain_ok(database).entries == 4 * 15 * 2


def test_the_migration_chains_the_entries_written_before_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = create_db_engine(url)
    upgrade_schema(engine, "0003")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_log (at, username, action, detail) VALUES "
                          "('2025-01-01 08:00:00.000000', 'chief', 'login', NULL), "
                          "('2025-01-01 09:00:00.000000', 'chief', 'export', 'trainees')"))
    engine.dispose()
    database = open_database(url)
    assert _chain_ok(database).entries == 2
    with database.session() as s:
        audit.record(s, SYSTEM, "test")
    assert _chain_ok(database).entries == 3
    database.dispose()


def _tampered(database, tmp_path: Path, how: str) -> Path:  # type: ignore[no-untyped-def]
    """A backup edited with sqlite3 the way an attacker would (triggers dropped, rows changed)."""
    path = _sqlite_backup_of(database, tmp_path, f"{how}.sqlite3")
    con = sqlite3.connect(path)
    con.execute("DROP TRIGGER audit_log_no_update")
    con.execute("DROP TRIGGER audit_log_no_delete")
    first = con.execute("SELECT min(id) FROM audit_log").fetchone()[0]
    if how == "deleted":
        con.execute("DELETE FROM audit_log WHERE id = ?", (first,))
    elif how == "reattributed":
        con.execute("UPDATE audit_log SET username = 'someone-else' WHERE id = ?", (first,))
    con.commit()
    for ddl in audit.trigger_ddl("sqlite"):  # put them back, so only the chain can tell
        con.execute(ddl)
    con.commit()
    con.close()
    return path


@pytest.mark.parametrize("how", ["deleted", "reattributed"])
def test_a_backup_with_an_edited_audit_log_needs_confirmation(demo_db, tmp_path: Path, how: str) -> None:  # type: ignore[no-untyped-def]
    with demo_db.session() as s:
        audit.record(s, SYSTEM, "test", detail="one")
        audit.record(s, SYSTEM, "test", detail="two")
    path = _tampered(demo_db, tmp_path, how)
    before = backup.fingerprint(demo_db)
    with pytest.raises(backup.ConfirmationNeeded, match="审计日志已被改动") as refused:
        backup.restore_backup(demo_db, SYSTEM, path)
    assert refused.value.code == 2 and "--force" in str(refused.value)
    assert backup.fingerprint(demo_db) == before
    report = backup.restore_backup(demo_db, SYSTEM, path, force=True)
    assert report.forced and "altered" in report.forced
    with demo_db.session() as s:
        last = s.scalar(select(AuditLog).order_by(AuditLog.id.desc()).limit(1))
    assert last.action == "restore" and "confirmed by the administrator" in last.detail


@pytest.mark.sqlite_only
def test_cli_audit_verify(tmp_path: Path) -> None:
    db = tmp_path / "office.sqlite3"
    url = f"sqlite:///{db}"
    database = open_database(url)
    users.create_first_admin(database, "chief", PW)
    with database.session() as s:
        for i in range(5):
            audit.record(s, SYSTEM, "test", detail=str(i))
    database.dispose()
    env = {"LABORBRIDGE_PASSWORD": PW}
    ok = _cli("--db", url, "--user", "chief", "audit", "verify", env=env)
    assert ok.returncode == 0 and "审计日志完整" in ok.stdout, ok.stderr
    con = sqlite3.connect(db)  # an attacker with the file: drops the trigger, rewrites entry 3
    con.execute("DROP TRIGGER audit_log_no_update")
    con.execute("UPDATE audit_log SET detail = 'forged' WHERE detail = '2'")
    target = con.execute("SELECT id FROM audit_log WHERE detail = 'forged'").fetchone()[0]
    con.commit()
    con.close()
    broken = _cli("--db", url, "--user", "chief", "audit", "verify", env=env)
    assert broken.returncode == 1 and f"第 {target} 条" in broken.stderr
    _one_sentence(broken)


# --- item 10: JSON output, the forced password change ----------------------------------------------------

@pytest.mark.sqlite_only
def test_rank_and_plan_json_mask_or_audit_full_ids(demo_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from db.models import Vacancy
    from db.rules import vacancy_open_expr

    admin = users.create_first_admin(demo_db, "chief", PW)
    users.create_user(demo_db, admin, "clerk", "Clerk1234", "staff", must_change_password=False)
    with demo_db.session() as s:
        code = s.scalar(select(Vacancy.code).where(vacancy_open_expr()).order_by(Vacancy.code).limit(1))
    url = demo_db.url
    demo_db.dispose()
    for args in (("rank", "--vacancy", code, "--top", "5", "--json"), ("plan", "--vacancies", code, "--json")):
        staff = _cli("--db", url, "--user", "clerk", *args, env={"LABORBRIDGE_PASSWORD": "Clerk1234"})
        assert staff.returncode == 0, staff.stderr
        assert "id_number" in staff.stdout and not FULL_ID.search(staff.stdout)
        full = _cli("--db", url, "--user", "chief", *args, env={"LABORBRIDGE_PASSWORD": PW})
        assert full.returncode == 0, full.stderr
        assert FULL_ID.search(full.stdout)
    database = open_database(url)
    with database.session() as s:
        rows = s.execute(select(AuditLog.username, AuditLog.entity).where(AuditLog.action == "export_full_id")).all()
    assert sorted(rows) == [("chief", "plan"), ("chief", "rank")]
    database.dispose()


@pytest.mark.sqlite_only
def test_cli_enforces_the_forced_password_change(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'office.sqlite3'}"
    database = open_database(url)
    admin = users.create_first_admin(database, "chief", PW)
    users.create_user(database, admin, "clerk", "Temp12345", "staff")  # must change at first login
    database.dispose()
    refused = _cli("--db", url, "--user", "clerk", "export", "trainees", str(tmp_path / "x.csv"),
                   env={"LABORBRIDGE_PASSWORD": "Temp12345"})
    assert refused.returncode == 2 and "users passwd" in refused.stderr and not (tmp_path / "x.csv").exists()
    _one_sentence(refused)
    changed = _cli("--db", url, "--user", "clerk", "users", "passwd",
                   env={"LABORBRIDGE_PASSWORD": "Temp12345", "LABORBRIDGE_NEW_PASSWORD": "Mine12345"})
    assert changed.returncode == 0, changed.stderr
    done = _cli("--db", url, "--user", "clerk", "export", "trainees", str(tmp_path / "x.csv"),
                env={"LABORBRIDGE_PASSWORD": "Mine12345"})
    assert done.returncode == 0, done.stderr


# --- the admin pages ------------------------------------------------------------------------------------

def _admin_window(qtbot, database):  # type: ignore[no-untyped-def]
    from ui.app import make_app
    from ui.main_window import MainWindow

    make_app()
    admin = users.create_first_admin(database, "chief", PW)
    window = MainWindow(database, admin)
    qtbot.addWidget(window)
    window.show()
    return window


@pytest.mark.sqlite_only
def test_gui_audit_page_verifies_the_chain(qtbot, database) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLabel, QPushButton

    window = _admin_window(qtbot, database)
    with database.session() as s:
        for i in range(3):
            audit.record(s, SYSTEM, "test", detail=str(i))
    page = window.show_page("audit")
    button = page.findChild(QPushButton, "audit_verify")
    label = page.findChild(QLabel, "audit_verify_result")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "审计日志完整" in label.text(), timeout=10000)
    con = sqlite3.connect(make_path(database))  # someone with the file rewrites an entry
    con.execute("DROP TRIGGER audit_log_no_update")
    con.execute("UPDATE audit_log SET detail = 'forged' WHERE detail = '1'")
    target = con.execute("SELECT id FROM audit_log WHERE detail = 'forged'").fetchone()[0]
    con.commit()
    con.close()
    qtbot.waitUntil(button.isEnabled, timeout=5000)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "已被改动" in label.text(), timeout=10000)
    assert f"第 {target} 条" in label.text()


def make_path(database) -> str:  # type: ignore[no-untyped-def]
    from sqlalchemy.engine import make_url

    return str(make_url(database.url).database)


def test_gui_restore_of_an_older_backup_asks_and_is_audited(qtbot, database, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    window = _admin_window(qtbot, database)
    suffix = ".sqlite3" if database.backend == "sqlite" else ".lbbackup"
    info = backup.create_backup(database, SYSTEM, tmp_path / f"b{suffix}")
    with database.session() as s:
        audit.record(s, SYSTEM, "test", detail="after the backup")
    questions: list[str] = []
    infos: list[str] = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(info.path), ""))
    monkeypatch.setattr(QMessageBox, "question",
                        lambda _p, _t, text, *a, **k: questions.append(text) or QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text, *a, **k: infos.append(text))
    window.findChild(QAction, "action_restore").trigger()
    qtbot.waitUntil(lambda: bool(infos), timeout=30000)
    assert len(questions) == 2 and "少" in questions[1] and "记入审计日志" in questions[1]
    assert "审计日志校验通过" in infos[0]
    with database.session() as s:
        assert s.scalar(select(func.count()).where(AuditLog.detail == "after the backup")) == 0
        last = s.scalar(select(AuditLog).order_by(AuditLog.id.desc()).limit(1))
    assert last.action == "restore" and "confirmed by the administrator" in last.detail
    _chain_ok(database)


def test_another_programs_database_with_an_unknown_revision_is_foreign(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    con.execute("INSERT INTO alembic_version VALUES ('ae1027a6acf')")
    con.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY)")
    con.commit()
    con.close()
    digest = _sha(path)
    with pytest.raises(UserError, match=r"数据表结构与 LaborBridge 不符（\+orders）") as refused:
        open_database(f"sqlite:///{path}")
    assert refused.value.code == 2 and _sha(path) == digest
