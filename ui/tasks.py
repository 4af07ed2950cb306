"""Long work off the GUI thread, with progress, cancel and a dialog that appears only after a delay.

Modelled on Anki's ``aqt.operations``: a plain function runs in a worker thread and receives a
:class:`TaskContext` to report progress and ask whether it was cancelled; success and failure
callbacks run back on the GUI thread.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QMainWindow, QProgressDialog, QStatusBar, QWidget

from core.i18n import UserError, tr


class Cancelled(Exception):
    """Raised inside a task when the user pressed cancel."""


class TaskContext:
    """Handed to the task function: progress reports and the cancel flag."""

    def __init__(self, signals: _Signals) -> None:
        self._signals = signals
        self._cancel = threading.Event()

    def progress(self, percent: int, message: str = "") -> None:
        self._signals.progress.emit(int(percent), message)
        if self._cancel.is_set():
            raise Cancelled()

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()


class _Signals(QObject):
    progress = Signal(int, str)
    finished = Signal(object)
    failed = Signal(object)


class _Runnable(QRunnable):
    def __init__(self, fn: Callable[[TaskContext], Any], signals: _Signals, ctx: TaskContext) -> None:
        super().__init__()
        self.fn, self.signals, self.ctx = fn, signals, ctx
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self.fn(self.ctx)
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the GUI thread
            if not isinstance(exc, (UserError, Cancelled)):
                exc.__lb_traceback__ = traceback.format_exc()  # type: ignore[attr-defined]
            self.signals.failed.emit(exc)
        else:
            self.signals.finished.emit(result)


_running: set[_Signals] = set()
_contexts: set[TaskContext] = set()


def _pool() -> QThreadPool:
    pool = QThreadPool.globalInstance()
    # Qt sizes the pool by cores (2 on many office PCs): one long training run would then hold up
    # a print job the user starts meanwhile.
    if pool.maxThreadCount() < 4:
        pool.setMaxThreadCount(4)
    return pool


def cancel_all(wait_ms: int = 10000) -> bool:
    """Ask every running task to stop and wait for the pool (used on exit and between tests)."""
    for ctx in list(_contexts):
        ctx.cancel()
    return QThreadPool.globalInstance().waitForDone(wait_ms)


def run_task(parent: QWidget | None, fn: Callable[[TaskContext], Any], *,
             on_done: Callable[[Any], object] | None = None,
             on_error: Callable[[BaseException], object] | None = None,
             label: str = "", cancellable: bool = True, delay_ms: int = 400, busy: bool = False,
             dialog: bool = True) -> TaskContext:
    """Run ``fn(ctx)`` in the thread pool; the progress dialog shows only if it takes a while.

    ``dialog=False``: a page's own background read (it shows "正在计算…" itself) never raises a modal
    dialog over the page the clerk has just opened.

    ``busy``: a job that reports no progress (one file written) shows that it works from the first
    moment — a busy cursor over the parent and the label in its window's status bar until it ends."""
    signals = _Signals()
    status = _status_bar(parent) if busy else None
    if busy and parent is not None:
        parent.setCursor(Qt.CursorShape.BusyCursor)
        if status is not None:
            status.showMessage(label or tr("正在处理…", "Working…"))
    ctx = TaskContext(signals)
    _running.add(signals)
    _contexts.add(ctx)
    box = QProgressDialog(label or tr("正在处理…", "Working…"),
                          tr("取消", "Cancel") if cancellable else "", 0, 100, parent) if dialog else None
    if box is not None:
        box.setWindowTitle("LaborBridge")
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.setMinimumDuration(delay_ms)
        box.setAutoClose(False)
        box.setAutoReset(False)
        if not cancellable:
            box.setCancelButton(None)
        box.canceled.connect(ctx.cancel)
        box.setValue(0)

    def progress(percent: int, message: str) -> None:
        if box is None:
            return
        if message:
            box.setLabelText(message)
        box.setValue(max(0, min(99, percent)))

    def finish() -> None:
        if busy and parent is not None:
            parent.unsetCursor()
            if status is not None:
                status.clearMessage()
        _running.discard(signals)
        _contexts.discard(ctx)
        if box is not None:
            box.canceled.disconnect(ctx.cancel)
            box.reset()
            box.hide()
            box.deleteLater()

    def done(result: object) -> None:
        finish()
        if on_done:
            on_done(result)

    def failed(exc: BaseException) -> None:
        finish()
        if on_error:
            on_error(exc)
        elif not isinstance(exc, Cancelled):
            from ui.dialogs import show_error
            show_error(parent, exc)

    signals.progress.connect(progress)
    signals.finished.connect(done)
    signals.failed.connect(failed)
    _pool().start(_Runnable(fn, signals, ctx))
    return ctx


def _status_bar(widget: QWidget | None) -> QStatusBar | None:
    window = widget.window() if widget is not None else None
    return window.statusBar() if isinstance(window, QMainWindow) else None


def later(ms: int, fn: Callable[[], None]) -> None:
    QTimer.singleShot(ms, fn)
