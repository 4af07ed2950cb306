"""Roster export in exactly the format :mod:`db.services.exchange` imports.

``export_roster(database, kind, path, actor) -> int`` writes .xlsx (ID numbers, phones and codes
stored as text so Excel never turns them into 6.22126E+17; dates as real date cells) or .csv
(UTF-8 with BOM so Excel opens it; dates as 2026-03-05). School accounts export only their own
school's trainees. Every export is written to the audit log.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select

from core.access import Actor, require
from core.fields import formula_like, safe_cell
from core.files import write_file
from core.i18n import UserError
from core.placement import STARTED
from core.vocab import (
    ANY_GENDER,
    CONTRACT_TYPES,
    FORM_LABELS,
    GENDERS,
    HOUSEHOLD_TYPES,
    LEVEL_NAMES,
    MANDARIN,
    SKILLS,
    VACANCY_STATUSES,
    zh_label,
)
from db.audit import record
from db.engine import Database
from db.models import Employer, Placement, School, Trainee, Vacancy
from db.rules import scope_trainees
from db.services.exchange import COLUMNS, KINDS

_TEXT_FIELDS = {"id_number", "phone", "uscc", "code", "vacancy_code", "contact_phone"}


def _level(level: int | None) -> str:
    return LEVEL_NAMES[level][0].split("/")[0] if level in LEVEL_NAMES else ""


def _skills(keys: str | None) -> str:
    return "、".join(SKILLS[k][0] for k in (keys or "").split(",") if k in SKILLS)


def _board(board: bool, lodging: bool) -> str:
    return {(True, True): "包吃住", (True, False): "包吃", (False, True): "包住"}.get((bool(board), bool(lodging)), "否")


def _trainee_rows(conn: Any, actor: Actor) -> Iterator[dict[str, Any]]:
    t = Trainee.__table__
    s = School.__table__
    stmt = (select(t, s.c.name.label("school_name")).select_from(t.outerjoin(s, s.c.id == t.c.school_id))
            .where(t.c.deleted_at.is_(None)).order_by(t.c.id))
    stmt = scope_trainees(actor, stmt, t)
    for r in conn.execute(stmt):
        yield {"name": r.name, "id_number": r.id_number, "gender": zh_label(GENDERS, r.gender),
               "ethnicity": r.ethnicity, "phone": r.phone, "township": r.township, "village": r.village,
               "household_type": HOUSEHOLD_TYPES.get(r.household_type, ("",))[0], "skills": _skills(r.skills),
               "skill_level": _level(r.skill_level), "school": r.school_name, "graduation_date": r.graduation_date,
               "training_hours": r.training_hours, "mandarin": MANDARIN.get(r.mandarin or "", ("",))[0],
               "preferred_regions": "、".join(p for p in (r.preferred_regions or "").split(",") if p),
               "expected_wage": r.expected_wage, "available_from": r.available_from,
               "health_cert_expiry": r.health_cert_expiry, "notes": r.notes}


def _vacancy_rows(conn: Any, _actor: Actor) -> Iterator[dict[str, Any]]:
    v, e = Vacancy.__table__, Employer.__table__
    stmt = (select(v, e.c.name.label("employer_name"), e.c.uscc, e.c.province, e.c.city, e.c.district,
                   e.c.partner_city).select_from(v.join(e, e.c.id == v.c.employer_id)).order_by(v.c.id))
    for r in conn.execute(stmt):
        yield {"code": r.code, "employer": r.employer_name, "uscc": r.uscc, "province": r.province, "city": r.city,
               "district": r.district, "partner_city": r.partner_city, "title": r.title,
               "skill": SKILLS.get(r.skill, (r.skill,))[0], "min_level": _level(r.min_level),
               "headcount": r.headcount, "wage_min": r.wage_min, "wage_max": r.wage_max,
               "board_lodging": _board(r.board, r.lodging), "age_min": r.age_min, "age_max": r.age_max,
               "gender_requirement": zh_label(GENDERS, r.gender_requirement, ANY_GENDER[0]),
               "contract_type": zh_label(CONTRACT_TYPES, r.contract_type, CONTRACT_TYPES["long_term"][0]), "start_date": r.start_date,
               "contact": r.contact, "contact_phone": r.contact_phone,
               "needs_health_cert": "是" if r.needs_health_cert else "否", "status": zh_label(VACANCY_STATUSES, r.status)}


def _placement_rows(conn: Any, actor: Actor) -> Iterator[dict[str, Any]]:
    p, t, v = Placement.__table__, Trainee.__table__, Vacancy.__table__
    stmt = (select(p, t.c.id_number, t.c.name, v.c.code)
            .select_from(p.join(t, t.c.id == p.c.trainee_id).join(v, v.c.id == p.c.vacancy_id))
            .where(p.c.start_date.is_not(None), p.c.status.in_(STARTED))
            .order_by(p.c.id))
    stmt = scope_trainees(actor, stmt, t)
    for r in conn.execute(stmt):
        yield {"id_number": r.id_number, "name": r.name, "vacancy_code": r.code, "start_date": r.start_date,
               "end_date": r.end_date, "employment_form": zh_label(FORM_LABELS, r.employment_form, FORM_LABELS["temporary"][0]),
               "skilled_since": r.skilled_since, "monthly_wage": r.monthly_wage, "leave_reason": r.leave_reason}


_ROWS = {"trainees": _trainee_rows, "vacancies": _vacancy_rows, "placements": _placement_rows}


def export_roster(database: Database, kind: str, path: str | Path, actor: Actor) -> int:
    """Write the registry's ``kind`` roster to ``path`` (.xlsx or .csv); returns the number of rows."""
    if kind not in KINDS:
        raise UserError(f"未知的名册类型“{kind}”", f"Unknown roster kind '{kind}'", code=2)
    require(actor, "export")
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise UserError(f"导出文件须为 .xlsx 或 .csv：{path.name}", f"Export to .xlsx or .csv: {path.name}", code=2)
    if not path.parent.exists():
        raise UserError(f"文件夹不存在：{path.parent}", f"The folder does not exist: {path.parent}", code=2)
    cols = COLUMNS[kind]
    count: list[int] = [0]
    placed: Path | None = None
    try:
        with database.session() as session:
            def write(tmp: Path) -> None:
                rows = _ROWS[kind](session.connection(), actor)
                count[0] = _write_xlsx(tmp, kind, cols, rows) if suffix == ".xlsx" else _write_csv(tmp, cols, rows)

            def publish(put_in_place: Any) -> None:
                record(session, actor, "export", kind, None,
                       detail=json.dumps({"file": path.name, "rows": count[0]}, ensure_ascii=False))
                session.flush()
                put_in_place()  # inside the transaction: a rename that fails takes the audit entry back

            placed = write_file(path, write, publish=publish)
    except BaseException:
        if placed is not None:  # the audit entry did not commit: an unaudited export must not remain
            placed.unlink(missing_ok=True)
        raise
    return count[0]


def _write_xlsx(path: Path, kind: str, cols: Any, rows: Iterator[dict[str, Any]]) -> int:
    import xlsxwriter

    from db.services.exchange import KIND_LABELS

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    try:
        ws = wb.add_worksheet(KIND_LABELS[kind][0])
        head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        text = wb.add_format({"num_format": 49})  # built-in "@" (Text)
        date = wb.add_format({"num_format": "yyyy-mm-dd"})
        for c, col in enumerate(cols):
            ws.write_string(0, c, col.zh, head)
            ws.set_column(c, c, 20 if col.field in ("id_number", "employer", "uscc", "school") else 12,
                          text if col.field in _TEXT_FIELDS else None)
        quoted = wb.add_format({"quote_prefix": True})  # formula-like text stays text even when edited
        ws.freeze_panes(1, 0)
        n = 0
        for n, row in enumerate(rows, start=1):
            for c, col in enumerate(cols):
                value = row.get(col.field)
                if value is None or value == "":
                    continue
                if col.field in _TEXT_FIELDS or isinstance(value, str):
                    value = str(value)
                    ws.write_string(n, c, value, quoted if formula_like(value) else
                                    text if col.field in _TEXT_FIELDS else None)
                elif isinstance(value, dt.date):
                    ws.write_datetime(n, c, dt.datetime(value.year, value.month, value.day), date)
                else:
                    ws.write_number(n, c, value)
    finally:
        wb.close()
    return n


def _write_csv(path: Path, cols: Any, rows: Iterator[dict[str, Any]]) -> int:
    n = 0
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([c.zh for c in cols])
        for n, row in enumerate(rows, start=1):  # noqa: B007 - n is the count returned after the loop
            writer.writerow(["" if row.get(c.field) is None else
                             (f"{row[c.field]:%Y-%m-%d}" if isinstance(row[c.field], dt.date) else
                              safe_cell(row[c.field]))
                             for c in cols])
    return n
