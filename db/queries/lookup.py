"""Finding what a user named: a batch or employer by name or a unique part of it, a vacancy by code.
One lookup per kind, used by the GUI and every command alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.i18n import UserError
from db.models import Batch, Employer, Trainee, Vacancy

T = TypeVar("T")


def pick(candidates: list[T], what: str, what_en: str, name: str, label: Callable[[T], str]) -> T:
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise UserError(f"找不到{what}“{name}”。", f"No {what_en} named '{name}' was found.", code=2)
    shown = "、".join(label(c) for c in candidates[:5])
    raise UserError(f"{what}“{name}”不唯一，可能是：{shown}。请写出完整名称。",
                    f"The {what_en} '{name}' is ambiguous: {shown}. Give the full name.", code=2)


def find_batch(session: Session, batch: int | str) -> Batch:
    """A batch by id, by exact name, else by a unique part of its name."""
    if isinstance(batch, int):
        row = session.get(Batch, batch)
        if row is None:
            raise UserError(f"找不到派遣批次“{batch}”。", f"No departure batch '{batch}'.", code=2)
        return row
    name = str(batch).strip()
    exact = session.scalars(select(Batch).where(Batch.name == name)).all()
    if exact:
        return exact[0]
    like = session.scalars(select(Batch).where(Batch.name.contains(name)).order_by(Batch.name).limit(6)).all()
    return pick(list(like), "派遣批次", "batch", name, lambda b: b.name)


def find_employer(session: Session, name: str) -> Employer:
    """An employer by exact name or credit code, else by a unique part of its name."""
    name = name.strip()
    exact = session.scalars(select(Employer).where(or_(Employer.name == name, Employer.uscc == name.upper()))).all()
    if len(exact) > 1:
        return pick(list(exact), "用人单位", "employer", name, lambda e: f"{e.name}（{e.uscc or e.city}）")
    if exact:
        return exact[0]
    like = session.scalars(select(Employer).where(Employer.name.contains(name)).order_by(Employer.name)
                           .limit(6)).all()
    return pick(list(like), "用人单位", "employer", name, lambda e: e.name)


def find_vacancy(session: Session, code: str) -> Vacancy:
    vac = session.scalar(select(Vacancy).where(Vacancy.code == code.strip()))
    if vac is None:
        raise UserError(f"找不到岗位编号：{code}", f"Unknown vacancy code: {code}")
    return vac


def find_township(session: Session, name: str) -> str:
    name = name.strip()
    found = session.scalar(select(Trainee.township).where(Trainee.township == name).limit(1))
    if found:
        return found
    like = session.scalars(select(Trainee.township).where(Trainee.township.contains(name)).distinct()
                           .limit(6)).all()
    return pick([t for t in like if t], "乡镇", "township", name, str)
