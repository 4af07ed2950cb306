"""Closing the program after a dialog was opened ends cleanly, with the exit backup and the sign-out."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import closing

import pytest
from sqlalchemy import select

from core.access import SYSTEM
from db.models import AuditLog
from db.services import backup, users
from tests.conftest import REPO

HARNESS = REPO / "tests" / "exit_harness.py"


@pytest.mark.parametrize("role", ["staff", "school"])
def test_closing_the_window_after_the_import_wizard_exits_cleanly(demo_db, role: str) -> None:  # type: ignore[no-untyped-def]
    """The first release aborted at exit (SIGABRT, a widget freed twice) once 导入 had been opened."""
    accounts = {r: (name, pw) for name, r, pw in users.create_demo_accounts(demo_db, actor=SYSTEM)}
    name, password = accounts[role]
    done = subprocess.run([sys.executable, str(HARNESS), demo_db.url, name, password], cwd=REPO,
                          capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "LEFT" in done.stdout
    assert "shared QObject was deleted directly" not in done.stderr
    with demo_db.session() as s:
        last = s.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert last is not None and last.action == "logout"
    if demo_db.backend == "sqlite":
        exits = [p for p in backup.backup_dir().iterdir() if "-auto-" in p.name and p.name.endswith(f"-exit{p.suffix}")]
        assert len(exits) == 1
        with closing(sqlite3.connect(exits[0])) as copy:  # the backup was made after signing out
            assert copy.execute("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1").fetchone() == ("logout",)
