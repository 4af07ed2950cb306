"""Backup and restore: same data row for row, verified; anything that is not a backup is refused."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from core.access import SYSTEM, PermissionDenied
from core.i18n import UserError
from db.models import AuditLog, PlacementEvent, Trainee
from db.services import backup, users
from tests.conftest import REPO


def _suffix(database) -> str:  # type: ignore[no-untyped-def]
    return ".sqlite3" if database.backend == "sqlite" else ".lbbackup"


def _without_audit(fp: dict) -> dict:  # type: ignore[type-arg]
    return {k: v for k, v in fp.items() if k != "audit_log"}


def _damage(database) -> None:  # type: ignore[no-untyped-def]
    with database.session() as s:
        s.execute(delete(PlacementEvent))
        s.execute(update(Trainee).where(Trainee.id < 50).values(notes="changed after the backup"))
        s.add(AuditLog(action="test", detail="after the backup"))


def _check_restored(database, before: dict, audit_before: int) -> None:  # type: ignore[no-untyped-def, type-arg]
    after = backup.fingerprint(database)
    assert _without_audit(after) == _without_audit(before)
    # The audit log is the backup's (as before the backup) plus the one entry saying it was restored.
    assert after["audit_log"][0] == audit_before + 1
    with database.session() as s:
        last = s.scalar(select(AuditLog).order_by(AuditLog.id.desc()).limit(1))
    assert last.action == "restore"


@pytest.mark.parametrize("use_pg_dump", [True, False], ids=["native", "export"])
def test_backup_restore_round_trip(demo_db, tmp_path: Path, use_pg_dump: bool) -> None:  # type: ignore[no-untyped-def]
    before = backup.fingerprint(demo_db)
    info = backup.create_backup(demo_db, SYSTEM, tmp_path / f"b{_suffix(demo_db)}", use_pg_dump=use_pg_dump)
    expected_kind = "sqlite" if demo_db.backend == "sqlite" else ("pg_dump" if use_pg_dump else "export")
    assert info.kind == expected_kind
    assert info.tables["trainee"] == 3000 and info.total_rows == sum(n for n, _ in before.values())
    _damage(demo_db)
    assert _without_audit(backup.fingerprint(demo_db)) != _without_audit(before)
    # The backup's audit log lacks the entries written since: only a confirmed restore may rewind it.
    with pytest.raises(backup.ConfirmationNeeded, match="少 2 条") as refused:
        backup.restore_backup(demo_db, SYSTEM, info.path)
    assert refused.value.code == 2 and "未作任何改动" in str(refused.value)
    assert backup.fingerprint(demo_db)["audit_log"][0] == before["audit_log"][0] + 2
    report = backup.restore_backup(demo_db, SYSTEM, info.path, force=True)
    assert report.forced and "2 entries fewer" in report.forced
    assert report.total_rows == info.total_rows
    _check_restored(demo_db, before, before["audit_log"][0])
    # The database object stays usable and new ids do not collide with restored ones.
    with demo_db.session() as s:
        s.add(AuditLog(action="test"))


def test_sqlite_backup_restores_into_any_backend(demo_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A SQLite backup file restores row by row into PostgreSQL too (moving an office to the server)."""
    before = backup.fingerprint(demo_db)
    src = tmp_path / "office.sqlite3"
    if demo_db.backend == "sqlite":
        backup.create_backup(demo_db, SYSTEM, src)
    else:  # make a SQLite copy of the same data through the row-by-row path
        from db.engine import open_database
        lite = open_database(f"sqlite:///{tmp_path / 'lite.sqlite3'}")
        pg_backup = backup.create_backup(demo_db, SYSTEM, tmp_path / "pg.lbbackup", use_pg_dump=False)
        backup.restore_backup(lite, SYSTEM, pg_backup.path)
        backup.create_backup(lite, SYSTEM, src)
        lite.dispose()
        before = backup.fingerprint(demo_db)
    info = backup.inspect_backup(src)
    _damage(demo_db)
    backup._restore_rows(demo_db, info, force=True)  # the cross-backend path, also on SQLite
    after = backup.fingerprint(demo_db)
    assert _without_audit(after) == _without_audit(before)


def _fake_files(tmp: Path) -> list[Path]:
    text = tmp / "notes.sqlite3"
    text.write_text("这不是备份\n", encoding="utf-8")
    empty = tmp / "empty.lbbackup"
    empty.write_bytes(b"")
    other_zip = tmp / "photos.lbbackup"
    with zipfile.ZipFile(other_zip, "w") as zf:
        zf.writestr("a.txt", "hello")
    wrong_manifest = tmp / "wrong.lbbackup"
    with zipfile.ZipFile(wrong_manifest, "w") as zf:
        zf.writestr("manifest.json", '{"format": "something-else"}')
    foreign_db = tmp / "foreign.sqlite3"
    con = sqlite3.connect(foreign_db)
    con.execute("create table t(x)")
    con.commit()
    con.close()
    xlsx = tmp / "roster.xlsx"
    with zipfile.ZipFile(xlsx, "w") as zf:
        zf.writestr("[Content_Types].xml", "<x/>")
    return [text, empty, other_zip, wrong_manifest, foreign_db, xlsx, tmp / "missing.sqlite3"]


def test_not_a_backup_is_refused_and_nothing_changes(demo_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    before = backup.fingerprint(demo_db)
    for path in _fake_files(tmp_path):
        with pytest.raises(UserError) as exc:
            backup.restore_backup(demo_db, SYSTEM, path)
        assert "不是可用的 LaborBridge 备份" in str(exc.value) and "未作任何改动" in str(exc.value)
        assert exc.value.code == 2
    assert backup.fingerprint(demo_db) == before


def test_truncated_backup_is_refused(demo_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    info = backup.create_backup(demo_db, SYSTEM, tmp_path / f"good{_suffix(demo_db)}")
    before = backup.fingerprint(demo_db)
    cut = tmp_path / f"cut{_suffix(demo_db)}"
    data = info.path.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(UserError, match="不是可用的 LaborBridge 备份"):
        backup.restore_backup(demo_db, SYSTEM, cut)
    assert backup.fingerprint(demo_db) == before


def test_backup_and_restore_need_the_backup_permission(demo_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    admin = users.create_first_admin(demo_db, "chief", "Secret123")
    users.create_user(demo_db, admin, "clerk", "Clerk1234", "staff")
    clerk = users.login(demo_db, "clerk", "Clerk1234").actor
    info = backup.create_backup(demo_db, admin, tmp_path / f"b{_suffix(demo_db)}")
    with pytest.raises(PermissionDenied):
        backup.create_backup(demo_db, clerk, tmp_path / f"c{_suffix(demo_db)}")
    with pytest.raises(PermissionDenied):
        backup.restore_backup(demo_db, clerk, info.path)


def test_automatic_backups_keep_the_newest(demo_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LABORBRIDGE_BACKUP_DIR", str(tmp_path / "auto"))
    monkeypatch.setenv("LABORBRIDGE_BACKUP_KEEP", "3")
    assert backup.backup_due(demo_db)
    daily = [backup.auto_backup(demo_db, "daily").path for _ in range(2)]
    assert not backup.backup_due(demo_db)
    made = [backup.auto_backup(demo_db, "exit").path for _ in range(5)]
    # two pools: five quick sessions keep their newest three exit backups and leave the daily ones alone
    assert sorted((tmp_path / "auto").glob("*-exit.*")) == made[-3:]
    assert sorted((tmp_path / "auto").glob("*-daily.*")) == daily
    kept = sorted((tmp_path / "auto").iterdir())
    assert not backup.backup_due(demo_db)
    old = time.time() - 2 * 24 * 3600
    for p in kept:
        os.utime(p, (old, old))
    assert backup.backup_due(demo_db)
    assert all(backup.inspect_backup(p).tables["trainee"] == 3000 for p in kept)


@pytest.mark.sqlite_only
def test_online_backup_is_consistent_while_writing(demo_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A writer adds audit entries in transactions of 20 while backups run: every backup holds
    whole transactions only (a multiple of 20 new rows) and passes the integrity check."""
    with demo_db.session() as s:
        base = s.scalar(select(func.count()).select_from(AuditLog))
    stop = threading.Event()

    def writer() -> None:
        while not stop.is_set():
            with demo_db.session() as s:
                s.add_all([AuditLog(action="test", detail=str(i)) for i in range(20)])

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        infos = [backup.create_backup(demo_db, SYSTEM, tmp_path / f"b{i}.sqlite3") for i in range(4)]
    finally:
        stop.set()
        thread.join()
    # backup i holds the audit entries of the i backups before it (its own is written after its snapshot)
    extra = [info.tables["audit_log"] - base - i for i, info in enumerate(infos)]
    assert all(e % 20 == 0 for e in extra), extra
    assert extra[-1] > 0  # the writer was really running


@pytest.mark.sqlite_only
def test_cli_backup_and_restore(tmp_path: Path) -> None:
    db = tmp_path / "office.sqlite3"
    url = f"sqlite:///{db}"
    env = {**os.environ, "LABORBRIDGE_DATA_DIR": str(tmp_path / "data")}
    env.pop("LABORBRIDGE_PASSWORD", None)

    def run(*args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
        e = dict(env)
        if password:
            e["LABORBRIDGE_PASSWORD"] = password
        return subprocess.run([sys.executable, str(REPO / "main.py"), "--db", url, *args], capture_output=True,
                              text=True, env=e, cwd=REPO, stdin=subprocess.DEVNULL, timeout=180)

    out = run("demo", "--trainees", "80")
    assert out.returncode == 0, out.stderr
    first_pw = next(ln.split()[1] for ln in out.stdout.splitlines() if ln.strip().startswith("admin "))
    admin_pw = "Chosen123"
    changed = subprocess.run([sys.executable, str(REPO / "main.py"), "--db", url, "--user", "admin", "users",
                              "passwd"], capture_output=True, text=True, cwd=REPO, stdin=subprocess.DEVNULL,
                             env={**env, "LABORBRIDGE_PASSWORD": first_pw, "LABORBRIDGE_NEW_PASSWORD": admin_pw},
                             timeout=180)
    assert changed.returncode == 0, changed.stderr
    refused = run("--user", "officer", "backup", str(tmp_path / "b.sqlite3"), password="whatever")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    made = run("--user", "admin", "backup", str(tmp_path / "b.sqlite3"), password=admin_pw)
    assert made.returncode == 0, made.stderr
    bogus = tmp_path / "bogus.sqlite3"
    bogus.write_text("nope")
    bad = run("--user", "admin", "restore", str(bogus), password=admin_pw)
    assert bad.returncode == 2 and "不是可用的 LaborBridge 备份" in bad.stderr and "Traceback" not in bad.stderr
    rewind = run("--user", "admin", "restore", str(tmp_path / "b.sqlite3"), password=admin_pw)
    assert rewind.returncode == 2 and "--force" in rewind.stderr and "Traceback" not in rewind.stderr
    good = run("--user", "admin", "restore", str(tmp_path / "b.sqlite3"), "--force", password=admin_pw)
    assert good.returncode == 0 and "已校验" in good.stdout, good.stderr
    shutil.rmtree(tmp_path / "data", ignore_errors=True)


def test_backup_to_a_folder_that_does_not_exist_is_refused(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest as _pytest

    from core.access import SYSTEM
    from core.i18n import UserError as _UserError
    from db.services.backup import create_backup

    with _pytest.raises(_UserError, match="文件夹不存在"):
        create_backup(database, SYSTEM, tmp_path / "typo" / "backup.sqlite3")
    assert not (tmp_path / "typo").exists()
