"""Killing the process in the middle of an operation leaves the database exactly as before it.

Each test starts a real child process (tests/crash_harness.py) that runs the operation, freezes it
right after a write inside the open transaction, and kills it with SIGKILL — no cleanup code runs.
The database is then compared, table by table and row by row, with its state before; finally the
same operation runs to its end, to show that it does change the data when it is not killed.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select, update

from core.access import SYSTEM
from db.engine import open_database
from db.models import Batch, Placement, Vacancy
from db.services import backup, batches, demo, placements
from db.services.exchange import export
from tests.conftest import REPO, TODAY
from tests.pairs import eligible_free

HARNESS = REPO / "tests" / "crash_harness.py"


def _kill_midway(url: str, operation: str, arg: str, writes: int = 1) -> None:
    # The with-block closes the child's pipes whatever happens (no ResourceWarning for them).
    with subprocess.Popen([sys.executable, str(HARNESS), url, operation, arg, str(writes)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()  # blocks until the child is frozen mid-transaction (or ends)
            assert line.strip() == "MIDWAY", (line, proc.stderr.read() if proc.stderr else "")
            os.kill(proc.pid, signal.SIGKILL)
            assert proc.wait(timeout=60) == -signal.SIGKILL
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def _reopen(database):  # type: ignore[no-untyped-def]
    database.dispose()
    return open_database(database.url)


def test_kill_during_demo_generation(database) -> None:  # type: ignore[no-untyped-def]
    before = backup.fingerprint(database)
    _kill_midway(database.url, "demo", "2000", writes=5)
    database = _reopen(database)
    assert backup.fingerprint(database) == before
    demo.load_demo(database, trainees=200, seed=3)  # and it still works afterwards
    assert backup.fingerprint(database)["trainee"][0] == 200
    database.dispose()


def test_kill_during_import(demo_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    exported = tmp_path / "roster.csv"
    export.export_roster(demo_db, "trainees", exported, SYSTEM)
    changed = tmp_path / "changed.csv"
    with exported.open(encoding="utf-8-sig", newline="") as src, changed.open("w", encoding="utf-8-sig", newline="") as dst:
        rows = list(csv.reader(src))
        col = rows[0].index("期望月薪")
        for row in rows[1:]:
            row[col] = str(int(float(row[col] or 4000)) + 150)
        csv.writer(dst).writerows(rows)
    before = backup.fingerprint(demo_db)
    _kill_midway(demo_db.url, "import", str(changed))
    db = _reopen(demo_db)
    assert backup.fingerprint(db) == before
    from db.services.exchange import import_roster
    result = import_roster(db, "trainees", changed, SYSTEM)
    assert result.updated > 0
    assert backup.fingerprint(db)["trainee"] != before["trainee"]
    db.dispose()


def _proposal(database) -> int:  # type: ignore[no-untyped-def]
    """A proposed placement of a free trainee at an open vacancy (made through the batch service)."""
    vid, code, _ids, (number,) = eligible_free(database)
    with database.session() as s:
        s.execute(update(Vacancy).where(Vacancy.id == vid).values(headcount=Vacancy.headcount + 5))
    batch_id = batches.create_batch(database, SYSTEM, name="崩溃测试批次")
    return batches.add_proposal(database, SYSTEM, batch_id, number, code)


def test_kill_during_batch_confirmation(demo_db) -> None:  # type: ignore[no-untyped-def]
    placement_id = _proposal(demo_db)
    before = backup.fingerprint(demo_db)
    _kill_midway(demo_db.url, "confirm", str(placement_id))
    db = _reopen(demo_db)
    assert backup.fingerprint(db) == before
    placements.confirm(db, SYSTEM, placement_id)
    with db.session() as s:
        assert s.get(Placement, placement_id).status == "confirmed"
        assert s.scalar(select(Batch.id).limit(1)) is not None
    db.dispose()


def test_kill_during_training(demo_db) -> None:  # type: ignore[no-untyped-def]
    before = backup.fingerprint(demo_db)
    _kill_midway(demo_db.url, "train", "")
    db = _reopen(demo_db)
    assert backup.fingerprint(db) == before
    from db.services import matching as matching_service
    matching_service.train(db, SYSTEM, today=TODAY)
    assert backup.fingerprint(db)["model_version"][0] == before["model_version"][0] + 1
    db.dispose()
