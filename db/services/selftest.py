"""What the self-test (ui/selftest.py) reads from its throw-away demo database, through the same rules
as every page: open vacancies (db.rules.vacancy_open_expr) and eligible people (the matcher)."""

from __future__ import annotations

from sqlalchemy import select

from core.access import Actor
from db.engine import Database
from db.models import Vacancy
from db.rules import seats_left_expr, vacancy_open_expr


def open_vacancy_codes(database: Database, *, min_seats: int = 1, limit: int = 10) -> list[str]:
    """Codes of open vacancies (在招 with a seat left) with at least ``min_seats`` seats left, by code."""
    v = Vacancy.__table__
    stmt = (select(v.c.code).where(vacancy_open_expr(v), seats_left_expr(v) >= min_seats)
            .order_by(v.c.code).limit(limit))
    with database.session() as session:
        return [str(c) for c in session.scalars(stmt)]


def eligible_people(database: Database, actor: Actor, people: int, *, tries: int = 10) -> tuple[str, list[str]]:
    """An open vacancy with ``people`` seats left and the ID numbers of ``people`` free trainees the
    eligibility rules accept for it (the best ranked). Raises LookupError when the data has none."""
    from db.services import matching  # scikit-learn loads only here

    for code in open_vacancy_codes(database, min_seats=people, limit=tries):
        ranked = matching.rank_vacancy(database, code, top=people, actor=actor).ranked
        if len(ranked) >= people:
            return code, [str(n) for n in ranked["id_number"].head(people)]
    raise LookupError(f"no open vacancy with {people} seats and {people} eligible free trainees")
