"""Departure batches (派遣批次): planning, confirmation, the placement lifecycle, follow-up and alerts.

Every function here is what a button on the tracking page or the ``plan`` command does, so tests and
the CLI call the same code as the GUI. Writes happen in one transaction each and are audited.

Headcount is never overbooked: a seat is claimed by bumping the vacancy row's optimistic version
(``Vacancy.version``) after counting its occupied seats, under ``SELECT … FOR UPDATE`` where the
backend has it. Of two confirmations racing for the last seat, the second either finds the version
moved (StaleDataError) or SQLite's writer lock busy; it then re-reads once and gets a clear message.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, delete, exists, func, or_, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from db import audit
from db.auth import Actor, require
from db.engine import Database
from db.i18n import UserError, tr
from db.models import (
    AppSetting, Batch, BatchVacancy, Employer, Placement, PlacementEvent, Trainee, User, Vacancy,
)
from db.validation import FieldError, clean_text, household_label, mask_id, parse_date, skill_label
from matching import assignment

ACTIVE = ("confirmed", "departed", "on_job")          # statuses that hold a seat of the vacancy
OPEN_STATUSES = ("proposed", "confirmed", "departed", "on_job")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "proposed": ("confirmed", "declined"),
    "confirmed": ("departed", "declined"),
    "departed": ("on_job", "ended", "declined"),
    "on_job": ("ended",),
    "ended": (),
    "declined": (),
}
STATUS_LABELS = {"proposed": ("拟派", "Proposed"), "confirmed": ("已确认", "Confirmed"),
                 "departed": ("已出发", "Departed"), "on_job": ("在岗", "On the job"),
                 "ended": ("已离岗", "Ended"), "declined": ("已放弃", "Declined")}
FORM_LABELS = {"temporary": ("临时工", "Temporary"), "skilled": ("职业工", "Skilled")}
ALERT_LABELS = {"not_replaced": ("离岗未再就业", "Left, not re-placed"),
                "no_followup": ("超期未回访", "No follow-up"),
                "low_wage": ("工资低于下限", "Wage below floor")}
HOUSEHOLD_RANK = {"monitored": 0, "poverty_exited": 1, "general": 2}

WAGE_FLOOR_KEY = "alerts.wage_floor"
DEFAULT_WAGE_FLOOR = 3000
REPLACE_DAYS = 30
FOLLOWUP_DAYS = 90
ALERT_WINDOW_DAYS = 365


def status_label(status: str | None) -> str:
    if not isinstance(status, str):
        return ""
    zh, en = STATUS_LABELS.get(status, (status, status))
    return tr(zh, en)


def form_label(form: str | None) -> str:
    if not isinstance(form, str):
        return ""
    zh, en = FORM_LABELS.get(form, (form, form))
    return tr(zh, en)


def _today(today: dt.date | None) -> dt.date:
    return today or dt.date.today()


def _date(value: object, what: str, what_en: str, *, required: bool = True) -> dt.date | None:
    try:
        day = parse_date(value, what, what_en)
    except FieldError as exc:
        raise UserError(str(exc), str(exc)) from None
    if day is None and required:
        raise UserError(f"请填写{what}。", f"Please give the {what_en}.")
    return day


def _text(value: object, limit: int = 200) -> str:
    return clean_text(value)[:limit]


# --- batches ------------------------------------------------------------------------------------

def _batch(session: Session, batch: int | str) -> Batch:
    row = session.get(Batch, batch) if isinstance(batch, int) else session.scalar(
        select(Batch).where(Batch.name == str(batch).strip()))
    if row is None:
        raise UserError(f"找不到派遣批次“{batch}”。", f"No departure batch '{batch}'.")
    return row


def create_batch(database: Database, actor: Actor, *, name: str, departure_date: object = None,
                 destination: str | None = None, escort: str | None = None) -> int:
    """A new departure batch; its name must be unique."""
    require(actor, "batch.write")
    name = _text(name, 100)
    if not name:
        raise UserError("请填写批次名称。", "Please give the batch a name.")
    day = _date(departure_date, "出发日期", "departure date", required=False)
    with database.session() as session:
        if session.scalar(select(Batch.id).where(Batch.name == name)) is not None:
            raise UserError(f"批次名称“{name}”已存在，请换一个名称。", f"A batch named '{name}' already exists.")
        row = Batch(name=name, departure_date=day, destination=_text(destination, 100) or None,
                    escort=_text(escort, 40) or None, status="planning")
        session.add(row)
        session.flush()
        audit.record(session, actor, "batch.create", "batch", row.id,
                     after={"name": name, "departure_date": day, "destination": row.destination, "escort": row.escort})
        return row.id


def update_batch(database: Database, actor: Actor, batch: int | str, *, name: str | None = None,
                 departure_date: object = None, destination: str | None = None, escort: str | None = None) -> None:
    require(actor, "batch.write")
    with database.session() as session:
        row = _batch(session, batch)
        before = {"name": row.name, "departure_date": row.departure_date, "destination": row.destination,
                  "escort": row.escort}
        if name is not None:
            new = _text(name, 100)
            if not new:
                raise UserError("请填写批次名称。", "Please give the batch a name.")
            clash = session.scalar(select(Batch.id).where(Batch.name == new, Batch.id != row.id))
            if clash is not None:
                raise UserError(f"批次名称“{new}”已存在，请换一个名称。", f"A batch named '{new}' already exists.")
            row.name = new
        if departure_date is not None:
            row.departure_date = _date(departure_date, "出发日期", "departure date", required=False)
        if destination is not None:
            row.destination = _text(destination, 100) or None
        if escort is not None:
            row.escort = _text(escort, 40) or None
        audit.record(session, actor, "batch.update", "batch", row.id, before=before,
                     after={"name": row.name, "departure_date": row.departure_date,
                            "destination": row.destination, "escort": row.escort})


def add_vacancies(database: Database, actor: Actor, batch: int | str, codes: Iterable[str]) -> int:
    """Add vacancies (by code) to a batch; returns how many were new. Unknown codes change nothing."""
    require(actor, "batch.write")
    wanted = [c.strip() for c in codes if c and c.strip()]
    if not wanted:
        raise UserError("请选择要加入批次的岗位。", "Choose the vacancies to add to the batch.")
    with database.session() as session:
        row = _batch(session, batch)
        found = dict(session.execute(select(Vacancy.code, Vacancy.id).where(Vacancy.code.in_(wanted))).all())
        unknown = [c for c in wanted if c not in found]
        if unknown:
            raise UserError(f"找不到岗位编号：{'、'.join(unknown)}；批次未作改动。",
                            f"Unknown vacancy codes: {', '.join(unknown)}; the batch was not changed.")
        have = set(session.scalars(select(BatchVacancy.vacancy_id).where(BatchVacancy.batch_id == row.id)))
        new = [vid for vid in dict.fromkeys(found[c] for c in wanted) if vid not in have]
        session.add_all(BatchVacancy(batch_id=row.id, vacancy_id=vid) for vid in new)
        if new:
            audit.record(session, actor, "batch.add_vacancies", "batch", row.id, detail=",".join(wanted))
        return len(new)


def remove_vacancy(database: Database, actor: Actor, batch: int | str, code: str) -> None:
    """Take a vacancy out of a batch; refused while the batch still has placements on it."""
    require(actor, "batch.write")
    with database.session() as session:
        row = _batch(session, batch)
        vid = session.scalar(select(Vacancy.id).where(Vacancy.code == code))
        if vid is None:
            raise UserError(f"找不到岗位编号：{code}", f"Unknown vacancy code: {code}")
        used = session.scalar(select(func.count()).select_from(Placement).where(
            Placement.batch_id == row.id, Placement.vacancy_id == vid, Placement.status.in_(ACTIVE)))
        if used:
            raise UserError(f"岗位 {code} 在本批次中已有 {used} 人确认，不能移出。",
                            f"Vacancy {code} already has {used} confirmed people in this batch; it cannot be removed.")
        session.execute(delete(Placement).where(Placement.batch_id == row.id, Placement.vacancy_id == vid,
                                                Placement.status == "proposed"))
        session.execute(delete(BatchVacancy).where(BatchVacancy.batch_id == row.id, BatchVacancy.vacancy_id == vid))
        audit.record(session, actor, "batch.remove_vacancy", "batch", row.id, detail=code)


def list_batches(database: Database) -> pd.DataFrame:
    """Every batch with its vacancies, seats and people by status."""
    seats = (select(BatchVacancy.batch_id, func.count().label("vacancies"),
                    func.sum(Vacancy.headcount).label("seats"))
             .join(Vacancy, Vacancy.id == BatchVacancy.vacancy_id).group_by(BatchVacancy.batch_id).subquery())
    people = (select(Placement.batch_id,
                     func.sum(case((Placement.status == "proposed", 1), else_=0)).label("proposed"),
                     func.sum(case((Placement.status.in_(ACTIVE + ("ended",)), 1), else_=0)).label("confirmed"))
              .where(Placement.batch_id.is_not(None)).group_by(Placement.batch_id).subquery())
    stmt = (select(Batch.id, Batch.name, Batch.departure_date, Batch.destination, Batch.escort, Batch.status,
                   func.coalesce(seats.c.vacancies, 0).label("vacancies"), func.coalesce(seats.c.seats, 0).label("seats"),
                   func.coalesce(people.c.proposed, 0).label("proposed"),
                   func.coalesce(people.c.confirmed, 0).label("confirmed"))
            .outerjoin(seats, seats.c.batch_id == Batch.id).outerjoin(people, people.c.batch_id == Batch.id)
            .order_by(Batch.departure_date.desc(), Batch.id.desc()))
    with database.session() as session:
        rows = session.execute(stmt).all()
    return pd.DataFrame(rows, columns=["id", "name", "departure_date", "destination", "escort", "status",
                                       "vacancies", "seats", "proposed", "confirmed"])


def _occupied(session: Session, vacancy_ids: Sequence[int]) -> dict[int, int]:
    if not vacancy_ids:
        return {}
    rows = session.execute(select(Placement.vacancy_id, func.count()).where(
        Placement.vacancy_id.in_(list(vacancy_ids)), Placement.status.in_(ACTIVE)).group_by(Placement.vacancy_id))
    return {int(v): int(n) for v, n in rows}


def vacancy_frame(session: Session, vacancy_ids: Sequence[int]) -> pd.DataFrame:
    """Vacancies with employer, seats occupied and seats remaining (closed ones have none left)."""
    stmt = (select(Vacancy.id.label("vacancy_id"), Vacancy.code, Employer.name.label("employer"), Vacancy.title,
                   Vacancy.skill, Vacancy.headcount, Vacancy.status, Vacancy.start_date, Employer.province,
                   Employer.city)
            .join(Employer, Employer.id == Vacancy.employer_id).where(Vacancy.id.in_(list(vacancy_ids)))
            .order_by(Vacancy.code))
    frame = pd.DataFrame(session.execute(stmt).all(),
                         columns=["vacancy_id", "code", "employer", "title", "skill", "headcount", "status",
                                  "start_date", "province", "city"])
    occupied = _occupied(session, frame["vacancy_id"].tolist())
    frame["occupied"] = frame["vacancy_id"].map(occupied).fillna(0).astype(int)
    frame["remaining"] = (frame["headcount"] - frame["occupied"]).clip(lower=0)
    frame.loc[frame["status"] == "closed", "remaining"] = 0
    frame["skill_label"] = frame["skill"].map(skill_label)
    return frame


def batch_vacancies(database: Database, batch: int | str) -> pd.DataFrame:
    with database.session() as session:
        row = _batch(session, batch)
        ids = list(session.scalars(select(BatchVacancy.vacancy_id).where(BatchVacancy.batch_id == row.id)))
        frame = vacancy_frame(session, ids)
        proposed = dict(session.execute(select(Placement.vacancy_id, func.count()).where(
            Placement.batch_id == row.id, Placement.status == "proposed").group_by(Placement.vacancy_id)).all())
    frame["proposed"] = frame["vacancy_id"].map(proposed).fillna(0).astype(int)
    return frame


def open_vacancies(database: Database, *, exclude_batch: int | None = None) -> pd.DataFrame:
    """Open vacancies that still have seats (for "add vacancies to a batch")."""
    with database.session() as session:
        stmt = select(Vacancy.id).where(Vacancy.status == "open")
        if exclude_batch is not None:
            stmt = stmt.where(~exists().where(BatchVacancy.batch_id == exclude_batch,
                                              BatchVacancy.vacancy_id == Vacancy.id))
        frame = vacancy_frame(session, list(session.scalars(stmt)))
    return frame[frame["remaining"] > 0].reset_index(drop=True)


# --- planning -----------------------------------------------------------------------------------

@dataclass
class PlanResult:
    """An optimal proposal for a batch (or a set of vacancies); nothing is written."""
    batch_id: int | None
    pairs: pd.DataFrame
    expected_retained: float
    objective: float
    greedy_expected_retained: float
    greedy_objective: float
    manual_expected_retained: float | None
    manual_pairs: int
    candidates: int
    seats: int
    vacancies: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    candidate_frame: pd.DataFrame | None = None   # the scored pairs, reused when pins change

    def to_json(self) -> dict[str, Any]:
        pairs = [{"id_number": r.id_number, "name": r.name, "vacancy_code": r.vacancy_code,
                  "score": round(float(r.score), 4), "priority": round(float(r.priority), 4),
                  "weight": round(float(r.weight), 4), "pinned": bool(r.pinned)}
                 for r in self.pairs.itertuples()]
        return {"batch_id": self.batch_id, "pairs": pairs, "expected_retained": round(self.expected_retained, 3),
                "objective": round(self.objective, 3),
                "greedy_expected_retained": round(self.greedy_expected_retained, 3),
                "greedy_objective": round(self.greedy_objective, 3),
                "manual_expected_retained": None if self.manual_expected_retained is None
                else round(self.manual_expected_retained, 3),
                "candidates": self.candidates, "seats": self.seats, "notes": self.notes}


def _resolve_vacancies(session: Session, batch: int | str | None, codes: Sequence[str] | None
                       ) -> tuple[Batch | None, list[int]]:
    row = _batch(session, batch) if batch is not None else None
    if codes:
        wanted = [c.strip() for c in codes if c.strip()]
        found = dict(session.execute(select(Vacancy.code, Vacancy.id).where(Vacancy.code.in_(wanted))).all())
        unknown = [c for c in wanted if c not in found]
        if unknown:
            raise UserError(f"找不到岗位编号：{'、'.join(unknown)}", f"Unknown vacancy codes: {', '.join(unknown)}")
        return row, list(dict.fromkeys(found[c] for c in wanted))
    if row is None:
        raise UserError("请指定批次或岗位编号。", "Give a batch or vacancy codes to plan.")
    ids = list(session.scalars(select(BatchVacancy.vacancy_id).where(BatchVacancy.batch_id == row.id)))
    if not ids:
        raise UserError(f"批次“{row.name}”还没有岗位，请先加入岗位。",
                        f"The batch '{row.name}' has no vacancies yet; add some first.")
    return row, ids


def _candidate_scores(database: Database, vacancy_ids: list[int], actor: Actor, today: dt.date | None,
                      priority_weights: dict[str, float] | None) -> pd.DataFrame:
    try:
        from db.matching_service import candidate_scores
    except ImportError:
        raise UserError("匹配模块尚未安装，无法生成方案。", "The matcher is not available; cannot plan.") from None
    return candidate_scores(database, vacancy_ids, actor=actor, priority_weights=priority_weights, today=today)


def plan(database: Database, batch: int | str | None = None, codes: Sequence[str] | None = None, *,
         actor: Actor, pins: Iterable[tuple[int, int]] = (), forbids: Iterable[tuple[int, int]] = (),
         today: dt.date | None = None, priority_weights: dict[str, float] | None = None,
         candidates: pd.DataFrame | None = None) -> PlanResult:
    """The optimal assignment for a batch's vacancies (or the given codes), with the greedy baseline
    and the staff's manual choice beside it. ``candidates`` may pass a frame already scored by
    ``db.matching_service.candidate_scores`` (the GUI reuses it while toggling pins)."""
    require(actor, "matching.run")
    with database.session() as session:
        batch_row, vacancy_ids = _resolve_vacancies(session, batch, codes)
        batch_id = batch_row.id if batch_row is not None else None
        vac = vacancy_frame(session, vacancy_ids)
        manual = pd.DataFrame(columns=["trainee_id", "vacancy_id", "model_score", "status"])
        if batch_id is not None:
            manual = pd.DataFrame(session.execute(
                select(Placement.trainee_id, Placement.vacancy_id, Placement.model_score, Placement.status)
                .where(Placement.batch_id == batch_id, Placement.status.in_(OPEN_STATUSES))).all(),
                columns=["trainee_id", "vacancy_id", "model_score", "status"])
        seated = set(session.scalars(select(Placement.trainee_id).where(Placement.status.in_(ACTIVE))))
    notes: list[str] = []
    full = vac[vac["remaining"] <= 0]
    if len(full) == len(vac):
        raise UserError(f"所选岗位的名额已满（{'、'.join(full['code'])}），没有可分配的名额；未作任何改动。",
                        f"The chosen vacancies are full ({', '.join(full['code'])}); there is no seat to plan. "
                        "Nothing was changed.")
    if len(full):
        notes.append(tr(f"以下岗位名额已满，未参与分配：{'、'.join(full['code'])}",
                        f"Full vacancies left out: {', '.join(full['code'])}"))
    open_vac = vac[vac["remaining"] > 0]
    capacity = pd.Series(open_vac["remaining"].to_numpy(), index=open_vac["vacancy_id"].to_numpy())
    if candidates is None:
        candidates = _candidate_scores(database, open_vac["vacancy_id"].tolist(), actor, today, priority_weights)
    cand = candidates[candidates["vacancy_id"].isin(capacity.index)]
    cand = cand[~cand["trainee_id"].isin(seated)].reset_index(drop=True)
    if cand.empty:
        raise UserError("所选岗位没有符合条件的学员（技能、等级、年龄、到岗日期或健康证不符），无法生成方案；未作任何改动。",
                        "No eligible trainees for the chosen vacancies (skill, level, age, availability or health "
                        "certificate); no plan was made. Nothing was changed.")
    best = assignment.solve(cand, capacity, pins=pins, forbids=forbids)
    base = assignment.greedy(cand, capacity, pins=pins, forbids=forbids)
    manual_er: float | None = None
    if len(manual):
        scores = cand.set_index(["trainee_id", "vacancy_id"])["score"]
        keyed = pd.MultiIndex.from_frame(manual[["trainee_id", "vacancy_id"]].astype("int64"))
        s = pd.Series(scores.reindex(keyed).to_numpy(), dtype=float)
        s = s.fillna(pd.to_numeric(manual["model_score"], errors="coerce").reset_index(drop=True))
        manual_er = float(s.fillna(0).sum())
    codes_by_id = dict(zip(vac["vacancy_id"], vac["code"]))
    pairs = best.pairs.copy()
    pairs["vacancy_code"] = pairs["vacancy_id"].map(codes_by_id)
    extra = vac.set_index("vacancy_id")
    pairs["employer"] = pairs["vacancy_id"].map(extra["employer"])
    pairs["title"] = pairs["vacancy_id"].map(extra["title"])
    for col, default in (("id_number", ""), ("name", ""), ("household_type", "general"), ("priority", 0.0),
                         ("reasons", None), ("skilled_score", np.nan)):
        if col not in pairs.columns:
            pairs[col] = default
    if len(pairs) < int(capacity.sum()):
        notes.append(tr(f"符合条件的学员不足：{int(capacity.sum())} 个名额只排上 {len(pairs)} 人。",
                        f"Not enough eligible trainees: {len(pairs)} placed on {int(capacity.sum())} seats."))
    return PlanResult(batch_id, pairs.reset_index(drop=True), best.expected_retained, best.objective,
                      base.expected_retained, base.objective, manual_er, len(manual), int(cand["trainee_id"].nunique()),
                      int(capacity.sum()), vac, notes, candidates)


def save_proposals(database: Database, actor: Actor, batch: int | str, pairs: pd.DataFrame) -> int:
    """Keep a plan as the batch's proposals (status 拟派), replacing its earlier undecided proposals.
    Nothing is placed: each proposal still needs a person to confirm it."""
    require(actor, "batch.write")
    with database.session() as session:
        row = _batch(session, batch)
        in_batch = set(session.scalars(select(BatchVacancy.vacancy_id).where(BatchVacancy.batch_id == row.id)))
        outside = set(pairs["vacancy_id"].astype(int)) - in_batch
        if outside:
            raise UserError("方案中有不属于本批次的岗位，请重新生成方案。",
                            "The plan has vacancies outside this batch; plan again.")
        busy = set(session.scalars(select(Placement.trainee_id).where(
            Placement.status.in_(ACTIVE), Placement.trainee_id.in_(pairs["trainee_id"].astype(int).tolist()))))
        if busy:
            raise UserError(f"方案中有 {len(busy)} 名学员已被其他人确认派出，请重新生成方案；未作任何改动。",
                            f"{len(busy)} trainees in the plan were confirmed elsewhere meanwhile; plan again. "
                            "Nothing was changed.")
        removed = session.execute(delete(Placement).where(Placement.batch_id == row.id,
                                                          Placement.status == "proposed")).rowcount
        for r in pairs.itertuples():
            reasons = getattr(r, "reasons", None)
            session.add(Placement(
                trainee_id=int(r.trainee_id), vacancy_id=int(r.vacancy_id), batch_id=row.id, status="proposed",
                model_score=float(r.score), priority=float(getattr(r, "priority", 0.0) or 0.0),
                model_reasons=json.dumps(list(reasons), ensure_ascii=False) if isinstance(reasons, (list, tuple))
                else None, decided_by=actor.user_id))
        audit.record(session, actor, "batch.propose", "batch", row.id,
                     detail=json.dumps({"proposals": len(pairs), "replaced": removed}))
        return len(pairs)


def add_proposal(database: Database, actor: Actor, batch: int | str, id_number: str, vacancy_code: str,
                 *, note: str | None = None) -> int:
    """A proposal picked by hand (the staff's own choice, kept for comparison with the plan)."""
    require(actor, "batch.write")
    with database.session() as session:
        row = _batch(session, batch)
        trainee = session.scalar(select(Trainee).where(Trainee.id_number == id_number.strip().upper(),
                                                       Trainee.deleted_at.is_(None)))
        if trainee is None:
            raise UserError(f"找不到身份证号为 {mask_id(id_number)} 的学员。", f"No trainee with ID {mask_id(id_number)}.")
        vac = session.scalar(select(Vacancy).where(Vacancy.code == vacancy_code.strip()))
        if vac is None:
            raise UserError(f"找不到岗位编号：{vacancy_code}", f"Unknown vacancy code: {vacancy_code}")
        if session.get(BatchVacancy, (row.id, vac.id)) is None:
            session.add(BatchVacancy(batch_id=row.id, vacancy_id=vac.id))
        _ensure_free(session, trainee.id)
        placement = Placement(trainee_id=trainee.id, vacancy_id=vac.id, batch_id=row.id, status="proposed",
                              decided_by=actor.user_id)
        session.add(placement)
        session.flush()
        if note:
            _event(session, actor, placement, "note", dt.date.today(), note=_text(note, 500))
        audit.record(session, actor, "placement.propose", "placement", placement.id,
                     after={"id_number": trainee.id_number, "vacancy": vac.code, "batch": row.name})
        return placement.id


# --- seats and confirmation ---------------------------------------------------------------------

def _ensure_free(session: Session, trainee_id: int, *, except_id: int | None = None) -> None:
    stmt = select(Placement.id).where(Placement.trainee_id == trainee_id, Placement.status.in_(ACTIVE))
    if except_id is not None:
        stmt = stmt.where(Placement.id != except_id)
    if session.scalar(stmt.limit(1)) is not None:
        raise UserError("该学员已有在派或在岗的就业记录，不能重复派遣。",
                        "This trainee already has an active placement; a second one is not allowed.")


# Tests set this to a barrier to force two confirmations to interleave between count and write.
_race_hook: Callable[[], None] | None = None


def _claim_seat(session: Session, vacancy_id: int) -> Vacancy:
    """Count the vacancy's occupied seats and bump its version, so a racing claim fails."""
    vac = session.scalars(select(Vacancy).where(Vacancy.id == vacancy_id).with_for_update()).one()
    if vac.status == "closed":
        raise UserError(f"岗位 {vac.code} 已关闭，不能再派人。", f"Vacancy {vac.code} is closed.")
    taken = _occupied(session, [vacancy_id]).get(vacancy_id, 0)
    if taken >= vac.headcount:
        raise UserError(f"岗位 {vac.code} 的 {vac.headcount} 个名额已满，不能再确认；未作任何改动。",
                        f"All {vac.headcount} seats of vacancy {vac.code} are taken; nothing was changed.")
    if _race_hook is not None:
        _race_hook()
    vac.status = "filled" if taken + 1 >= vac.headcount else "open"
    flag_modified(vac, "status")  # always UPDATE … WHERE version = seen, even when status is unchanged
    return vac


def _release_seat(session: Session, vacancy_id: int) -> None:
    vac = session.get(Vacancy, vacancy_id)
    if vac is not None and vac.status == "filled":
        vac.status = "open"


class _LostRace(Exception):
    """Another transaction claimed the seat between our count and our write."""


def _with_retry(database: Database, work, attempts: int = 3):  # type: ignore[no-untyped-def]
    """Run ``work(session)`` in a transaction; a lost race is re-run against the new state, where
    the seat count then gives the clear message."""
    for attempt in range(attempts):
        try:
            with database.session() as session:
                try:
                    result = work(session)
                    session.flush()
                except StaleDataError:
                    raise _LostRace() from None
                return result
        except (_LostRace, OperationalError) as exc:
            text = str(exc).lower()
            if isinstance(exc, OperationalError) and not any(
                    k in text for k in ("locked", "busy", "could not serialize", "deadlock")):
                raise
            if attempt == attempts - 1:
                raise UserError("其他用户正在修改同一岗位，请稍后再试；未作任何改动。",
                                "Another user is changing the same vacancy; try again. Nothing was changed.") from None
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def _placement(session: Session, placement_id: int) -> Placement:
    row = session.get(Placement, placement_id)
    if row is None:
        raise UserError(f"找不到就业记录 {placement_id}。", f"No placement {placement_id}.")
    return row


def _event(session: Session, actor: Actor, placement: Placement, kind: str, day: dt.date, **values: Any) -> None:
    session.add(PlacementEvent(placement_id=placement.id, kind=kind, event_date=day, user_id=actor.user_id, **values))


def _check_transition(p: Placement, to: str) -> None:
    if to not in TRANSITIONS.get(p.status, ()):
        raise UserError(f"“{status_label(p.status)}”状态的记录不能改为“{status_label(to)}”。",
                        f"A placement that is '{status_label(p.status)}' cannot become '{status_label(to)}'.")


def _last_status_date(session: Session, placement_id: int) -> dt.date | None:
    return session.scalar(select(func.max(PlacementEvent.event_date)).where(
        PlacementEvent.placement_id == placement_id, PlacementEvent.kind == "status"))


def _check_date(session: Session, p: Placement, day: dt.date, *, status_change: bool) -> None:
    if p.start_date is not None and day < p.start_date:
        raise UserError(f"日期 {day} 早于上岗日期 {p.start_date}，请核对；未作任何改动。",
                        f"The date {day} is before the placement started ({p.start_date}); nothing was changed.")
    if status_change:
        last = _last_status_date(session, p.id)
        if last is not None and day < last:
            raise UserError(f"日期 {day} 早于上一次状态变更（{last}），请核对；未作任何改动。",
                            f"The date {day} is before the previous status change ({last}); nothing was changed.")


def confirm(database: Database, actor: Actor, placement_id: int, *, date: object = None,
            note: str | None = None) -> None:
    """A person accepts a proposed pair: a seat of the vacancy is claimed, never beyond headcount."""
    require(actor, "batch.write")
    day = _date(date, "确认日期", "confirmation date", required=False) or dt.date.today()

    def work(session: Session) -> None:
        p = _placement(session, placement_id)
        _check_transition(p, "confirmed")
        _check_date(session, p, day, status_change=True)
        _ensure_free(session, p.trainee_id, except_id=p.id)
        _claim_seat(session, p.vacancy_id)
        p.status = "confirmed"
        p.decided_by = actor.user_id
        _event(session, actor, p, "status", day, status_from="proposed", status_to="confirmed",
               note=_text(note, 500) or None)
        audit.record(session, actor, "placement.confirm", "placement", p.id, after={"status": "confirmed"})
        session.flush()

    _with_retry(database, work)


def edit_proposal(database: Database, actor: Actor, placement_id: int, vacancy_code: str, *, reason: str) -> None:
    """Move a proposed pair to another vacancy; the reason is kept in the timeline."""
    require(actor, "batch.write")
    reason = _text(reason, 200)
    if not reason:
        raise UserError("改派需要填写原因。", "Give a reason for changing the vacancy.")
    with database.session() as session:
        p = _placement(session, placement_id)
        if p.status != "proposed":
            raise UserError("只有“拟派”的记录可以改派；已确认的请先放弃再重新安排。",
                            "Only proposed pairs can be moved; decline a confirmed one and propose again.")
        vac = session.scalar(select(Vacancy).where(Vacancy.code == vacancy_code.strip()))
        if vac is None:
            raise UserError(f"找不到岗位编号：{vacancy_code}", f"Unknown vacancy code: {vacancy_code}")
        if vac.id == p.vacancy_id:
            raise UserError("新岗位与原岗位相同。", "The new vacancy is the same as the old one.")
        if _occupied(session, [vac.id]).get(vac.id, 0) >= vac.headcount or vac.status == "closed":
            raise UserError(f"岗位 {vac.code} 已没有名额；未作任何改动。", f"Vacancy {vac.code} has no seat left; nothing was changed.")
        old = session.get(Vacancy, p.vacancy_id)
        if p.batch_id is not None and session.get(BatchVacancy, (p.batch_id, vac.id)) is None:
            session.add(BatchVacancy(batch_id=p.batch_id, vacancy_id=vac.id))
        p.vacancy_id = vac.id
        p.model_score = None  # the score was for the old pair
        p.model_reasons = None
        p.decided_by = actor.user_id
        _event(session, actor, p, "note", dt.date.today(),
               note=tr(f"改派：{old.code if old else ''} → {vac.code}；原因：{reason}",
                       f"Moved: {old.code if old else ''} → {vac.code}; reason: {reason}"))
        audit.record(session, actor, "placement.edit", "placement", p.id,
                     before={"vacancy": old.code if old else None}, after={"vacancy": vac.code, "reason": reason})


def decline(database: Database, actor: Actor, placement_id: int, *, reason: str, date: object = None) -> None:
    """Reject a proposed pair, or a confirmed person who will not go; the reason is kept."""
    require(actor, "batch.write")
    reason = _text(reason, 200)
    if not reason:
        raise UserError("请填写放弃或拒绝的原因。", "Give the reason for declining.")
    day = _date(date, "日期", "date", required=False) or dt.date.today()
    with database.session() as session:
        p = _placement(session, placement_id)
        _check_transition(p, "declined")
        _check_date(session, p, day, status_change=True)
        was = p.status
        p.status = "declined"
        p.decline_reason = reason
        p.decided_by = actor.user_id
        if was in ACTIVE:
            _release_seat(session, p.vacancy_id)
        _event(session, actor, p, "status", day, status_from=was, status_to="declined", note=reason)
        audit.record(session, actor, "placement.decline", "placement", p.id, before={"status": was},
                     after={"status": "declined", "reason": reason})


# --- lifecycle ----------------------------------------------------------------------------------

def mark_departed(database: Database, actor: Actor, placement_id: int, *, date: object,
                  note: str | None = None) -> None:
    _move(database, actor, placement_id, "departed", date, note=note)


def mark_on_job(database: Database, actor: Actor, placement_id: int, *, date: object, wage: int | None = None,
                note: str | None = None) -> None:
    """Arrived at work: the start date of the placement (上岗日期)."""
    _move(database, actor, placement_id, "on_job", date, note=note, wage=wage)


def end_placement(database: Database, actor: Actor, placement_id: int, *, date: object, reason: str) -> None:
    """The worker left the job (离岗) on ``date`` for ``reason``."""
    if not _text(reason):
        raise UserError("请填写离岗原因。", "Give the reason for leaving.")
    _move(database, actor, placement_id, "ended", date, note=reason)


def _move(database: Database, actor: Actor, placement_id: int, to: str, date: object, *,
          note: str | None = None, wage: int | None = None) -> None:
    require(actor, "batch.write")
    day = _date(date, "日期", "date")
    assert day is not None
    if wage is not None and not (0 < int(wage) < 1_000_000):
        raise UserError("月收入应为正数（元）。", "The monthly wage must be a positive number (yuan).")
    with database.session() as session:
        p = _placement(session, placement_id)
        _check_transition(p, to)
        _check_date(session, p, day, status_change=True)
        was = p.status
        before = {"status": was, "start_date": p.start_date, "end_date": p.end_date}
        if to == "on_job":
            p.start_date = day
            if wage is not None:
                p.monthly_wage = int(wage)
        elif to == "ended":
            if p.start_date is None:
                p.start_date = day  # left on arrival: a zero-day job
            p.end_date = day
            p.leave_reason = _text(note, 200)
        p.status = to
        _event(session, actor, p, "status", day, status_from=was, status_to=to, wage=wage,
               note=_text(note, 500) or None)
        audit.record(session, actor, f"placement.{to}", "placement", p.id, before=before,
                     after={"status": to, "start_date": p.start_date, "end_date": p.end_date})


def record_followup(database: Database, actor: Actor, placement_id: int, *, date: object, wage: int | None = None,
                    employment_form: str | None = None, note: str | None = None) -> None:
    """A follow-up visit (回访). A visit that finds the worker skilled records the conversion too."""
    require(actor, "batch.write")
    day = _date(date, "回访日期", "follow-up date")
    assert day is not None
    if wage is not None and not (0 < int(wage) < 1_000_000):
        raise UserError("月收入应为正数（元）。", "The monthly wage must be a positive number (yuan).")
    if employment_form not in (None, "temporary", "skilled"):
        raise UserError("用工形式应为临时工或职业工。", "The employment form is temporary or skilled.")
    with database.session() as session:
        p = _placement(session, placement_id)
        if p.status in ("ended", "declined"):
            raise UserError(f"该就业记录已{status_label(p.status)}，不能再登记回访；如已再就业，请在新的就业记录上回访。",
                            f"This placement is {status_label(p.status).lower()}; a follow-up cannot be recorded. "
                            "Record it on the new placement if the worker was re-placed.")
        if p.status not in ("departed", "on_job"):
            raise UserError("学员尚未出发，暂不能回访。", "The worker has not left yet; no follow-up is possible.")
        _check_date(session, p, day, status_change=False)
        if day > dt.date.today() + dt.timedelta(days=1):
            raise UserError(f"回访日期 {day} 在将来，请核对。", f"The follow-up date {day} is in the future.")
        if wage is not None:
            p.monthly_wage = int(wage)
        _event(session, actor, p, "followup", day, wage=wage, employment_form=employment_form,
               note=_text(note, 500) or None)
        if employment_form == "skilled" and p.employment_form != "skilled" and p.status == "on_job":
            _make_skilled(session, actor, p, day, tr("回访时确认转为职业工", "Found skilled at a follow-up"))
        audit.record(session, actor, "placement.followup", "placement", p.id, after={"date": day, "wage": wage})


def _make_skilled(session: Session, actor: Actor, p: Placement, day: dt.date, note: str | None) -> None:
    p.employment_form = "skilled"
    p.skilled_since = day
    _event(session, actor, p, "form", day, employment_form="skilled",
           note=note or tr("转为职业工", "Became a skilled worker"))


def convert_to_skilled(database: Database, actor: Actor, placement_id: int, *, date: object,
                       note: str | None = None) -> None:
    """Temporary (临时工) → skilled, contracted (职业工) on ``date``."""
    require(actor, "batch.write")
    day = _date(date, "转职业工日期", "conversion date")
    assert day is not None
    with database.session() as session:
        p = _placement(session, placement_id)
        if p.status != "on_job":
            raise UserError("只有在岗的工人可以转为职业工。", "Only a worker on the job can become skilled.")
        if p.employment_form == "skilled":
            raise UserError(f"该工人已于 {p.skilled_since} 转为职业工。", f"Already skilled since {p.skilled_since}.")
        _check_date(session, p, day, status_change=False)
        _make_skilled(session, actor, p, day, _text(note, 500) or None)
        audit.record(session, actor, "placement.skilled", "placement", p.id, after={"skilled_since": day})


def re_place(database: Database, actor: Actor, placement_id: int, vacancy_code: str, *,
             batch: int | str | None = None, date: object = None, note: str | None = None) -> int:
    """A new confirmed placement for someone who left (再就业); the seat check applies as always."""
    require(actor, "batch.write")
    day = _date(date, "确认日期", "confirmation date", required=False) or dt.date.today()

    def work(session: Session) -> int:
        old = _placement(session, placement_id)
        if old.status not in ("ended", "declined"):
            raise UserError("只有已离岗（或已放弃）的人员可以再就业安排。", "Only someone who left can be re-placed.")
        if old.end_date is not None and day < old.end_date:
            raise UserError(f"日期 {day} 早于离岗日期 {old.end_date}。", f"The date {day} is before they left ({old.end_date}).")
        vac = session.scalar(select(Vacancy).where(Vacancy.code == vacancy_code.strip()))
        if vac is None:
            raise UserError(f"找不到岗位编号：{vacancy_code}", f"Unknown vacancy code: {vacancy_code}")
        _ensure_free(session, old.trainee_id)
        batch_id = _batch(session, batch).id if batch is not None else None
        _claim_seat(session, vac.id)
        new = Placement(trainee_id=old.trainee_id, vacancy_id=vac.id, batch_id=batch_id, status="confirmed",
                        decided_by=actor.user_id)
        session.add(new)
        session.flush()
        _event(session, actor, new, "status", day, status_from=None, status_to="confirmed",
               note=_text(note, 500) or tr(f"再就业（原就业记录 {old.id}）", f"Re-placed (after placement {old.id})"))
        audit.record(session, actor, "placement.replace", "placement", new.id,
                     after={"previous": old.id, "vacancy": vac.code})
        return new.id

    return _with_retry(database, work)


# --- reading: placements, timeline, follow-ups, alerts ------------------------------------------

PLACEMENT_COLUMNS = ["id", "trainee_id", "name", "id_number", "township", "household_type", "batch", "vacancy_code",
                     "employer", "title", "status", "start_date", "end_date", "monthly_wage", "employment_form",
                     "skilled_since", "model_score"]


def _placement_select(actor: Actor, *, batch_id: int | None = None, employer_id: int | None = None,
                      township: str | None = None, status: str | None = None, trainee_id: int | None = None,
                      search: str | None = None, placement_id: int | None = None):  # type: ignore[no-untyped-def]
    stmt = (select(Placement.id, Placement.trainee_id, Trainee.name, Trainee.id_number, Trainee.township,
                   Trainee.household_type, Batch.name.label("batch"), Vacancy.code.label("vacancy_code"),
                   Employer.name.label("employer"), Vacancy.title, Placement.status, Placement.start_date,
                   Placement.end_date, Placement.monthly_wage, Placement.employment_form, Placement.skilled_since,
                   Placement.model_score)
            .join(Trainee, Trainee.id == Placement.trainee_id).join(Vacancy, Vacancy.id == Placement.vacancy_id)
            .join(Employer, Employer.id == Vacancy.employer_id).outerjoin(Batch, Batch.id == Placement.batch_id))
    if actor.role == "school":
        stmt = stmt.where(Trainee.school_id == actor.school_id)
    if batch_id is not None:
        stmt = stmt.where(Placement.batch_id == batch_id)
    if employer_id is not None:
        stmt = stmt.where(Vacancy.employer_id == employer_id)
    if township:
        stmt = stmt.where(Trainee.township == township)
    if status:
        stmt = stmt.where(Placement.status == status)
    if trainee_id is not None:
        stmt = stmt.where(Placement.trainee_id == trainee_id)
    if placement_id is not None:
        stmt = stmt.where(Placement.id == placement_id)
    if search:
        like = f"%{search.strip()}%"
        stmt = stmt.where(or_(Trainee.name.like(like), Trainee.name_pinyin.like(like.lower()),
                              Trainee.name_initials.like(like.lower()), Trainee.id_number.like(like)))
    return stmt


def placement_query(actor: Actor, sort_key: str | None = None, descending: bool = False,
                    **filters: Any):  # type: ignore[no-untyped-def]
    """The Select behind the tracking page's lazy table (first column: placement id)."""
    require(actor, "registry.read")
    sub = _placement_select(actor, **filters).subquery()
    key = sub.c[sort_key] if sort_key in PLACEMENT_COLUMNS else sub.c.id
    order = [key.desc() if descending or sort_key not in PLACEMENT_COLUMNS else key.asc()]
    return select(sub).order_by(*order, sub.c.id.desc())


def count_placements(database: Database, actor: Actor, **filters: Any) -> int:
    require(actor, "registry.read")
    stmt = select(func.count()).select_from(_placement_select(actor, **filters).subquery())
    with database.session() as session:
        return int(session.scalar(stmt) or 0)


def placements_page(database: Database, actor: Actor, *, order_by: str = "id", descending: bool = True,
                    offset: int = 0, limit: int = 200, **filters: Any) -> pd.DataFrame:
    """One page of placements, sorted and filtered in SQL (the tracking page fetches lazily)."""
    require(actor, "registry.read")
    if order_by not in PLACEMENT_COLUMNS:
        order_by = "id"
    sub = _placement_select(actor, **filters).subquery()
    key = sub.c[order_by]
    stmt = select(sub).order_by(key.desc() if descending else key.asc(), sub.c.id.desc()).offset(offset).limit(limit)
    with database.session() as session:
        rows = session.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=PLACEMENT_COLUMNS)
    frame["id_masked"] = frame["id_number"].map(mask_id)
    frame["status_label"] = frame["status"].map(status_label)
    frame["form_label"] = frame["employment_form"].map(form_label)
    frame["household_label"] = frame["household_type"].map(household_label)
    return frame


def batch_placements(database: Database, batch: int | str, actor: Actor) -> pd.DataFrame:
    """Every pair of a batch (proposals included), with the model's reasons."""
    with database.session() as session:
        batch_id = _batch(session, batch).id
    frame = placements_page(database, actor, batch_id=batch_id, order_by="vacancy_code", descending=False,
                            limit=100_000)
    with database.session() as session:
        reasons = dict(session.execute(select(Placement.id, Placement.model_reasons).where(
            Placement.batch_id == batch_id)).all())
    frame["reasons"] = frame["id"].map(lambda i: json.loads(reasons[i]) if reasons.get(i) else [])
    return frame


def filter_options(database: Database) -> dict[str, list[tuple[Any, str]]]:
    """Batches, employers with placements, and townships, for the tracking page's filters."""
    with database.session() as session:
        batches = session.execute(select(Batch.id, Batch.name).order_by(Batch.id.desc())).all()
        employers = session.execute(select(Employer.id, Employer.name).where(
            exists().where(Vacancy.employer_id == Employer.id,
                           exists().where(Placement.vacancy_id == Vacancy.id))).order_by(Employer.name)).all()
        towns = session.scalars(select(Trainee.township).where(Trainee.township.is_not(None)).distinct()
                                .order_by(Trainee.township)).all()
    return {"batches": list(batches), "employers": list(employers), "townships": [(t, t) for t in towns]}


def timeline(database: Database, trainee_id: int, actor: Actor) -> pd.DataFrame:
    """A worker's whole story: every placement and every dated event, oldest first."""
    require(actor, "registry.read")
    stmt = (select(PlacementEvent.event_date, Placement.id, Vacancy.code, Employer.name, PlacementEvent.kind,
                   PlacementEvent.status_from, PlacementEvent.status_to, PlacementEvent.wage,
                   PlacementEvent.employment_form, PlacementEvent.note, User.display_name, User.username)
            .join(Placement, Placement.id == PlacementEvent.placement_id)
            .join(Vacancy, Vacancy.id == Placement.vacancy_id).join(Employer, Employer.id == Vacancy.employer_id)
            .outerjoin(User, User.id == PlacementEvent.user_id)
            .where(Placement.trainee_id == trainee_id).order_by(PlacementEvent.event_date, PlacementEvent.id))
    with database.session() as session:
        rows = session.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=["date", "placement_id", "vacancy_code", "employer", "kind", "status_from",
                                        "status_to", "wage", "employment_form", "note", "display_name", "username"])
    kinds = {"status": tr("状态", "Status"), "followup": tr("回访", "Follow-up"),
             "form": tr("用工形式", "Employment form"), "note": tr("备注", "Note")}

    def describe(r: pd.Series) -> str:
        parts = []
        if r["kind"] == "status":
            parts.append(f"{status_label(r['status_from']) or '—'} → {status_label(r['status_to'])}")
        if r["kind"] in ("followup", "form") and form_label(r["employment_form"]):
            parts.append(form_label(r["employment_form"]))
        if pd.notna(r["wage"]) and r["wage"]:
            parts.append(tr(f"月收入 {int(r['wage'])} 元", f"wage {int(r['wage'])}"))
        if isinstance(r["note"], str) and r["note"]:
            parts.append(r["note"])
        return "；".join(parts)

    frame["kind_label"] = frame["kind"].map(kinds).fillna(frame["kind"])
    frame["detail"] = frame.apply(describe, axis=1) if len(frame) else pd.Series(dtype=str)
    frame["user"] = frame["display_name"].where(frame["display_name"].fillna("") != "", frame["username"]).fillna("")
    return frame


def _last_visit():  # type: ignore[no-untyped-def]
    """Subquery: placement id → date of its last follow-up visit."""
    last_visit = (select(PlacementEvent.placement_id, func.max(PlacementEvent.event_date).label("last_visit"))
                  .where(PlacementEvent.kind == "followup").group_by(PlacementEvent.placement_id).subquery())
    return last_visit


def followups_due(database: Database, *, today: dt.date | None = None, within_days: int = 14,
                  every_days: int = FOLLOWUP_DAYS, actor: Actor) -> pd.DataFrame:
    """Workers on the job whose next visit (every ``every_days`` days) falls within ``within_days``."""
    require(actor, "registry.read")
    today = _today(today)
    last_visit = _last_visit()
    stmt = (select(Placement.id, Placement.trainee_id, Trainee.name, Trainee.id_number, Trainee.township,
                   Trainee.household_type, Employer.name, Vacancy.code, Placement.start_date,
                   last_visit.c.last_visit, Placement.monthly_wage)
            .join(Trainee, Trainee.id == Placement.trainee_id).join(Vacancy, Vacancy.id == Placement.vacancy_id)
            .join(Employer, Employer.id == Vacancy.employer_id)
            .outerjoin(last_visit, last_visit.c.placement_id == Placement.id)
            .where(Placement.status.in_(("departed", "on_job"))))
    if actor.role == "school":
        stmt = stmt.where(Trainee.school_id == actor.school_id)
    with database.session() as session:
        rows = session.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=["placement_id", "trainee_id", "name", "id_number", "township",
                                        "household_type", "employer", "vacancy_code", "start_date", "last_visit",
                                        "monthly_wage"])
    if frame.empty:
        frame["due_date"] = []
        frame["overdue_days"] = []
        return frame
    contact = pd.to_datetime(frame["last_visit"]).fillna(pd.to_datetime(frame["start_date"]))
    contact = contact.fillna(pd.Timestamp(today))
    due = contact + pd.to_timedelta(every_days, unit="D")
    frame["last_contact"] = contact.dt.date
    frame["due_date"] = due.dt.date
    frame["overdue_days"] = (pd.Timestamp(today) - due).dt.days
    frame = frame[due <= pd.Timestamp(today + dt.timedelta(days=within_days))]
    frame = frame.assign(_rank=frame["household_type"].map(HOUSEHOLD_RANK).fillna(3))
    frame = frame.sort_values(["_rank", "due_date"]).drop(columns="_rank").reset_index(drop=True)
    frame["id_masked"] = frame["id_number"].map(mask_id)
    frame["household_label"] = frame["household_type"].map(household_label)
    return frame


def wage_floor(database: Database) -> int:
    with database.session() as session:
        value = session.get(AppSetting, WAGE_FLOOR_KEY)
    try:
        return int(value.value) if value is not None else DEFAULT_WAGE_FLOOR
    except ValueError:
        return DEFAULT_WAGE_FLOOR


def set_wage_floor(database: Database, actor: Actor, value: int) -> None:
    """The monthly wage under which an on-the-job worker is flagged (设置，全局共享)."""
    require(actor, "batch.write")
    if not (0 <= int(value) <= 100_000):
        raise UserError("工资下限应在 0 到 100000 元之间。", "The wage floor must be between 0 and 100,000 yuan.")
    with database.session() as session:
        row = session.get(AppSetting, WAGE_FLOOR_KEY)
        before = row.value if row else None
        if row is None:
            session.add(AppSetting(key=WAGE_FLOOR_KEY, value=str(int(value))))
        else:
            row.value = str(int(value))
        audit.record(session, actor, "setting.update", "setting", WAGE_FLOOR_KEY,
                     before={"value": before}, after={"value": int(value)})


def alerts(database: Database, *, today: dt.date | None = None, wage_floor_value: int | None = None,
           replace_days: int = REPLACE_DAYS, followup_days: int = FOLLOWUP_DAYS,
           window_days: int = ALERT_WINDOW_DAYS, actor: Actor) -> pd.DataFrame:
    """Early warnings (风险预警), monitored households first:
    left the job and not re-placed within ``replace_days`` (leavers of the last ``window_days``);
    no follow-up for ``followup_days``; current wage below the configured floor."""
    require(actor, "registry.read")
    today = _today(today)
    floor = wage_floor(database) if wage_floor_value is None else int(wage_floor_value)
    later = aliased(Placement)
    replaced = exists().where(later.trainee_id == Placement.trainee_id, later.id != Placement.id,
                              or_(later.status.in_(ACTIVE),
                                  and_(later.status == "ended", later.start_date >= Placement.end_date)))
    left = (select(Placement.id, Placement.trainee_id, Placement.end_date, Placement.leave_reason,
                   Placement.monthly_wage)
            .where(Placement.status == "ended", Placement.end_date.is_not(None),
                   Placement.end_date <= today - dt.timedelta(days=replace_days),
                   Placement.end_date >= today - dt.timedelta(days=window_days), ~replaced))
    base_cols = (Trainee.name, Trainee.id_number, Trainee.township, Trainee.household_type,
                 Employer.name.label("employer"), Vacancy.code.label("vacancy_code"))
    with database.session() as session:
        sub = left.subquery()
        stmt_left = (select(sub.c.id, sub.c.trainee_id, sub.c.end_date, sub.c.leave_reason, sub.c.monthly_wage,
                            *base_cols)
                     .join(Placement, Placement.id == sub.c.id)
                     .join(Trainee, Trainee.id == sub.c.trainee_id).join(Vacancy, Vacancy.id == Placement.vacancy_id)
                     .join(Employer, Employer.id == Vacancy.employer_id))
        if actor.role == "school":
            stmt_left = stmt_left.where(Trainee.school_id == actor.school_id)
        left_frame = pd.DataFrame(session.execute(stmt_left).all(),
                                  columns=["placement_id", "trainee_id", "since", "reason", "monthly_wage", "name",
                                           "id_number", "township", "household_type", "employer", "vacancy_code"])
        stmt_active = (select(Placement.id, Placement.trainee_id, Placement.start_date, Placement.monthly_wage,
                              Placement.status, *base_cols)
                       .join(Trainee, Trainee.id == Placement.trainee_id)
                       .join(Vacancy, Vacancy.id == Placement.vacancy_id)
                       .join(Employer, Employer.id == Vacancy.employer_id)
                       .where(Placement.status.in_(("departed", "on_job"))))
        if actor.role == "school":
            stmt_active = stmt_active.where(Trainee.school_id == actor.school_id)
        active = pd.DataFrame(session.execute(stmt_active).all(),
                              columns=["placement_id", "trainee_id", "start_date", "monthly_wage", "status", "name",
                                       "id_number", "township", "household_type", "employer", "vacancy_code"])
        visits = dict(session.execute(select(PlacementEvent.placement_id, func.max(PlacementEvent.event_date))
                                      .where(PlacementEvent.kind == "followup")
                                      .group_by(PlacementEvent.placement_id)).all())
    parts = []
    if len(left_frame):
        days = (pd.Timestamp(today) - pd.to_datetime(left_frame["since"])).dt.days
        parts.append(left_frame.assign(
            kind="not_replaced",
            detail=[tr(f"离岗 {d} 天未再就业（原因：{r or '未填'}）", f"Left {d} days ago, not re-placed ({r or 'no reason'})")
                    for d, r in zip(days, left_frame["reason"])], severity=days))
    if len(active):
        last = pd.to_datetime(active["placement_id"].map(visits)).fillna(pd.to_datetime(active["start_date"]))
        gap = (pd.Timestamp(today) - last).dt.days
        stale = active[(gap > followup_days).to_numpy()]
        if len(stale):
            g = gap[(gap > followup_days).to_numpy()]
            parts.append(stale.assign(kind="no_followup", since=last[g.index].dt.date,
                                      detail=[tr(f"已 {d} 天未回访", f"No follow-up for {d} days") for d in g],
                                      severity=g))
        low = active[(active["status"] == "on_job") & active["monthly_wage"].notna()
                     & (active["monthly_wage"].fillna(0) < floor)]
        if len(low):
            parts.append(low.assign(kind="low_wage", since=low["start_date"],
                                    detail=[tr(f"月收入 {int(w)} 元，低于下限 {floor} 元", f"Wage {int(w)} below floor {floor}")
                                            for w in low["monthly_wage"]],
                                    severity=floor - low["monthly_wage"]))
    cols = ["kind", "kind_label", "placement_id", "trainee_id", "name", "id_number", "id_masked", "township",
            "household_type", "household_label", "employer", "vacancy_code", "since", "detail"]
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)
    out["kind_label"] = out["kind"].map(lambda k: tr(*ALERT_LABELS[k]))
    out["id_masked"] = out["id_number"].map(mask_id)
    out["household_label"] = out["household_type"].map(household_label)
    out["_rank"] = out["household_type"].map(HOUSEHOLD_RANK).fillna(3)
    out = out.sort_values(["_rank", "severity"], ascending=[True, False], kind="stable")
    return out[cols].reset_index(drop=True)


def trainee_by_id_number(database: Database, id_number: str) -> tuple[int, str] | None:
    with database.session() as session:
        row = session.execute(select(Trainee.id, Trainee.name).where(
            Trainee.id_number == id_number.strip().upper())).first()
    return (int(row[0]), str(row[1])) if row else None

