"""A backup that meets a full disk leaves nothing behind: no backup, no .partial file of personal data.

The disk is made "full" for real with the process's file-size limit (RLIMIT_FSIZE): every write past
it fails with EFBIG, as a write to a full disk fails with ENOSPC."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

from db.engine import open_database
from db.services import demo

REPO = Path(__file__).resolve().parent.parent


def _limited(limit: int):  # type: ignore[no-untyped-def]
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_backup_to_a_full_disk_leaves_no_partial_file(tmp_path: Path) -> None:
    db_file = tmp_path / "lb.sqlite3"
    database = open_database(f"sqlite:///{db_file}")
    demo.load_demo(database, trainees=300, seed=5)
    database.dispose()
    before = db_file.read_bytes()
    out_dir = tmp_path / "backups"
    out_dir.mkdir()
    out = out_dir / "copy.sqlite3"
    env = {**os.environ, "LABORBRIDGE_LANG": "zh"}
    proc = subprocess.run([sys.executable, str(REPO / "main.py"), "--db", f"sqlite:///{db_file}", "backup", str(out)],
                          capture_output=True, text=True, env=env, timeout=120, preexec_fn=_limited(256 * 1024))
    assert proc.returncode == 2, proc.stderr
    assert "无法写入" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert list(out_dir.iterdir()) == []  # neither the backup nor a .partial holding personal data
    assert db_file.read_bytes() == before
