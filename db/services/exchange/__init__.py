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

import json
from pathlib import Path
from typing import Any

from core.access import Actor, require
from core.i18n import UserError, tr
from db.audit import record
from db.engine import Database
from db.services.exchange.columns import (
    COLUMNS,
    KIND_LABELS,
    KINDS,
    MAX_DATA_ROWS,
    MAX_FILE_BYTES,
    PARSERS,
    Progress,
)
from db.services.exchange.parsing import Parsed, parse_rows
from db.services.exchange.reading import _filled, _unusable, decode_text, read_table
from db.services.exchange.report import write_report, write_template
from db.services.exchange.results import ImportResult, RowIssue
from db.services.exchange.writing import (
    _bulk_update,
    _enrol,
    _lock_for_writing,
    _write_placements,
    _write_trainees,
    _write_vacancies,
)

# What the rest of the program uses of the exchange; each lives in the module named above.
__all__ = ["COLUMNS", "IMPORT_PERMISSION", "KINDS", "KIND_LABELS", "MAX_DATA_ROWS", "MAX_FILE_BYTES", "PARSERS",
           "ImportResult", "RowIssue", "_bulk_update", "_enrol", "decode_text", "import_roster", "importable_kinds",
           "read_roster", "read_table", "write_report", "write_template"]

# --- entry point --------------------------------------------------------------------------------

IMPORT_PERMISSION = {"trainees": "registry.write", "vacancies": "employer.write", "placements": "batch.write"}


def importable_kinds(actor: Actor) -> list[str]:
    """The roster kinds this user may import, in the order of KINDS."""
    return [kind for kind in KINDS if actor.can(IMPORT_PERMISSION[kind])]


def read_roster(kind: str, path: str | Path, report: Progress, *, dry_run: bool = False
                ) -> tuple[Parsed, ImportResult, list[tuple[int, list[Any]]]]:
    """Read a file of any kind in COLUMNS (measured, decoded, header found) and check its rows; no database.
    The households service reads the monitoring system's exports through this too."""
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
    return parsed, result, table


def import_roster(database: Database, kind: str, path: str | Path, actor: Actor, *, dry_run: bool = False,
                  cohort_id: int | None = None, progress: Progress | None = None) -> ImportResult:
    """Read, validate and (unless ``dry_run``) upsert a roster in one transaction. See module doc."""
    if kind not in KINDS:
        raise UserError(f"未知的名册类型“{kind}”（trainees / vacancies / placements）",
                        f"Unknown roster kind '{kind}' (trainees / vacancies / placements)", code=2)
    require(actor, IMPORT_PERMISSION[kind])
    report = progress or (lambda _p, _m: None)
    parsed, result, _table = read_roster(kind, path, report, dry_run=dry_run)
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
