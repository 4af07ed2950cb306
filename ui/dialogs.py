"""Small shared dialogs: errors shown as one clear sentence, confirmations."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from core.i18n import UserError

log = logging.getLogger(__name__)


def error_text(exc: BaseException) -> str:
    if isinstance(exc, UserError):
        return str(exc)
    from db.engine import describe_failure, log_path, scrub

    # One sentence naming the cause; the traceback to the log, with ID and phone numbers scrubbed.
    log.error("unexpected error: %s", scrub(getattr(exc, "__lb_traceback__", repr(exc))))
    return str(describe_failure(exc, str(log_path())))


def install_error_hook() -> None:
    """A refusal or failure escaping any button's slot reaches the user as one sentence in a message
    box (the traceback of an unexpected one goes to the log), never only to a console they don't see."""
    import sys
    import traceback

    def hook(kind, exc, tb):  # type: ignore[no-untyped-def]
        if not isinstance(exc, UserError):
            exc.__lb_traceback__ = "".join(traceback.format_exception(kind, exc, tb))
        show_error(QApplication.activeWindow(), exc)

    sys.excepthook = hook


def show_error(parent: QWidget | None, exc: BaseException | str) -> None:
    from core.access import SignedOut
    if isinstance(exc, SignedOut):
        return  # the main window closes and the login dialog says it (ui/main_window.py, ui/app.py)
    text = exc if isinstance(exc, str) else error_text(exc)
    QMessageBox.warning(parent, "LaborBridge", text)


def confirm(parent: QWidget | None, text: str) -> bool:
    answer = QMessageBox.question(parent, "LaborBridge", text,
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes
