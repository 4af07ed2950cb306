"""Print-ready placement lists: the rows of a roster built from the database, and its xlsx form.

A list is chosen by a :class:`ListSelection` (a batch, an employer, a township and/or a period) and
built into a :class:`PlacementList` — plain strings ready to draw or write, with ID and phone numbers
masked unless an actor holding ``print.full_id`` explicitly asks for full numbers. The Qt renderer
(ui/printing) draws a PlacementList on paper, in a preview or in a PDF; :func:`write_xlsx` writes it
as a workbook with print settings. Every export and every full-number print goes to the audit log
(:func:`record_output`). No Qt here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import vocab
from core.access import Actor, require
from core.fields import formula_like, mask_id, mask_phone
from core.files import write_file
from core.i18n import UserError, tr
from core.placement import LISTED
from core.vocab import HOUSEHOLD_TYPES, LEVEL_NAMES, SKILLS
from db.audit import check_code as audit_check_code
from db.audit import record
from db.engine import Database
from db.models import AuditLog, Batch, Employer, Placement, Trainee, Vacancy
from db.rules import effective_household_expr, sees_trainee_expr
from db.services import settings


@dataclass(frozen=True)
class ListColumn:
    """A column a list may show (its label: core.vocab.LIST_COLUMNS). ``wrap``: long text wraps inside
    the cell instead of widening it."""
    key: str
    wrap: bool = False
    align: str = "center"          # left / center / right
    xlsx_width: float = 10         # Excel column width (characters)

    @property
    def zh(self) -> str:
        return vocab.LIST_COLUMNS[self.key][0]

    @property
    def en(self) -> str:
        return vocab.LIST_COLUMNS[self.key][1]

    @property
    def header(self) -> str:
        return tr(self.zh, self.en)


# Every column a user may choose (the settings page offers these), in printing order.
LIST_COLUMNS: dict[str, ListColumn] = {c.key: c for c in (
    ListColumn("seq", xlsx_width=6),
    ListColumn("name", wrap=True, align="left", xlsx_width=16),
    ListColumn("gender", xlsx_width=6),
    ListColumn("id_number", xlsx_width=21),
    ListColumn("household_type", xlsx_width=9),
    ListColumn("skill_level", wrap=True, xlsx_width=14),
    ListColumn("employer", wrap=True, align="left", xlsx_width=26),
    ListColumn("job", wrap=True, align="left", xlsx_width=14),
    ListColumn("wage", align="right", xlsx_width=10),
    ListColumn("departure", xlsx_width=12),
    ListColumn("phone", xlsx_width=14),
)}
DEFAULT_COLUMNS: tuple[str, ...] = tuple(LIST_COLUMNS)

# Placements that appear on a list: people actually sent (or confirmed to go), not proposals.


# Marks a person placed by exception (placement.override_reason) on printed lists; explained in a footnote.
OVERRIDE_MARK = "※"


def default_bureau() -> str:
    """The heading printed while the database names no bureau (``bureau.name``)."""
    return tr("人力资源和社会保障局", "Human Resources and Social Security Bureau")


def check_columns(keys: Sequence[str] | None) -> tuple[str, ...]:
    """Chosen column keys in printing order; unknown keys are a clear error."""
    if not keys:
        return DEFAULT_COLUMNS
    unknown = [k for k in keys if k not in LIST_COLUMNS]
    if unknown:
        raise UserError(f"未知的名册列：{', '.join(unknown)}（可选：{', '.join(LIST_COLUMNS)}）",
                        f"Unknown list column(s): {', '.join(unknown)} (choose from {', '.join(LIST_COLUMNS)})",
                        code=2)
    chosen = set(keys)
    return tuple(k for k in LIST_COLUMNS if k in chosen)


@dataclass(frozen=True)
class ListSelection:
    """Which placements a list shows. At least one of batch, employer, township or a date is given."""
    batch_id: int | None = None
    employer_id: int | None = None
    township: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    columns: tuple[str, ...] = DEFAULT_COLUMNS
    full_numbers: bool = False
    bureau: str = ""

    @property
    def kind(self) -> str:
        if self.batch_id is not None and self.employer_id is None:
            return "batch"
        if self.employer_id is not None:
            return "employer"
        return "area"

    def describe(self) -> dict[str, object]:
        return {"kind": self.kind, "batch_id": self.batch_id, "employer_id": self.employer_id,
                "township": self.township, "from": self.date_from, "to": self.date_to}


@dataclass
class PlacementList:
    """A list ready to draw: headers, cell strings, and the lines around the table."""
    bureau: str
    title: str
    info: list[str]                 # the batch/date/destination line(s) under the title
    columns: tuple[str, ...]
    rows: list[list[str]]
    totals: str
    made_on: dt.date
    full_numbers: bool
    selection: ListSelection
    entity: str = "placement_list"
    entity_id: str | None = None
    notes: list[str] = field(default_factory=list)
    # One line per person placed by exception (破例加入), marked ※ in the table: who and why.
    check_code: str = ""            # 审计校验码: the audit chain's head when the list was made
    footnotes: list[str] = field(default_factory=list)

    @property
    def end_text(self) -> str:
        """The totals row as printed: the totals, then the exception footnotes."""
        return "\n".join([self.totals, *self.footnotes])

    @property
    def check_label(self) -> str:
        return tr(f"审计校验码 {self.check_code}", f"Audit check code {self.check_code}") if self.check_code else ""

    @property
    def headers(self) -> list[str]:
        return [LIST_COLUMNS[k].header for k in self.columns]

    @property
    def specs(self) -> list[ListColumn]:
        return [LIST_COLUMNS[k] for k in self.columns]

    @property
    def file_stem(self) -> str:
        """A file name without extension that Windows accepts."""
        bad = '<>:"/\\|?*'
        return "".join("_" if c in bad else c for c in self.title).strip() or "placement_list"


# --- resolving what the user typed ------------------------------------------------------------

def townships(session: Session) -> list[str]:
    return [t for t in session.scalars(select(Trainee.township).where(Trainee.township.is_not(None))
                                       .distinct().order_by(Trainee.township)) if t]


# --- building the rows ------------------------------------------------------------------------

def _departure(placement_start: dt.date | None, batch_date: dt.date | None) -> dt.date | None:
    return batch_date or placement_start


def _skill_level(skill: str | None, level: int | None) -> str:
    skill_text = tr(*SKILLS[skill]) if skill in SKILLS else (skill or "")
    if level in LEVEL_NAMES:
        zh, en = LEVEL_NAMES[level]
        return f"{skill_text}/{tr(zh.split('/')[0], f'L{level}')}"
    return skill_text


def _wage(wage: int | None, wmin: int | None, wmax: int | None) -> str:
    if wage:
        return str(wage)
    if wmin and wmax and wmin != wmax:
        return f"{wmin}–{wmax}"
    return str(wmin or wmax or "")


def _date(d: dt.date | None) -> str:
    return d.isoformat() if d else ""


def build_list(database: Database, actor: Actor, selection: ListSelection, *,
               today: dt.date | None = None) -> PlacementList:
    """The list the selection describes; a clear error when it is empty or not allowed."""
    require(actor, "print")
    if selection.full_numbers:
        require(actor, "print.full_id")
    columns = check_columns(selection.columns)
    selection = replace(selection, columns=columns, bureau=(selection.bureau or "").strip()
                        or str(settings.get(database, settings.BUREAU_NAME)) or default_bureau())
    if (selection.batch_id is None and selection.employer_id is None and not selection.township
            and selection.date_from is None and selection.date_to is None):
        raise UserError("请选择要打印的名册：批次、用人单位、乡镇或期间。",
                        "Choose what to print: a batch, an employer, a township or a period.", code=2)
    if selection.date_from and selection.date_to and selection.date_from > selection.date_to:
        raise UserError("期间的开始日期晚于结束日期。", "The period starts after it ends.", code=2)
    with database.session() as session:
        plist = _build(session, actor, selection, today or dt.date.today())
        # The audit chain's head when the list was made, on paper: a reviewer can check it later
        # (audit verify --code) against the database the list came from.
        head = session.execute(select(AuditLog.id, AuditLog.chain_hash).order_by(AuditLog.id.desc()).limit(1)).first()
        plist.check_code = audit_check_code(head[0], head[1]) if head is not None else ""
        return plist


def _build(session: Session, actor: Actor, sel: ListSelection, today: dt.date) -> PlacementList:
    batch = session.get(Batch, sel.batch_id) if sel.batch_id is not None else None
    if sel.batch_id is not None and batch is None:
        raise UserError("所选派遣批次已不存在。", "The chosen batch no longer exists.", code=2)
    employer = session.get(Employer, sel.employer_id) if sel.employer_id is not None else None
    if sel.employer_id is not None and employer is None:
        raise UserError("所选用人单位已不存在。", "The chosen employer no longer exists.", code=2)

    departure = func.coalesce(Batch.departure_date, Placement.start_date)
    stmt = (select(Placement.start_date, Placement.monthly_wage, Placement.status, Placement.override_reason,
                   Trainee.name, Trainee.gender, Trainee.id_number, effective_household_expr().label("household_type"),
                   Trainee.skill_level, Trainee.phone, Trainee.township,
                   Vacancy.title, Vacancy.skill, Vacancy.wage_min, Vacancy.wage_max,
                   Employer.name.label("employer"), Batch.departure_date)
            .join(Trainee, Trainee.id == Placement.trainee_id)
            .join(Vacancy, Vacancy.id == Placement.vacancy_id)
            .join(Employer, Employer.id == Vacancy.employer_id)
            .outerjoin(Batch, Batch.id == Placement.batch_id))
    where = []
    if sel.batch_id is not None:
        where.append(Placement.batch_id == sel.batch_id)
    if sel.employer_id is not None:
        where.append(Vacancy.employer_id == sel.employer_id)
    if sel.township:
        where.append(Trainee.township == sel.township)
    if sel.date_from:
        where.append(departure >= sel.date_from)
    if sel.date_to:
        where.append(departure <= sel.date_to)
    where.append(sees_trainee_expr(actor))
    stmt = stmt.where(*where)
    listed = stmt.where(Placement.status.in_(LISTED))
    # Batch rosters read best grouped by employer; other lists by date then employer.
    if sel.kind == "batch":
        listed = listed.order_by(Employer.name, Vacancy.title, Trainee.name_pinyin, Trainee.id)
    else:
        listed = listed.order_by(departure, Employer.name, Trainee.name_pinyin, Trainee.id)
    records = session.execute(listed).all()

    what, what_en = _what(sel, batch, employer)
    if not records:
        pending = session.scalar(select(func.count()).select_from(stmt.where(
            Placement.status == "proposed").subquery()))
        extra = (tr(f"（另有 {pending} 人为待确认的推荐，确认后才列入名册）",
                    f" ({pending} proposed placement(s) must be confirmed first)") if pending else "")
        raise UserError(f"{what}没有可打印的人员{extra}，未生成任何文件。",
                        f"{what_en} has nobody to print{extra}; no file was written.", code=1)

    rows: list[list[str]] = []
    footnotes: list[str] = []
    # The mark goes on the name, or on the number when the name is not printed.
    mark_key = "name" if "name" in sel.columns else "seq"
    men = women = 0
    households: dict[str, int] = {}
    wages: list[int] = []
    for i, r in enumerate(records, 1):
        men += r.gender == "M"
        women += r.gender == "F"
        households[r.household_type] = households.get(r.household_type, 0) + 1
        if r.monthly_wage:
            wages.append(int(r.monthly_wage))
        values = {
            "seq": str(i),
            "name": r.name,
            "gender": vocab.gender_label(r.gender),
            "id_number": r.id_number if sel.full_numbers else mask_id(r.id_number),
            "household_type": tr(*HOUSEHOLD_TYPES.get(r.household_type, (r.household_type, r.household_type))),
            "skill_level": _skill_level(r.skill, r.skill_level),
            "employer": r.employer,
            "job": r.title,
            "wage": _wage(r.monthly_wage, r.wage_min, r.wage_max),
            "departure": _date(_departure(r.start_date, r.departure_date)),
            "phone": (r.phone or "") if sel.full_numbers else mask_phone(r.phone),
        }
        if r.override_reason:
            values[mark_key] = f"{values[mark_key]}{OVERRIDE_MARK}"
            footnotes.append(tr(f"{OVERRIDE_MARK} 破例加入（不完全符合岗位条件，经办人决定）：{r.name}，原因：{r.override_reason}",
                                f"{OVERRIDE_MARK} Placed by exception (does not meet every condition of the job; the "
                                f"clerk's decision): {r.name}, reason: {r.override_reason}"))
        rows.append([values[k] for k in sel.columns])

    n = len(rows)
    parts_zh = [f"合计 {n} 人，其中男 {men} 人、女 {women} 人"]
    parts_en = [f"Total {n} people: {men} men, {women} women"]
    special = [(k, households.get(k, 0)) for k in ("poverty_exited", "monitored") if households.get(k)]
    if special:
        parts_zh.append("；" + "、".join(f"{HOUSEHOLD_TYPES[k][0]} {c} 人" for k, c in special))
        parts_en.append("; " + ", ".join(f"{HOUSEHOLD_TYPES[k][1].lower()} {c}" for k, c in special))
    if wages:
        avg = round(sum(wages) / len(wages))
        parts_zh.append(f"；平均月薪 {avg} 元")
        parts_en.append(f"; average monthly wage ¥{avg}")
    totals = tr("".join(parts_zh) + "。", "".join(parts_en) + ".")

    title, info = _heading(sel, batch, employer)
    notes = [] if sel.full_numbers else [tr("注：身份证号、联系电话已作脱敏处理。",
                                            "Note: ID and phone numbers are partly hidden.")]
    entity, entity_id = (("batch", str(batch.id)) if batch is not None and employer is None else
                         ("employer", str(employer.id)) if employer is not None else ("placement_list", None))
    return PlacementList(bureau=sel.bureau, title=title, info=info, columns=sel.columns, rows=rows,
                         totals=totals, made_on=today, full_numbers=sel.full_numbers, selection=sel,
                         entity=entity, entity_id=entity_id, notes=notes, footnotes=footnotes)


def _period(sel: ListSelection) -> tuple[str, str] | None:
    if not sel.date_from and not sel.date_to:
        return None
    a, b = _date(sel.date_from) or "…", _date(sel.date_to) or "…"
    return f"{a} 至 {b}", f"{a} to {b}"


def _what(sel: ListSelection, batch: Batch | None, employer: Employer | None) -> tuple[str, str]:
    bits_zh, bits_en = [], []
    if batch is not None:
        bits_zh.append(f"批次“{batch.name}”")
        bits_en.append(f"batch '{batch.name}'")
    if employer is not None:
        bits_zh.append(f"用人单位“{employer.name}”")
        bits_en.append(f"employer '{employer.name}'")
    if sel.township:
        bits_zh.append(f"乡镇“{sel.township}”")
        bits_en.append(f"township '{sel.township}'")
    period = _period(sel)
    if period:
        bits_zh.append(f"期间 {period[0]}")
        bits_en.append(f"period {period[1]}")
    return "、".join(bits_zh), (", ".join(bits_en) or "the selection").capitalize()


def _heading(sel: ListSelection, batch: Batch | None, employer: Employer | None) -> tuple[str, list[str]]:
    sp = "　　"
    info_zh: list[str] = []
    info_en: list[str] = []
    if batch is not None:
        info_zh.append(f"批次：{batch.name}")
        info_en.append(f"Batch: {batch.name}")
        if batch.departure_date:
            info_zh.append(f"出发日期：{batch.departure_date.isoformat()}")
            info_en.append(f"Departure: {batch.departure_date.isoformat()}")
        if batch.destination:
            info_zh.append(f"目的地：{batch.destination}")
            info_en.append(f"Destination: {batch.destination}")
        if batch.escort:
            info_zh.append(f"带队：{batch.escort}")
            info_en.append(f"Escort: {batch.escort}")
    if employer is not None:
        place = "".join(p for p in (employer.province, employer.city, employer.district or "") if p)
        info_zh.append(f"用人单位：{employer.name}（{place}）")
        info_en.append(f"Employer: {employer.name} ({place})")
    if sel.township:
        info_zh.append(f"乡镇：{sel.township}")
        info_en.append(f"Township: {sel.township}")
    period = _period(sel)
    if period:
        info_zh.append(f"期间：{period[0]}")
        info_en.append(f"Period: {period[1]}")
    if sel.kind == "batch":
        title = tr("派遣人员花名册", "Dispatched workers roster")
    elif sel.kind == "employer":
        title = tr("用人单位派遣人员名单", "Workers placed with the employer")
    else:
        title = tr(f"{sel.township or ''}转移就业人员名单", f"Placed workers{' of ' + sel.township if sel.township else ''}")
    return title, [tr(sp.join(info_zh), "    ".join(info_en))]


# --- files and the audit log ------------------------------------------------------------------

def record_output(database: Database, actor: Actor, plist: PlacementList, output: str,
                  path: str | os.PathLike[str] | None = None,
                  commit: Callable[[], None] | None = None) -> None:
    """Write the audit entry of one print or export (``output``: pdf / xlsx / paper / preview).

    ``commit`` (the rename of a finished temp file) runs inside the same transaction, so a file
    appears exactly when its audit entry does.
    """
    action = "export" if output in ("pdf", "xlsx") else "print"
    detail: dict[str, object] = {"list": plist.title, "output": output, "rows": len(plist.rows),
                                 "full_numbers": plist.full_numbers, "columns": list(plist.columns),
                                 **plist.selection.describe()}
    if path is not None:
        detail["path"] = str(path)
    with database.session() as session:
        record(session, actor, action + ("_full_id" if plist.full_numbers else ""), plist.entity, plist.entity_id,
               detail=json.dumps(detail, ensure_ascii=False, default=str))
        session.flush()
        if commit is not None:
            commit()


def needs_audit(plist: PlacementList, output: str) -> bool:
    """Every file export is audited; paper and on-screen previews only when full numbers are shown."""
    return output in ("pdf", "xlsx") or plist.full_numbers


def save_file(database: Database, actor: Actor, plist: PlacementList, path: str | os.PathLike[str],
              write: Callable[[Path], object], output: str, verify: Callable[[Path], bool] | None = None) -> Path:
    """``write(tmp)`` into a temp file beside ``path``; then audit and rename in one step
    (:func:`core.files.write_file`): whatever fails, no partial file is left behind, an existing file
    at ``path`` is untouched and nothing is audited."""
    return write_file(path, write, verify=verify,
                      publish=lambda put: record_output(database, actor, plist, output,
                                                                Path(path).expanduser().absolute(), commit=put))


# --- xlsx -------------------------------------------------------------------------------------

def write_xlsx(database: Database, actor: Actor, plist: PlacementList, path: str | os.PathLike[str]) -> Path:
    """The list as a workbook ready to print (A4 landscape, fit to width, title rows repeated)."""
    require(actor, "export")
    return save_file(database, actor, plist, path, lambda tmp: _write_workbook(plist, tmp), "xlsx")


def _write_workbook(plist: PlacementList, path: Path) -> None:
    import xlsxwriter

    specs = plist.specs
    ncol = len(specs)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    try:
        ws = wb.add_worksheet(tr("名册", "List"))
        font = {"font_name": "宋体", "font_size": 10}
        f_bureau = wb.add_format({**font, "font_size": 12, "align": "center", "valign": "vcenter"})
        f_title = wb.add_format({**font, "font_name": "黑体", "font_size": 18, "bold": True, "align": "center",
                                 "valign": "vcenter"})
        f_info = wb.add_format({**font, "align": "left", "valign": "vcenter"})
        f_right = wb.add_format({**font, "align": "right", "valign": "vcenter"})
        f_head = wb.add_format({**font, "bold": True, "align": "center", "valign": "vcenter", "border": 1,
                                "text_wrap": True, "bg_color": "#F2F2F2"})
        cell_formats = {}
        quoted = {}  # formula-like text: stored with Excel's quote prefix, so editing it keeps it text
        for spec in specs:
            numeric = spec.key in ("seq", "wage")
            props = {**font, "border": 1, "valign": "vcenter", "align": spec.align, "text_wrap": spec.wrap,
                     "num_format": "0" if numeric else "@"}
            cell_formats[spec.key] = wb.add_format(props)
            quoted[spec.key] = wb.add_format({**props, "quote_prefix": True})
        f_total = wb.add_format({**font, "border": 1, "align": "left", "valign": "vcenter", "bold": True})
        f_sign = wb.add_format({**font, "font_size": 11, "align": "left", "valign": "vcenter"})

        last = max(ncol - 1, 1)
        ws.merge_range(0, 0, 0, last, plist.bureau, f_bureau)
        ws.merge_range(1, 0, 1, last, plist.title, f_title)
        ws.set_row(1, 30)
        info = plist.info[0] if plist.info else ""
        made = tr(f"制表日期：{plist.made_on.isoformat()}", f"Made on {plist.made_on.isoformat()}")
        if ncol >= 4:
            ws.merge_range(2, 0, 2, ncol - 3, info, f_info)
            ws.merge_range(2, ncol - 2, 2, ncol - 1, made, f_right)
        else:
            ws.merge_range(2, 0, 2, last, f"{info}  {made}", f_info)
        header_row = 3
        for c, spec in enumerate(specs):
            ws.write_string(header_row, c, spec.header, f_head)
            ws.set_column(c, c, spec.xlsx_width)
        for r, row in enumerate(plist.rows, header_row + 1):
            for c, (spec, value) in enumerate(zip(specs, row)):
                if spec.key in ("seq", "wage") and value.isdigit():
                    ws.write_number(r, c, int(value), cell_formats[spec.key])
                else:
                    # Text cells: an ID written as a number would lose its last digits in Excel.
                    ws.write_string(r, c, value, (quoted if formula_like(value) else cell_formats)[spec.key])
        end = header_row + len(plist.rows) + 1
        ws.merge_range(end, 0, end, last, plist.totals, f_total)
        below = [*plist.footnotes, *plist.notes]
        for i, note in enumerate(below, 1):
            ws.merge_range(end + i, 0, end + i, last, note, f_info)
        sign = end + len(below) + 2
        ws.merge_range(sign, 0, sign, last, tr(
            "经办人：__________　　　审核人：__________　　　单位盖章：　　　　　　　　日期：　　　年　　月　　日",
            "Prepared by: ________    Checked by: ________    Seal:              Date: ________"), f_sign)
        ws.set_row(sign, 36)

        ws.set_paper(9)  # A4
        if sum(s.xlsx_width for s in specs) > 100:
            ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0, header_row)
        ws.center_horizontally()
        ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.7)
        ws.set_footer(tr("&C第 &P 页 共 &N 页", "&CPage &P of &N") + (f"&R{plist.check_label}" if plist.check_code else ""))
        ws.freeze_panes(header_row + 1, 0)
        ws.print_area(0, 0, sign, last)
    finally:
        wb.close()


# --- choices for the dialog -------------------------------------------------------------------

@dataclass(frozen=True)
class Choice:
    id: int
    label: str


def batch_choices(database: Database) -> list[Choice]:
    """Batches, newest departure first, labelled with how many people they list."""
    with database.session() as session:
        listed = (select(Placement.batch_id, func.count().label("n"))
                  .where(Placement.status.in_(LISTED)).group_by(Placement.batch_id).subquery())
        rows = session.execute(select(Batch.id, Batch.name, Batch.departure_date, listed.c.n)
                               .outerjoin(listed, listed.c.batch_id == Batch.id)
                               .order_by(Batch.departure_date.desc(), Batch.name)).all()
    return [Choice(r.id, tr(f"{r.name}（{r.n or 0} 人）", f"{r.name} ({r.n or 0} people)")) for r in rows]


def employer_choices(database: Database) -> list[Choice]:
    with database.session() as session:
        rows = session.execute(select(Employer.id, Employer.name, Employer.city).order_by(Employer.name)).all()
    return [Choice(r.id, f"{r.name}（{r.city}）") for r in rows]


def township_choices(database: Database) -> list[str]:
    with database.session() as session:
        return townships(session)
