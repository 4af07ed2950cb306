"""One way for every write to reach the screen (as Anki's ``aqt.operations``): the write runs off the GUI
thread, returns what it changed (``db.changes.Changes``), and ONE signal announces it with the page it
came from. Every page that shows those records redraws itself (``Page.on_changes``); the status bar too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QWidget

from db.changes import Changes
from db.engine import Database
from ui.tasks import TaskContext, run_task


class Operations(QObject):
    """The app-wide announcer: ``changed(database, changes, origin)``; origin is the widget that acted."""

    changed = Signal(object, object, object)


_hub: Operations | None = None


def hub() -> Operations:
    global _hub
    if _hub is None:
        _hub = Operations()
    return _hub


def changes_of(result: Any) -> Changes:
    """The record a service returned: itself, or its ``.changes`` (ids, counts, reports carry one)."""
    if isinstance(result, Changes):
        return result
    found = getattr(result, "changes", None)
    return found if isinstance(found, Changes) else Changes()


def announce(database: Database, changes: Changes, origin: object = None) -> None:
    if changes:
        hub().changed.emit(database, changes, origin)


def run_op(origin: QWidget, database: Database, fn: Callable[[], Any], *,
           label: str = "") -> tuple[bool, Any, BaseException | None]:
    """Run the write ``fn`` in the background, then announce what it changed; (ok, result, error).

    The caller continues once it is done: meanwhile the event loop keeps running (the window repaints,
    a progress dialog appears after a moment) and the origin is disabled, so a second click cannot
    start a second write."""
    outcome: dict[str, Any] = {}
    loop = QEventLoop()

    def work(_ctx: TaskContext) -> Any:
        return fn()

    def done(result: Any) -> None:
        outcome["result"] = result
        loop.quit()

    def failed(exc: BaseException) -> None:
        outcome["error"] = exc
        loop.quit()

    origin.setEnabled(False)
    QApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)
    try:
        run_task(origin, work, on_done=done, on_error=failed, label=label, cancellable=False)
        if not outcome:
            loop.exec()
    finally:
        QApplication.restoreOverrideCursor()
        origin.setEnabled(True)
    if "error" in outcome:
        return False, None, outcome["error"]
    result = outcome.get("result")
    announce(database, changes_of(result), origin)
    return True, result, None
