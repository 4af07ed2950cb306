"""Placements: the seat claimed on confirmation, the lifecycle (出发 → 到岗 → 转职业工 → 离岗 → 再就业),
and the one path by which a person is proposed into a batch.

Headcount is never overbooked: a seat is claimed by bumping the vacancy row's optimistic version
(``Vacancy.version``) after counting its occupied seats, under ``SELECT … FOR UPDATE`` where the
backend has it. Of two confirmations racing for the last seat, the second either finds the version
moved (StaleDataError) or SQLite's writer lock busy; it then re-reads once and gets a clear message.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from core.access import SYSTEM, Actor, require, sees_trainee
from core.fields import age_on, date_field
from core.fields import short_text as _text
from core.i18n import UserError, tr
from core.placement import (
    AWAY,
    OPEN,
    SEAT_HOLDING,
    check_override_allowed,
    check_proposable,
    check_taking,
    check_transition,
    seats_left,
)
from core.vocab import status_label
from db import audit, frames
from db.changes import Changes, WithChanges, placement_changes
from db.engine import Database
from db.models import Batch, BatchVacancy, Placement, PlacementEvent, Trainee, Vacancy
from db.queries.lookup import find_batch as _batch
from db.rules import seat_holding, seats_taken
from matching.data import MatchData
from matching.reasons import pair_verdicts

# --- who may be placed where: one check for every path ------------------------------------------

class NotEligible(UserError):
    """A pair an eligibility rule refuses (matching.features). Staff may place the person anyway,
    as an explicit choice with a reason (破例加入): the caller passes ``override``."""

    def __init__(self, trainee_name: str, vacancy_code: str, rule: str, sentence: str) -> None:
        super().__init__(f"{trainee_name} 不符合岗位 {vacancy_code} 的条件：{sentence}。",
                         f"{trainee_name} does not meet the conditions of vacancy {vacancy_code}: {sentence}.", code=2)
        self.rule = rule
        self.sentence = sentence


def refusals(session: Session, pairs: Sequence[tuple[int, int]], *, today: dt.date | None = None
                 ) -> list[tuple[str, str] | None]:
    """Per (trainee id, vacancy id): None when eligible, else (rule, sentence) — matching.features'
    eligibility on the rows as this session sees them. A deleted trainee counts as eligible here:
    core.placement.check_proposable refuses them first."""
    if not pairs:
        return []
    conn = session.connection()
    tids = sorted({int(t) for t, _v in pairs})
    vids = sorted({int(v) for _t, v in pairs})
    # Slices: a database takes only so many parameters in one query (a kept plan may have thousands).
    people = [frames.trainees_frame(conn, SYSTEM, ids=tids[i:i + 5000]) for i in range(0, len(tids), 5000)]
    jobs = [frames.vacancies_frame(conn, ids=vids[i:i + 5000]) for i in range(0, len(vids), 5000)]
    data = MatchData.build(pd.concat(people, ignore_index=True) if len(people) > 1 else people[0],
                           pd.concat(jobs, ignore_index=True) if len(jobs) > 1 else jobs[0], None,
                           today or dt.date.today())
    known_t, known_v = set(data.T["trainee_id"].tolist()), set(data.V["vacancy_id"].tolist())
    inside = [(int(t), int(v)) for t, v in pairs if int(t) in known_t and int(v) in known_v]
    verdicts = dict(zip(inside, pair_verdicts(data, [t for t, _v in inside], [v for _t, v in inside])))
    return [verdicts.get((int(t), int(v))) for t, v in pairs]


OVERRIDE_MAX = 200  # placement.override_reason


def clean_override(actor: Actor, override: str | None) -> str | None:
    """The reason of a 破例加入 as given, or None; it needs the permission and a reason."""
    if override is None:
        return None
    require(actor, "placement.override")
    if len(override.strip()) > OVERRIDE_MAX:  # cut short, the printed reason would say less than the clerk did
        raise UserError(f"破例加入的原因最多 {OVERRIDE_MAX} 字（收到 {len(override.strip())} 字），请写得简短些。",
                        f"The reason of an exception has at most {OVERRIDE_MAX} characters "
                        f"({len(override.strip())} given); shorten it.", code=2)
    reason = _text(override, OVERRIDE_MAX)
    if not reason:
        raise UserError("破例加入必须填写原因。", "An exception needs a reason.", code=2)
    return reason


def check_eligible(session: Session, actor: Actor, trainee: Trainee, vac: Vacancy, override: str | None, *,
                   verdict: tuple[str, str] | None | bool = False) -> str | None:
    """Refuse a pair an eligibility rule forbids unless the clerk overrides it with a reason; returns the
    override reason to store (None when the pair was eligible: nothing to excuse). ``verdict``: the
    pair's result of refusals when the caller checked many at once."""
    found = refusals(session, [(trainee.id, vac.id)])[0] if verdict is False else verdict
    if found is None or isinstance(found, bool):
        return None
    rule, sentence = found
    reason = clean_override(actor, override)
    if reason is None:
        raise NotEligible(trainee.name, vac.code, rule, sentence)
    start = max(vac.start_date or dt.date.today(), dt.date.today())  # the matcher's start day
    check_override_allowed(trainee.name, age_on(trainee.birth_date, start) if trainee.birth_date else None)
    audit.record(session, actor, "placement.override", "trainee", trainee.id,
                 after={"vacancy": vac.code, "rule": rule, "broken": sentence, "reason": reason})
    return reason


def _holds_seat(session: Session, trainee_id: int) -> bool:
    return session.scalar(select(Placement.id).where(Placement.trainee_id == trainee_id,
                                                     seat_holding(Placement.status)).limit(1)) is not None


def check_pair(session: Session, actor: Actor, trainee: Trainee, vac: Vacancy, *, batch_id: int | None = None,
               override: str | None = None, verdict: tuple[str, str] | None | bool = False,
               seats_needed: bool = True) -> str | None:
    """Everything a person must pass to be put on a vacancy, for every path (plan, by hand, edit,
    re-placement): scope, core.placement.check_proposable, then eligibility (overridable). Returns the
    override reason to store."""
    if not sees_trainee(actor, trainee.school_id):
        raise UserError("该学员属于其他培训学校。", "This trainee belongs to another school.")
    already = batch_id is not None and session.scalar(select(Placement.id).where(
        Placement.batch_id == batch_id, Placement.trainee_id == trainee.id,
        Placement.status.in_(OPEN)).limit(1)) is not None
    taken = seats_taken(session, [vac.id]).get(vac.id, 0)
    check_proposable(trainee_name=trainee.name, trainee_deleted=trainee.deleted_at is not None,
                     holds_seat=_holds_seat(session, trainee.id), vacancy_code=vac.code, vacancy_status=vac.status,
                     seats=seats_left(vac.headcount, taken, vac.status) if seats_needed else 1,
                     already_in_batch=already)
    return check_eligible(session, actor, trainee, vac, override, verdict=verdict)


def propose(session: Session, actor: Actor, batch: Batch, trainee_id: int, vacancy_id: int, *,
            score: float | None = None, priority: float | None = None, reasons: list[str] | None = None,
            audited: bool = True, override: str | None = None,
            verdict: tuple[str, str] | None | bool = False) -> Placement:
    """The one way a person enters a batch: checked by check_pair, the vacancy joined to the batch
    when it is not yet in it, and the placement written as 拟派 (proposed)."""
    trainee = session.get(Trainee, trainee_id)
    vac = session.get(Vacancy, vacancy_id)
    if trainee is None or vac is None:
        raise UserError("所选学员或岗位已不存在，未作任何改动。", "A selected trainee or vacancy no longer exists; nothing was changed.")
    excused = check_pair(session, actor, trainee, vac, batch_id=batch.id, override=override, verdict=verdict)
    if session.get(BatchVacancy, (batch.id, vac.id)) is None:
        session.add(BatchVacancy(batch_id=batch.id, vacancy_id=vac.id))
    placement = Placement(trainee_id=trainee_id, vacancy_id=vacancy_id, batch_id=batch.id, status="proposed",
                          model_score=score, priority=priority,
                          model_reasons=None if reasons is None else json.dumps(reasons, ensure_ascii=False),
                          decided_by=actor.user_id, override_reason=excused)
    session.add(placement)
    session.flush()
    if audited or excused:
        audit.record(session, actor, "placement.propose", "placement", placement.id,
                     after={"id_number": trainee.id_number, "vacancy": vac.code, "batch": batch.name,
                            **({"override_reason": excused} if excused else {})})
    return placement


# --- seats and confirmation ---------------------------------------------------------------------

def _ensure_free(session: Session, trainee_id: int, *, except_id: int | None = None) -> None:
    stmt = select(Placement.id).where(Placement.trainee_id == trainee_id, Placement.status.in_(SEAT_HOLDING))
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
    check_taking(vac.code, vac.status)
    taken = seats_taken(session, [vacancy_id]).get(vacancy_id, 0)
    if taken >= vac.headcount:
        raise UserError(f"岗位 {vac.code} 的 {vac.headcount} 个名额已满，不能再确认；未作任何改动。",
                        f"All {vac.headcount} seats of vacancy {vac.code} are taken; nothing was changed.")
    if _race_hook is not None:
        _race_hook()
    # The status is a person's word (已满 / 关闭) and never changes here; the write only bumps the row
    # version (UPDATE … WHERE version = seen), so a racing claim of the same seat fails.
    flag_modified(vac, "status")
    return vac


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


def _last_status_date(session: Session, placement_id: int) -> dt.date | None:
    return session.scalar(select(func.max(PlacementEvent.event_date)).where(
        PlacementEvent.placement_id == placement_id, PlacementEvent.kind == "status"))


_DAY_NAMES = {"confirmed": ("确认日期", "confirmation date"), "departed": ("出发日期", "departure date"),
              "on_job": ("上岗日期", "start date"), "ended": ("离岗日期", "leaving date"),
              "declined": ("放弃日期", "date of declining")}


def _day(value: object, what: str, what_en: str, *, required: bool = True) -> dt.date:
    """The date of something that happened: read as typed, never later than today (today when optional
    and empty). Every lifecycle step and follow-up takes its date here."""
    today = dt.date.today()
    day = date_field(value, what, what_en, required=required, not_after=today)
    return day or today


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
            note: str | None = None) -> Changes:
    """A person accepts a proposed pair: a seat of the vacancy is claimed, never beyond headcount."""
    require(actor, "batch.write")
    day = _day(date, "确认日期", "confirmation date", required=False)

    def work(session: Session) -> None:
        p = _placement(session, placement_id)
        check_transition(p.status, "confirmed")
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
    return placement_changes([placement_id])


def edit_proposal(database: Database, actor: Actor, placement_id: int, vacancy_code: str, *, reason: str,
                  override: str | None = None) -> Changes:
    """Move a proposed pair to another vacancy (checked like any proposal); the reason is kept in the
    timeline. ``override``: the reason for placing them although an eligibility rule refuses."""
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
        trainee = session.get(Trainee, p.trainee_id)
        if trainee is None:
            raise UserError("该学员已不存在。", "The trainee no longer exists.")
        excused = check_pair(session, actor, trainee, vac, override=override)
        old = session.get(Vacancy, p.vacancy_id)
        if p.batch_id is not None and session.get(BatchVacancy, (p.batch_id, vac.id)) is None:
            session.add(BatchVacancy(batch_id=p.batch_id, vacancy_id=vac.id))
        p.vacancy_id = vac.id
        p.override_reason = excused  # an exception granted for the old vacancy does not carry over
        p.model_score = None  # the score was for the old pair
        p.model_reasons = None
        p.decided_by = actor.user_id
        _event(session, actor, p, "note", dt.date.today(),
               note=tr(f"改派：{old.code if old else ''} → {vac.code}；原因：{reason}",
                       f"Moved: {old.code if old else ''} → {vac.code}; reason: {reason}"))
        audit.record(session, actor, "placement.edit", "placement", p.id,
                     before={"vacancy": old.code if old else None},
                     after={"vacancy": vac.code, "reason": reason, **({"override_reason": excused} if excused else {})})
    return placement_changes([placement_id])


def decline(database: Database, actor: Actor, placement_id: int, *, reason: str, date: object = None) -> Changes:
    """Reject a proposed pair, or a confirmed person who will not go; the reason is kept."""
    require(actor, "batch.write")
    reason = _text(reason, 200)
    if not reason:
        raise UserError("请填写放弃或拒绝的原因。", "Give the reason for declining.")
    day = _day(date, "放弃日期", "date of declining", required=False)
    with database.session() as session:
        p = _placement(session, placement_id)
        check_transition(p.status, "declined")
        _check_date(session, p, day, status_change=True)
        was = p.status
        p.status = "declined"
        p.decline_reason = reason
        p.decided_by = actor.user_id
        _event(session, actor, p, "status", day, status_from=was, status_to="declined", note=reason)
        audit.record(session, actor, "placement.decline", "placement", p.id, before={"status": was},
                     after={"status": "declined", "reason": reason})
    return placement_changes([placement_id])


# --- lifecycle ----------------------------------------------------------------------------------

def mark_departed(database: Database, actor: Actor, placement_id: int, *, date: object,
                  note: str | None = None) -> Changes:
    return _move(database, actor, placement_id, "departed", date, note=note)


def mark_on_job(database: Database, actor: Actor, placement_id: int, *, date: object, wage: int | None = None,
                note: str | None = None) -> Changes:
    """Arrived at work: the start date of the placement (上岗日期)."""
    return _move(database, actor, placement_id, "on_job", date, note=note, wage=wage)


def end_placement(database: Database, actor: Actor, placement_id: int, *, date: object, reason: str) -> Changes:
    """The worker left the job (离岗) on ``date`` for ``reason``."""
    if not _text(reason):
        raise UserError("请填写离岗原因。", "Give the reason for leaving.")
    return _move(database, actor, placement_id, "ended", date, note=reason)


def _move(database: Database, actor: Actor, placement_id: int, to: str, date: object, *,
          note: str | None = None, wage: int | None = None) -> Changes:
    require(actor, "batch.write")
    day = _day(date, *_DAY_NAMES[to])
    if wage is not None and not (0 < int(wage) < 1_000_000):
        raise UserError("月收入应为正数（元）。", "The monthly wage must be a positive number (yuan).")
    with database.session() as session:
        p = _placement(session, placement_id)
        check_transition(p.status, to)
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
    return placement_changes([placement_id])


def record_followup(database: Database, actor: Actor, placement_id: int, *, date: object, wage: int | None = None,
                    employment_form: str | None = None, note: str | None = None) -> Changes:
    """A follow-up visit (回访). A visit that finds the worker skilled records the conversion too."""
    require(actor, "batch.write")
    day = _day(date, "回访日期", "follow-up date")
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
        if p.status not in AWAY:
            raise UserError("学员尚未出发，暂不能回访。", "The worker has not left yet; no follow-up is possible.")
        _check_date(session, p, day, status_change=False)
        if wage is not None:
            p.monthly_wage = int(wage)
        _event(session, actor, p, "followup", day, wage=wage, employment_form=employment_form,
               note=_text(note, 500) or None)
        if employment_form == "skilled" and p.employment_form != "skilled" and p.status == "on_job":
            _make_skilled(session, actor, p, day, tr("回访时确认转为职业工", "Found skilled at a follow-up"))
        audit.record(session, actor, "placement.followup", "placement", p.id, after={"date": day, "wage": wage})
    return Changes.of("placement", placements=[placement_id])


def _make_skilled(session: Session, actor: Actor, p: Placement, day: dt.date, note: str | None) -> None:
    p.employment_form = "skilled"
    p.skilled_since = day
    _event(session, actor, p, "form", day, employment_form="skilled",
           note=note or tr("转为职业工", "Became a skilled worker"))


def convert_to_skilled(database: Database, actor: Actor, placement_id: int, *, date: object,
                       note: str | None = None) -> Changes:
    """Temporary (临时工) → skilled, contracted (职业工) on ``date``."""
    require(actor, "batch.write")
    day = _day(date, "转职业工日期", "conversion date")
    with database.session() as session:
        p = _placement(session, placement_id)
        if p.status != "on_job":
            raise UserError("只有在岗的工人可以转为职业工。", "Only a worker on the job can become skilled.")
        if p.employment_form == "skilled":
            raise UserError(f"该工人已于 {p.skilled_since} 转为职业工。", f"Already skilled since {p.skilled_since}.")
        _check_date(session, p, day, status_change=False)
        _make_skilled(session, actor, p, day, _text(note, 500) or None)
        audit.record(session, actor, "placement.skilled", "placement", p.id, after={"skilled_since": day})
    return Changes.of("placement", placements=[placement_id])


def re_place(database: Database, actor: Actor, placement_id: int, vacancy_code: str, *,
             batch: int | str | None = None, date: object = None, note: str | None = None,
             override: str | None = None) -> WithChanges:
    """A new confirmed placement for someone who left (再就业): checked like any proposal (check_pair),
    then the seat is claimed as on confirmation. ``override``: the reason for placing them although
    an eligibility rule refuses."""
    require(actor, "batch.write")
    day = _day(date, "确认日期", "confirmation date", required=False)
    clean_override(actor, override)  # a missing permission or an empty reason is refused before anything is read

    def work(session: Session) -> int:
        old = _placement(session, placement_id)
        if old.status not in ("ended", "declined"):
            raise UserError("只有已离岗（或已放弃）的人员可以再就业安排。", "Only someone who left can be re-placed.")
        if old.end_date is not None and day < old.end_date:
            raise UserError(f"日期 {day} 早于离岗日期 {old.end_date}。", f"The date {day} is before they left ({old.end_date}).")
        vac = session.scalar(select(Vacancy).where(Vacancy.code == vacancy_code.strip()))
        if vac is None:
            raise UserError(f"找不到岗位编号：{vacancy_code}", f"Unknown vacancy code: {vacancy_code}")
        trainee = session.get(Trainee, old.trainee_id)
        if trainee is None:
            raise UserError("该学员已不存在。", "The trainee no longer exists.")
        batch_id = _batch(session, batch).id if batch is not None else None
        excused = check_pair(session, actor, trainee, vac, override=override, seats_needed=False)
        _claim_seat(session, vac.id)
        new = Placement(trainee_id=old.trainee_id, vacancy_id=vac.id, batch_id=batch_id, status="confirmed",
                        decided_by=actor.user_id, override_reason=excused)
        session.add(new)
        session.flush()
        _event(session, actor, new, "status", day, status_from=None, status_to="confirmed",
               note=_text(note, 500) or tr(f"再就业（原就业记录 {old.id}）", f"Re-placed (after placement {old.id})"))
        audit.record(session, actor, "placement.replace", "placement", new.id,
                     after={"previous": old.id, "vacancy": vac.code, **({"override_reason": excused} if excused else {})})
        return new.id

    new_id = _with_retry(database, work)
    return WithChanges(new_id, placement_changes([placement_id, new_id]))




# --- many at once -------------------------------------------------------------------------------

@dataclass
class ManyResult:
    """What one action on many placements did: per row, never all-or-nothing — each person is checked
    and written on their own, so one who cannot move does not hold back the other thirty."""
    done: list[int] = field(default_factory=list)
    refused: list[tuple[int, str, str]] = field(default_factory=list)  # (placement id, name, reason)

    def summary(self, verb_zh: str, verb_en: str, limit: int = 5) -> str:
        """"31 人已标记出发；2 人未变更：张三（…）、李四（…）。" in the user's language."""
        text_zh = f"{len(self.done)} 人{verb_zh}"
        text_en = f"{len(self.done)} {verb_en}"
        if self.refused:
            shown = self.refused[:limit]
            more_zh = f"等 {len(self.refused)} 人" if len(self.refused) > limit else ""
            more_en = f" and {len(self.refused) - limit} more" if len(self.refused) > limit else ""
            text_zh += (f"；{len(self.refused)} 人未变更：" + "；".join(f"{n}（{r.rstrip('。')}）" for _i, n, r in shown)
                        + more_zh)
            text_en += (f"; {len(self.refused)} unchanged: " + "; ".join(f"{n} ({r.rstrip('.')})" for _i, n, r in shown)
                        + more_en)
        return tr(text_zh + "。", text_en + ".")

    @property
    def changes(self) -> Changes:
        return placement_changes(self.done)


def _names(database: Database, ids: Sequence[int]) -> dict[int, str]:
    with database.session() as session:
        rows = session.execute(select(Placement.id, Trainee.name).join(Trainee, Trainee.id == Placement.trainee_id)
                               .where(Placement.id.in_(list(ids)))).all()
    return {int(i): str(n) for i, n in rows}


def _many(database: Database, actor: Actor, ids: Sequence[int], one: Callable[[int], Any]) -> ManyResult:
    require(actor, "batch.write")
    ids = list(dict.fromkeys(int(i) for i in ids))
    if not ids:
        raise UserError("请先在表中选择要处理的人员（可按住 Ctrl 或 Shift 多选，Ctrl+A 全选）。",
                        "Select the people first (Ctrl- or Shift-click for several, Ctrl+A for all).")
    names = _names(database, ids)
    result = ManyResult()
    for pid in ids:
        try:
            one(pid)
        except UserError as exc:
            result.refused.append((pid, names.get(pid, str(pid)), str(exc)))
        else:
            result.done.append(pid)
    return result


def _check_day_once(date: object, what: str, what_en: str, *, required: bool = True) -> None:
    """A bad date is the same for every row: refuse it once, before touching anyone."""
    _day(date, what, what_en, required=required)


def confirm_many(database: Database, actor: Actor, ids: Sequence[int], *, date: object = None,
                 note: str | None = None) -> ManyResult:
    _check_day_once(date, "确认日期", "confirmation date", required=False)
    return _many(database, actor, ids, lambda pid: confirm(database, actor, pid, date=date, note=note))


def mark_departed_many(database: Database, actor: Actor, ids: Sequence[int], *, date: object,
                       note: str | None = None) -> ManyResult:
    _check_day_once(date, *_DAY_NAMES["departed"])
    return _many(database, actor, ids, lambda pid: mark_departed(database, actor, pid, date=date, note=note))


def mark_on_job_many(database: Database, actor: Actor, ids: Sequence[int], *, date: object, wage: int | None = None,
                     note: str | None = None) -> ManyResult:
    _check_day_once(date, *_DAY_NAMES["on_job"])
    return _many(database, actor, ids, lambda pid: mark_on_job(database, actor, pid, date=date, wage=wage, note=note))


def end_many(database: Database, actor: Actor, ids: Sequence[int], *, date: object, reason: str) -> ManyResult:
    _check_day_once(date, *_DAY_NAMES["ended"])
    if not _text(reason):
        raise UserError("请填写离岗原因。", "Give the reason for leaving.")
    return _many(database, actor, ids, lambda pid: end_placement(database, actor, pid, date=date, reason=reason))


def record_followup_many(database: Database, actor: Actor, ids: Sequence[int], *, date: object,
                         wage: int | None = None, employment_form: str | None = None,
                         note: str | None = None) -> ManyResult:
    _check_day_once(date, "回访日期", "follow-up date")
    return _many(database, actor, ids, lambda pid: record_followup(database, actor, pid, date=date, wage=wage,
                                                                   employment_form=employment_form, note=note))
