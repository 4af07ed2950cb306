"""The SQL forms of the core rules, generated from their one definition in core/: which trainees an
actor sees (core.access) and how many seats a vacancy has left (core.placement). Every query that
expresses one of these rules uses the helper here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, case, func, select, true
from sqlalchemy.orm import Session

from core.access import Actor, school_scope
from core.placement import NOT_TAKING, SEAT_HOLDING
from db.models import Household, HouseholdMember, Placement, Trainee, Vacancy

_S = TypeVar("_S", bound=Select[*tuple[Any, ...]])


def scope_trainees(actor: Actor, stmt: _S, trainee_table: Any = None) -> _S:
    """Confine a query over trainees to those the actor may see (school accounts: their own school)."""
    school = school_scope(actor)
    if school is None:
        return stmt
    table = Trainee.__table__ if trainee_table is None else trainee_table
    return stmt.where(table.c.school_id == school)


def sees_trainee_expr(actor: Actor, school_column: Any = None) -> ColumnElement[bool]:
    """The same rule as a boolean SQL expression (true for everyone but school accounts)."""
    school = school_scope(actor)
    if school is None:
        return true()
    column = Trainee.__table__.c.school_id if school_column is None else school_column
    return column == school


def seat_holding(status_column: Any = None) -> ColumnElement[bool]:
    column = Placement.__table__.c.status if status_column is None else status_column
    return column.in_(SEAT_HOLDING)


def seats_taken_expr(vacancy_id: Any = None) -> ColumnElement[int]:
    """Correlated count of the placements holding a seat of the vacancy."""
    p = Placement.__table__
    column = Vacancy.__table__.c.id if vacancy_id is None else vacancy_id
    return (select(func.count()).select_from(p)
            .where(p.c.vacancy_id == column, seat_holding(p.c.status)).scalar_subquery())


def seats_taken(session: Session, vacancy_ids: Sequence[int]) -> dict[int, int]:
    """Seats held per vacancy (seats_taken_expr read for a few vacancies); vacancies with none are 0."""
    ids = [int(i) for i in vacancy_ids]
    if not ids:
        return {}
    v = Vacancy.__table__
    rows = session.execute(select(v.c.id, seats_taken_expr(v.c.id)).where(v.c.id.in_(ids)))
    return {int(i): int(n or 0) for i, n in rows}


def seats_left_expr(vacancy_table: Any = None) -> ColumnElement[int]:
    """core.placement.seats_left in SQL: 0 for a filled or closed vacancy, never negative."""
    v = Vacancy.__table__ if vacancy_table is None else vacancy_table
    taken = seats_taken_expr(v.c.id)
    return case((v.c.status.in_(NOT_TAKING), 0), (taken >= v.c.headcount, 0),
                else_=v.c.headcount - taken)


def vacancy_open_expr(vacancy_table: Any = None) -> ColumnElement[bool]:
    """An open vacancy: taking people (status 在招, not 已满 or 关闭) with a seat left. The one meaning of
    在招岗位; a vacancy whose seats are all taken drops out of it although its status stays 在招."""
    v = Vacancy.__table__ if vacancy_table is None else vacancy_table
    return (v.c.status == "open") & (seats_left_expr(v) > 0)


def effective_household_expr(trainee_table: Any = None) -> ColumnElement[str]:
    """core.households.effective_household_type in SQL: a trainee linked to a household member takes
    the household's type (monitoring kind not eliminated → monitored, 脱贫户 → poverty_exited, else
    general); an unlinked trainee keeps the hand-typed ``household_type``."""
    t = Trainee.__table__ if trainee_table is None else trainee_table
    m, h = HouseholdMember.__table__, Household.__table__
    linked = (select(case((h.c.monitoring_kind.is_not(None) & h.c.eliminated.is_(False), "monitored"),
                          (h.c.household_kind == "poverty_exited", "poverty_exited"), else_="general"))
              .select_from(m.join(h, h.c.id == m.c.household_id))
              .where(m.c.trainee_id == t.c.id).scalar_subquery())
    return func.coalesce(linked, t.c.household_type)
