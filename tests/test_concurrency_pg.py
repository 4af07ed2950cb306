"""Two offices at once, through two real connections (two engines, as two PCs would have).

Runs on PostgreSQL when LABORBRIDGE_TEST_PG is set (CI), and on SQLite as well.
- The last seat of a vacancy confirmed by two users at the same moment: exactly one succeeds, the
  other gets a clear message, the vacancy is not overbooked.
- Two users editing the same trainee: the second is told the record changed; nothing is silently
  overwritten (optimistic locking through Trainee.version).
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, update

from core.i18n import UserError
from db.engine import open_database
from db.models import Placement, Trainee, Vacancy
from db.services import batches, placements, registry, users
from tests.pairs import eligible_free

ACTIVE = ("confirmed", "departed", "on_job")


@pytest.fixture
def two_offices(demo_db):  # type: ignore[no-untyped-def]
    """Two independent connections to the same database, with a staff account each."""
    admin = users.create_first_admin(demo_db, "chief", "Secret123")
    users.create_user(demo_db, admin, "east", "East12345", "staff")
    users.create_user(demo_db, admin, "west", "West12345", "staff")
    one, two = open_database(demo_db.url), open_database(demo_db.url)
    yield (one, users.login(one, "east", "East12345").actor), (two, users.login(two, "west", "West12345").actor)
    one.dispose()
    two.dispose()


def _last_seat_with_two_proposals(database, actor) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    vid, _code, _ids, people = eligible_free(database, 2)
    with database.session() as s:
        vac = s.get(Vacancy, vid)
        taken = s.scalar(select(func.count()).select_from(Placement).where(Placement.vacancy_id == vac.id,
                                                                            Placement.status.in_(ACTIVE)))
        s.execute(update(Vacancy).where(Vacancy.id == vac.id).values(headcount=taken + 1))  # one seat left
        vacancy_id, code = vac.id, vac.code
    batch = batches.create_batch(database, actor, name="并发测试批次")
    first = batches.add_proposal(database, actor, batch, people[0], code)
    second = batches.add_proposal(database, actor, batch, people[1], code)
    return vacancy_id, first, second


@pytest.mark.parametrize("round_", range(3))
def test_last_seat_confirmed_twice_exactly_one_wins(two_offices, round_: int) -> None:  # type: ignore[no-untyped-def]
    (db1, east), (db2, west) = two_offices
    vacancy_id, p1, p2 = _last_seat_with_two_proposals(db1, east)
    # Both confirmations meet inside the service after reading the seat count (where a naive
    # check-then-write would overbook); the barrier times out if the database makes one wait.
    barrier = threading.Barrier(2)

    def meet() -> None:
        try:
            barrier.wait(timeout=2)
        except threading.BrokenBarrierError:
            pass

    outcomes: dict[str, object] = {}

    def confirm(name: str, database, actor, pid: int) -> None:  # type: ignore[no-untyped-def]
        try:
            placements.confirm(database, actor, pid)
            outcomes[name] = "ok"
        except UserError as exc:
            outcomes[name] = exc

    placements._race_hook = meet
    try:
        threads = [threading.Thread(target=confirm, args=("east", db1, east, p1)),
                   threading.Thread(target=confirm, args=("west", db2, west, p2))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads), "a confirmation hung"
    finally:
        placements._race_hook = None
    winners = [k for k, v in outcomes.items() if v == "ok"]
    losers = [v for v in outcomes.values() if isinstance(v, UserError)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert "名额已满" in str(losers[0]) or "其他用户正在修改" in str(losers[0])
    with db1.session() as s:
        vac = s.get(Vacancy, vacancy_id)
        taken = s.scalar(select(func.count()).select_from(Placement).where(Placement.vacancy_id == vacancy_id,
                                                                            Placement.status.in_(ACTIVE)))
        statuses = sorted(s.scalars(select(Placement.status).where(Placement.id.in_((p1, p2)))))
    assert taken == vac.headcount and vac.status == "open"  # confirming never changes the status
    assert registry.remaining_headcount(db1, vacancy_id) == 0
    assert statuses == ["confirmed", "proposed"]  # the loser's proposal is untouched


def test_two_users_edit_same_trainee_second_is_told(two_offices) -> None:  # type: ignore[no-untyped-def]
    (db1, east), (db2, west) = two_offices
    with db1.session() as s:
        trainee_id = s.scalar(select(Trainee.id).order_by(Trainee.id).limit(1))
    form_east = dict(registry.trainee_detail(db1, east, trainee_id).values)  # both open the same record
    form_west = dict(registry.trainee_detail(db2, west, trainee_id).values)
    form_east["notes"] = "东部办公室已电话核实"
    registry.save_trainee(db1, east, form_east, trainee_id)
    form_west["notes"] = "西部办公室改了期望月薪"
    form_west["expected_wage"] = 9000
    with pytest.raises(UserError) as exc:
        registry.save_trainee(db2, west, form_west, trainee_id)
    assert "已被其他用户修改" in str(exc.value) and exc.value.code == 3
    with db2.session() as s:
        t = s.get(Trainee, trainee_id)
        assert t.notes == "东部办公室已电话核实" and t.expected_wage != 9000 and t.version == 2
    # Reopened, the second user's edit goes through.
    fresh = dict(registry.trainee_detail(db2, west, trainee_id).values)
    fresh["expected_wage"] = 9000
    registry.save_trainee(db2, west, fresh, trainee_id)


def test_interleaved_sessions_on_two_connections(two_offices) -> None:  # type: ignore[no-untyped-def]
    """Lower level: two open transactions change the same row; the later flush is refused."""
    (db1, _), (db2, _) = two_offices
    with db1.session() as s:
        trainee_id = s.scalar(select(Trainee.id).order_by(Trainee.id.desc()).limit(1))
    loaded = threading.Event()
    first_done = threading.Event()
    errors: list[BaseException] = []

    def second_office() -> None:
        try:
            with db2.session() as s:
                t = s.get(Trainee, trainee_id)
                loaded.set()
                first_done.wait(30)
                t.notes = "second"
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    thread = threading.Thread(target=second_office)
    thread.start()
    loaded.wait(30)
    with db1.session() as s:
        s.get(Trainee, trainee_id).notes = "first"
    first_done.set()
    thread.join(60)
    assert len(errors) == 1 and isinstance(errors[0], UserError) and errors[0].code == 3
    with db1.session() as s:
        assert s.get(Trainee, trainee_id).notes == "first"
