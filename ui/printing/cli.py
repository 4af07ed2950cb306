"""`main.py print-list`: the same lists as the dialog, written as PDF and/or xlsx without a screen."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.access import Actor
from core.fields import FieldError, parse_date
from core.i18n import UserError, tr
from db.engine import Database
from db.queries.lookup import find_batch, find_employer
from db.queries.lookup import find_township as check_township
from db.services.lists import ListSelection, build_list, check_columns, write_xlsx
from ui.printing import default_columns
from ui.printing.renderer import ensure_gui_app, save_pdf


def _date(value: str | None, what: str, what_en: str):  # type: ignore[no-untyped-def]
    try:
        return parse_date(value, what, what_en) if value else None
    except FieldError as exc:
        raise UserError(str(exc), str(exc), code=2) from None


def selection_from_args(database: Database, args: argparse.Namespace) -> ListSelection:
    """Resolve the names the user typed into a selection; clear messages for unknown names."""
    if not (args.pdf or args.xlsx):
        raise UserError("请用 --pdf OUT.pdf 或 --xlsx OUT.xlsx 指定输出文件。",
                        "Give an output file with --pdf OUT.pdf or --xlsx OUT.xlsx.", code=2)
    if not (args.batch or args.employer or args.township or args.date_from or args.date_to):
        raise UserError("请用 --batch、--employer、--township 或 --from/--to 选择要打印的名册。",
                        "Choose the list with --batch, --employer, --township or --from/--to.", code=2)
    columns = (check_columns([c.strip() for c in args.columns.split(",") if c.strip()]) if args.columns
               else default_columns())
    with database.session() as session:
        batch_id = find_batch(session, args.batch).id if args.batch else None
        employer_id = find_employer(session, args.employer).id if args.employer else None
        township = check_township(session, args.township) if args.township else None
    return ListSelection(batch_id=batch_id, employer_id=employer_id, township=township,
                         date_from=_date(args.date_from, "开始日期", "start date"),
                         date_to=_date(args.date_to, "结束日期", "end date"),
                         columns=columns, full_numbers=bool(args.full_ids),
                         bureau=args.bureau or "")  # empty: the database's bureau.name


def print_list(args: argparse.Namespace, database: Database, actor: Actor) -> int:
    try:
        selection = selection_from_args(database, args)
        plist = build_list(database, actor, selection)
        written: list[Path] = []
        if args.pdf:
            ensure_gui_app()
            written.append(save_pdf(database, actor, plist, args.pdf))
        if args.xlsx:
            written.append(write_xlsx(database, actor, plist, args.xlsx))
    finally:
        database.dispose()
    for path in written:
        print(tr(f"已写入 {path}（{plist.title}，{len(plist.rows)} 人"
                 f"{'，含完整身份证号，已记入审计日志' if plist.full_numbers else ''}）",
                 f"Wrote {path} ({plist.title}, {len(plist.rows)} people"
                 f"{', full ID numbers, audited' if plist.full_numbers else ''})"))
    return 0
