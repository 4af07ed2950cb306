"""Issue 12 item 1: an import never overwrites what another user saved while it ran. Two real
connections on a real database file (and on PostgreSQL with LABORBRIDGE_TEST_PG): one imports, the
other edits phone numbers at the moment the import has read the registry."""

from __future__ import annotations

import csv
import threading
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from core.access import SYSTEM
from core.fields import id_check_char
from core.i18n import UserError
from db.engine import open_database
from db.models import Trainee, Vacancy
from db.services.exchange import _bulk_update, import_roster

N = 200


def make_id(n: int) -> str:
    first17 = f"6321261990031{n:04d}"
    return first17 + id_check_char(first17)


def roster(path: Path, wage: int, phones: bool) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["姓名", "身份证号", "手机号", "期望月薪"])
        for i in range(N):
            w.writerow(["张三", make_id(i), f"139{i:08d}" if phones else "", wage])
    return path


def phones(database) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with database.session() as s:
        return dict(s.execute(select(Trainee.id_number, Trainee.phone)).all())


def test_phone_edits_made_during_an_import_survive(database, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Before: 0 of 100 edits survived a 50,000-row import whose phone cells were empty (exit 0)."""
    import_roster(database, "trainees", roster(tmp_path / "first.csv", 4500, phones=True), SYSTEM)
    other = open_database(db_url)  # another office: its own engine and connection
    edited = {make_id(i): f"158{i:08d}" for i in range(0, N, 2)}
    done: list[BaseException | None] = []

    def edit() -> None:
        try:
            with other.session() as s:
                for number, phone in edited.items():
                    s.execute(update(Trainee).where(Trainee.id_number == number)
                              .values(phone=phone, version=Trainee.version + 1))
            done.append(None)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            done.append(exc)

    editor = threading.Thread(target=edit)
    blocked = []

    def progress(percent: int, _message: str) -> None:
        if percent == 60 and not editor.is_alive() and not done:  # the registry has just been read
            editor.start()
            editor.join(1.5)
            blocked.append(editor.is_alive())  # the edit waits for the import's write lock

    try:
        result = import_roster(database, "trainees", roster(tmp_path / "second.csv", 5200, phones=False), SYSTEM,
                               progress=progress)
        editor.join(30)
    finally:
        other.dispose()
    assert blocked == [True]
    assert done == [None]
    assert result.updated == N and not result.errors
    now = phones(database)
    assert all(now[number] == phone for number, phone in edited.items()), "an edit was lost"
    assert all(now[make_id(i)] == f"139{i:08d}" for i in range(1, N, 2))
    with database.session() as s:
        assert set(s.scalars(select(Trainee.expected_wage))) == {5200}
        assert set(s.scalars(select(Trainee.version).where(Trainee.id_number.in_(edited)))) == {3}


def test_edit_saved_just_before_the_import_is_kept(database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import_roster(database, "trainees", roster(tmp_path / "first.csv", 4500, phones=True), SYSTEM)
    with database.session() as s:
        s.execute(update(Trainee).where(Trainee.id_number == make_id(3)).values(phone="15912345678"))
    import_roster(database, "trainees", roster(tmp_path / "second.csv", 5200, phones=False), SYSTEM)
    assert phones(database)[make_id(3)] == "15912345678"


def test_a_stale_row_version_stops_the_import(database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The version check behind the lock: an update of a row whose version moved on changes nothing."""
    import_roster(database, "trainees", roster(tmp_path / "first.csv", 4500, phones=True), SYSTEM)
    with database.session() as s:
        row = s.execute(select(Trainee.id, Trainee.version).where(Trainee.id_number == make_id(0))).one()
    with pytest.raises(UserError) as info:
        with database.session() as s:
            _bulk_update(s.connection(), Trainee.__table__,
                         [{"phone": "15000000000", "b_id": row.id, "b_version": row.version - 1}])
    assert info.value.code == 3 and "没有写入任何内容" in str(info.value)
    assert phones(database)[make_id(0)] == f"139{0:08d}"


@pytest.mark.sqlite_only
def test_import_waiting_too_long_for_the_lock_says_so(database, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Another program holding the write lock beyond the busy timeout: one sentence, nothing written."""
    import_roster(database, "trainees", roster(tmp_path / "first.csv", 4500, phones=True), SYSTEM)
    other = open_database(db_url)
    try:
        with other.engine.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            conn.execute(text("UPDATE trainee SET phone = '15000000000' WHERE id = 1"))
            with pytest.raises(UserError) as info:
                import_roster(database, "trainees", roster(tmp_path / "second.csv", 5200, phones=False), SYSTEM)
            conn.exec_driver_sql("ROLLBACK")
    finally:
        other.dispose()
    assert "锁定" in str(info.value) and "没有写入任何内容" in str(info.value)
    with database.session() as s:
        assert set(s.scalars(select(Trainee.expected_wage))) == {4500}


def test_vacancy_import_updates_only_the_version_it_read(database) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import SAMPLES

    import_roster(database, "vacancies", SAMPLES / "vacancies_east.xlsx", SYSTEM)
    with database.session() as s:
        s.execute(update(Vacancy).values(wage_max=Vacancy.wage_max + 1, version=Vacancy.version + 1))
    result = import_roster(database, "vacancies", SAMPLES / "vacancies_east.xlsx", SYSTEM)
    assert result.updated > 0
    with database.session() as s:
        assert set(s.scalars(select(Vacancy.version))) == {3}
