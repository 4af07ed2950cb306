"""Departure batches (派遣批次): their vacancies, the optimal plan, and proposals (拟派).

Every function here is what a button on the tracking page or the ``plan`` command does, so tests and
the CLI call the same code as the GUI. Writes happen in one transaction each and are audited.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd
from sqlalchemy import CursorResult, case, delete, exists, func, select
from sqlalchemy.orm import Session

from core.access import Actor, require, sees_trainee
from core.fields import date_field as _date
from core.fields import mask_id
from core.fields import short_text as _text
from core.i18n import UserError, tr
from core.placement import LISTED, OPEN, SEAT_HOLDING, seats_left
from core.vocab import skill_label, status_label
from db import audit
from db.changes import BATCH, PLACEMENT, VACANCY, Changes, WithChanges
from db.engine import Database
from db.models import Batch, BatchVacancy, Employer, Placement, Trainee, Vacancy
from db.queries.lookup import find_batch as _batch
from db.queries.lookup import find_vacancy
from db.rules import seats_taken, sees_trainee_expr, vacancy_open_expr
from db.services.placements import _event, clean_override, propose, refusals
from matching import assignment

# --- batches ------------------------------------------------------------------------------------

def create_batch(database: Database, actor: Actor, *, name: str, departure_date: object = None,
                 destination: str | None = None, escort: str | None = None) -> WithChanges:
    """A new departure batch; its name must be unique. Returns its id (with ``.changes``)."""
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
        return WithChanges(row.id, Changes.of(BATCH, batches=[row.id]))


def update_batch(database: Database, actor: Actor, batch: int | str, *, name: str | None = None,
                 departure_date: object = None, destination: str | None = None, escort: str | None = None) -> Changes:
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
        return Changes.of(BATCH, PLACEMENT, batches=[row.id])  # the batch's name shows beside its people


def add_vacancies(database: Database, actor: Actor, batch: int | str, codes: Iterable[str]) -> WithChanges:
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
        return WithChanges(len(new), Changes.of(BATCH, batches=[row.id]))


def remove_vacancy(database: Database, actor: Actor, batch: int | str, code: str) -> Changes:
    """Take a vacancy out of a batch; refused while the batch still has placements on it."""
    require(actor, "batch.write")
    with database.session() as session:
        row = _batch(session, batch)
        vid = session.scalar(select(Vacancy.id).where(Vacancy.code == code))
        if vid is None:
            raise UserError(f"找不到岗位编号：{code}", f"Unknown vacancy code: {code}")
        used = session.scalar(select(func.count()).select_from(Placement).where(
            Placement.batch_id == row.id, Placement.vacancy_id == vid, Placement.status.in_(SEAT_HOLDING)))
        if used:
            raise UserError(f"岗位 {code} 在本批次中已有 {used} 人确认，不能移出。",
                            f"Vacancy {code} already has {used} confirmed people in this batch; it cannot be removed.")
        session.execute(delete(Placement).where(Placement.batch_id == row.id, Placement.vacancy_id == vid,
                                                Placement.status == "proposed"))
        session.execute(delete(BatchVacancy).where(BatchVacancy.batch_id == row.id, BatchVacancy.vacancy_id == vid))
        audit.record(session, actor, "batch.remove_vacancy", "batch", row.id, detail=code)
        return Changes.of(BATCH, PLACEMENT, batches=[row.id])


def list_batches(database: Database) -> pd.DataFrame:
    """Every batch with its vacancies, seats and people by status."""
    seats = (select(BatchVacancy.batch_id, func.count().label("vacancies"),
                    func.sum(Vacancy.headcount).label("seats"))
             .join(Vacancy, Vacancy.id == BatchVacancy.vacancy_id).group_by(BatchVacancy.batch_id).subquery())
    people = (select(Placement.batch_id,
                     func.sum(case((Placement.status == "proposed", 1), else_=0)).label("proposed"),
                     func.sum(case((Placement.status.in_(LISTED), 1), else_=0)).label("confirmed"))
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


def vacancy_frame(session: Session, vacancy_ids: Sequence[int]) -> pd.DataFrame:
    """Vacancies with employer, seats occupied and seats remaining (closed ones have none left)."""
    stmt = (select(Vacancy.id.label("vacancy_id"), Vacancy.code, Employer.name.label("employer"), Vacancy.title,
                   Vacancy.skill, Vacancy.headcount, Vacancy.status, Vacancy.start_date, Employer.province,
                   Employer.city, Vacancy.wage_min, Vacancy.wage_max)
            .join(Employer, Employer.id == Vacancy.employer_id).where(Vacancy.id.in_(list(vacancy_ids)))
            .order_by(Vacancy.code))
    frame = pd.DataFrame(session.execute(stmt).all(),
                         columns=["vacancy_id", "code", "employer", "title", "skill", "headcount", "status",
                                  "start_date", "province", "city", "wage_min", "wage_max"])
    occupied = seats_taken(session, frame["vacancy_id"].tolist())
    frame["occupied"] = frame["vacancy_id"].map(occupied).fillna(0).astype(int)
    frame["remaining"] = seats_left(frame["headcount"].to_numpy(), frame["occupied"].to_numpy(),
                                    frame["status"].to_numpy())
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
    """Open vacancies with a seat left (db.rules.vacancy_open_expr), optionally those not yet in a batch."""
    v = Vacancy.__table__
    with database.session() as session:
        stmt = select(v.c.id).where(vacancy_open_expr(v))
        if exclude_batch is not None:
            stmt = stmt.where(~exists().where(BatchVacancy.batch_id == exclude_batch,
                                              BatchVacancy.vacancy_id == v.c.id))
        return vacancy_frame(session, list(session.scalars(stmt)))


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
    priority_cost: dict[str, float | int] = field(default_factory=dict)  # matching.assignment.price_of_priority

    def priority_line(self) -> str:
        """One line for the plan summary: who the priority selects and what it costs in retention."""
        c = self.priority_cost
        if not c:
            return ""
        cost = round(float(c["cost"]), 1)  # "少 0.0 人" is no cost: say it is the same
        return tr(f"政策优先：监测户 {c['monitored']} 人、脱贫户 {c['poverty_exited']} 人入选，"
                  + (f"预计稳岗少 {cost:.1f} 人" if cost > 0 else "预计稳岗人数相同"),
                  f"Policy priority: {c['monitored']} from monitored and {c['poverty_exited']} from poverty-exited "
                  "households selected; " + (f"{cost:.1f} fewer expected to stay 180 days" if cost > 0
                                              else "the same number expected to stay 180 days"))

    def to_json(self) -> dict[str, Any]:
        pairs = [{"id_number": r.id_number, "name": r.name, "vacancy_code": r.vacancy_code,
                  "score": round(float(r.score), 4),
                  "skilled_score": None if pd.isna(r.skilled_score) else round(float(r.skilled_score), 4),
                  "priority": round(float(r.priority), 4),
                  "weight": round(float(r.weight), 4), "pinned": bool(r.pinned)}
                 for r in self.pairs.itertuples()]
        return {"batch_id": self.batch_id, "pairs": pairs, "expected_retained": round(self.expected_retained, 3),
                "objective": round(self.objective, 3),
                "greedy_expected_retained": round(self.greedy_expected_retained, 3),
                "greedy_objective": round(self.greedy_objective, 3),
                "manual_expected_retained": None if self.manual_expected_retained is None
                else round(self.manual_expected_retained, 3),
                "candidates": self.candidates, "seats": self.seats, "notes": self.notes,
                "priority_cost": {k: round(float(v), 3) if isinstance(v, float) else v
                                  for k, v in self.priority_cost.items()}}


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
    from db.services.matching import candidate_scores  # here: scikit-learn loads only when a plan is made

    # Reasons are worded for the chosen pairs only (_explain), not for every candidate.
    return candidate_scores(database, vacancy_ids, actor=actor, priority_weights=priority_weights, today=today,
                            reasons=False)


def _explain(database: Database, pairs: pd.DataFrame, actor: Actor, today: dt.date | None) -> list[list[str]]:
    from db.services.matching import explain_pairs

    return explain_pairs(database, pairs, actor=actor, today=today)


def plan(database: Database, batch: int | str | None = None, codes: Sequence[str] | None = None, *,
         actor: Actor, pins: Iterable[tuple[int, int]] = (), forbids: Iterable[tuple[int, int]] = (),
         today: dt.date | None = None, priority_weights: dict[str, float] | None = None,
         candidates: pd.DataFrame | None = None) -> PlanResult:
    """The optimal assignment for a batch's vacancies (or the given codes), with the greedy baseline
    and the staff's manual choice beside it. ``candidates`` may pass a frame already scored by
    ``db.services.matching.candidate_scores`` (the GUI reuses it while toggling pins)."""
    require(actor, "matching.run")
    pins, forbids = list(pins), list(forbids)
    with database.session() as session:
        batch_row, vacancy_ids = _resolve_vacancies(session, batch, codes)
        batch_id = batch_row.id if batch_row is not None else None
        vac = vacancy_frame(session, vacancy_ids)
        manual = pd.DataFrame(columns=["trainee_id", "vacancy_id", "model_score", "status"])
        if batch_id is not None:
            manual = pd.DataFrame(session.execute(
                select(Placement.trainee_id, Placement.vacancy_id, Placement.model_score, Placement.status)
                .where(Placement.batch_id == batch_id, Placement.status.in_(OPEN))).all(),
                columns=["trainee_id", "vacancy_id", "model_score", "status"])
        seated = set(session.scalars(select(Placement.trainee_id).where(Placement.status.in_(SEAT_HOLDING))))
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
    cost = assignment.price_of_priority(cand, capacity, best, pins=pins, forbids=forbids)
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
                         ("skilled_score", np.nan)):
        if col not in pairs.columns:
            pairs[col] = default
    pairs["reasons"] = pd.Series(_explain(database, pairs, actor, today), index=pairs.index, dtype=object)
    if len(pairs) < int(capacity.sum()):
        notes.append(tr(f"符合条件的学员不足：{int(capacity.sum())} 个名额只排上 {len(pairs)} 人。",
                        f"Not enough eligible trainees: {len(pairs)} placed on {int(capacity.sum())} seats."))
    return PlanResult(batch_id, pairs.reset_index(drop=True), best.expected_retained, best.objective,
                      base.expected_retained, base.objective, manual_er, len(manual), int(cand["trainee_id"].nunique()),
                      int(capacity.sum()), vac, notes, candidates, cost)


def save_proposals(database: Database, actor: Actor, batch: int | str, pairs: pd.DataFrame) -> WithChanges:
    """Keep a plan as the batch's proposals (status 拟派), replacing its earlier undecided proposals.
    Nothing is placed: each proposal still needs a person to confirm it. All or nothing."""
    require(actor, "batch.write")
    with database.session() as session:
        row = _batch(session, batch)
        in_batch = set(session.scalars(select(BatchVacancy.vacancy_id).where(BatchVacancy.batch_id == row.id)))
        if set(pairs["vacancy_id"].astype(int)) - in_batch:
            raise UserError("方案中有不属于本批次的岗位，请重新生成方案。",
                            "The plan has vacancies outside this batch; plan again.")
        # A DELETE's result is a CursorResult (it has the row count); Session.execute is typed for SELECTs.
        removed = cast(CursorResult[Any], session.execute(delete(Placement).where(
            Placement.batch_id == row.id, Placement.status == "proposed"))).rowcount
        # Eligibility of every pair at once (one read), then each pair through the one path, propose.
        verdicts = refusals(session, [(int(t), int(v)) for t, v in zip(pairs["trainee_id"], pairs["vacancy_id"])])
        try:
            for r, verdict in zip(pairs.itertuples(), verdicts):
                reasons = getattr(r, "reasons", None)
                propose(session, actor, row, int(r.trainee_id), int(r.vacancy_id), score=float(r.score),
                        priority=float(getattr(r, "priority", 0.0) or 0.0),
                        reasons=list(reasons) if isinstance(reasons, (list, tuple)) else None, audited=False,
                        verdict=verdict)
        except UserError as exc:
            raise UserError(f"{exc.zh}请重新生成方案；未作任何改动。",
                            f"{exc.en} Plan again; nothing was changed.") from None
        audit.record(session, actor, "batch.propose", "batch", row.id,
                     detail=json.dumps({"proposals": len(pairs), "replaced": removed}))
        return WithChanges(len(pairs), Changes.of(BATCH, PLACEMENT, batches=[row.id]))


def add_proposal(database: Database, actor: Actor, batch: int | str, id_number: str, vacancy_code: str,
                 *, note: str | None = None, override: str | None = None) -> WithChanges:
    """A proposal picked by hand (the staff's own choice, kept for comparison with the plan), checked
    like every other (placements.check_pair). ``override``: the reason for adding someone an
    eligibility rule refuses (破例加入; staff and admin only, printed on the list, audited)."""
    require(actor, "batch.write")
    clean_override(actor, override)
    with database.session() as session:
        row = _batch(session, batch)
        trainee = session.scalar(select(Trainee).where(Trainee.id_number == id_number.strip().upper(),
                                                       Trainee.deleted_at.is_(None)))
        if trainee is None:
            raise UserError(f"找不到身份证号为 {mask_id(id_number)} 的学员。", f"No trainee with ID {mask_id(id_number)}.")
        vac = find_vacancy(session, vacancy_code)
        placement = propose(session, actor, row, trainee.id, vac.id, override=override)
        if note:
            _event(session, actor, placement, "note", dt.date.today(), note=_text(note, 500))
        return WithChanges(placement.id, Changes.of(BATCH, PLACEMENT, VACANCY, batches=[row.id],
                                                    placements=[placement.id]))


def remove_proposal(database: Database, actor: Actor, batch: int | str, id_number: str) -> WithChanges:
    """Take a proposed (not yet confirmed) person out of a batch; returns how many proposals went.
    Someone already confirmed is declined with a reason instead, so the history keeps them."""
    require(actor, "batch.write")
    with database.session() as session:
        row = _batch(session, batch)
        trainee = session.scalar(select(Trainee).where(Trainee.id_number == id_number.strip().upper()))
        if trainee is None or not sees_trainee(actor, trainee.school_id):
            raise UserError(f"找不到身份证号为 {mask_id(id_number)} 的学员。", f"No trainee with ID {mask_id(id_number)}.",
                            code=2)
        rows = list(session.scalars(select(Placement).where(Placement.batch_id == row.id,
                                                            Placement.trainee_id == trainee.id,
                                                            Placement.status.in_(OPEN))))
        if not rows:
            raise UserError(f"{trainee.name} 不在批次“{row.name}”的名单中。",
                            f"{trainee.name} is not in the batch '{row.name}'.", code=2)
        held = [p for p in rows if p.status != "proposed"]
        if held:
            raise UserError(f"{trainee.name} 已{status_label(held[0].status)}，不能直接移出；请用“放弃派遣”登记原因。",
                            f"{trainee.name} is already {status_label(held[0].status).lower()}; record a decline "
                            "with its reason instead.", code=2)
        for p in rows:
            audit.record(session, actor, "placement.remove", "placement", p.id,
                         before={"id_number": trainee.id_number, "vacancy_id": p.vacancy_id, "batch": row.name})
        # As remove_vacancy does: a statement, so the database drops the proposal's notes with it.
        session.execute(delete(Placement).where(Placement.id.in_([p.id for p in rows])))
        return WithChanges(len(rows), Changes.of(BATCH, PLACEMENT, batches=[row.id]))


def batch_people(database: Database, actor: Actor, batch: int | str) -> tuple[Batch, pd.DataFrame]:
    """A batch and its people (every placement in it), IDs masked: what ``batch show`` prints."""
    require(actor, "registry.read")
    with database.session() as session:
        row = _batch(session, batch)
        stmt = (select(Trainee.name, Trainee.id_number, Vacancy.code, Employer.name, Placement.status,
                       Placement.override_reason)
                .join(Trainee, Trainee.id == Placement.trainee_id).join(Vacancy, Vacancy.id == Placement.vacancy_id)
                .join(Employer, Employer.id == Vacancy.employer_id)
                .where(Placement.batch_id == row.id, sees_trainee_expr(actor))
                .order_by(Vacancy.code, Trainee.name_pinyin, Trainee.id))
        people = pd.DataFrame(session.execute(stmt).all(),
                              columns=["name", "id_number", "vacancy_code", "employer", "status", "override_reason"])
        session.expunge(row)
    people["id_number"] = people["id_number"].map(mask_id)
    return row, people
