"""Follow-up (回访) due lists, risk alerts and the bureau's wage floor."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from core.access import Actor, require
from core.fields import mask_id
from core.i18n import tr
from core.placement import AWAY, SEAT_HOLDING
from core.settings_schema import as_int
from core.vocab import HOUSEHOLD_RANK, alert_label, household_label
from db.changes import SETTING, Changes
from db.engine import Database
from db.models import Employer, Placement, PlacementEvent, Trainee, Vacancy
from db.rules import effective_household_expr, scope_trainees
from db.services import settings

WAGE_FLOOR_KEY = settings.WAGE_FLOOR


def _today(today: dt.date | None) -> dt.date:
    return today or dt.date.today()


def _last_visit():  # type: ignore[no-untyped-def]
    """Subquery: placement id → date of its last follow-up visit."""
    last_visit = (select(PlacementEvent.placement_id, func.max(PlacementEvent.event_date).label("last_visit"))
                  .where(PlacementEvent.kind == "followup").group_by(PlacementEvent.placement_id).subquery())
    return last_visit


def followups_due(database: Database, *, today: dt.date | None = None, within_days: int | None = None,
                  every_days: int | None = None, actor: Actor) -> pd.DataFrame:
    """Workers on the job whose next visit (every ``every_days`` days) falls within ``within_days``
    (both default to the bureau-wide settings)."""
    require(actor, "registry.read")
    today = _today(today)
    if within_days is None:
        within_days = as_int(settings.get(database, settings.FOLLOWUP_DUE_WITHIN_DAYS))
    if every_days is None:
        every_days = as_int(settings.get(database, settings.FOLLOWUP_DAYS))
    last_visit = _last_visit()
    stmt = (select(Placement.id, Placement.trainee_id, Trainee.name, Trainee.id_number, Trainee.township,
                   effective_household_expr(), Employer.name, Vacancy.code, Placement.start_date,
                   last_visit.c.last_visit, Placement.monthly_wage)
            .join(Trainee, Trainee.id == Placement.trainee_id).join(Vacancy, Vacancy.id == Placement.vacancy_id)
            .join(Employer, Employer.id == Vacancy.employer_id)
            .outerjoin(last_visit, last_visit.c.placement_id == Placement.id)
            .where(Placement.status.in_(AWAY)))
    stmt = scope_trainees(actor, stmt)
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
    return as_int(settings.get(database, WAGE_FLOOR_KEY))


def set_wage_floor(database: Database, actor: Actor, value: int) -> Changes:
    """The monthly wage under which an on-the-job worker is flagged (设置，全局共享; ``batch.write``)."""
    settings.set_value(database, actor, WAGE_FLOOR_KEY, value)
    return Changes.of(SETTING)


def alerts(database: Database, *, today: dt.date | None = None, wage_floor_value: int | None = None,
           replace_days: int | None = None, followup_days: int | None = None,
           window_days: int | None = None, actor: Actor) -> pd.DataFrame:
    """Early warnings (风险预警), monitored households first:
    left the job and not re-placed within ``replace_days`` (leavers of the last ``window_days``);
    no follow-up for ``followup_days``; current wage below the configured floor."""
    require(actor, "registry.read")
    today = _today(today)
    floor = wage_floor(database) if wage_floor_value is None else int(wage_floor_value)
    limits = settings.read_all(database)  # the bureau-wide day limits, unless the caller gives them
    replace_days = as_int(limits[settings.REPLACE_DAYS]) if replace_days is None else replace_days
    followup_days = as_int(limits[settings.FOLLOWUP_DAYS]) if followup_days is None else followup_days
    window_days = as_int(limits[settings.ALERT_WINDOW_DAYS]) if window_days is None else window_days
    later = aliased(Placement)
    replaced = exists().where(later.trainee_id == Placement.trainee_id, later.id != Placement.id,
                              or_(later.status.in_(SEAT_HOLDING),
                                  and_(later.status == "ended", later.start_date >= Placement.end_date)))
    left = (select(Placement.id, Placement.trainee_id, Placement.end_date, Placement.leave_reason,
                   Placement.monthly_wage)
            .where(Placement.status == "ended", Placement.end_date.is_not(None),
                   Placement.end_date <= today - dt.timedelta(days=replace_days),
                   Placement.end_date >= today - dt.timedelta(days=window_days), ~replaced))
    base_cols = (Trainee.name, Trainee.id_number, Trainee.township, effective_household_expr().label("household_type"),
                 Employer.name.label("employer"), Vacancy.code.label("vacancy_code"))
    with database.session() as session:
        sub = left.subquery()
        stmt_left = (select(sub.c.id, sub.c.trainee_id, sub.c.end_date, sub.c.leave_reason, sub.c.monthly_wage,
                            *base_cols)
                     .join(Placement, Placement.id == sub.c.id)
                     .join(Trainee, Trainee.id == sub.c.trainee_id).join(Vacancy, Vacancy.id == Placement.vacancy_id)
                     .join(Employer, Employer.id == Vacancy.employer_id))
        stmt_left = scope_trainees(actor, stmt_left)
        left_frame = pd.DataFrame(session.execute(stmt_left).all(),
                                  columns=["placement_id", "trainee_id", "since", "reason", "monthly_wage", "name",
                                           "id_number", "township", "household_type", "employer", "vacancy_code"])
        stmt_active = (select(Placement.id, Placement.trainee_id, Placement.start_date, Placement.monthly_wage,
                              Placement.status, *base_cols)
                       .join(Trainee, Trainee.id == Placement.trainee_id)
                       .join(Vacancy, Vacancy.id == Placement.vacancy_id)
                       .join(Employer, Employer.id == Vacancy.employer_id)
                       .where(Placement.status.in_(AWAY)))
        stmt_active = scope_trainees(actor, stmt_active)
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
    out["kind_label"] = out["kind"].map(alert_label)
    out["id_masked"] = out["id_number"].map(mask_id)
    out["household_label"] = out["household_type"].map(household_label)
    out["_rank"] = out["household_type"].map(HOUSEHOLD_RANK).fillna(3)
    out = out.sort_values(["_rank", "severity"], ascending=[True, False], kind="stable")
    return out[cols].reset_index(drop=True)



