"""Read-only queries shared by the UI and the CLI."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.access import Actor
from db.models import Placement, Trainee, Vacancy
from db.rules import scope_trainees, vacancy_open_expr


@dataclass(frozen=True)
class Counts:
    trainees: int
    open_vacancies: int
    on_job: int


def counts(session: Session, actor: Actor) -> Counts:
    """The status bar's figures, as far as the actor may see (a school: its own trainees)."""
    trainees = session.scalar(scope_trainees(actor, select(func.count()).select_from(Trainee)
                                             .where(Trainee.deleted_at.is_(None))))
    open_vac = session.scalar(select(func.count()).select_from(Vacancy).where(vacancy_open_expr()))
    on_job = session.scalar(scope_trainees(actor, select(func.count()).select_from(Placement)
                                           .join(Trainee, Trainee.id == Placement.trainee_id)
                                           .where(Placement.status == "on_job")))
    return Counts(int(trainees or 0), int(open_vac or 0), int(on_job or 0))


def is_empty(session: Session) -> bool:
    return session.scalar(select(Trainee.id).limit(1)) is None
