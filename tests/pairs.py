"""Test helper: free trainees the eligibility rules accept for an open vacancy, found by the real
matcher (every path into a batch now checks eligibility, so tests pick people who pass it)."""

from __future__ import annotations

from sqlalchemy import select

from core.access import SYSTEM
from db.models import Trainee, Vacancy
from db.services.selftest import eligible_people


def eligible_free(database, people: int = 1) -> tuple[int, str, list[int], list[str]]:  # type: ignore[no-untyped-def]
    """(vacancy id, vacancy code, trainee ids, their ID numbers) of ``people`` eligible free trainees."""
    code, numbers = eligible_people(database, SYSTEM, people)
    with database.session() as s:
        vid = s.scalar(select(Vacancy.id).where(Vacancy.code == code))
        ids = {n: i for i, n in s.execute(select(Trainee.id, Trainee.id_number).where(Trainee.id_number.in_(numbers)))}
    return int(vid), code, [int(ids[n]) for n in numbers], numbers
