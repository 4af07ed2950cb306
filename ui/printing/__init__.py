"""Printing placement lists: one QPainter renderer for preview, paper and PDF, and the print dialog."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from core.access import Actor
from db.services.lists import DEFAULT_COLUMNS, LIST_COLUMNS
from ui.settings import Settings

if TYPE_CHECKING:
    from db.engine import Database
    from ui.printing.dialog import PrintListDialog


def default_columns() -> tuple[str, ...]:
    """The columns chosen in settings (``print/columns``), else every column."""
    chosen = set(Settings().list_columns)
    return tuple(k for k in LIST_COLUMNS if k in chosen) or DEFAULT_COLUMNS


def open_print_dialog(parent, database: Database, actor: Actor, *, batch_id: int | None = None,  # type: ignore[no-untyped-def]
                      employer_id: int | None = None) -> PrintListDialog:
    """Open the print-list dialog (window-modal, non-blocking) preset to a batch or an employer."""
    from ui.printing.dialog import PrintListDialog

    dialog = PrintListDialog(database, actor, parent, batch_id=batch_id, employer_id=employer_id)
    dialog.open()
    return dialog


def write_batch_pdf(database: Database, batch_name: str, out: str | os.PathLike[str], *, actor: Actor,
                    full_numbers: bool = False, bureau: str | None = None) -> Path:
    """The roster of a batch as PDF (what `main.py print-list --batch NAME --pdf OUT` writes)."""
    from db.queries.lookup import find_batch
    from db.services.lists import ListSelection, build_list
    from ui.printing.renderer import ensure_gui_app, save_pdf

    ensure_gui_app()
    with database.session() as session:
        batch_id = find_batch(session, batch_name).id
    plist = build_list(database, actor, ListSelection(batch_id=batch_id, full_numbers=full_numbers,
                                                      columns=default_columns(), bureau=bureau or ""))  # empty: the database's bureau.name
    return save_pdf(database, actor, plist, out)


__all__ = ["default_columns", "open_print_dialog", "write_batch_pdf"]
