"""Household alerts and the standing work list (like the follow-up queue): monitored households with
nobody in work, a placement ended while the household is monitored, risk 因务工就业不稳 with nobody in
work, a township's members in work more than the set percentage below last year, and wages that put
a household above the monitoring line (advisory: the village's elimination review decides, never
this tool)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from core.access import Actor, require
from core.households import HEAD_RELATION, WORK_RISK, alert_kind_label, in_work_in_month, month_span, shift_months
from core.i18n import tr
from core.placement import STARTED
from core.settings_schema import as_int
from db.engine import Database
from db.models import HouseholdMember, Placement, WorkRecord
from db.services import settings
from db.services.households.report import _compute, _in_month, monitored_in, read

COLUMNS = ["kind", "kind_label", "household_id", "household_code", "township", "village", "head", "detail",
           "since"]


def compute_alerts(database: Database, actor: Actor, *, today: dt.date | None = None) -> pd.DataFrame:
    """Every alert as of ``today`` (default: today), monitored households first."""
    require(actor, "households.read")
    today = today or dt.date.today()
    month = today.replace(day=1)
    homes, members, jobs = read(database)
    if homes.empty:
        return pd.DataFrame(columns=COLUMNS)
    window = as_int(settings.get(database, settings.ALERT_WINDOW_DAYS))
    drop = as_int(settings.get(database, settings.HOUSEHOLD_DROP_PERCENT))
    line = settings.monitoring_line(database, today.year)
    h_pos = pd.Series(np.arange(len(homes)), index=homes["household_id"].to_numpy())
    m_home = h_pos.reindex(members["household_id"].to_numpy()).to_numpy()
    m_pos = pd.Series(np.arange(len(members)), index=members["member_id"].to_numpy())
    j_member = m_pos.reindex(jobs.member).to_numpy() if len(jobs.member) else np.zeros(0, np.int64)
    active = _in_month(jobs, month)
    any_work = np.zeros(len(homes), bool)
    any_work[m_home[j_member[active]]] = True
    monitored = monitored_in(homes, month)
    heads = members.assign(_pos=m_home, _head=members["relation"].ne(HEAD_RELATION)).sort_values(["_pos", "_head"]) \
        .drop_duplicates("_pos").set_index("_pos")["name"].reindex(np.arange(len(homes))).to_numpy()
    rows: list[dict[str, Any]] = []

    def add(kind: str, pos: int, detail: str, since: dt.date | None = None) -> None:
        h = homes.iloc[pos]
        rows.append({"kind": kind, "household_id": int(h["household_id"]), "household_code": h["code"],
                     "township": h["township"], "village": h["village"], "head": heads[pos], "detail": detail,
                     "since": since})

    risky = homes["risks"].fillna("").str.contains(WORK_RISK).to_numpy()
    for pos in np.flatnonzero(monitored & ~any_work & ~risky):
        add("monitored_idle", int(pos), tr("本月无成员务工：请逐户落实帮扶（一户一策）",
                                           "No member in work this month: follow up household by household"))
    for pos in np.flatnonzero(monitored & ~any_work & risky):
        add("work_risk_idle", int(pos), tr(f"风险为“{WORK_RISK}”且本月无人务工", f"Risk '{WORK_RISK}' and nobody in work"))
    # a placement of a member ended within the window while the household is monitored
    epoch = dt.date(1970, 1, 1)
    lo = (today - dt.timedelta(days=window) - epoch).days
    hi = (today - epoch).days
    ended = jobs.bureau & np.isfinite(jobs.end_d) & (jobs.end_d >= lo) & (jobs.end_d <= hi)
    for j in np.flatnonzero(ended):
        home = int(m_home[j_member[j]])
        if monitored[home]:
            end = epoch + dt.timedelta(days=int(jobs.end_d[j]))
            name = members["name"].iloc[j_member[j]]
            add("placement_ended", home, tr(f"{name} 于 {end:%Y-%m-%d} 离开 {jobs.employer[j]}",
                                           f"{name} left {jobs.employer[j]} on {end:%Y-%m-%d}"), end)
    # a township's members in work against the same month last year
    report = _compute(homes, members, jobs, month, "township")
    for r in report.table.to_dict("records"):
        before, now = int(r["working_last_year"]), int(r["working"])
        if before > 0 and now < before * (1 - drop / 100):
            rows.append({"kind": "township_drop", "household_id": None, "household_code": None,
                         "township": r["township"], "village": None, "head": None,
                         "detail": tr(f"本月务工 {now} 人，去年同月 {before} 人（下降 {100 * (before - now) / before:.0f}%，"
                                      f"预警线 {drop}%）",
                                      f"{now} in work, {before} a year ago (down {100 * (before - now) / before:.0f}%, "
                                      f"alert at {drop}%)"), "since": None})
    if line > 0:  # wages measured this year per head against the year's monitoring line
        first_m = dt.date(today.year, 1, 1)
        months = np.zeros(len(jobs.member))
        m = first_m
        while m <= month:
            months += _in_month(jobs, m)
            m = shift_months(m, 1)
        earned = np.nan_to_num(jobs.wage) * months
        per_home = np.bincount(m_home[j_member], weights=earned, minlength=len(homes)) if len(earned) \
            else np.zeros(len(homes))
        size = np.bincount(m_home, minlength=len(homes)).clip(1)
        per_head = per_home / size
        for pos in np.flatnonzero(monitored & (per_head > line)):
            add("above_line", int(pos), tr(f"今年工资收入人均约 {per_head[pos]:,.0f} 元，已超过 {today.year} 年监测线 {line:,} 元："
                                           "可提交村级风险消除评议（本系统不作消除决定）",
                                           f"Wages this year about {per_head[pos]:,.0f} yuan a head, above the "
                                           f"{today.year} line of {line:,}: may go to the village's review "
                                           "(this tool never decides elimination)"))
    out = pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "kind_label"])
    order = {"work_risk_idle": 0, "monitored_idle": 1, "placement_ended": 2, "township_drop": 3, "above_line": 4}
    out = out.assign(_o=out["kind"].map(order)).sort_values(["_o", "township", "household_code"], kind="stable") \
        .drop(columns="_o").reset_index(drop=True)
    out.insert(1, "kind_label", out["kind"].map(alert_kind_label))
    return out


def wage_per_head(database: Database, actor: Actor, household_id: int, *, today: dt.date | None = None
                  ) -> dict[str, Any]:
    """The household's wage income per head this year (placements that began and imported work), by month,
    and the year's monitoring line (0 when the bureau has not set it). Reads only this household."""
    require(actor, "households.read")
    today = today or dt.date.today()
    m, p, w = HouseholdMember.__table__, Placement.__table__, WorkRecord.__table__
    with database.engine.connect() as conn:
        size = conn.execute(select(func.count()).select_from(m).where(m.c.household_id == household_id)).scalar_one()
        jobs = [(start, end, wage) for start, end, wage in conn.execute(
            select(p.c.start_date, p.c.end_date, p.c.monthly_wage).join(m, m.c.trainee_id == p.c.trainee_id)
            .where(m.c.household_id == household_id, p.c.status.in_(STARTED)))]
        jobs += [(start, month_span(end)[1] if end else None, wage) for start, end, wage in conn.execute(
            select(w.c.start_month, w.c.end_month, w.c.monthly_income).join(m, m.c.id_number == w.c.id_number)
            .where(m.c.household_id == household_id))]
    size = max(1, int(size))
    by_month: list[tuple[dt.date, float]] = []
    total = 0.0
    month = dt.date(today.year, 1, 1)
    while month <= today:
        earned = float(sum(wage or 0 for start, end, wage in jobs if in_work_in_month(start, end, month)))
        total += earned
        by_month.append((month, earned / size))
        month = shift_months(month, 1)
    return {"per_head": total / size, "by_month": by_month, "line": settings.monitoring_line(database, today.year),
            "year": today.year, "members": size}
