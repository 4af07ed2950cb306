"""Read-only queries shared by the UI and the CLI."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Placement, Trainee, Vacancy


@dataclass(frozen=True)
class Counts:
    trainees: int
    open_vacancies: int
    on_job: int


def counts(session: Session) -> Counts:
    trainees = session.scalar(select(func.count()).select_from(Trainee).where(Trainee.deleted_at.is_(None)))
    open_vac = session.scalar(select(func.count()).select_from(Vacancy).where(Vacancy.status == "open"))
    on_job = session.scalar(select(func.count()).select_from(Placement).where(Placement.status == "on_job"))
    return Counts(int(trainees or 0), int(open_vac or 0), int(on_job or 0))


def is_empty(session: Session) -> bool:
    return session.scalar(select(Trainee.id).limit(1)) is None
