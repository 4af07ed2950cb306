"""What every page of the main window has in common."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QWidget

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
