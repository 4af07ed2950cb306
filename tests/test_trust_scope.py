"""Trust, second round (issue #20), item 6: every read service, called as a school account, returns only
that school's people (the services the GUI calls, not only the pages)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from core.access import SYSTEM
from core.i18n import UserError
from db.models import Placement, PlacementEvent, School, Trainee
from db.queries import placements as pq
from db.queries import registry as rq
from db.services import followup, registry, stats, users
from db.services.exchange.export import export_roster


@pytest.fixture
def school(demo_db):  # type: ignore[no-untyped-def]
    accounts = {role: (name, pw) for name, role, pw in users.create_demo_accounts(demo_db, actor=SYSTEM)}
    name, pw = accounts["school"]
    return users.login(demo_db, name, pw).actor


def _ids_of_school(database, school_id: int) -> set[str]:  # type: ignore[no-untyped-def]
    with database.session() as s:
        return set(s.scalars(select(Trainee.id_number).where(Trainee.school_id == school_id)))


def _other_with_history(database, school_id: int) -> int:  # type: ignore[no-untyped-def]
    with database.session() as s:
        return int(s.scalar(select(Placement.trainee_id).join(Trainee, Trainee.id == Placement.trainee_id)
                            .join(PlacementEvent, PlacementEvent.placement_id == Placement.id)
                            .where(Trainee.school_id != school_id).limit(1)))


def _cohort_of(database, school_id: int, *, own: bool) -> int:  # type: ignore[no-untyped-def]
    """A cohort with two members at the school (own) or at another one, made by the bureau."""
    with database.session() as s:
        where = Trainee.school_id == school_id if own else Trainee.school_id != school_id
        first = s.execute(select(Trainee.id, School.name).join(School, School.id == Trainee.school_id)
                          .where(where).order_by(Trainee.id).limit(1)).one()
        members = list(s.scalars(select(Trainee.id).join(School, School.id == Trainee.school_id)
                                 .where(School.name == first[1]).order_by(Trainee.id).limit(2)))
    cohort = registry.create_cohort(database, SYSTEM, school=first[1], name=f"scope-{own}", skill="elderly_care")
    registry.enrol(database, SYSTEM, cohort, members)
    return cohort


def test_every_read_service_keeps_a_school_to_its_own(demo_db, school, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    own = _ids_of_school(demo_db, school.school_id)
    with demo_db.session() as s:
        county = int(s.scalar(select(func.count()).select_from(Trainee)))
    assert 0 < len(own) < county
    seen: set[str] = set()

    # The tracking page's services.
    page = pq.placements_page(demo_db, school, limit=100_000)
    seen |= set(page["id_number"])
    assert pq.count_placements(demo_db, school) == len(page)
    other = _other_with_history(demo_db, school.school_id)
    assert pq.timeline(demo_db, other, SYSTEM).shape[0] > 0  # the bureau sees the story …
    assert pq.timeline(demo_db, other, school).empty          # … another school does not
    # Follow-up and alerts.
    seen |= set(followup.followups_due(demo_db, actor=school, within_days=3650)["id_number"])
    alerts = followup.alerts(demo_db, actor=school)
    if "id_number" in alerts:
        seen |= set(alerts["id_number"])
    # The registry: detail, search, lookup by ID number, cohorts and their members.
    with demo_db.session() as s:
        other_number = s.scalar(select(Trainee.id_number).where(Trainee.id == other))
        hits = rq.find_trainees(s, school, other_number[:10], limit=1000)
        seen |= {h.id_number for h in hits}
        assert rq.trainee_hit(s, school, other) is None
    with pytest.raises(UserError, match="无权查看"):
        registry.trainee_detail(demo_db, school, other)
    ids, missing = registry.find_by_id_numbers(demo_db, school, [other_number])
    assert ids == [] and missing == [other_number]
    _cohort_of(demo_db, school.school_id, own=True)
    foreign = _cohort_of(demo_db, school.school_id, own=False)
    for cohort in registry.cohorts(demo_db, school):
        members = registry.cohort_members(demo_db, school, cohort["id"])
        seen |= {m["id_number"] for m in members}
    assert registry.cohort_members(demo_db, SYSTEM, foreign)  # it has members …
    with pytest.raises(UserError, match="无权查看"):
        registry.cohort_members(demo_db, school, foreign)  # … a school cannot list them
    # Exports (what the school may take away).
    for kind in ("trainees", "placements"):
        out = tmp_path / f"{kind}.xlsx"
        export_roster(demo_db, kind, out, school)
        book = openpyxl.load_workbook(out, read_only=True)
        rows = list(book.worksheets[0].iter_rows(values_only=True))
        book.close()
        column = rows[0].index("身份证号")
        seen |= {str(r[column]) for r in rows[1:] if r[column]}
    # Statistics: counted over the school's own people.
    figures = stats.compute(demo_db, actor=school)
    assert figures is not None

    assert seen, "the school saw nobody at all: the test would prove nothing"
    assert seen <= own, f"{len(seen - own)} records of other schools"
