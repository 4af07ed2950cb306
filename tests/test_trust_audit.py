"""Trust, second round (issue #20), items 1–3: an audit trail nobody can quietly rewrite.

Each attack runs on SQLite and, with LABORBRIDGE_TEST_PG set, on PostgreSQL: the forged backup, the
backup without triggers, the chain cut or rewritten in place (triggers dropped and put back)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text

from core.access import SYSTEM
from db import anchors, audit
from db.engine import open_database
from db.models import AuditLog
from db.services import audit_search, backup, users
from tests.conftest import REPO

PW = "Secret123"


def _suffix(database) -> str:  # type: ignore[no-untyped-def]
    return ".sqlite3" if database.backend == "sqlite" else ".lbbackup"


def _office(database, logins: int = 12):  # type: ignore[no-untyped-def]
    """An office's database: an administrator and a day of sign-ins and sign-outs (each anchored)."""
    admin = users.create_first_admin(database, "boss", PW)
    for _ in range(logins):
        actor = users.login(database, "boss", PW).actor
        users.logout(database, actor)
    return admin


def _entries(database) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    with database.engine.connect() as conn:
        return [(int(i), str(h)) for i, h in conn.execute(select(AuditLog.id, AuditLog.chain_hash).order_by(AuditLog.id))]


def _forge(database, *, cut: list[int], pad: int = 0) -> None:  # type: ignore[no-untyped-def]
    """What someone who can write the database does: drop the triggers, delete entries, recompute every
    hash after them, pad the log to its old length, and put the triggers back."""
    with database.engine.begin() as conn:
        dialect = conn.dialect.name
        for statement in audit.drop_trigger_ddl(dialect):
            conn.exec_driver_sql(statement)
        conn.execute(delete(AuditLog).where(AuditLog.id.in_(cut)))
        previous = None
        cols = [AuditLog.id, *(getattr(AuditLog, k) for k in audit.CHAINED)]
        for row in conn.execute(select(*cols).order_by(AuditLog.id)).mappings().all():
            previous = audit.link(previous, dict(row))
            conn.execute(AuditLog.__table__.update().where(AuditLog.id == row["id"]).values(chain_hash=previous))
        audit.append(conn, [{"username": "boss", "action": "login", "entity": "user", "entity_id": "1"}
                            for _ in range(pad)])
        for statement in audit.trigger_ddl(dialect):
            conn.exec_driver_sql(statement)


def test_a_chain_cut_at_its_end_fails_verify(database) -> None:  # type: ignore[no-untyped-def]
    _office(database)
    before = _entries(database)
    assert audit_search.verify(database, SYSTEM).intact
    assert anchors.held(database.url)[-1] == before[-1]  # this PC anchored its newest entry
    _forge(database, cut=[i for i, _ in before[-3:]])
    with database.engine.connect() as conn:
        assert audit.verify_chain(conn).intact  # the chain alone looks fine: that was the hole
    report = audit_search.verify(database, SYSTEM)
    assert not report.intact
    assert "日志末尾的记录被删除" in report.message() and str(before[-1][0]) in report.message()


def test_a_chain_rewritten_in_place_and_padded_fails_verify(database) -> None:  # type: ignore[no-untyped-def]
    _office(database)
    before = _entries(database)
    _forge(database, cut=[before[3][0], before[4][0]], pad=2)
    after = _entries(database)
    assert len(after) == len(before)  # same length, every link recomputed
    report = audit_search.verify(database, SYSTEM)
    assert not report.intact and "日志被重写过" in report.message()


def test_cli_audit_verify_exits_1_when_the_newest_entries_were_cut(db_url: str) -> None:
    database = open_database(db_url)
    try:
        _office(database, logins=3)
        before = _entries(database)
        _forge(database, cut=[before[-1][0]])
    finally:
        database.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABORBRIDGE_PASSWORD")}
    env["LABORBRIDGE_PASSWORD"] = PW  # the data folder (and so this PC's anchors) is the test's
    result = subprocess.run([sys.executable, str(REPO / "main.py"), "--db", db_url, "--user", "boss", "audit",
                             "verify"], capture_output=True, text=True, env=env, cwd=REPO,
                            stdin=subprocess.DEVNULL, timeout=180)
    assert result.returncode == 1, result.stdout + result.stderr
    # The CLI's own sign-in took the cut entry's number: the anchor of that number testifies.
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("审计日志不可信：") and "第 " in result.stderr


def test_a_forged_backup_needs_force_and_the_genuine_one_does_not(database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Item 1: entries erased, the chain re-hashed and padded to the live count. Restore no longer
    says "verified": the forgery agrees neither with the live chain nor with this PC's anchors."""
    admin = _office(database)
    genuine = backup.create_backup(database, admin, tmp_path / f"genuine{_suffix(database)}")
    original = _entries(database)
    _forge(database, cut=[original[2][0], original[3][0]], pad=2)
    forged = backup.create_backup(database, admin, tmp_path / f"forged{_suffix(database)}")
    assert forged.audit_head is not None and genuine.audit_head is not None
    assert not audit_search.verify(database, SYSTEM).intact  # the live forgery is seen by the anchors
    # The office puts the genuine backup back (it is older than the live log: a confirmed restore).
    report = backup.restore_backup(database, admin, genuine.path, force=True)
    assert report.forced is not None and "fewer" in report.forced
    assert audit_search.verify(database, SYSTEM).intact
    live = _entries(database)
    with pytest.raises(backup.ConfirmationNeeded) as asked:
        backup.restore_backup(database, admin, forged.path)
    assert "不一致" in str(asked.value) and "--force" in str(asked.value) and "未作任何改动" in str(asked.value)
    assert _entries(database) == live  # nothing changed
    # Confirmed, it restores, and the confirmation is itself in the log.
    forced = backup.restore_backup(database, admin, forged.path, force=True)
    assert forced.forced is not None and "does not agree" in forced.forced
    with database.session() as s:
        detail = s.scalar(select(AuditLog.detail).where(AuditLog.action == "restore").order_by(AuditLog.id.desc()))
    assert "confirmed by the administrator" in detail
    assert audit_search.verify(database, SYSTEM).intact  # the PC's anchors now start from the restore


def test_a_backup_without_triggers_gets_them_back(database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Item 2: a backup made while the triggers were dropped restores with them reinstated, so a plain
    DELETE FROM audit_log is refused afterwards, and the reinstatement is in the log."""
    admin = _office(database, logins=3)
    with database.engine.begin() as conn:
        for statement in audit.drop_trigger_ddl(conn.dialect.name):
            conn.exec_driver_sql(statement)
    assert not audit_search.verify(database, SYSTEM).intact  # missing triggers are reported
    bare = backup.create_backup(database, admin, tmp_path / f"bare{_suffix(database)}")
    with database.engine.begin() as conn:
        audit.reinstall_triggers(conn)
    backup.restore_backup(database, admin, bare.path, force=True)  # older by the backup's own entry
    with database.engine.connect() as conn:
        assert audit.missing_triggers(conn) == []
    with pytest.raises(Exception, match="append-only"), database.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log"))
    with database.session() as s:
        assert s.scalar(select(AuditLog.id).where(AuditLog.action == "audit_triggers_reinstalled")) is not None
    assert audit_search.verify(database, SYSTEM).intact


def test_a_backup_without_triggers_and_one_entry_deleted_is_refused(database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The bar: triggers dropped and an entry deleted: refused without --force, reinstated when forced."""
    admin = _office(database, logins=3)
    entries = _entries(database)
    genuine = backup.create_backup(database, admin, tmp_path / f"genuine{_suffix(database)}")
    with database.engine.begin() as conn:
        for statement in audit.drop_trigger_ddl(conn.dialect.name):
            conn.exec_driver_sql(statement)
        conn.execute(delete(AuditLog).where(AuditLog.id == entries[2][0]))
    bad = backup.create_backup(database, admin, tmp_path / f"bad{_suffix(database)}")
    backup.restore_backup(database, admin, genuine.path, force=True)  # the office repairs its database
    live = _entries(database)
    with pytest.raises(backup.ConfirmationNeeded) as asked:
        backup.restore_backup(database, admin, bad.path)
    assert "已被改动" in str(asked.value)
    assert _entries(database) == live
    backup.restore_backup(database, admin, bad.path, force=True)
    with database.engine.connect() as conn:
        assert audit.missing_triggers(conn) == []


def test_triggers_dropped_behind_the_programs_back_are_back_at_the_next_start(db_url: str) -> None:
    database = open_database(db_url)
    try:
        _office(database, logins=1)
        with database.engine.begin() as conn:
            for statement in audit.drop_trigger_ddl(conn.dialect.name):
                conn.exec_driver_sql(statement)
    finally:
        database.dispose()
    database = open_database(db_url)
    try:
        with database.engine.connect() as conn:
            assert audit.missing_triggers(conn) == []
        with database.session() as s:
            detail = s.scalar(select(AuditLog.detail).where(AuditLog.action == "audit_triggers_reinstalled"))
        assert detail and "audit_log_no_delete" in detail
        assert audit_search.verify(database, SYSTEM).intact
    finally:
        database.dispose()


def test_every_backup_manifest_carries_the_chain_head(database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    admin = _office(database, logins=1)
    head = _entries(database)[-1]
    info = backup.create_backup(database, admin, tmp_path / f"b{_suffix(database)}")
    assert info.audit_head == head
    assert backup.inspect_backup(info.path).audit_head == head
    if database.backend == "postgresql":
        import zipfile
        with zipfile.ZipFile(info.path) as zf:
            assert json.loads(zf.read(backup.MANIFEST))["audit_head"] == list(head)


@pytest.mark.sqlite_only
def test_an_unwritable_anchor_file_never_fails_a_write(database, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _office(database, logins=1)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("LABORBRIDGE_DATA_DIR", str(blocker / "sub"))
    actor = users.login(database, "boss", PW).actor  # the sign-in is stored, the anchor is not
    users.logout(database, actor)
    assert _entries(database)[-1][0] > 2


def test_a_printed_lists_check_code_stops_matching_once_the_log_is_cut(demo_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The 审计校验码 in every list's footer: the audit chain's head when the list was made, checkable
    later (audit verify --code) against the database, and no longer matching once the log was cut."""
    import datetime as dt

    import openpyxl

    from db.services import lists

    _office(demo_db, logins=2)
    plist = lists.build_list(demo_db, SYSTEM, lists.ListSelection(date_from=dt.date(2020, 1, 1),
                                                                  date_to=dt.date(2026, 11, 29)))
    head = _entries(demo_db)[-1]
    assert plist.check_code == f"{head[0]}-{head[1][:8].upper()}"
    out = tmp_path / "list.xlsx"
    lists.write_xlsx(demo_db, SYSTEM, plist, out)
    book = openpyxl.load_workbook(out)
    assert plist.check_code in str(book.worksheets[0].oddFooter.right.text)
    book.close()
    assert audit_search.printed_code_holds(demo_db, SYSTEM, plist.check_code)
    _forge(demo_db, cut=[i for i, _ in _entries(demo_db) if i >= head[0]])
    assert not audit_search.printed_code_holds(demo_db, SYSTEM, plist.check_code)
    with pytest.raises(Exception, match="审计校验码格式不对"):
        audit_search.printed_code_holds(demo_db, SYSTEM, "not-a-code")


def test_cli_audit_verify_code(db_url: str) -> None:
    """`audit verify --code`: 0 for a printed list's code that holds, 1 once the log was cut, 2 for a
    code in the wrong form; one sentence each."""
    database = open_database(db_url)
    try:
        _office(database, logins=2)
        head = _entries(database)[-1]
        code = audit.check_code(*head)
    finally:
        database.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABORBRIDGE_PASSWORD")}
    env["LABORBRIDGE_PASSWORD"] = PW

    def verify(value: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(REPO / "main.py"), "--db", db_url, "--user", "boss", "audit",
                               "verify", "--code", value], capture_output=True, text=True, env=env, cwd=REPO,
                              stdin=subprocess.DEVNULL, timeout=180)

    ok = verify(code)
    assert ok.returncode == 0 and "相符" in ok.stdout, ok.stderr
    bad = verify("12-XYZ")
    assert bad.returncode == 2 and "格式不对" in bad.stderr and "Traceback" not in bad.stderr
    database = open_database(db_url)
    try:
        _forge(database, cut=[i for i, _ in _entries(database) if i >= head[0]])
    finally:
        database.dispose()
    cut = verify(code)
    assert cut.returncode == 1 and "不符" in cut.stderr and len(cut.stderr.strip().splitlines()) == 1
