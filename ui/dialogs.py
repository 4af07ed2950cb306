"""Small shared dialogs: errors shown as one clear sentence, confirmations."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QMessageBox, QWidget

from db.i18n import UserError, tr

log = logging.getLogger(__name__)


def error_text(exc: BaseException) -> str:
    if isinstance(exc, UserError):
        return str(exc)
    log.error("unexpected error: %s", getattr(exc, "__lb_traceback__", repr(exc)))
    return tr(f"操作失败：{exc}", f"The operation failed: {exc}")


def show_error(parent: QWidget | None, exc: BaseException | str) -> None:
    text = exc if isinstance(exc, str) else error_text(exc)
    QMessageBox.warning(parent, "LaborBridge", text)


def confirm(parent: QWidget | None, text: str) -> bool:
    answer = QMessageBox.question(parent, "LaborBridge", text,
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes
