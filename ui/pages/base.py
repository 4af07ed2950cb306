"""What every page of the main window has in common."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from db.engine import Database


class Page(QWidget):
    """A page in the navigation. ``changed`` asks the window to refresh counts."""

    changed = Signal()

    def __init__(self, database: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.database = database

    def refresh(self) -> None:
        """Reload from the database (after an import, demo load, …)."""


class PlaceholderPage(Page):
    """A page whose capability has not landed yet: says so plainly."""

    def __init__(self, database: Database, text: str, parent: QWidget | None = None) -> None:
        super().__init__(database, parent)
        layout = QVBoxLayout(self)
        label = QLabel(text)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        layout.addWidget(label)
