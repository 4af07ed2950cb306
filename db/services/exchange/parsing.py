"""Parsing the data rows of a roster: every cell through its column's parser, cross-checks, duplicate keys."""


from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from core.fields import (
    FieldError,
    ResidentId,
    clean_text,
)
from core.i18n import tr
from core.vocab import GENDERS, zh_label
from db.services.exchange.columns import KEY_FIELDS, MAX_DATA_ROWS, PARSERS, Progress
from db.services.exchange.reading import ExcelError, Layout, _filled, _is_footer, _unusable, find_header
from db.services.exchange.results import RowIssue


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
    # Rows with an error or an empty required cell take the cell-by-cell path below; every other row is
    # one dict built from its column values (an empty optional cell is None), with no loop per cell.
    slow: set[int] = set()
    plain_cols = []
    for k, parsed_col in enumerate(parsed_cols):
        slow.update(r for r, v in enumerate(parsed_col) if v.__class__ is not str and (
            isinstance(v, FieldError) or (v is _EMPTY and required[k])))
        plain_cols.append([None if v is _EMPTY else v for v in parsed_col])
    plain_rows = list(zip(*plain_cols)) if plain_cols else [()] * len(data)
    for r, (number, raw) in enumerate(data):
        values: dict[str, Any]
        row_issues: list[RowIssue] = []
        if r not in slow:
            values = dict(zip(fields, plain_rows[r]))
            fields_left: list[str] = []
        else:
            values = {}
            fields_left = fields
        for k, field_name in enumerate(fields_left):
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
        said, by_id = zh_label(GENDERS, given), zh_label(GENDERS, rid.gender)
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
                               zh_label(GENDERS, values["gender_requirement"]),
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
