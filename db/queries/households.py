"""Reading households, members and their jobs as frames (read-only; the report, alerts and the 户 page).

Columns come back through the statistics reader (one ``group_concat`` row parsed by numpy on SQLite),
so 200,000 members and 300,000 placements cost no Python object per cell."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, false, func, or_, select

from core.access import Actor, require
from core.households import HEAD_RELATION
from core.i18n import tr
from core.placement import STARTED
from core.vocab import status_label
from db.models import Employer, Household, HouseholdEvent, HouseholdMember, Placement, Trainee, Vacancy, WorkRecord
from db.services.stats import _fetch


def _frame(conn: Connection, ints: dict[str, Any], texts: dict[str, Any], source: Any, where: list[Any], *,
           numbers: dict[str, Any] | None = None, dates: dict[str, Any] | None = None) -> pd.DataFrame:
    numbers, dates = numbers or {}, dates or {}
    values, coded = _fetch(conn, list(ints.values()), list(texts.values()), source, where,
                           numbers=tuple(numbers.values()), dates=tuple(dates.values()))
    out = dict(zip([*ints, *numbers, *dates], values))
    for name, (codes, labels) in zip(texts, coded):
        table = np.empty(len(labels) + 1, dtype=object)  # the last entry, None, is code −1
        table[:len(labels)] = labels
        out[name] = table[codes] if len(codes) else np.empty(0, dtype=object)
    return pd.DataFrame(out)


def households_frame(conn: Connection, *, full: bool = True) -> pd.DataFrame:
    """Households; without ``full`` only what the monthly figures need (no 户编号, type, risks, income:
    the 户编号 and risks are a distinct text per row, costly to read)."""
    h = Household.__table__
    texts = {"county": h.c.county, "township": h.c.township, "village": h.c.village,
             "monitoring_kind": h.c.monitoring_kind}
    numbers = {"eliminated": h.c.eliminated}
    if full:
        texts = {"code": h.c.code, **texts, "household_kind": h.c.household_kind, "risks": h.c.risks}
        numbers = {**numbers, "income_per_capita": h.c.income_per_capita, "size": h.c.size}
    return _frame(conn, {"household_id": h.c.id}, texts, h, [], numbers=numbers,
                  dates={"identified": h.c.identified_month, "eliminated_month": h.c.eliminated_month})


def members_frame(conn: Connection, *, full: bool = True) -> pd.DataFrame:
    """Members with ``home`` (the ID's first two digits: the home province); without ``full`` no ID or name
    (distinct texts per row, costly to read and needed only to list people)."""
    m = HouseholdMember.__table__
    texts = {"home": func.substr(m.c.id_number, 1, 2), "labour": m.c.labour}
    if full:
        texts = {"id_number": m.c.id_number, "name": m.c.name, "relation": m.c.relation, **texts}
    return _frame(conn, {"member_id": m.c.id, "household_id": m.c.household_id, "trainee_id": m.c.trainee_id},
                  texts, m, [])


def placements_frame(conn: Connection, *, full: bool = True) -> pd.DataFrame:
    """Placements that really began (departed, on the job, ended) of trainees linked to a member; without
    ``full`` no employer name or status (texts needed only to list people)."""
    m, p, v, e = HouseholdMember.__table__, Placement.__table__, Vacancy.__table__, Employer.__table__
    source = m.join(p, p.c.trainee_id == m.c.trainee_id).join(v, v.c.id == p.c.vacancy_id) \
        .join(e, e.c.id == v.c.employer_id)
    texts = {"province": e.c.province, "city": e.c.city, "district": e.c.district}
    if full:
        texts = {**texts, "employer": e.c.name, "status": p.c.status}
    return _frame(conn, {"member_id": m.c.id, "placement_id": p.c.id}, texts,
                  source, [p.c.status.in_(STARTED)], numbers={"wage": p.c.monthly_wage},
                  dates={"start": p.c.start_date, "end": p.c.end_date})


def work_frame(conn: Connection, *, full: bool = True) -> pd.DataFrame:
    """Imported work records of members (a record of someone not in a household is kept, not counted);
    without ``full`` only where (channel, employer and place are needed only to list people)."""
    m, w = HouseholdMember.__table__, WorkRecord.__table__
    texts = {"destination": w.c.destination}
    if full:
        texts = {**texts, "channel": w.c.channel, "employer": w.c.employer, "place": w.c.place}
    return _frame(conn, {"member_id": m.c.id, "work_id": w.c.id}, texts,
                  m.join(w, w.c.id_number == m.c.id_number), [], numbers={"wage": w.c.monthly_income},
                  dates={"start": w.c.start_month, "end": w.c.end_month})


def find_households(conn: Connection, actor: Actor, text: str, limit: int = 50) -> list[dict[str, Any]]:
    """Households by 户编号, a member's name (the head's or anyone's), ID number or a trainee's phone."""
    require(actor, "households.read")
    h, m, t = Household.__table__, HouseholdMember.__table__, Trainee.__table__
    text = text.strip().replace(" ", "")
    if not text:
        return []
    like = f"%{text}%"
    match = or_(h.c.code.like(like), m.c.name.like(like), m.c.id_number.like(like.upper()),
                t.c.phone.like(f"%{text}") if text.isdigit() and len(text) >= 4 else false())
    inner = m.alias("head_member")
    head = (select(inner.c.name).where(inner.c.household_id == h.c.id)
            .order_by((inner.c.relation != HEAD_RELATION), inner.c.id).limit(1).correlate(h).scalar_subquery())
    stmt = (select(h.c.id, h.c.code, h.c.township, h.c.village, h.c.monitoring_kind, h.c.eliminated,
                   head.label("head"), func.count(func.distinct(m.c.id)).label("found"))
            .select_from(h.join(m, m.c.household_id == h.c.id).outerjoin(t, t.c.id == m.c.trainee_id))
            .where(match).group_by(h.c.id).order_by(h.c.code).limit(limit))
    return [dict(r._mapping) for r in conn.execute(stmt)]


def household_detail(conn: Connection, actor: Actor, household_id: int) -> dict[str, Any] | None:
    """One household: its fields, members (with trainee and current job), history newest first."""
    require(actor, "households.read")
    h, m, ev = Household.__table__, HouseholdMember.__table__, HouseholdEvent.__table__
    row = conn.execute(select(h).where(h.c.id == household_id)).first()
    if row is None:
        return None
    members = [dict(r._mapping) for r in conn.execute(
        select(m).where(m.c.household_id == household_id).order_by((m.c.relation != HEAD_RELATION), m.c.id))]
    history = [dict(r._mapping) for r in conn.execute(
        select(ev).where(ev.c.household_id == household_id).order_by(ev.c.at.desc(), ev.c.id.desc()))]
    return {"household": dict(row._mapping), "members": members, "history": history}


def member_jobs(conn: Connection, actor: Actor, household_id: int) -> pd.DataFrame:
    """Each member's latest job (a placement that began, or imported work): where, since when, wage."""
    require(actor, "households.read")
    m, p, v, e, w = (HouseholdMember.__table__, Placement.__table__, Vacancy.__table__, Employer.__table__,
                     WorkRecord.__table__)
    rows: list[tuple[int, Any, str, Any, Any]] = []
    placed = (select(m.c.id, p.c.start_date, e.c.name, e.c.city, p.c.monthly_wage, p.c.status, p.c.end_date)
              .select_from(m.join(p, p.c.trainee_id == m.c.trainee_id).join(v, v.c.id == p.c.vacancy_id)
                           .join(e, e.c.id == v.c.employer_id))
              .where(m.c.household_id == household_id, p.c.status.in_(STARTED)))
    for mid, start, name, city, wage, status, end in conn.execute(placed):
        state = status_label(status) + (f" {end:%Y-%m-%d}" if end else "")
        rows.append((mid, start, f"{name}（{city}，{state}）", start, wage))
    imported = (select(m.c.id, w.c.start_month, w.c.employer, w.c.place, w.c.monthly_income, w.c.channel, w.c.end_month)
                .select_from(m.join(w, w.c.id_number == m.c.id_number)).where(m.c.household_id == household_id))
    for mid, start, name, place, wage, channel, end in conn.execute(imported):
        until = tr(f"，至 {end:%Y-%m}", f", until {end:%Y-%m}") if end else ""
        rows.append((mid, start, f"{name or place or ''} ({channel or tr('导入', 'imported')}{until})", start, wage))
    frame = pd.DataFrame(rows, columns=["member_id", "_start", "job", "since", "wage"])
    if frame.empty:
        return frame.drop(columns="_start")
    frame = frame.sort_values("_start").drop_duplicates("member_id", keep="last").drop(columns="_start")
    frame["since"] = [f"{d:%Y-%m-%d}" if d else "" for d in frame["since"]]
    frame["wage"] = [f"{int(x):,}" if x == x and x is not None else "" for x in frame["wage"]]
    return frame
