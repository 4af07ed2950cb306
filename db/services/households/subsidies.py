"""Subsidies tied to a placement: rules per province and year (bureau settings), the due list as
placements reach the months on the job, the ledger of claims (eligible → claimed → publicised → paid /
refused, with the evidence checklist) and the printable publicity list (公示名单) with masked IDs.

Who qualifies: a placement that really began of a trainee linked to a household member whose household
is 脱贫户 or monitored (脱贫劳动力); the rule of the worker's home province (from the ID) for the year
the placement started, of the job's scope."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select

from core.access import Actor, require
from core.fields import FieldError, formula_like, mask_id
from core.files import write_file
from core.households import (
    CLAIM_STATUSES,
    EVIDENCE,
    SUBSIDY_KINDS,
    SUBSIDY_SCOPES,
    check_claim_transition,
    month_span,
    shift_months,
    subsidy_scope,
)
from core.i18n import UserError, tr
from core.placement import STARTED
from core.vocab import PROVINCES
from db import audit
from db.engine import Database
from db.models import Employer, Household, HouseholdMember, Placement, SubsidyClaim, SubsidyRule, Trainee, Vacancy
from db.rules import effective_household_expr
from db.services.bureau import bureau_heading
from db.services.stats import ID_PROVINCES

DUE_COLUMNS = ["placement_id", "rule_id", "claim_id", "status", "name", "id_number", "township", "household_code",
               "employer", "start_date", "due_on", "kind", "scope", "amount"]


def set_rule(database: Database, actor: Actor, *, province: str, year: int, kind: str, scope: str, months: int,
             amount: int) -> None:
    """Add or change one rule (administrators: it is a bureau setting); audited."""
    require(actor, "settings.write")
    if province not in PROVINCES or kind not in SUBSIDY_KINDS or scope not in SUBSIDY_SCOPES \
            or not (2000 <= year <= 2100) or months < 0 or amount < 0:
        raise UserError("补贴规则不完整或不合理：请检查省份、年度、类别、范围、月数和金额。",
                        "The subsidy rule is incomplete or implausible: check province, year, kind, scope, "
                        "months and amount.", code=2)
    with database.session() as session:
        rule = session.scalar(select(SubsidyRule).where(SubsidyRule.province == province, SubsidyRule.year == year,
                                                        SubsidyRule.kind == kind, SubsidyRule.scope == scope))
        before = None if rule is None else {"months": rule.months_on_job, "amount": rule.amount}
        if rule is None:
            rule = SubsidyRule(province=province, year=year, kind=kind, scope=scope, months_on_job=months,
                               amount=amount)
            session.add(rule)
        else:
            rule.months_on_job, rule.amount = months, amount
        audit.record(session, actor, "subsidy.rule", "subsidy_rule", f"{province}/{year}/{kind}/{scope}",
                     before=before, after={"months": months, "amount": amount})


def due(database: Database, actor: Actor, month: dt.date) -> pd.DataFrame:
    """Placements that have reached a rule's months on the job by the month's end (still on the job
    then), with their claim's status when the ledger has one."""
    require(actor, "households.read")
    last = month_span(month)[1]
    t, p, v, e, m, h = (Trainee.__table__, Placement.__table__, Vacancy.__table__, Employer.__table__,
                        HouseholdMember.__table__, Household.__table__)
    kind = effective_household_expr(t)
    stmt = (select(p.c.id, t.c.name, t.c.id_number, h.c.township, h.c.code, e.c.name, e.c.province, e.c.city,
                   p.c.start_date, p.c.end_date)
            .select_from(p.join(t, t.c.id == p.c.trainee_id).join(v, v.c.id == p.c.vacancy_id)
                         .join(e, e.c.id == v.c.employer_id).join(m, m.c.trainee_id == t.c.id)
                         .join(h, h.c.id == m.c.household_id))
            .where(p.c.status.in_(STARTED), p.c.start_date.is_not(None), p.c.start_date <= last,
                   kind.in_(("monitored", "poverty_exited"))))
    with database.session() as session:
        rules = {(r.province, r.year, r.kind, r.scope): r for r in session.scalars(select(SubsidyRule))}
        claims = {(c.placement_id, c.rule_id): c for c in session.scalars(select(SubsidyClaim))}
        rows = session.execute(stmt).all()
    out: list[dict[str, Any]] = []
    for pid, name, number, township, code, employer, province, city, start, end in rows:
        home = ID_PROVINCES.get(number[:2], "")
        scope = subsidy_scope(home, province, None, city)
        for kind_key in SUBSIDY_KINDS:
            rule = rules.get((home, start.year, kind_key, scope))
            if rule is None:
                continue
            due_on = _add_months(start, rule.months_on_job)
            if due_on > last or (end is not None and end < due_on):
                continue
            claim = claims.get((pid, rule.id))
            out.append({"placement_id": pid, "rule_id": rule.id, "claim_id": claim.id if claim else None,
                        "status": claim.status if claim else "eligible", "name": name, "id_number": number,
                        "township": township, "household_code": code, "employer": employer, "start_date": start,
                        "due_on": due_on, "kind": kind_key, "scope": scope,
                        "amount": claim.amount if claim else rule.amount})
    frame = pd.DataFrame(out, columns=DUE_COLUMNS)
    return frame.sort_values(["due_on", "township", "name"], kind="stable").reset_index(drop=True)


def _add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months later (the month's last day when it is shorter)."""
    last = month_span(shift_months(day.replace(day=1), months))[1]
    return last.replace(day=min(day.day, last.day))


def record_due(database: Database, actor: Actor, month: dt.date) -> int:
    """Enter the due placements not yet in the ledger as eligible claims; returns how many."""
    require(actor, "households.write")
    frame = due(database, actor, month)
    new = frame[frame["claim_id"].isna()]
    with database.session() as session:
        for r in new.to_dict("records"):
            session.add(SubsidyClaim(placement_id=int(r["placement_id"]), rule_id=int(r["rule_id"]), status="eligible",
                                     amount=int(r["amount"]), due_on=r["due_on"], evidence="[]"))
        if len(new):
            audit.record(session, actor, "subsidy.due", "subsidy_claim", None,
                         detail=json.dumps({"month": f"{month:%Y-%m}", "claims": len(new)}, ensure_ascii=False))
    return len(new)


def advance(database: Database, actor: Actor, claim_id: int, status: str, *, evidence: list[str] | None = None,
            note: str | None = None) -> None:
    """Move a claim one step (with the evidence in hand); audited."""
    require(actor, "households.write")
    with database.session() as session:
        claim = session.get(SubsidyClaim, claim_id)
        if claim is None:
            raise UserError(f"没有编号为 {claim_id} 的补贴申领", f"No subsidy claim {claim_id}", code=2)
        held = set(json.loads(claim.evidence or "[]")) | set(evidence or [])
        unknown = held - set(EVIDENCE)
        if unknown:
            raise UserError(f"未知的材料：{'、'.join(sorted(unknown))}", f"Unknown evidence: {', '.join(sorted(unknown))}",
                            code=2)
        try:
            check_claim_transition(claim.status, status, held)
        except FieldError as exc:
            raise UserError(str(exc), str(exc), code=2) from None
        before = {"status": claim.status}
        claim.status, claim.evidence = status, json.dumps(sorted(held))
        if note:
            claim.note = note[:200]
        audit.record(session, actor, "subsidy.claim", "subsidy_claim", claim_id, before=before,
                     after={"status": status, "evidence": sorted(held)})


def publicity_list(database: Database, actor: Actor, path: str | Path) -> Path:
    """The 公示名单 of claims claimed or publicised: printable A4 landscape, IDs masked; audited."""
    require(actor, "households.read")
    c, p, t, r = SubsidyClaim.__table__, Placement.__table__, Trainee.__table__, SubsidyRule.__table__
    m, h = HouseholdMember.__table__, Household.__table__
    with database.session() as session:
        rows = session.execute(
            select(t.c.name, t.c.id_number, h.c.township, h.c.village, r.c.kind, r.c.scope, c.c.amount, c.c.status)
            .select_from(c.join(p, p.c.id == c.c.placement_id).join(t, t.c.id == p.c.trainee_id)
                         .join(r, r.c.id == c.c.rule_id).outerjoin(m, m.c.trainee_id == t.c.id)
                         .outerjoin(h, h.c.id == m.c.household_id))
            .where(c.c.status.in_(("claimed", "publicised"))).order_by(h.c.township, h.c.village, t.c.name)).all()
    title = tr(f"{bureau_heading(database)} 务工补贴公示名单", f"{bureau_heading(database)} — subsidy publicity list")

    def write(tmp: Path) -> None:
        import xlsxwriter

        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
        try:
            ws = wb.add_worksheet(tr("公示名单", "Publicity list"))
            ws.set_landscape()
            ws.set_paper(9)
            ws.fit_to_pages(1, 0)
            ws.repeat_rows(2)
            f_title = wb.add_format({"bold": True, "font_size": 16, "align": "center"})
            f_head = wb.add_format({"bold": True, "border": 1, "align": "center", "bg_color": "#EEEEEE"})
            f_cell = wb.add_format({"border": 1})
            f_quoted = wb.add_format({"border": 1, "quote_prefix": True})
            f_money = wb.add_format({"border": 1, "num_format": "#,##0"})
            heads = [tr("序号", "No."), tr("姓名", "Name"), tr("身份证号", "ID number"), tr("乡镇", "Township"),
                     tr("村", "Village"), tr("补贴类别", "Subsidy"), tr("务工范围", "Scope"), tr("金额（元）", "Amount")]
            ws.merge_range(0, 0, 0, len(heads) - 1, title, f_title)
            for col, head in enumerate(heads):
                ws.write_string(2, col, head, f_head)
            for i, (name, number, township, village, kind, scope, amount, _status) in enumerate(rows, start=1):
                values = [str(i), name, mask_id(number), township or "", village or "", tr(*SUBSIDY_KINDS[kind]),
                          tr(*SUBSIDY_SCOPES[scope])]
                for col, value in enumerate(values):
                    ws.write_string(2 + i, col, value, f_quoted if formula_like(value) else f_cell)
                ws.write_number(2 + i, len(values), amount, f_money)
            end = 4 + len(rows)
            ws.write_string(end, 0, tr("公示期不少于5个工作日。如有异议，请向本局反映。",
                                       "Open for objections for at least 5 working days."))
            ws.set_column(0, 0, 6)
            ws.set_column(1, 1, 12)
            ws.set_column(2, 2, 22)
            ws.set_column(3, 6, 14)
            ws.set_column(7, 7, 12)
        finally:
            wb.close()

    def publish(put_in_place) -> None:  # type: ignore[no-untyped-def]
        with database.session() as session:
            audit.record(session, actor, "subsidy.publicity", "subsidy_claim", None,
                         detail=json.dumps({"file": str(path), "claims": len(rows)}, ensure_ascii=False))
            session.flush()
            put_in_place()

    return write_file(path, write, publish=publish)


def status_label(status: str) -> str:
    return tr(*CLAIM_STATUSES[status]) if status in CLAIM_STATUSES else status
