"""What every page of the main window has in common."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTableView, QWidget

from core.access import Actor
from db.changes import Changes
from db.engine import Database
from ui.operations import announce, hub, run_op
from ui.permissions import gate


class Page(QWidget):
    """A page in the navigation, built for the signed-in user.

    Writes go through :meth:`operate` (off the GUI thread; what changed is announced once, app-wide);
    a page lists the tables it ``shows`` and redraws when an announcement touches one of them — at
    once when on screen, else the next time it is shown."""

    shows: frozenset[str] = frozenset()

    def __init__(self, database: Database, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.database = database
        self.actor = actor  # from the first query on: a page never shows more than its user may see
        self._pending = Changes()
        hub().changed.connect(self._on_changes)

    def refresh(self) -> None:
        """Reload from the database (after an import, demo load, …)."""

    def redraw(self, changes: Changes, origin: object) -> None:
        """Show what ``changes`` changed; by default everything is read again."""
        self.refresh()

    def announce(self, changes: Changes) -> None:
        announce(self.database, changes, self)

    def operate(self, fn: Callable[[], Any], *, label: str = "") -> tuple[bool, Any, BaseException | None]:
        """Run a write off the GUI thread and announce what it changed: (ok, result, error)."""
        return run_op(self, self.database, fn, label=label)

    def _on_changes(self, database: object, changes: Changes, origin: object) -> None:
        if database is not self.database or not changes.touches(*self.shows):
            return
        if self.isVisible():
            self.redraw(changes, origin)
        else:
            self._pending = self._pending.merge(changes)

    # A pending debounce (search typed just before the page was hidden) waits until the page is
    # shown again: a hidden page — or one whose window is closing — does not query the database.
    def hideEvent(self, event: object) -> None:  # noqa: N802 - Qt name
        # Only the page's own timers (debounces): a progress dialog's timer belongs to the dialog and may
        # be deleted with it before the page is shown again.
        self._paused_timers = [t for t in self.findChildren(QTimer, options=Qt.FindChildOption.FindDirectChildrenOnly)
                               if t.isActive()]
        for timer in self._paused_timers:
            timer.stop()
        super().hideEvent(event)  # type: ignore[arg-type]

    def showEvent(self, event: object) -> None:  # noqa: N802 - Qt name
        for timer in getattr(self, "_paused_timers", []):
            if shiboken6.isValid(timer):
                timer.start()
        self._paused_timers = []
        super().showEvent(event)  # type: ignore[arg-type]
        pending, self._pending = self._pending, Changes()
        if pending:
            self.redraw(pending, None)
        if not getattr(self, "_headers_fitted", False):
            self._headers_fitted = True
            fit_headers(self)


def fit_headers(widget: QWidget) -> None:
    """Widen any table column narrower than its header text, now and whenever its model is reloaded:
    widths chosen for Chinese headers must not cut "Open vacancies" or "Headcount" in English."""
    for view in widget.findChildren(QTableView):
        _fit_view(view)
        model = view.model()
        if model is not None and not view.property("fits_headers"):
            view.setProperty("fits_headers", True)
            # After the page's own handler has set its widths for the new data.
            model.modelReset.connect(lambda v=view: QTimer.singleShot(0, lambda: _fit_view(v)))
            model.layoutChanged.connect(lambda *_a, v=view: QTimer.singleShot(0, lambda: _fit_view(v)))


def _fit_view(view: QTableView) -> None:
    header = view.horizontalHeader()
    model = view.model()
    if model is None or header.isHidden():
        return
    for col in range(model.columnCount()):
        wanted = header.sectionSizeFromContents(col).width()
        if view.columnWidth(col) < wanted and not view.isColumnHidden(col):
            view.setColumnWidth(col, wanted)


class EmptyHint(QWidget):
    """What an empty page says to do first, with the buttons that do it (gated like the page's own)."""

    def __init__(self, actor: Actor, text: str, buttons: list[tuple[str, str, str, Callable[[], object]]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("empty_hint")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)  # a plain QWidget draws no background
        self.setStyleSheet("QWidget#empty_hint { background: #eef4fb; border: 1px solid #c5d7ea; border-radius: 6px; }")
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 10, 12, 10)
        self.label = QLabel(text)
        self.label.setObjectName("empty_hint_text")
        self.label.setWordWrap(True)
        self.label.setStyleSheet("font-size: 14px; border: none;")
        row.addWidget(self.label, 1)
        self.buttons: dict[str, QPushButton] = {}
        for name, label, permission, slot in buttons:
            button = QPushButton(label)
            button.setObjectName(name)
            button.clicked.connect(lambda _c=False, s=slot: s())
            gate(actor, permission, button)
            row.addWidget(button)
            self.buttons[name] = button
        self.hide()
