"""Roster exchange with Excel: reading xlsx/xls/csv rosters, row validation and idempotent upsert.

Entry point (the GUI wizard, the CLI and the tests call only this)::

    import_roster(database, kind, path, actor, *, dry_run=False, cohort_id=None, progress=None)
        -> ImportResult

``kind`` is ``"trainees"``, ``"vacancies"`` or ``"placements"``; ``path`` an .xlsx, .xls or .csv
file (UTF-8 with or without BOM, UTF-16 with BOM, or a confidently detected GB18030/GBK; any other
encoding is refused). ``dry_run=True`` is the preview: everything is read, validated and compared
with the registry, nothing is written. A file that cannot be used at all (empty, encrypted, corrupt,
too large — a workbook is measured from its zip before calamine reads it —, no recognisable header)
raises :class:`UserError` with ``code=2``; row-level problems never raise, they are listed in
``ImportResult.issues`` with the row number as Excel shows it, the column header, the value and the
reason in the user's language (an Excel error value such as #DIV/0! is such a problem).

Rules (docs/DESIGN.md "Exchange format"): headers are matched after trimming, Chinese or English alias;
title rows above the header and blank / totals / note rows are skipped; unknown columns are listed.
Each row is all or nothing; valid rows are inserted or updated by key in ONE transaction, so a crash
or a cancel leaves the registry as it was. An exact duplicate row is imported once; a second row
with the same key but different content is rejected. Empty cells and absent columns never erase a
value already in the registry (import adds and corrects, the GUI clears). Importing the same file
twice changes nothing (rows whose values are equal are counted as unchanged, not rewritten).
What is compared is read inside the write transaction (SQLite BEGIN IMMEDIATE, PostgreSQL FOR
UPDATE) and updated only at the row version read, so an edit saved by someone else meanwhile is
never overwritten. A school account's rows naming another school, or another school's trainee,
are rejected; it never creates a school.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from core.access import Actor, check_sees_trainee, require, school_scope, sees_trainee
from core.fields import (
    FieldError,
    ResidentId,
    check_contact_phone,
    check_id_number,
    check_mobile,
    check_name,
    check_uscc,
    clean_text,
    formula_like,
    free_text,
    parse_board_lodging,
    parse_contract_type,
    parse_date,
    parse_employment_form,
    parse_gender,
    parse_gender_requirement,
    parse_household,
    parse_level,
    parse_mandarin,
    parse_number,
    parse_skill,
    parse_skills,
    split_list,
    unquote_cell,
)
from core.files import write_file
from core.i18n import UserError, tr
from core.vocab import PROVINCES
from db.audit import record
from db.engine import Database
from db.models import Cohort, Employer, Placement, School, Trainee, TrainingRecord, Vacancy, utcnow
from db.search import pinyin_keys

KINDS = ("trainees", "vacancies", "placements")
KIND_LABELS = {"trainees": ("学员名册", "Trainee roster"), "vacancies": ("岗位需求", "Vacancies"),
               "placements": ("就业台账", "Placements")}

# A roster of 300,000 people is larger than any county; a file over 50 MB is not a roster (a
# 50,000-row xlsx is about 4 MB). Both are refused before parsing, with a message saying so.
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_DATA_ROWS = 300_000
# A workbook is measured from its zip before calamine reads it: calamine allocates the whole
# rectangle from A1 to the last cell (one cell at XFD1048576 is 549 GB). These bounds keep any
# file under MAX_FILE_BYTES well under 1 GB of memory.
MAX_SHEET_ROWS = MAX_DATA_ROWS + 10_000  # title, blank and totals rows around the data
MAX_SHEET_COLS = 200
MAX_SHEET_CELLS = 6_500_000
MAX_UNZIPPED_BYTES = 600 * 1024 * 1024
MAX_ZIP_RATIO = 250  # per member over 1 MB; real sheets compress 5–30×, a zip bomb thousands×
HEADER_SCAN_ROWS = 30
_CHUNK = 500  # keys per IN (...) lookup: well below every backend's parameter limit

Progress = Callable[[int, str], None]


# --- column specifications ----------------------------------------------------------------------

@dataclass(frozen=True)
class Col:
    field: str
    zh: str
    en: str
    required: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return tr(self.zh, self.en)


TRAINEE_COLUMNS: tuple[Col, ...] = (
    Col("name", "姓名", "Name", True, ("学员姓名",)),
    Col("id_number", "身份证号", "ID number", True, ("身份证号码", "公民身份号码", "身份证", "证件号码", "idnumber")),
    Col("gender", "性别", "Gender"),
    Col("ethnicity", "民族", "Ethnicity"),
    Col("phone", "手机号", "Mobile", aliases=("手机号码", "手机", "联系电话", "电话")),
    Col("township", "乡镇", "Township", aliases=("乡镇(街道)", "乡(镇)")),
    Col("village", "村", "Village", aliases=("村(社区)", "行政村", "村社区")),
    Col("household_type", "户类型", "Household type", aliases=("家庭类型", "户别", "household")),
    Col("skills", "技能", "Skills", aliases=("培训工种", "工种", "培训专业", "skill")),
    Col("skill_level", "技能等级", "Skill level", aliases=("等级", "证书等级", "level")),
    Col("school", "培训学校", "School", aliases=("培训机构",)),
    Col("graduation_date", "结业日期", "Graduation date", aliases=("结业时间",)),
    Col("training_hours", "培训课时", "Training hours", aliases=("课时", "学时", "hours")),
    Col("mandarin", "普通话", "Mandarin", aliases=("普通话水平",)),
    Col("preferred_regions", "意向地区", "Preferred regions", aliases=("意向就业地区", "意向地")),
    Col("expected_wage", "期望月薪", "Expected wage", aliases=("期望工资", "期望薪资")),
    Col("available_from", "可出发日期", "Available from", aliases=("可出发时间",)),
    Col("health_cert_expiry", "健康证有效期", "Health certificate expiry", aliases=("健康证到期日期", "健康证到期")),
    Col("notes", "备注", "Notes"),
)

VACANCY_COLUMNS: tuple[Col, ...] = (
    Col("code", "岗位编号", "Code", True, ("vacancy_code",)),
    Col("employer", "用人单位", "Employer", True, ("单位名称", "企业名称", "用工单位")),
    Col("uscc", "统一社会信用代码", "USCC", aliases=("信用代码", "社会信用代码")),
    Col("province", "省份", "Province", True, ("省",)),
    Col("city", "城市", "City", True, ("市", "地市")),
    Col("district", "区县", "District", aliases=("区",)),
    Col("partner_city", "对口城市", "Partner city"),
    Col("title", "岗位名称", "Title", True, ("岗位",)),
    Col("skill", "技能要求", "Skill", True, ("工种", "技能")),
    Col("min_level", "最低等级", "Minimum level", aliases=("等级要求",)),
    Col("headcount", "招聘人数", "Headcount", aliases=("需求人数", "人数")),
    Col("wage_min", "月薪下限", "Wage min", aliases=("最低月薪",)),
    Col("wage_max", "月薪上限", "Wage max", aliases=("最高月薪",)),
    Col("board_lodging", "包吃住", "Board and lodging", aliases=("食宿",)),
    Col("age_min", "年龄下限", "Age min", aliases=("最低年龄",)),
    Col("age_max", "年龄上限", "Age max", aliases=("最高年龄",)),
    Col("gender_requirement", "性别要求", "Gender requirement"),
    Col("contract_type", "用工类型", "Contract type"),
    Col("start_date", "到岗日期", "Start date", aliases=("上岗日期",)),
    Col("contact", "联系人", "Contact"),
    Col("contact_phone", "联系电话", "Contact phone"),
    Col("needs_health_cert", "需要健康证", "Needs health certificate", aliases=("健康证要求",)),
    Col("status", "状态", "Status", aliases=("岗位状态",)),
)

PLACEMENT_COLUMNS: tuple[Col, ...] = (
    Col("id_number", "身份证号", "ID number", True, ("身份证号码", "公民身份号码", "身份证")),
    Col("name", "姓名", "Name"),
    Col("vacancy_code", "岗位编号", "Vacancy code", True, ("code",)),
    Col("start_date", "上岗日期", "Start date", True, ("到岗日期",)),
    Col("end_date", "离岗日期", "End date"),
    Col("employment_form", "用工形式", "Employment form"),
    Col("skilled_since", "转为职业工日期", "Skilled since"),
    Col("monthly_wage", "月收入", "Monthly wage", aliases=("月工资", "月薪")),
    Col("leave_reason", "离岗原因", "Leave reason"),
)

COLUMNS: dict[str, tuple[Col, ...]] = {"trainees": TRAINEE_COLUMNS, "vacancies": VACANCY_COLUMNS,
                                       "placements": PLACEMENT_COLUMNS}
KEY_FIELDS = {"trainees": ("id_number",), "vacancies": ("code",),
              "placements": ("id_number", "vacancy_code", "start_date")}


def _norm_header(value: object) -> str:
    text = clean_text(value)
    text = re.sub(r"[（(][^）)]*[）)]", "", text)  # "身份证号（18位）" is 身份证号
    return re.sub(r"[\s*＊:：]", "", text).lower()


def _header_lookup(kind: str) -> dict[str, Col]:
    lookup: dict[str, Col] = {}
    for col in COLUMNS[kind]:
        for name in (col.zh, col.field, col.en, *col.aliases):
            lookup.setdefault(_norm_header(name), col)
            lookup.setdefault(_norm_header(re.sub(r"[（(][^）)]*[）)]", "", name)), col)
    return lookup


# --- results ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RowIssue:
    row: int          # as Excel shows it (1-based, counting title rows)
    column: str       # the header as written in the file ('' when the whole row is meant)
    value: str
    reason: str
    severity: str = "error"  # error (row rejected) / warning (row imported)


@dataclass
class ImportResult:
    kind: str
    path: str
    dry_run: bool = False
    header_row: int = 0
    data_rows: int = 0
    duplicate_rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    created: dict[str, int] = field(default_factory=dict)  # e.g. schools / employers created
    unknown_columns: list[str] = field(default_factory=list)
    issues: list[RowIssue] = field(default_factory=list)

    @property
    def errors(self) -> list[RowIssue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[RowIssue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({i.row for i in self.errors})

    @property
    def accepted(self) -> int:
        return self.inserted + self.updated + self.unchanged

    @property
    def exit_code(self) -> int:
        return 1 if self.rejected_rows else 0

    def summary(self) -> str:
        zh_kind, en_kind = KIND_LABELS[self.kind]
        verb_zh = "预览" if self.dry_run else "导入"
        verb_en = "Preview of" if self.dry_run else "Imported"
        zh = (f"{verb_zh}{zh_kind}：数据 {self.data_rows} 行，新增 {self.inserted}，更新 {self.updated}，"
              f"未变 {self.unchanged}，重复行 {self.duplicate_rows}（只计一次），拒绝 {len(self.rejected_rows)} 行，"
              f"警告 {len(self.warnings)} 条。")
        en = (f"{verb_en} {en_kind.lower()}: {self.data_rows} data rows, {self.inserted} new, {self.updated} updated, "
              f"{self.unchanged} unchanged, {self.duplicate_rows} duplicate rows (counted once), "
              f"{len(self.rejected_rows)} rejected, {len(self.warnings)} warnings.")
        created = {"schools": ("培训学校", "schools"), "employers": ("用人单位", "employers"),
                   "training_records": ("培训记录", "training records")}
        for key, n in self.created.items():
            if n:
                zh += f"新建{created.get(key, (key, key))[0]} {n} 个。"
                en += f" {n} new {created.get(key, (key, key))[1]}."
        if self.unknown_columns:
            zh += f"未识别的列（已忽略）：{'、'.join(self.unknown_columns)}。"
            en += f" Unknown columns (ignored): {', '.join(self.unknown_columns)}."
        return tr(zh, en)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "dry_run": self.dry_run, "header_row": self.header_row,
                "data_rows": self.data_rows, "duplicate_rows": self.duplicate_rows, "inserted": self.inserted,
                "updated": self.updated, "unchanged": self.unchanged, "created": self.created,
                "rejected_rows": self.rejected_rows, "unknown_columns": self.unknown_columns,
                "issues": [i.__dict__ for i in self.issues]}


# --- reading files ------------------------------------------------------------------------------

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"


def _unusable(zh: str, en: str) -> UserError:
    return UserError(zh, en, code=2)


def read_table(path: str | Path) -> list[tuple[int, list[Any]]]:
    """All rows of the first worksheet (or the csv) as (Excel row number, cells)."""
    path = Path(path)
    if not path.exists():
        raise _unusable(f"文件不存在：{path}", f"The file does not exist: {path}")
    if path.is_dir():
        raise _unusable(f"这是一个文件夹，不是名册文件：{path}", f"This is a folder, not a roster file: {path}")
    size = path.stat().st_size
    if size == 0:
        raise _unusable(f"文件是空的（0 字节）：{path.name}", f"The file is empty (0 bytes): {path.name}")
    if size > MAX_FILE_BYTES:
        raise _unusable(
            f"文件过大（{size / 1024 / 1024:.0f} MB，上限 {MAX_FILE_BYTES // 1024 // 1024} MB）：这不像一份名册。"
            "请删除多余的工作表、图片和空白格式，或把名册拆成几个文件分别导入。",
            f"The file is too large ({size / 1024 / 1024:.0f} MB, limit {MAX_FILE_BYTES // 1024 // 1024} MB): "
            "it does not look like a roster. Remove extra sheets, pictures and formatting, or split it into "
            "several files.")
    with path.open("rb") as fh:
        head = fh.read(8)
    suffix = path.suffix.lower()
    if head == _OLE_MAGIC and suffix != ".xls" and _is_encrypted(path):
        raise _encrypted(path)
    if suffix in (".csv", ".txt") and head not in (_OLE_MAGIC,) and not head.startswith(_ZIP_MAGIC):
        return _read_csv(path)
    if head == _OLE_MAGIC or head.startswith(_ZIP_MAGIC) or suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        return _read_workbook(path, head)
    return _read_csv(path)


def _encrypted(path: Path) -> UserError:
    return _unusable(f"文件“{path.name}”设置了打开密码，无法读取。请在 Excel 中打开，"
                     "“文件 → 信息 → 保护工作簿 → 用密码进行加密”里清除密码后另存，再导入。",
                     f"The file '{path.name}' is password-protected. Open it in Excel, remove the password "
                     "(File → Info → Protect Workbook → Encrypt with Password), save, and import again.")


def _is_encrypted(path: Path) -> bool:
    try:
        import msoffcrypto

        with path.open("rb") as fh:
            return bool(msoffcrypto.OfficeFile(fh).is_encrypted())
    except Exception:  # noqa: BLE001 - not an Office container msoffcrypto understands
        return False


class ExcelError(str):
    """An Excel error value in a cell (#DIV/0!, #N/A, …): a formula that failed, never an empty cell."""


EXCEL_ERRORS = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
                          "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"))

_COL_LETTERS = re.compile(rb"[A-Z]{1,7}")
_ROW_REF = re.compile(rb"<(?:\w+:)?row\b[^>]*?\sr=\"(\d{1,12})\"")
_CELL_REF = re.compile(rb"<(?:\w+:)?c\s[^>]*?\br=\"([A-Z]{1,7})(\d{1,12})\"")
_FAST_ROW = re.compile(rb"<row r=\"(\d{1,12})\"")
_FAST_CELL = re.compile(rb"<c r=\"([A-Z]{1,7})(\d{1,12})\"")
_CELL_OPEN = re.compile(rb"<(?:\w+:)?c[\s/>]")
_ROW_OPEN = re.compile(rb"<(?:\w+:)?row[\s/>]")
_ERROR_CELL = re.compile(rb"<(?:\w+:)?c\s([^>]*\bt=\"e\"[^>]*)>(.*?)</(?:\w+:)?c>", re.S)
_REF_ATTR = re.compile(rb"\br=\"([A-Z]{1,7})(\d{1,12})\"")
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s[^>]*\bref=\"([A-Z]{0,7})(\d{0,12}):?([A-Z]{0,7})(\d{0,12})\"")


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


@dataclass
class SheetSize:
    rows: int = 0          # the last row number (or the number of rows, whichever is larger)
    cols: int = 0          # the last column number
    cells: int = 0
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) 1-based -> "#DIV/0!"


def _too_big(path: Path, zh: str, en: str) -> UserError:
    return _unusable(f"文件“{path.name}”{zh}，不像一份名册，未读取。请删除多余的行、列和格式，或把名册拆成几个文件分别导入。",
                     f"The file '{path.name}' {en}; it does not look like a roster and was not read. Remove "
                     "extra rows, columns and formatting, or split the roster into several files.")


def measure_xlsx(path: Path) -> dict[str, SheetSize]:
    """Each worksheet's real size and its error cells, streamed from the zip (bounded memory), before
    anything allocates cells; a zip bomb or a sheet too large to be a roster raises UserError."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _corrupt(path) from None
    sizes: dict[str, SheetSize] = {}
    with zf:
        infos = zf.infolist()
        total = sum(i.file_size for i in infos)
        if total > MAX_UNZIPPED_BYTES:
            raise _too_big(path, f"解压后有 {total / 1024 / 1024:.0f} MB（上限 {MAX_UNZIPPED_BYTES // 1024 // 1024} MB）",
                           f"unpacks to {total / 1024 / 1024:.0f} MB (limit {MAX_UNZIPPED_BYTES // 1024 // 1024} MB)")
        for info in infos:
            if info.file_size > 1024 * 1024 and info.file_size > MAX_ZIP_RATIO * max(1, info.compress_size):
                raise _too_big(path, f"的压缩比异常（{info.file_size // max(1, info.compress_size)} 倍，疑似压缩炸弹）",
                               f"has an abnormal compression ratio ({info.file_size // max(1, info.compress_size)}×, "
                               "a zip bomb)")
        for info in infos:
            if info.filename == "content.xml" and "mimetype" in zf.namelist():  # OpenDocument (.ods)
                try:
                    sizes[info.filename] = _measure_ods(path, zf, info)
                except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError, NotImplementedError,
                        SyntaxError):
                    raise _corrupt(path) from None
                continue
            # Every XML part, not only xl/worksheets/: the workbook's rels may place a sheet anywhere.
            if info.filename.lower().endswith(".xml"):
                try:
                    sizes[info.filename] = _measure_sheet(path, zf, info)
                except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError, NotImplementedError):
                    raise _corrupt(path) from None
    return sizes


def _measure_sheet(path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> SheetSize:
    size = SheetSize()
    row_tags = 0
    unreferenced = 0  # cells without an r="B7" attribute: calamine places them one after another
    tail = b""
    checked_dimension = False
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(4 * 1024 * 1024)
            data = tail + chunk
            if chunk:
                # Keep an unfinished tag for the next round (a tag never contains "<" inside).
                cut = data.rfind(b"<")
                data, tail = (data[:cut], data[cut:]) if cut > 0 else (data, b"")
            else:
                tail = b""
            if not checked_dimension:
                m = _DIMENSION.search(data)
                if m or b"<sheetData" in data:
                    checked_dimension = True
                if m:
                    last_col = _col_number(m[3] or m[1])
                    last_row = int(m[4] or m[2] or 0)
                    _check_size(path, last_row, last_col, None)
            # Every writer we know puts r= first and uses no namespace prefix: counted with bytes.count
            # and one plain findall; anything else falls back to the general (slower) patterns.
            plain = b":c" not in data and b":row" not in data
            row_count = data.count(b"<row ") + data.count(b"<row>") if plain else len(_ROW_OPEN.findall(data))
            rows = _FAST_ROW.findall(data) if plain else []
            if len(rows) < row_count:
                rows = _ROW_REF.findall(data)
            if rows:
                size.rows = max(size.rows, max(map(int, rows)))
            row_tags += row_count
            opened = data.count(b"<c ") + data.count(b"<c>") if plain else len(_CELL_OPEN.findall(data))
            refs = _FAST_CELL.findall(data) if plain else []
            if len(refs) < opened:
                refs = _CELL_REF.findall(data)
            size.cells += opened
            unreferenced += opened - len(refs)
            if refs:
                size.cols = max(size.cols, max(map(_col_number, {c for c, _r in refs})))
                size.rows = max(size.rows, max(map(int, {r for _c, r in refs})))
            if b't="e"' in data:
                for m in _ERROR_CELL.finditer(data):
                    ref, value = _REF_ATTR.search(m[1]), _VALUE.search(m[2])
                    if ref and len(size.errors) < 10_000:
                        size.errors[(int(ref[2]), _col_number(ref[1]))] = (value[1] if value else b"#VALUE!").decode(
                            "ascii", "replace")
            size.rows = max(size.rows, row_tags)
            if unreferenced:
                size.cols = max(size.cols, -(-unreferenced // max(1, row_tags)))
            _check_size(path, size.rows, size.cols, size.cells)
            if not chunk:
                break
        # zipfile stops at the declared size; calamine's reader does not. A stream that goes on past
        # the size its header declares hides cells from this measurement: refused as damaged.
        decompressor = getattr(fh, "_decompressor", None)
        if (decompressor is not None and not getattr(decompressor, "eof", True)) or \
                (info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size):
            raise _corrupt(path)
    return size


_ODS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_ODS_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"


def _measure_ods(path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> SheetSize:
    """The extent of the filled cells of every table in content.xml, repeats counted (a repeated row
    or cell with content is expanded by calamine; empty repeats, which LibreOffice writes, are not)."""
    from xml.etree import ElementTree as ET

    row_tag, cell_tags = _ODS_TABLE + "table-row", {_ODS_TABLE + "table-cell", _ODS_TABLE + "covered-table-cell"}
    repeat_rows, repeat_cols = _ODS_TABLE + "number-rows-repeated", _ODS_TABLE + "number-columns-repeated"
    size = SheetSize()
    row = col = 0
    with zf.open(info) as fh:
        for event, el in ET.iterparse(fh, events=("start", "end")):
            tag = el.tag
            if event == "start":
                if tag == _ODS_TABLE + "table":
                    row = 0
                elif tag == row_tag:
                    col = 0
                continue
            if tag in cell_tags:
                repeat = int(el.get(repeat_cols, "1"))
                if el.get(_ODS_OFFICE + "value-type") or len(el):
                    size.cols = max(size.cols, col + repeat)
                    el.set("filled", "1")
                    size.cells += repeat
                col += repeat
            elif tag == row_tag:
                repeat = int(el.get(repeat_rows, "1"))
                if any(c.get("filled") for c in el):
                    size.rows = max(size.rows, row + repeat)
                    size.cells += (repeat - 1) * sum(int(c.get(repeat_cols, "1")) for c in el if c.get("filled"))
                row += repeat
                el.clear()
                _check_size(path, size.rows, size.cols, size.cells)
    _check_size(path, size.rows, size.cols, size.cells)
    return size


def _sheet_parts(path: Path) -> dict[str, str]:
    """Worksheet name -> its part in the zip (xl/worksheets/sheet1.xml), from workbook.xml and its rels."""
    from xml.etree import ElementTree as ET

    try:
        with zipfile.ZipFile(path) as zf:
            book = zf.read("xl/workbook.xml") if zf.getinfo("xl/workbook.xml").file_size < 8 << 20 else b""
            rels = (zf.read("xl/_rels/workbook.xml.rels")
                    if zf.getinfo("xl/_rels/workbook.xml.rels").file_size < 8 << 20 else b"")
        targets = {}
        for el in ET.fromstring(rels).iter():
            if el.tag.endswith("Relationship"):
                target = el.get("Target", "").lstrip("/")
                targets[el.get("Id")] = target if target.startswith("xl/") else "xl/" + target
        parts = {}
        for el in ET.fromstring(book).iter():
            if el.tag.endswith("}sheet") or el.tag == "sheet":
                rid = next((v for k, v in el.attrib.items() if k.endswith("}id")), None)
                if rid in targets:
                    parts[el.get("name", "")] = targets[rid]
        return parts
    except (KeyError, ET.ParseError, zipfile.BadZipFile, OSError, ValueError):
        return {}


def _check_size(path: Path, rows: int, cols: int, cells: int | None) -> None:
    if rows > MAX_SHEET_ROWS:
        raise _too_big(path, f"的工作表有 {rows:,} 行（上限 {MAX_SHEET_ROWS:,} 行）",
                       f"has a sheet of {rows:,} rows (limit {MAX_SHEET_ROWS:,})")
    if cols > MAX_SHEET_COLS:
        raise _too_big(path, f"的工作表有 {cols:,} 列（上限 {MAX_SHEET_COLS} 列）",
                       f"has a sheet of {cols:,} columns (limit {MAX_SHEET_COLS})")
    area = rows * cols
    if area > MAX_SHEET_CELLS or (cells or 0) > MAX_SHEET_CELLS:
        n = max(area, cells or 0)
        raise _too_big(path, f"的工作表有 {n:,} 个单元格（上限 {MAX_SHEET_CELLS:,} 个）",
                       f"has a sheet of {n:,} cells (limit {MAX_SHEET_CELLS:,})")


def _read_workbook(path: Path, head: bytes) -> list[tuple[int, list[Any]]]:
    import python_calamine as pc

    if head.startswith(_ZIP_MAGIC) and not zipfile.is_zipfile(path):
        raise _corrupt(path)
    sizes = measure_xlsx(path) if head.startswith(_ZIP_MAGIC) else {}
    try:
        wb = pc.CalamineWorkbook.from_path(str(path))
    except pc.PasswordError:
        raise _encrypted(path) from None
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - CalamineError, ZipError, XmlError, a Rust panic…
        if head == _OLE_MAGIC and _is_encrypted(path):
            raise _encrypted(path) from None
        raise _corrupt(path, exc) from None
    try:
        names = wb.sheet_names
        if not names:
            raise _unusable(f"文件“{path.name}”中没有工作表", f"The file '{path.name}' has no worksheet")
        parts = _sheet_parts(path) if sizes else {}
        best: list[tuple[int, list[Any]]] = []
        for index in range(len(names)):
            rows = _sheet_rows(wb.get_sheet_by_index(index))
            if any(any(_filled(c) for c in cells) for _n, cells in rows):
                size = sizes.get(parts.get(names[index], ""))
                if size is not None:
                    _mark_errors(rows, size.errors)
                return rows  # the first sheet with content is the roster
            best = best or rows
        return best
    except (UserError, KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - calamine reports damage as assorted errors (even Rust panics)
        raise _corrupt(path, exc) from None
    finally:
        wb.close()


def _sheet_rows(sheet: Any) -> list[tuple[int, list[Any]]]:
    """(Excel row number, cells from column A) row by row, each repeated value kept once: a roster
    repeats townships, skills and dates thousands of times, and one object per cell would double
    the memory a large file needs."""
    pad = [None] * (sheet.start[1] if sheet.start else 0)  # iter_rows starts at the first used column
    caches: dict[type, dict[Any, Any]] = {str: {}, float: {}, int: {}, dt.datetime: {}, dt.date: {},
                                         dt.time: {}, dt.timedelta: {}}
    rows = []
    for i, values in enumerate(sheet.iter_rows()):
        cells = pad + values if pad else values
        for k, c in enumerate(cells):
            cache = caches.get(c.__class__)
            if cache is not None:
                cells[k] = cache.setdefault(c, c)
        rows.append((i + 1, cells))
    return rows


def _mark_errors(rows: list[tuple[int, list[Any]]], errors: dict[tuple[int, int], str]) -> None:
    """Put the Excel error values back where calamine left empty cells."""
    for (row, col), value in errors.items():
        if row - 1 < len(rows):
            cells = rows[row - 1][1]
            if col - 1 >= len(cells):
                cells.extend([None] * (col - len(cells)))
            cells[col - 1] = ExcelError(value or "#VALUE!")


def _corrupt(path: Path, exc: BaseException | None = None) -> UserError:
    detail = f"（{str(exc).splitlines()[0][:80]}）" if exc else ""
    return _unusable(f"文件“{path.name}”已损坏或不是 Excel 文件，无法读取{detail}。请在 Excel 中打开并另存为 .xlsx 后再导入。",
                     f"The file '{path.name}' is damaged or not an Excel file{detail}. Open it in Excel, "
                     "save it as .xlsx and import again.")


_CHINESE_ENCODINGS = frozenset({"gb18030", "gbk", "gb2312"})


def _save_as_utf8(what_zh: str, what_en: str) -> UserError:
    return _unusable(f"{what_zh}，为避免把姓名读成乱码，未导入。请在 Excel 中打开，"
                     "“另存为”选择“CSV UTF-8（逗号分隔）”或 .xlsx 后再导入。",
                     f"{what_en}; to avoid garbling names nothing was imported. Open it in Excel and "
                     "“Save As” “CSV UTF-8 (Comma delimited)” or .xlsx, then import again.")


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM) and UTF-16 with BOM first; otherwise the encoding is detected
    (charset-normalizer) and only a confident GB18030/GBK guess is accepted — Big5 or Shift-JIS
    bytes also decode as GB18030, into nonsense, so any other or doubtful guess is refused."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    encoding = (best.encoding if best is not None else "").lower().replace("-", "").replace("_", "")
    if best is None:
        raise _save_as_utf8("无法识别文件的文字编码", "The text encoding of the file cannot be recognised")
    if encoding not in _CHINESE_ENCODINGS:
        raise _save_as_utf8(f"文件的文字编码看来是 {best.encoding}，不是 UTF-8 或 GBK/GB18030",
                            f"The file's text encoding looks like {best.encoding}, not UTF-8 or GBK/GB18030")
    if best.chaos > 0.1:
        raise _save_as_utf8("无法可靠地识别文件的文字编码", "The file's text encoding cannot be recognised reliably")
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise _save_as_utf8("文件的文字编码既不是 UTF-8 也不是 GBK/GB18030",
                            "The file's text encoding is neither UTF-8 nor GBK/GB18030") from None


def _csv_cell(text: str) -> Any:
    """A csv field as the importer sees it: an Excel error literal is an error, not text; our own
    export's apostrophe before formula-like text (core.fields.safe_cell) is taken off again."""
    if text[:1] == "#" and text in EXCEL_ERRORS:
        return ExcelError(text)
    if text[:1] == "'":
        return unquote_cell(text)
    return text


def _read_csv(path: Path) -> list[tuple[int, list[Any]]]:
    data = path.read_bytes()
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _corrupt(path)
    text = decode_text(data)
    sample = text[:8192]
    delimiter = ","
    counts = {d: sample.count(d) for d in (",", "\t", ";")}
    if counts[","] == 0 and max(counts.values()) > 0:
        delimiter = max(counts, key=counts.__getitem__)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = []
        for i, row in enumerate(reader):
            if len(row) > MAX_SHEET_COLS:
                raise _too_big(path, f"第 {i + 1} 行有 {len(row):,} 列（上限 {MAX_SHEET_COLS} 列）",
                               f"has {len(row):,} columns in row {i + 1} (limit {MAX_SHEET_COLS})")
            if i >= MAX_SHEET_ROWS:
                raise _too_big(path, f"超过 {MAX_SHEET_ROWS:,} 行", f"has more than {MAX_SHEET_ROWS:,} rows")
            rows.append((i + 1, [_csv_cell(c) if c[:1] in ("#", "'") else c for c in row]))
        return rows
    except csv.Error as exc:
        raise _corrupt(path, exc) from None


def _filled(cell: Any) -> bool:
    if cell is None:
        return False
    if isinstance(cell, str):
        return bool(cell.strip())
    if isinstance(cell, float) and math.isnan(cell):
        return False
    return True


# --- header and data rows -----------------------------------------------------------------------

@dataclass
class Layout:
    header_row: int
    columns: dict[int, Col]     # cell index -> column
    headers: dict[str, str]     # field -> header text as written
    unknown: list[str]


def find_header(kind: str, rows: Sequence[tuple[int, list[Any]]]) -> tuple[int, Layout]:
    """Index (in ``rows``) and layout of the header row, searched among the first rows."""
    lookup = _header_lookup(kind)
    best: tuple[int, int] | None = None  # (score, index)
    keys = set(KEY_FIELDS[kind])
    for index, (_n, cells) in enumerate(rows[:HEADER_SCAN_ROWS]):
        found = {lookup[h].field for h in (_norm_header(c) for c in cells if _filled(c)) if h in lookup}
        if len(found) >= 2 and (keys & found) and (best is None or len(found) > best[0]):
            best = (len(found), index)
    if best is None:
        expected = "、".join(c.zh for c in COLUMNS[kind] if c.required)
        raise _unusable(f"没有找到表头：前 {HEADER_SCAN_ROWS} 行中没有包含“{expected}”等列名的一行。"
                        "请确认选择了正确的名册类型，或从导入向导下载模板对照填写。",
                        f"No header row found in the first {HEADER_SCAN_ROWS} rows (expected column names "
                        f"such as {', '.join(c.en for c in COLUMNS[kind] if c.required)}). Check the roster "
                        "type or download the template.")
    index = best[1]
    number, cells = rows[index]
    columns: dict[int, Col] = {}
    headers: dict[str, str] = {}
    unknown: list[str] = []
    for i, cell in enumerate(cells):
        if not _filled(cell):
            continue
        col = lookup.get(_norm_header(cell))
        if col is None or col.field in headers:
            unknown.append(clean_text(cell))
            continue
        columns[i] = col
        headers[col.field] = clean_text(cell)
    missing = [c for c in COLUMNS[kind] if c.required and c.field not in headers]
    if missing:
        names = "、".join(c.zh for c in missing)
        raise _unusable(f"第 {number} 行的表头缺少必填列：{names}。请补上这些列后再导入。",
                        f"The header in row {number} lacks required columns: "
                        f"{', '.join(c.en for c in missing)}. Add them and import again.")
    return index, Layout(number, columns, headers, unknown)


_FOOTER = re.compile(r"^(合计|总计|小计|共计|累计|注[:：]|注\s|说明|备注[:：]|填表|制表|审核|负责人|经办人|单位负责人|"
                     r"total|note)", re.IGNORECASE)


def _is_footer(cells: list[Any]) -> bool:
    filled = [c for c in cells if _filled(c)]
    if not filled or len(filled) > 3:
        return False
    first = clean_text(filled[0])
    return bool(_FOOTER.match(first))


# --- field parsers ------------------------------------------------------------------------------

def _text(max_len: int, zh: str, en: str, *, free: bool = False) -> Callable[[Any], str]:
    """A text cell; ``free`` text a person wrote (notes, titles, reasons) keeps its punctuation as typed."""
    def parse(value: Any) -> str:
        text = free_text(value) if free else clean_text(value)
        if len(text) > max_len:
            raise FieldError(tr(f"{zh}过长（{len(text)} 个字，最多 {max_len} 个）",
                                f"{en} too long ({len(text)} characters, at most {max_len})"))
        return text
    return parse


def _date(zh: str, en: str) -> Callable[[Any], dt.date]:
    def parse(value: Any) -> dt.date:
        day = parse_date(value, zh, en)
        assert day is not None
        if not (dt.date(1950, 1, 1) <= day <= dt.date(2100, 12, 31)):
            raise FieldError(tr(f"{zh}超出合理范围：{day:%Y-%m-%d}", f"{en} out of range: {day:%Y-%m-%d}"))
        return day
    return parse


def _int(zh: str, en: str, lo: float, hi: float) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        number = parse_number(value, zh, en, minimum=lo, maximum=hi)
        assert number is not None
        return int(round(number))
    return parse


def _strict_int(zh: str, en: str, lo: float, hi: float) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        number = parse_number(value, zh, en, minimum=lo, maximum=hi, integer=True)
        assert number is not None
        return int(number)
    return parse


def _regions(value: Any) -> str:
    parts: list[str] = []
    for part in split_list(value):
        part = _province(part) if _province_or_none(part) else part.removesuffix("市")
        if part not in parts:
            parts.append(part)
    text = ",".join(parts)
    if len(text) > 200:
        raise FieldError(tr("意向地区过长（最多 200 个字）", "Preferred regions too long (at most 200 characters)"))
    return text


def _province_or_none(text: str) -> str | None:
    for name in PROVINCES:
        if text.startswith(name):
            return name
    return None


def _province(value: Any) -> str:
    text = clean_text(value).replace(" ", "")
    name = _province_or_none(text)
    if name is None:
        raise FieldError(tr(f"省份无法识别：“{text}”（如 江苏、上海、广东）",
                            f"Unrecognised province '{text}' (e.g. Jiangsu, Shanghai, Guangdong)"))
    return name


def _yes_no(zh: str, en: str) -> Callable[[Any], bool]:
    def parse(value: Any) -> bool:
        text = clean_text(value).replace(" ", "").lower()
        if text in {"是", "需要", "要", "yes", "y", "true", "1"}:
            return True
        if text in {"否", "不需要", "不要", "no", "n", "false", "0"}:
            return False
        raise FieldError(tr(f"{zh}应为“是”或“否”：“{text}”", f"{en} must be yes or no: '{text}'"))
    return parse


_STATUS_ALIASES = {"在招": "open", "招聘中": "open", "open": "open", "已满": "filled", "已招满": "filled",
                   "filled": "filled", "关闭": "closed", "已关闭": "closed", "停招": "closed", "closed": "closed"}


def _vacancy_status(value: Any) -> str:
    text = clean_text(value).replace(" ", "").lower()
    if text not in _STATUS_ALIASES:
        raise FieldError(tr(f"岗位状态无法识别：“{text}”（在招 / 已满 / 关闭）",
                            f"Unrecognised status '{text}' (open / filled / closed)"))
    return _STATUS_ALIASES[text]


def _compact(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Codes: no spaces inside."""
    return lambda v: parse(clean_text(v).replace(" ", ""))


# field -> (parser, cacheable): cacheable parsers see few distinct values, so a dict per import
# turns 50,000 calls into a few hundred.
PARSERS: dict[str, dict[str, tuple[Callable[[Any], Any], bool]]] = {
    "trainees": {
        "name": (check_name, False),
        "id_number": (check_id_number, False),
        "gender": (parse_gender, True),
        "ethnicity": (_text(20, "民族", "Ethnicity"), True),
        "phone": (check_mobile, False),
        "township": (_text(40, "乡镇", "Township"), True),
        "village": (_text(40, "村", "Village"), True),
        "household_type": (parse_household, True),
        "skills": (lambda v: ",".join(parse_skills(v, "技能", "Skill")), True),
        "skill_level": (parse_level, True),
        "school": (_text(100, "培训学校", "School"), True),
        "graduation_date": (_date("结业日期", "Graduation date"), True),
        "training_hours": (_strict_int("培训课时", "Training hours", 0, 5000), True),
        "mandarin": (parse_mandarin, True),
        "preferred_regions": (_regions, True),
        "expected_wage": (_int("期望月薪", "Expected wage", 0, 100000), True),
        "available_from": (_date("可出发日期", "Available from"), True),
        "health_cert_expiry": (_date("健康证有效期", "Health certificate expiry"), True),
        "notes": (_text(2000, "备注", "Notes", free=True), False),
    },
    "vacancies": {
        "code": (_compact(_text(40, "岗位编号", "Code")), False),
        "employer": (_text(100, "用人单位", "Employer"), True),
        "uscc": (check_uscc, True),
        "province": (_province, True),
        "city": (lambda v: _text(30, "城市", "City")(v).replace(" ", "").removesuffix("市") or clean_text(v), True),
        "district": (_text(30, "区县", "District"), True),
        "partner_city": (_text(30, "对口城市", "Partner city"), True),
        "title": (_text(60, "岗位名称", "Title", free=True), True),
        "skill": (lambda v: parse_skill(v, "技能要求", "Skill"), True),
        "min_level": (parse_level, True),
        "headcount": (_strict_int("招聘人数", "Headcount", 1, 10000), True),
        "wage_min": (_int("月薪下限", "Wage min", 0, 200000), True),
        "wage_max": (_int("月薪上限", "Wage max", 0, 200000), True),
        "board_lodging": (parse_board_lodging, True),
        "age_min": (_strict_int("年龄下限", "Age min", 14, 80), True),
        "age_max": (_strict_int("年龄上限", "Age max", 14, 80), True),
        "gender_requirement": (parse_gender_requirement, True),
        "contract_type": (parse_contract_type, True),
        "start_date": (_date("到岗日期", "Start date"), True),
        "contact": (_text(40, "联系人", "Contact"), True),
        "contact_phone": (check_contact_phone, True),
        "needs_health_cert": (_yes_no("需要健康证", "Needs health certificate"), True),
        "status": (_vacancy_status, True),
    },
    "placements": {
        "id_number": (check_id_number, False),
        "name": (check_name, False),
        "vacancy_code": (_compact(_text(40, "岗位编号", "Vacancy code")), True),
        "start_date": (_date("上岗日期", "Start date"), True),
        "end_date": (_date("离岗日期", "End date"), True),
        "employment_form": (parse_employment_form, True),
        "skilled_since": (_date("转为职业工日期", "Skilled since"), True),
        "monthly_wage": (_int("月收入", "Monthly wage", 0, 200000), True),
        "leave_reason": (_text(200, "离岗原因", "Leave reason", free=True), True),
    },
}


def _shown(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1e15:
        return f"{value:.6E}".replace("E+", "E+")  # as Excel shows a mangled ID: 6.321262E+17
    if isinstance(value, (dt.datetime, dt.date)):
        return f"{value:%Y-%m-%d}"
    return clean_text(value)


@dataclass
class ParsedRow:
    row: int
    values: dict[str, Any]


@dataclass
class Parsed:
    layout: Layout
    rows: list[ParsedRow]
    data_rows: int
    duplicate_rows: int
    issues: list[RowIssue]


_EMPTY = object()  # marker of an empty cell in a parsed column


def _is_blank(value: Any) -> bool:
    return value is None or value == "" or (value.__class__ is str and value.isspace())


def _parse_column(values: list[Any], parser: Callable[[Any], Any], cacheable: bool) -> list[Any]:
    """Parsed value per cell: _EMPTY, the value, or a FieldError (not raised).

    Column by column rather than row by row: a cacheable column is parsed once per distinct value."""
    def one(value: Any) -> Any:
        if _is_blank(value):
            return _EMPTY
        if value.__class__ is ExcelError:
            return FieldError(tr(f"单元格是 Excel 错误值 {value}（公式出错），请改正后重新导入",
                                 f"The cell holds the Excel error {value} (a failed formula); correct it and "
                                 "import again"))
        try:
            result = parser(value)
        except FieldError as exc:
            return exc
        return _EMPTY if result == "" else result

    if not cacheable:
        return [one(v) for v in values]
    cache: dict[Any, Any] = {}
    out = []
    for v in values:
        if v.__class__ is ExcelError:  # never from the cache: "#N/A" typed as text is not an error
            out.append(one(v))
            continue
        try:
            hit = cache[v]
        except KeyError:
            hit = cache[v] = one(v)
        except TypeError:  # an unhashable cell
            hit = one(v)
        out.append(hit)
    return out


def parse_rows(kind: str, table: Sequence[tuple[int, list[Any]]], progress: Progress | None = None) -> Parsed:
    """Header detection and field validation (no database); rows failing any rule are dropped."""
    index, layout = find_header(kind, table)
    parsers = PARSERS[kind]
    cols = sorted(layout.columns.items())
    positions = [i for i, _c in cols]
    width = max(positions) + 1
    seen: set[tuple] = set()
    data: list[tuple[int, tuple]] = []
    data_rows = duplicates = 0
    for number, cells in table[index + 1:]:
        filled = [c for c in cells if c is not None and c != ""]
        if not filled or (len(filled) <= 3 and (_is_footer(filled) or not any(_filled(c) for c in filled))):
            continue
        data_rows += 1
        if data_rows > MAX_DATA_ROWS:
            raise _unusable(f"数据行超过 {MAX_DATA_ROWS:,} 行，请把名册拆成几个文件分别导入。",
                            f"More than {MAX_DATA_ROWS:,} data rows; split the roster into several files.")
        if len(cells) < width:
            cells = list(cells) + [None] * (width - len(cells))
        raw = tuple([cells[i] for i in positions])
        if raw in seen:  # an exact duplicate (identical cells) is imported once
            duplicates += 1
            continue
        seen.add(raw)
        data.append((number, raw))
    if progress:
        progress(15, tr("正在检查数据行…", "Checking rows…"))
    fields = [c.field for _i, c in cols]
    parsed_cols = []
    for k, (_i, col) in enumerate(cols):
        parser, cacheable = parsers[col.field]
        parsed_cols.append(_parse_column([raw[k] for _n, raw in data], parser, cacheable))
        if progress:
            progress(15 + int(35 * (k + 1) / len(cols)), tr("正在检查数据行…", "Checking rows…"))
    required = [c.required for _i, c in cols]
    headers = [layout.headers[f] for f in fields]
    issues: list[RowIssue] = []
    out: list[ParsedRow] = []
    for r, (number, raw) in enumerate(data):
        values: dict[str, Any] = {}
        row_issues: list[RowIssue] = []
        for k, field_name in enumerate(fields):
            result = parsed_cols[k][r]
            if result is _EMPTY:
                values[field_name] = None
                if required[k]:
                    col = cols[k][1]
                    row_issues.append(RowIssue(number, headers[k], "", tr(f"{col.zh}为空", f"{col.en} is empty")))
            elif isinstance(result, FieldError):
                values[field_name] = None
                row_issues.append(RowIssue(number, headers[k], _shown(raw[k]), str(result)))
            else:
                values[field_name] = result
        if kind == "trainees" and "gender" in values and values.get("id_number") is not None:
            _check_gender(values, number, layout, row_issues)
        elif kind == "vacancies":
            _cross_check_vacancy(values, number, layout, row_issues)
        elif kind == "placements":
            _cross_check_placement(values, number, layout, row_issues)
        rid = values.get("id_number")
        if isinstance(rid, ResidentId) and rid.warnings:
            for warning in rid.warnings:
                row_issues.append(RowIssue(number, layout.headers["id_number"], rid.number, warning, "warning"))
        if row_issues:
            issues.extend(row_issues)
            if any(i.severity == "error" for i in row_issues):
                continue
        out.append(ParsedRow(number, values))
    issues.extend(_key_conflicts(kind, out, layout))
    bad = {i.row for i in issues if i.severity == "error"}
    return Parsed(layout, [r for r in out if r.row not in bad], data_rows, duplicates, issues)


def _check_gender(values: dict[str, Any], number: int, layout: Layout, issues: list[RowIssue]) -> None:
    rid: ResidentId = values["id_number"]
    given = values.get("gender")
    if given and given != rid.gender:
        said = "男" if given == "M" else "女"
        by_id = "男" if rid.gender == "M" else "女"
        issues.append(RowIssue(number, layout.headers["gender"], said,
                               tr(f"性别“{said}”与身份证号不符，已按身份证号记为“{by_id}”",
                                  f"Gender '{given}' contradicts the ID number; recorded as '{rid.gender}' "
                                  "from the ID"), "warning"))


def _cross_check_vacancy(values: dict[str, Any], number: int, layout: Layout, issues: list[RowIssue]) -> None:
    lo, hi = values.get("wage_min"), values.get("wage_max")
    if lo is not None and hi is not None and lo > hi:
        issues.append(RowIssue(number, layout.headers["wage_min"], f"{lo}–{hi}",
                               tr(f"月薪下限大于上限（下限 {lo}，上限 {hi}）",
                                  f"Wage minimum exceeds maximum ({lo} > {hi})")))
    lo, hi = values.get("age_min"), values.get("age_max")
    if lo is not None and hi is not None and lo > hi:
        issues.append(RowIssue(number, layout.headers["age_min"], f"{lo}–{hi}",
                               tr(f"年龄下限大于上限（下限 {lo}，上限 {hi}）",
                                  f"Age minimum exceeds maximum ({lo} > {hi})")))
    if values.get("gender_requirement") in ("M", "F"):
        issues.append(RowIssue(number, layout.headers["gender_requirement"],
                               "男" if values["gender_requirement"] == "M" else "女",
                               tr("岗位限定性别：请确认有正当理由（就业促进法禁止性别歧视）",
                                  "The vacancy demands a gender: make sure there is a lawful reason"), "warning"))


def _cross_check_placement(values: dict[str, Any], number: int, layout: Layout, issues: list[RowIssue]) -> None:
    start, end = values.get("start_date"), values.get("end_date")
    if start and end and end < start:
        issues.append(RowIssue(number, layout.headers["end_date"], f"{end:%Y-%m-%d}",
                               tr(f"离岗日期早于上岗日期（{start:%Y-%m-%d}）",
                                  f"End date before start date ({start:%Y-%m-%d})")))
    skilled = values.get("skilled_since")
    if skilled and start and skilled < start:
        issues.append(RowIssue(number, layout.headers["skilled_since"], f"{skilled:%Y-%m-%d}",
                               tr("转为职业工日期早于上岗日期", "Skilled-since date before start date")))


def _key_of(kind: str, values: dict[str, Any]) -> tuple:
    key = []
    for f in KEY_FIELDS[kind]:
        v = values.get(f)
        key.append(v.number if isinstance(v, ResidentId) else v)
    return tuple(key)


def _key_conflicts(kind: str, rows: list[ParsedRow], layout: Layout) -> list[RowIssue]:
    """Two different rows with the same key: the first is kept, later ones are rejected."""
    first: dict[tuple, int] = {}
    issues = []
    key_col = layout.headers[KEY_FIELDS[kind][0]]
    for r in rows:
        key = _key_of(kind, r.values)
        if key in first:
            issues.append(RowIssue(r.row, key_col, str(key[0]),
                                   tr(f"与第 {first[key]} 行是同一{'人' if kind == 'trainees' else '条记录'}但内容不同，"
                                      "本行未导入：请核对后只保留一行",
                                      f"Same key as row {first[key]} but different content; this row was not "
                                      "imported: keep only one of them")))
        else:
            first[key] = r.row
    return issues


# --- writing ------------------------------------------------------------------------------------

def _sqlite_value(value: Any) -> Any:
    # The storage formats of SQLAlchemy's SQLite Date/DateTime types, so ORM reads round-trip.
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def _driver_rows(table: Any, keys: list[str], rows: list[dict[str, Any]]) -> list[tuple]:
    """Parameter tuples; only date, datetime and boolean columns are converted (the rest pass as is)."""
    from sqlalchemy import Boolean, Date, DateTime

    convert = [isinstance(table.c[k].type, (Date, DateTime, Boolean)) for k in keys]
    if not any(convert):
        return [tuple([r[k] for k in keys]) for r in rows]
    cache: dict[Any, Any] = {}  # timestamps and dates repeat: convert each distinct value once

    def conv(value: Any) -> Any:
        try:
            return cache[value]
        except KeyError:
            out = cache[value] = _sqlite_value(value)
            return out

    return [tuple([conv(r[k]) if c else r[k] for k, c in zip(keys, convert)]) for r in rows]


def _bulk_insert(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """INSERT many rows; on SQLite straight through the driver (SQLAlchemy's per-row parameter
    processing costs more than the insert itself at 50,000 rows)."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), rows)
        return
    keys = list(rows[0])
    sql = f"INSERT INTO {table.name} ({', '.join(keys)}) VALUES ({', '.join('?' for _ in keys)})"
    conn.exec_driver_sql(sql, _driver_rows(table, keys, rows))


def _bulk_update(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """UPDATE many rows by ``b_id`` where the row still has the version read (``b_version``), and bump
    it. The rows were read under a write lock, so a mismatch means the lock did not hold: the import
    stops (the transaction rolls back) rather than overwrite someone's edit."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        done = conn.execute(update(table).where(table.c.id == bindparam("b_id"),
                                                table.c.version == bindparam("b_version"))
                            .values(version=table.c.version + 1), rows).rowcount
    else:
        keys = [k for k in rows[0] if k not in ("b_id", "b_version")]
        sql = (f"UPDATE {table.name} SET {', '.join(f'{k} = ?' for k in keys)}, version = version + 1 "
               "WHERE id = ? AND version = ?")
        done = conn.exec_driver_sql(sql, [t + (r["b_id"], r["b_version"])
                                          for t, r in zip(_driver_rows(table, keys, rows), rows)]).rowcount
    if conn.dialect.supports_sane_multi_rowcount and done != len(rows):
        raise _conflict(len(rows) - done)


def _conflict(n: int) -> UserError:
    return UserError(f"导入期间有 {n} 条记录被其他用户修改。为免覆盖他们的修改，本次导入没有写入任何内容，请重新导入。",
                     f"{n} record(s) were changed by another user during the import. So as not to overwrite "
                     "their changes, nothing was imported; import the file again.", code=3)


def _lock_for_writing(conn: Connection) -> None:
    """Take the write lock before reading what the import compares: SQLite BEGIN IMMEDIATE (the driver
    would otherwise begin only at the first write, after the reads), on PostgreSQL one import at a time
    (rows read are locked FOR UPDATE as they are read). A lock held elsewhere for longer than the
    busy timeout is one sentence."""
    from sqlalchemy.exc import OperationalError

    try:
        if conn.dialect.name == "sqlite":
            if not conn.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
                conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7253716)")  # 'import' in any office
    except OperationalError:
        raise UserError("数据库正被其他用户写入（锁定时间过长），本次导入没有写入任何内容，请稍后重试。",
                        "The database is being written by someone else (locked for too long); nothing was "
                        "imported. Try again shortly.", code=1) from None


def _read_for_update(stmt: Any, dry_run: bool) -> Any:
    """Rows the import compares and then updates: locked until it commits (a no-op on SQLite, whose
    BEGIN IMMEDIATE already holds the write lock)."""
    return stmt if dry_run else stmt.with_for_update()


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


TRAINEE_DB_FIELDS = ("name", "gender", "birth_date", "ethnicity", "phone", "township", "village",
                     "household_type", "skills", "skill_level", "school_id", "graduation_date", "training_hours",
                     "mandarin", "preferred_regions", "expected_wage", "available_from", "health_cert_expiry",
                     "notes")


def _write_trainees(conn: Connection, actor: Actor, parsed: Parsed, result: ImportResult, dry_run: bool,
                    cohort_id: int | None, progress: Progress | None) -> None:
    t = Trainee.__table__
    provided = set(parsed.layout.headers) | {"gender", "birth_date"}
    if "school" in provided:
        provided.add("school_id")
    scope = school_scope(actor)
    school_ids = {name: sid for sid, name in conn.execute(select(School.id, School.name))}
    rows = parsed.rows
    if scope is None:  # schools by name, created when missing
        wanted = {r.values.get("school") for r in rows} - {None} - set(school_ids)
        result.created["schools"] = len(wanted)
        if wanted and not dry_run:
            conn.execute(insert(School), [{"name": n} for n in sorted(wanted)])
            school_ids = {name: sid for sid, name in conn.execute(select(School.id, School.name))}
    else:  # a school account imports its own people only, and never creates a school
        kept = []
        for r in rows:
            name = r.values.get("school")
            if name is not None and not sees_trainee(actor, school_ids.get(name)):
                result.issues.append(RowIssue(r.row, parsed.layout.headers["school"], name, tr(
                    f"学校账号只能导入本校学员：“{name}”不是本校，本行未导入",
                    f"A school account imports its own trainees only: '{name}' is another school. "
                    "Row not imported")))
            else:
                kept.append(r)
        rows = kept
    keys = [r.values["id_number"].number for r in rows]
    cols = [t.c.id, t.c.id_number, t.c.deleted_at, t.c.version, *(t.c[f] for f in TRAINEE_DB_FIELDS)]
    existing: dict[str, Any] = {}
    for chunk in _chunks(keys):
        for row in conn.execute(_read_for_update(select(*cols).where(t.c.id_number.in_(chunk)), dry_run)):
            existing[row.id_number] = row
    if progress:
        progress(60, tr("正在比对登记册…", "Comparing with the registry…"))
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    touched_ids: list[int] = []
    new_keys: list[str] = []
    now = utcnow()
    update_fields = [f for f in TRAINEE_DB_FIELDS if f in provided]
    for r in rows:
        v = r.values
        rid: ResidentId = v["id_number"]
        rec = {
            "name": v.get("name"), "gender": rid.gender, "birth_date": rid.birth_date,
            "ethnicity": v.get("ethnicity"), "phone": v.get("phone"), "township": v.get("township"),
            "village": v.get("village"), "household_type": v.get("household_type"), "skills": v.get("skills"),
            "skill_level": v.get("skill_level"),
            "school_id": school_ids.get(v["school"], -1) if v.get("school") else None,
            "graduation_date": v.get("graduation_date"), "training_hours": v.get("training_hours"),
            "mandarin": v.get("mandarin"), "preferred_regions": v.get("preferred_regions"),
            "expected_wage": v.get("expected_wage"), "available_from": v.get("available_from"),
            "health_cert_expiry": v.get("health_cert_expiry"), "notes": v.get("notes"),
        }
        if scope is not None and rec["school_id"] is None:
            rec["school_id"] = scope
        old = existing.get(rid.number)
        if old is None:
            rec["id_number"] = rid.number
            rec["household_type"] = rec["household_type"] or "general"
            rec["skills"] = rec["skills"] or ""
            rec["preferred_regions"] = rec["preferred_regions"] or ""
            rec["name_pinyin"], rec["name_initials"] = pinyin_keys(rec["name"])
            rec.update(created_at=now, updated_at=now, version=1)
            inserts.append(rec)
            new_keys.append(rid.number)
            continue
        if not sees_trainee(actor, old.school_id):
            result.issues.append(RowIssue(r.row, parsed.layout.headers["id_number"], rid.number,
                                          tr("该学员已由其他培训学校登记，学校账号不能修改，本行未导入",
                                             "This person is registered by another school; a school account "
                                             "cannot change them. Row not imported")))
            continue
        merged = {f: (rec[f] if rec[f] is not None else getattr(old, f)) for f in update_fields}
        touched_ids.append(old.id)
        if old.deleted_at is None and all(merged[f] == getattr(old, f) for f in update_fields):
            result.unchanged += 1
            continue
        merged["b_id"], merged["b_version"] = old.id, old.version
        merged["deleted_at"] = None
        merged["updated_at"] = now
        if "name" in merged:
            merged["name_pinyin"], merged["name_initials"] = pinyin_keys(merged["name"])
        updates.append(merged)
    result.inserted = len(inserts)
    result.updated = len(updates)
    if dry_run:
        return
    if progress:
        progress(70, tr("正在写入登记册…", "Writing to the registry…"))
    for i, chunk in enumerate(_chunks(inserts, 10000)):
        _bulk_insert(conn, t, list(chunk))
        if progress:
            progress(70 + int(20 * (i + 1) * 10000 / max(1, len(inserts))), tr("正在写入登记册…", "Writing…"))
    _bulk_update(conn, t, updates)
    if cohort_id is not None:
        ids = list(touched_ids)
        for chunk in _chunks(new_keys):
            ids.extend(conn.execute(select(t.c.id).where(t.c.id_number.in_(chunk))).scalars())
        result.created["training_records"] = _enrol(conn, cohort_id, ids, actor=actor)


def _enrol(conn: Connection, cohort_id: int, trainee_ids: Sequence[int], *, actor: Actor | None = None) -> int:
    """Training records of a cohort for these trainees (those already enrolled are skipped)."""
    cohort = conn.execute(select(Cohort).where(Cohort.id == cohort_id)).one_or_none()
    if cohort is None:
        raise UserError(f"培训班不存在（编号 {cohort_id}）", f"No such cohort ({cohort_id})")
    if actor is not None:
        check_sees_trainee(actor, cohort.school_id)  # a school account enrols into its own cohorts only
    tr_t = TrainingRecord.__table__
    enrolled = set(conn.execute(select(tr_t.c.trainee_id).where(tr_t.c.cohort_id == cohort_id)).scalars())
    rows = [{"trainee_id": tid, "school_id": cohort.school_id, "cohort_id": cohort_id, "skill": cohort.skill,
             "start_date": cohort.start_date, "end_date": cohort.end_date, "hours": cohort.hours}
            for tid in dict.fromkeys(trainee_ids) if tid not in enrolled]
    if rows:
        conn.execute(insert(tr_t), rows)
    return len(rows)


VACANCY_DB_FIELDS = ("employer_id", "title", "skill", "min_level", "headcount", "wage_min", "wage_max", "board",
                     "lodging", "age_min", "age_max", "gender_requirement", "contract_type", "needs_health_cert",
                     "start_date", "status", "contact", "contact_phone")


def _write_vacancies(conn: Connection, parsed: Parsed, result: ImportResult, dry_run: bool) -> None:
    e_t, v_t = Employer.__table__, Vacancy.__table__
    employers = list(conn.execute(select(e_t.c.id, e_t.c.name, e_t.c.uscc)))
    by_uscc = {e.uscc: e.id for e in employers if e.uscc}
    by_name: dict[str, int] = {}
    for e in employers:
        by_name.setdefault(e.name, e.id)
    no_uscc_by_name = {e.name: e.id for e in employers if not e.uscc}
    created = 0
    pending_new: dict[tuple[str, str | None], int] = {}
    provided = set(parsed.layout.headers)
    if "board_lodging" in provided:
        provided |= {"board", "lodging"}
    provided.add("employer_id")
    fake_id = -1
    resolved: list[tuple[ParsedRow, int]] = []
    for r in parsed.rows:
        v = r.values
        name, uscc = v["employer"], v.get("uscc")
        eid = by_uscc.get(uscc) if uscc else None
        if eid is None and uscc and name in no_uscc_by_name:
            eid = no_uscc_by_name[name]  # a known employer gets its credit code
            if not dry_run:
                conn.execute(update(e_t).where(e_t.c.id == eid).values(uscc=uscc))
            by_uscc[uscc] = eid
            no_uscc_by_name.pop(name)
        if eid is None and not uscc:
            eid = by_name.get(name)
        if eid is None:
            key = (name, uscc)
            if key not in pending_new:
                created += 1
                if dry_run:
                    pending_new[key] = fake_id
                    fake_id -= 1
                else:
                    pending_new[key] = conn.execute(insert(e_t).values(
                        name=name, uscc=uscc, province=v["province"], city=v["city"], district=v.get("district"),
                        partner_city=v.get("partner_city"), contact=v.get("contact"),
                        contact_phone=v.get("contact_phone"), created_at=utcnow())).inserted_primary_key[0]
            eid = pending_new[key]
            if uscc:
                by_uscc[uscc] = eid
            by_name.setdefault(name, eid)
        resolved.append((r, eid))
    result.created["employers"] = created
    codes = [r.values["code"] for r in parsed.rows]
    existing: dict[str, Any] = {}
    for chunk in _chunks(codes):
        for row in conn.execute(_read_for_update(select(v_t.c.id, v_t.c.code, v_t.c.version,
                                                        *(v_t.c[f] for f in VACANCY_DB_FIELDS))
                                                 .where(v_t.c.code.in_(chunk)), dry_run)):
            existing[row.code] = row
    update_fields = [f for f in VACANCY_DB_FIELDS if f in provided]
    inserts, updates = [], []
    for r, eid in resolved:
        v = r.values
        board, lodging = v.get("board_lodging") or (None, None)
        rec = {"employer_id": eid, "title": v["title"], "skill": v["skill"], "min_level": v.get("min_level"),
               "headcount": v.get("headcount"), "wage_min": v.get("wage_min"), "wage_max": v.get("wage_max"),
               "board": board, "lodging": lodging, "age_min": v.get("age_min"), "age_max": v.get("age_max"),
               "gender_requirement": v.get("gender_requirement"), "contract_type": v.get("contract_type"),
               "needs_health_cert": v.get("needs_health_cert"), "start_date": v.get("start_date"),
               "status": v.get("status"), "contact": v.get("contact"), "contact_phone": v.get("contact_phone")}
        old = existing.get(v["code"])
        if old is None:
            defaults = {"headcount": 1, "board": False, "lodging": False, "gender_requirement": "any",
                        "contract_type": "long_term", "status": "open",
                        "needs_health_cert": v["skill"] != "domestic_service"}
            rec = {k: (defaults[k] if val is None and k in defaults else val) for k, val in rec.items()}
            rec["code"] = v["code"]
            inserts.append(rec)
            continue
        merged = {f: (rec[f] if rec[f] is not None else getattr(old, f)) for f in update_fields}
        if merged.get("wage_min") is not None and merged.get("wage_max") is not None \
                and merged["wage_min"] > merged["wage_max"]:
            result.issues.append(RowIssue(r.row, parsed.layout.headers.get("wage_min", ""), str(merged["wage_min"]),
                                          tr("月薪下限大于登记册中的月薪上限", "Wage minimum exceeds the registered maximum")))
            continue
        if all(merged[f] == getattr(old, f) for f in update_fields):
            result.unchanged += 1
            continue
        merged["b_id"], merged["b_version"] = old.id, old.version
        updates.append(merged)
    result.inserted, result.updated = len(inserts), len(updates)
    if dry_run:
        return
    now = utcnow()
    for rec in inserts:
        rec.update(created_at=now, version=1)
    _bulk_insert(conn, v_t, inserts)
    _bulk_update(conn, v_t, updates)


PLACEMENT_DB_FIELDS = ("end_date", "employment_form", "skilled_since", "monthly_wage", "leave_reason", "status")


def _write_placements(conn: Connection, parsed: Parsed, result: ImportResult, dry_run: bool) -> None:
    t_t, v_t, p_t = Trainee.__table__, Vacancy.__table__, Placement.__table__
    layout = parsed.layout
    ids = list({r.values["id_number"].number for r in parsed.rows})
    codes = list({r.values["vacancy_code"] for r in parsed.rows})
    people: dict[str, Any] = {}
    for chunk in _chunks(ids):
        for row in conn.execute(select(t_t.c.id, t_t.c.id_number, t_t.c.name, t_t.c.deleted_at)
                                .where(t_t.c.id_number.in_(chunk))):
            people[row.id_number] = row
    vacancies: dict[str, int] = {}
    for chunk in _chunks(codes):
        vacancies.update({c: i for i, c in conn.execute(select(v_t.c.id, v_t.c.code).where(v_t.c.code.in_(chunk)))})
    good: list[tuple[ParsedRow, int, int]] = []
    for r in parsed.rows:
        v = r.values
        number = v["id_number"].number
        person = people.get(number)
        problems = []
        if person is None:
            problems.append(RowIssue(r.row, layout.headers["id_number"], number,
                                     tr("身份证号在登记册中不存在：请先导入该学员", "No trainee with this ID number: import the trainee first")))
        elif v.get("name") and v["name"] != person.name:
            result.issues.append(RowIssue(r.row, layout.headers["name"], v["name"],
                                          tr(f"姓名与登记册（{person.name}）不一致，已按身份证号匹配",
                                             f"Name differs from the registry ({person.name}); matched by ID number"),
                                          "warning"))
        if v["vacancy_code"] not in vacancies:
            problems.append(RowIssue(r.row, layout.headers["vacancy_code"], v["vacancy_code"],
                                     tr("岗位编号在登记册中不存在：请先导入岗位", "No vacancy with this code: import the vacancy first")))
        if problems:
            result.issues.extend(problems)
            continue
        good.append((r, person.id, vacancies[v["vacancy_code"]]))
    existing: dict[tuple, Any] = {}
    tids = list({g[1] for g in good})
    for chunk in _chunks(tids):
        for row in conn.execute(_read_for_update(select(p_t.c.id, p_t.c.trainee_id, p_t.c.vacancy_id,
                                                        p_t.c.start_date, p_t.c.version,
                                                        *(p_t.c[f] for f in PLACEMENT_DB_FIELDS))
                                                 .where(p_t.c.trainee_id.in_(chunk)), dry_run)):
            existing[(row.trainee_id, row.vacancy_id, row.start_date)] = row
    provided = set(layout.headers) | {"status"}
    update_fields = [f for f in PLACEMENT_DB_FIELDS if f in provided]
    inserts, updates = [], []
    now = utcnow()
    for r, tid, vid in good:
        v = r.values
        rec = {f: v.get(f) for f in PLACEMENT_DB_FIELDS}
        old = existing.get((tid, vid, v["start_date"]))
        if old is None:
            rec["status"] = "ended" if v.get("end_date") else "on_job"
            rec["employment_form"] = rec["employment_form"] or "temporary"
            rec.update(trainee_id=tid, vacancy_id=vid, start_date=v["start_date"])
            inserts.append(rec)
            continue
        rec["status"] = "ended" if (v.get("end_date") or old.end_date) else "on_job"
        merged = {f: (rec[f] if rec[f] is not None else getattr(old, f)) for f in update_fields}
        if all(merged[f] == getattr(old, f) for f in update_fields):
            result.unchanged += 1
            continue
        merged["b_id"], merged["b_version"] = old.id, old.version
        merged["updated_at"] = now
        updates.append(merged)
    result.inserted, result.updated = len(inserts), len(updates)
    if dry_run:
        return
    for rec in inserts:
        rec.update(created_at=now, updated_at=now, version=1)
    _bulk_insert(conn, p_t, inserts)
    _bulk_update(conn, p_t, updates)


# --- entry point --------------------------------------------------------------------------------

_PERMISSION = {"trainees": "registry.write", "vacancies": "employer.write", "placements": "batch.write"}


def import_roster(database: Database, kind: str, path: str | Path, actor: Actor, *, dry_run: bool = False,
                  cohort_id: int | None = None, progress: Progress | None = None) -> ImportResult:
    """Read, validate and (unless ``dry_run``) upsert a roster in one transaction. See module doc."""
    if kind not in KINDS:
        raise UserError(f"未知的名册类型“{kind}”（trainees / vacancies / placements）",
                        f"Unknown roster kind '{kind}' (trainees / vacancies / placements)", code=2)
    require(actor, _PERMISSION[kind])
    report = progress or (lambda _p, _m: None)
    report(1, tr("正在读取文件…", "Reading the file…"))
    table = read_table(path)
    if not any(any(_filled(c) for c in cells) for _n, cells in table):
        raise _unusable(f"文件“{Path(path).name}”中没有任何内容", f"The file '{Path(path).name}' has no content")
    parsed = parse_rows(kind, table, report)
    result = ImportResult(kind, str(path), dry_run, parsed.layout.header_row, parsed.data_rows,
                          parsed.duplicate_rows, unknown_columns=parsed.layout.unknown, issues=list(parsed.issues))
    if parsed.data_rows == 0:
        raise _unusable(f"第 {parsed.layout.header_row} 行是表头，但下面没有数据行。",
                        f"Row {parsed.layout.header_row} is the header, but no data rows follow.")
    with database.session() as session:
        conn = session.connection()
        if not dry_run:
            _lock_for_writing(conn)  # what is compared below is read inside the write transaction
        if kind == "trainees":
            _write_trainees(conn, actor, parsed, result, dry_run, cohort_id, report)
        elif kind == "vacancies":
            _write_vacancies(conn, parsed, result, dry_run)
        else:
            _write_placements(conn, parsed, result, dry_run)
        if dry_run:
            session.rollback()
        else:
            report(95, tr("正在提交…", "Committing…"))
            record(session, actor, "import", kind, None, detail=json.dumps(
                {"file": Path(path).name, "data_rows": result.data_rows, "inserted": result.inserted,
                 "updated": result.updated, "unchanged": result.unchanged,
                 "rejected": len(result.rejected_rows)}, ensure_ascii=False))
    if not dry_run and result.inserted >= 1000 and database.backend == "sqlite":
        # Fresh statistics so the planner keeps scanning rather than walking the deleted_at index
        # (a bounded, approximate ANALYZE: milliseconds, not seconds).
        with database.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA analysis_limit=1000")
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    result.issues.sort(key=lambda i: (i.row, i.severity != "error"))
    report(100, tr("完成", "Done"))
    return result


# --- report and templates -----------------------------------------------------------------------

def write_report(result: ImportResult, path: str | Path) -> Path:
    """The row-level report as xlsx: a summary sheet and one row per problem."""
    return write_file(path, lambda tmp: _write_report(result, tmp))


def _write_report(result: ImportResult, path: Path) -> None:
    import xlsxwriter

    # Every text is a string cell: a file name or a header such as "=HYPERLINK(…)" is never a formula.
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                         "strings_to_numbers": False})
    try:
        bold = wb.add_format({"bold": True})
        wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        text = wb.add_format({"num_format": "@", "valign": "top"})
        red = wb.add_format({"font_color": "#B00020", "valign": "top"})
        summary = wb.add_worksheet(tr("导入结果", "Summary"))
        summary.set_column(0, 0, 22)
        summary.set_column(1, 1, 60)
        lines = [
            (tr("文件", "File"), Path(result.path).name),
            (tr("名册类型", "Roster"), tr(*KIND_LABELS[result.kind])),
            (tr("表头所在行", "Header row"), result.header_row),
            (tr("数据行", "Data rows"), result.data_rows),
            (tr("新增", "New"), result.inserted),
            (tr("更新", "Updated"), result.updated),
            (tr("未变", "Unchanged"), result.unchanged),
            (tr("重复行（只计一次）", "Duplicate rows (counted once)"), result.duplicate_rows),
            (tr("拒绝的行", "Rejected rows"), len(result.rejected_rows)),
            (tr("警告", "Warnings"), len(result.warnings)),
            (tr("未识别的列", "Unknown columns"), "、".join(result.unknown_columns)),
            (tr("说明", "Note"), tr("被拒绝的行没有导入，请按“问题明细”改正后重新导入整个文件（已导入的行不会重复）。",
                                  "Rejected rows were not imported; correct them as listed and import the "
                                  "whole file again (rows already in are not duplicated).")),
        ]
        quoted = wb.add_format({"text_wrap": True, "valign": "top", "quote_prefix": True})
        for i, (k, v) in enumerate(lines):
            summary.write_string(i, 0, k, bold)
            if isinstance(v, str):
                summary.write_string(i, 1, v, quoted if formula_like(v) else wrap)
            else:
                summary.write_number(i, 1, v, wrap)
        detail = wb.add_worksheet(tr("问题明细", "Problems"))
        heads = [tr("行号", "Row"), tr("列", "Column"), tr("值", "Value"), tr("原因", "Reason"), tr("类型", "Type")]
        for c, h in enumerate(heads):
            detail.write(0, c, h, bold)
        detail.set_column(0, 0, 8)
        detail.set_column(1, 1, 14)
        detail.set_column(2, 2, 24)
        detail.set_column(3, 3, 70)
        detail.set_column(4, 4, 8)
        detail.freeze_panes(1, 0)
        for r, issue in enumerate(result.issues, start=1):
            fmt = red if issue.severity == "error" else wrap
            detail.write_number(r, 0, issue.row)
            detail.write_string(r, 1, issue.column, quoted if formula_like(issue.column) else text)
            detail.write_string(r, 2, issue.value, quoted if formula_like(issue.value) else text)
            detail.write_string(r, 3, issue.reason, fmt)
            detail.write_string(r, 4, tr("错误（未导入）", "error (not imported)") if issue.severity == "error"
                                else tr("警告", "warning"), fmt)
        detail.autofilter(0, 0, max(1, len(result.issues)), len(heads) - 1)
    finally:
        wb.close()


_RULES = {
    "name": ("必填；少数民族姓名用间隔号 ·", "required"),
    "id_number": ("必填；18位，请把本列设置为“文本”格式", "required; 18 characters, format the column as Text"),
    "gender": ("男/女；可不填，按身份证号确定", "M/F; derived from the ID if empty"),
    "phone": ("11位手机号", "11-digit mobile"),
    "household_type": ("一般户 / 脱贫户 / 监测户", "general / poverty-exited / monitored"),
    "skills": ("家政服务、养老护理、医疗护理、育婴，可填多项，用顿号分隔", "one or more of the four skills"),
    "skill_level": ("五级/初级工 … 一级/高级技师，或数字1–5；无证书可不填", "5 (junior) … 1, empty = none"),
    "mandarin": ("流利 / 一般 / 较差", "fluent / basic / poor"),
    "code": ("必填；唯一", "required; unique"),
    "employer": ("必填", "required"),
    "uscc": ("18位统一社会信用代码", "18-character credit code"),
    "skill": ("家政服务 / 养老护理 / 医疗护理 / 育婴", "one of the four skills"),
    "headcount": ("整数，≥1", "whole number ≥ 1"),
    "board_lodging": ("是 / 否 / 包吃 / 包住 / 包吃住", "yes / no / board / lodging / both"),
    "gender_requirement": ("不限 / 男 / 女", "any / M / F"),
    "contract_type": ("临时 / 长期", "temporary / long-term"),
    "status": ("在招 / 已满 / 关闭；可不填", "open / filled / closed"),
    "vacancy_code": ("必填；须已在登记册中", "required; must exist"),
    "start_date": ("日期，如 2026-03-05", "date, e.g. 2026-03-05"),
    "employment_form": ("临时工 / 职业工", "temporary / skilled"),
}


def write_template(kind: str, path: str | Path) -> Path:
    """An empty roster with the right headers (ID column formatted as text) and a sheet of rules."""
    return write_file(path, lambda tmp: _write_template(kind, tmp))


def _write_template(kind: str, path: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    try:
        head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        req = wb.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1})
        text = wb.add_format({"num_format": 49})  # built-in "@" (Text)
        ws = wb.add_worksheet(tr(*KIND_LABELS[kind]))
        for c, col in enumerate(COLUMNS[kind]):
            ws.write_string(0, c, col.zh, req if col.required else head)
            ws.set_column(c, c, 20 if col.field in ("id_number", "employer", "uscc", "school") else 12,
                          text if col.field in ("id_number", "phone", "uscc", "code", "vacancy_code",
                                                "contact_phone") else None)
        ws.freeze_panes(1, 0)
        rules = wb.add_worksheet(tr("填写说明", "Rules"))
        rules.set_column(0, 1, 18)
        rules.set_column(2, 2, 60)
        for c, h in enumerate((tr("列名", "Column"), tr("英文别名", "Alias"), tr("填写要求", "Rule"))):
            rules.write(0, c, h, head)
        for r, col in enumerate(COLUMNS[kind], start=1):
            zh, en = _RULES.get(col.field, ("必填" if col.required else "可不填", "required" if col.required else "optional"))
            rules.write(r, 0, col.zh)
            rules.write(r, 1, col.field)
            rules.write(r, 2, tr(zh, en))
    finally:
        wb.close()
