"""What every page of the main window has in common."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from core.access import SYSTEM, Actor
from db.engine import Database


class Page(QWidget):
    """A page in the navigation. ``changed`` asks the window to refresh counts."""

    changed = Signal()

    def __init__(self, database: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.database = database

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

    _actor: Actor | None = None

    @property
    def actor(self) -> Actor:
        """The signed-in user: given to the page, else kept by the main window (else SYSTEM)."""
        if self._actor is not None:
            return self._actor
        window = self.window()
        if window is self or isinstance(window, Page):
            return SYSTEM
        return getattr(window, "actor", None) or SYSTEM

    @actor.setter
    def actor(self, value: Actor) -> None:
        self._actor = value


class PlaceholderPage(Page):
    """A page whose capability has not landed yet: says so plainly."""

    def __init__(self, database: Database, text: str, parent: QWidget | None = None) -> None:
        super().__init__(database, parent)
        layout = QVBoxLayout(self)
        label = QLabel(text)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        layout.addWidget(label)
