"""The prepared trainee side kept on disk: a new process ranks from it exactly as a warm one, patched
with what changed; private, without names or ID numbers, and never trusted when it does not fit."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from core.access import SYSTEM, Actor
from db.engine import data_dir, open_database
from db.models import School, Trainee
from db.services import backup, batches, frame_cache
from db.services import matching as ms
from db.services.exchange import import_roster
from tests.conftest import REPO, SAMPLES


def _rank(database, codes: list[str]) -> tuple[list[ms.RankResult], list[str | None]]:  # type: ignore[no-untyped-def]
    results, how = [], []
    for code in codes:
        results.append(ms.rank_vacancy(database, code, top=40, actor=SYSTEM))
        how.append(frame_cache.last_update(database, SYSTEM))
    return results, how


def _same(a: list[ms.RankResult], b: list[ms.RankResult]) -> None:
    assert all(len(x.ranked) for x in a)
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(x.ranked, y.ranked)
        pd.testing.assert_frame_equal(x.excluded, y.excluded)


def _files() -> list[Path]:
    folder = data_dir() / "prepared"
    return sorted(folder.glob("*.prep")) if folder.is_dir() else []


def _sample_numbers() -> list[str]:
    """ID numbers of three people of the sample roster."""
    with open(SAMPLES / "trainees_gbk.csv", encoding="gbk", newline="") as f:
        return [row[1] for row in csv.reader(f)][1:4]


def _roster(tmp_path: Path, name: str, wage_of: dict[str, str]) -> Path:
    """The sample roster (GBK), with the expected wage of the ID numbers in ``wage_of`` changed."""
    with open(SAMPLES / "trainees_gbk.csv", encoding="gbk", newline="") as f:
        rows = list(csv.reader(f))
    wage = rows[0].index("期望月薪")
    for row in rows[1:]:
        if row[1] in wage_of:
            row[wage] = wage_of[row[1]]
    path = tmp_path / name
    with open(path, "w", encoding="gbk", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def test_a_new_process_ranks_from_disk_as_a_warm_one_and_patches_an_import(demo_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    frame_cache.clear()
    codes = list(batches.open_vacancies(demo_db)["code"].iloc[:3])
    first, how = _rank(demo_db, codes)
    assert how == ["read", "unchanged", "unchanged"]
    [state] = _files()
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    assert stat.S_IMODE(state.parent.stat().st_mode) == 0o700
    # No name or ID number on disk, in any encoding the arrays could hold them in.
    with demo_db.session() as s:
        people = s.execute(select(Trainee.name, Trainee.id_number, Trainee.phone).limit(50)).all()
    raw = state.read_bytes()
    for name, number, phone in people:
        for text in (name, number, phone):
            for enc in ("utf-8", "utf-32-le"):
                assert text.encode(enc) not in raw, text

    frame_cache.forget_memory()                    # what a new process starts with
    again, how = _rank(demo_db, codes)
    assert how == ["disk", "unchanged", "unchanged"]
    _same(first, again)

    # Three trainees changed through an import: the next process patches the stored side.
    imported = import_roster(demo_db, "trainees", _roster(tmp_path, "a.csv", {}), SYSTEM)
    assert imported.inserted > 0
    frame_cache.forget_memory()
    _rank(demo_db, codes)
    numbers = _sample_numbers()
    changed = import_roster(demo_db, "trainees", _roster(tmp_path, "b.csv", dict.fromkeys(numbers, "9000")), SYSTEM)
    assert changed.updated == 3
    frame_cache.forget_memory()
    patched, how = _rank(demo_db, codes)
    assert how == ["patched", "unchanged", "unchanged"]
    frame_cache.clear()
    fresh, how = _rank(demo_db, codes)
    assert how == ["read", "unchanged", "unchanged"]
    _same(patched, fresh)
    with demo_db.engine.connect() as conn:
        side = frame_cache.trainee_side(conn, demo_db, SYSTEM, dt.date.today())
    assert set(side.trainees.loc[side.trainees["id_number"].isin(numbers), "expected_wage"]) == {9000}


def test_each_scope_has_its_own_state_and_sees_only_its_trainees(demo_db) -> None:  # type: ignore[no-untyped-def]
    frame_cache.clear()
    with demo_db.session() as s:
        school_id = s.scalars(select(School.id).order_by(School.id)).first()
    school = Actor(99, "school1", "school", school_id)
    code = str(batches.open_vacancies(demo_db)["code"].iloc[0])
    _rank(demo_db, [code])
    frame_cache.warm(demo_db, school)   # as after a school clerk signs in
    assert len(_files()) == 2
    frame_cache.forget_memory()
    with demo_db.engine.connect() as conn:
        side = frame_cache.trainee_side(conn, demo_db, school, dt.date.today())
    assert frame_cache.last_update(demo_db, school) == "disk"
    assert len(side.trainees) and set(side.trainees["school_id"]) == {school_id}
    assert side.trainees["name"].notna().all() and side.trainees["id_number"].notna().all()


@pytest.mark.parametrize("damage", ["truncated", "garbage", "other_day"])
def test_a_state_that_does_not_fit_is_ignored(demo_db, damage: str) -> None:  # type: ignore[no-untyped-def]
    frame_cache.clear()
    code = str(batches.open_vacancies(demo_db)["code"].iloc[0])
    before, _ = _rank(demo_db, [code])
    [state] = _files()
    if damage == "truncated":
        state.write_bytes(state.read_bytes()[: state.stat().st_size // 2])
    elif damage == "garbage":
        state.write_bytes(os.urandom(4096))
    frame_cache.forget_memory()
    with demo_db.engine.connect() as conn:
        day = dt.date.today() + dt.timedelta(days=1) if damage == "other_day" else dt.date.today()
        frame_cache.trainee_side(conn, demo_db, SYSTEM, day)
    assert frame_cache.last_update(demo_db, SYSTEM) == "read"
    if damage != "other_day":
        after, _ = _rank(demo_db, [code])
        _same(before, after)


def test_rows_written_after_the_state_are_read_again_whatever_their_version(demo_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A write that kept the row version, or another database copied over the file: both are seen."""
    frame_cache.clear()
    code = str(batches.open_vacancies(demo_db)["code"].iloc[0])
    _rank(demo_db, [code])
    with demo_db.session() as s:
        s.execute(Trainee.__table__.update().values(expected_wage=Trainee.expected_wage + 1500))
    frame_cache.forget_memory()
    patched, how = _rank(demo_db, [code])
    assert how == ["patched"]
    frame_cache.clear()
    fresh, _ = _rank(demo_db, [code])
    _same(patched, fresh)

    if demo_db.backend != "sqlite":
        return  # a file copied over the database: SQLite only
    other = open_database(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    assert import_roster(other, "trainees", SAMPLES / "trainees_gbk.csv", SYSTEM).inserted > 0
    other.dispose()
    demo_db.engine.dispose()
    path = Path(demo_db.engine.url.database)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copy(tmp_path / "other.sqlite3", path)
    frame_cache.forget_memory()
    with demo_db.engine.connect() as conn:
        side = frame_cache.trainee_side(conn, demo_db, SYSTEM, dt.date.today())
    with demo_db.engine.connect() as conn:
        frame_cache.clear()
        fresh_side = frame_cache.trainee_side(conn, demo_db, SYSTEM, dt.date.today())
    assert len(side.trainees) == len(fresh_side.trainees) < 100
    pd.testing.assert_frame_equal(side.trainees, fresh_side.trainees)
    for key in fresh_side.T.keys() - {"pref", "household_code", "household_kinds"}:  # codes may differ
        np.testing.assert_array_equal(side.T[key], fresh_side.T[key], err_msg=key)
    for data in (side, fresh_side):
        data.T["household"] = data.T["household_kinds"][data.T["household_code"]]
    np.testing.assert_array_equal(side.T["household"], fresh_side.T["household"])
    assert [side.preferred_regions(i) for i in range(len(side.trainees))] == \
        [fresh_side.preferred_regions(i) for i in range(len(side.trainees))]


def test_a_restore_drops_every_stored_state(demo_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    frame_cache.clear()
    suffix = ".sqlite3" if demo_db.backend == "sqlite" else ".lbbackup"
    info = backup.create_backup(demo_db, SYSTEM, tmp_path / f"b{suffix}")
    code = str(batches.open_vacancies(demo_db)["code"].iloc[0])
    _rank(demo_db, [code])
    assert _files()
    backup.restore_backup(demo_db, SYSTEM, info.path, force=True)
    assert not _files()
    frame_cache.forget_memory()
    _, how = _rank(demo_db, [code])
    assert how == ["read"]


def test_cli_rank_in_new_processes_uses_the_state_and_sees_an_import(tmp_path: Path) -> None:
    db = tmp_path / "office.sqlite3"
    env = {**os.environ, "LABORBRIDGE_DATA_DIR": str(tmp_path / "data")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(REPO / "main.py"), "--db", f"sqlite:///{db}", *args],
                              capture_output=True, text=True, env=env, cwd=REPO, stdin=subprocess.DEVNULL,
                              timeout=180)

    made = run("demo", "--trainees", "400")
    assert made.returncode == 0, made.stderr
    env["LABORBRIDGE_PASSWORD"] = next(ln.split()[1] for ln in made.stdout.splitlines()
                                       if ln.strip().startswith("admin "))
    env["LABORBRIDGE_NEW_PASSWORD"] = "Chosen123"
    assert run("--user", "admin", "users", "passwd").returncode == 0
    env["LABORBRIDGE_PASSWORD"] = "Chosen123"
    with sqlite3.connect(db) as conn:
        code = conn.execute("SELECT code FROM vacancy WHERE status = 'open' ORDER BY id").fetchone()[0]
    rank = ("--user", "admin", "rank", "--vacancy", code, "--top", "20", "--json")
    first = run(*rank)
    assert first.returncode == 0, first.stderr
    assert len(list((tmp_path / "data" / "prepared").glob("*.prep"))) == 1
    second = run(*rank)
    assert second.returncode == 0 and json.loads(second.stdout) == json.loads(first.stdout)
    assert run("--user", "admin", "import", "trainees", str(_roster(tmp_path, "a.csv", {}))).returncode == 0
    numbers = _sample_numbers()
    assert run("--user", "admin", "import", "trainees",
               str(_roster(tmp_path, "b.csv", dict.fromkeys(numbers, "9000")))).returncode == 0
    patched = run(*rank)
    assert patched.returncode == 0, patched.stderr
    for path in (tmp_path / "data" / "prepared").iterdir():
        path.unlink()
    fresh = run(*rank)
    assert fresh.returncode == 0 and json.loads(patched.stdout) == json.loads(fresh.stdout)
    assert json.loads(fresh.stdout)


def test_a_state_that_cannot_be_written_only_costs_the_next_process_a_read(demo_db) -> None:  # type: ignore[no-untyped-def]
    frame_cache.clear()
    blocker = data_dir() / "prepared"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("not a folder")          # as a full or read-only disk would refuse the write
    code = str(batches.open_vacancies(demo_db)["code"].iloc[0])
    first, how = _rank(demo_db, [code])
    assert how == ["read"] and blocker.read_text() == "not a folder"
    frame_cache.forget_memory()
    again, how = _rank(demo_db, [code])
    assert how == ["read"]
    _same(first, again)
