"""Reading a roster file: measured before it is read (hostile workbooks), decoded, its header found."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.fields import (
    clean_text,
    unquote_cell,
)
from core.i18n import UserError
from db.services.exchange.columns import (
    COLUMNS,
    HEADER_SCAN_ROWS,
    KEY_FIELDS,
    MAX_FILE_BYTES,
    MAX_SHEET_CELLS,
    MAX_SHEET_COLS,
    MAX_SHEET_ROWS,
    MAX_UNZIPPED_BYTES,
    MAX_ZIP_RATIO,
    Col,
    _header_lookup,
    _norm_header,
)

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


_ONLY_STR = frozenset((str,))


def _sheet_rows(sheet: Any) -> list[tuple[int, list[Any]]]:
    """(Excel row number, cells from column A) row by row, each repeated value kept once: a roster
    repeats townships, skills and dates thousands of times, and one object per cell would double
    the memory a large file needs."""
    pad = [None] * (sheet.start[1] if sheet.start else 0)  # iter_rows starts at the first used column
    caches: dict[type, dict[Any, Any]] = {str: {}, float: {}, int: {}, dt.datetime: {}, dt.date: {},
                                         dt.time: {}, dt.timedelta: {}}
    # Text is nearly every cell: its dict is looked up once, not per cell (a third of the reading time).
    text = caches.pop(str).setdefault
    others = {kind: cache.setdefault for kind, cache in caches.items()}
    rows = []
    for i, values in enumerate(sheet.iter_rows()):
        if _ONLY_STR.issuperset(map(type, values)):
            cells = list(map(text, values, values))  # a row of text only: no Python-level loop
        else:
            cells = [text(c, c) if c.__class__ is str else
                     (others[c.__class__](c, c) if c.__class__ in others else c) for c in values]
        rows.append((i + 1, pad + cells if pad else cells))
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
        if "field larger than field limit" in str(exc):
            limit = csv.field_size_limit()
            raise _unusable(
                f"文件“{path.name}”第 {reader.line_num:,} 行附近有一个单元格过大（超过 {limit:,} 个字符），不像名册内容，"
                "未导入。请检查该行（可能是粘贴进去的大段文字），删除后再导入。",
                f"The file '{path.name}' has an oversized cell (more than {limit:,} characters) near line "
                f"{reader.line_num:,}; it does not look like roster content and nothing was imported. Check that "
                "row (perhaps a pasted block of text), remove it and import again.") from None
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
