"""Shared by the parts of the tracking page: table helpers and the base every part extends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QTabWidget,
)

from core.i18n import tr
from db.services import placements
from ui.dialogs import show_error
from ui.forms import FormDialog
from ui.override_dialog import with_override
from ui.pages.base import Page
from ui.sql_model import SqlTableModel


def _date_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return ""
    return f"{value:%Y-%m-%d}" if hasattr(value, "strftime") else str(value)


def _pct(value: Any) -> str:
    return "" if value is None or pd.isna(value) else f"{float(value) * 100:.1f}%"


def _table(model: Any, *, stretch_last: bool = True, multi: bool = False) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection if multi
                          else QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    # keep the order the data comes in (monitored households first, newest first) until a click
    view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    view.setSortingEnabled(True)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setDefaultSectionSize(26)
    view.horizontalHeader().setStretchLastSection(stretch_last)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.horizontalHeader().setDefaultSectionSize(96)
    return view


def _fit(view: QTableView, cap: int = 260) -> None:
    """Columns as wide as their contents (small tables only), never wider than ``cap``."""
    model = view.model()
    if model is None or model.rowCount() > 2000:
        return
    view.resizeColumnsToContents()
    for col in range(model.columnCount()):
        view.setColumnWidth(col, min(cap, max(60, view.columnWidth(col) + 8)))



class TrackingBase(Page):
    """What the tabs of the tracking page share: the outcome line, dialogs, one write at a time."""

    tabs: QTabWidget
    message: QLabel
    placements_model: SqlTableModel
    _stale_tabs: set[int]
    last_dialog: FormDialog | None

    # Each defined by the part that owns it (see ui/pages/tracking/__init__.py).
    def _load_tab(self, index: int) -> None:
        raise NotImplementedError

    def act_followup(self, placement_id: int | None = None) -> None:
        raise NotImplementedError

    def _select_placement(self, placement_id: int) -> None:
        raise NotImplementedError

    def _button(self, name: str) -> QPushButton:
        button = self.findChild(QPushButton, name)
        if button is None:  # a renamed button must not slip out of its permission gate unnoticed
            raise LookupError(f"TrackingPage has no button {name!r}")
        return button

    def _run(self, fn: Callable[[], Any], *, done: Callable[[], object] | None = None) -> bool:
        """Run a write off the GUI thread (every page showing what it changed redraws); a refusal
        becomes the one-sentence message box. True on success."""
        ok, _result, error = self.operate(fn)
        if not ok:
            assert error is not None
            show_error(self, error)
            return False
        if done:
            done()
        return True

    def _run_overridable(self, call: Callable[[str | None], Any], *, done: Callable[[], object] | None = None) -> bool:
        """A hand proposal, edit or re-placement: as ``_run``, and when an eligibility rule refuses, the
        clerk may place the person by exception with a reason (ui/override_dialog.py)."""
        ok, _result, error = with_override(self, self.actor, self.operate, call)
        if not ok:
            assert error is not None
            show_error(self, error)
            return False
        if done:
            done()
        return True

    def _ask(self, dialog: FormDialog) -> dict[str, Any] | None:
        self.last_dialog = dialog
        ok = dialog.exec() == QDialog.DialogCode.Accepted
        self.last_dialog = None
        return dialog.values() if ok else None

    def tell(self, text: str, *, warn: bool = False) -> None:
        """The outcome of an action: always in the message line; a pop-up too when someone was refused."""
        self.message.setText(text)
        self.message.setStyleSheet("QLabel#action_message { padding: 4px 8px; border-radius: 4px; background: %s; }"
                                   % ("#fff4e5" if warn else "#e6f4ea"))
        self.message.setVisible(True)
        if warn:
            QMessageBox.information(self, "LaborBridge", text)

    def _many_action(self, ids: list[int], title: str, build: Callable[[FormDialog], object],
                     call: Callable[[list[int], dict[str, Any]], placements.ManyResult], verb_zh: str, verb_en: str,
                     *, intro: str = "", after: Callable[[list[int]], str] | None = None) -> None:
        """One dialog for everyone selected, one service call, one summary of what changed and what did not."""
        if not ids:
            show_error(self, tr("请先在表中选择人员（按住 Ctrl 或 Shift 可多选，“全选”选中全部）。",
                                "Select people first (Ctrl- or Shift-click for several, 'Select all' for all)."))
            return
        dlg = FormDialog(self, title, intro or tr(f"共 {len(ids)} 人", f"{len(ids)} selected"))
        build(dlg)
        values = self._ask(dlg)
        if values is None:
            return
        ok, result, error = self.operate(lambda: call(ids, values), label=title)
        if not ok:
            assert error is not None
            show_error(self, error)
            return
        note = after(result.done) if after else ""
        self.tell(result.summary(verb_zh, verb_en) + note, warn=bool(result.refused))

    @staticmethod
    def _date_note(label_zh: str, label_en: str) -> Callable[[FormDialog], object]:
        return lambda d: (d.date("date", tr(label_zh, label_en)), d.line("note", tr("备注", "Note")))

    @staticmethod
    def _arrival_form(d: FormDialog) -> None:
        d.date("date", tr("上岗日期", "Start date"))
        d.number("wage", tr("月收入", "Monthly wage"), suffix=tr(" 元", " yuan"))
        d.line("note", tr("备注", "Note"))

