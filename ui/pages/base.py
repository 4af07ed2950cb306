"""What every page of the main window has in common."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QTableView, QWidget

from core.access import Actor
from db.engine import Database


class Page(QWidget):
    """A page in the navigation, built for the signed-in user. ``changed`` asks the window to refresh counts."""

    changed = Signal()

    def __init__(self, database: Database, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.database = database
        self.actor = actor  # from the first query on: a page never shows more than its user may see

    def refresh(self) -> None:
        """Reload from the database (after an import, demo load, …)."""

    # A pending debounce (search typed just before the page was hidden) waits until the page is
    # shown again: a hidden page — or one whose window is closing — does not query the database.
    def hideEvent(self, event: object) -> None:  # noqa: N802 - Qt name
        self._paused_timers = [t for t in self.findChildren(QTimer) if t.isActive()]
        for timer in self._paused_timers:
            timer.stop()
        super().hideEvent(event)  # type: ignore[arg-type]

    def showEvent(self, event: object) -> None:  # noqa: N802 - Qt name
        for timer in getattr(self, "_paused_timers", []):
            timer.start()
        self._paused_timers = []
        super().showEvent(event)  # type: ignore[arg-type]
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
