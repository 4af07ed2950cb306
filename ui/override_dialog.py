"""破例加入: when an eligibility rule refuses a person the clerk picked by hand, show the rule's sentence
and, for a role holding ``placement.override``, let them place the person anyway with a reason.
The reason is stored on the placement, audited and printed on the list (db/services/placements.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from core.access import Actor
from core.i18n import UserError, tr
from db.services.placements import OVERRIDE_MAX, NotEligible


class OverrideDialog(QDialog):
    """Asks why the person is placed although a rule refuses; OK only once a reason is typed."""

    def __init__(self, parent: QWidget | None, refusal: str) -> None:
        super().__init__(parent)
        self.setObjectName("override_dialog")
        self.setWindowTitle(tr("破例加入", "Place by exception"))
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        why = QLabel(refusal)
        why.setWordWrap(True)
        layout.addWidget(why)
        hint = QLabel(tr("请写明破例的原因（如：健康证正在办理，出发前补交）。原因会打印在名册上（※），并记入审计日志。",
                         "Give the reason for the exception (e.g. the health certificate is on its way). It is "
                         "printed on the list (※) and kept in the audit log."))
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.reason_edit = QLineEdit()
        self.reason_edit.setObjectName("override_reason")
        self.reason_edit.setMaxLength(OVERRIDE_MAX)
        self.reason_edit.setPlaceholderText(tr("破例原因（必填）", "Reason (required)"))
        layout.addWidget(self.reason_edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(tr("破例加入", "Place by exception"))
        self.ok_button.setObjectName("btn_override_ok")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("取消", "Cancel"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.reason_edit.textChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        self.ok_button.setEnabled(bool(self.reason().strip()))

    def reason(self) -> str:
        return self.reason_edit.text().strip()


def ask_override(parent: QWidget | None, actor: Actor, refusal: NotEligible) -> str | None:
    """Show the refusal; the reason of a 破例加入 when the clerk chooses one, else None."""
    box = QMessageBox(QMessageBox.Icon.Warning, tr("不符合岗位条件", "Does not meet the conditions"), str(refusal),
                      QMessageBox.StandardButton.NoButton, parent)
    box.setObjectName("override_refusal")
    box.setInformativeText(tr("如确有必要，可以破例加入，但须写明原因。",
                              "If it must be, the person can be placed by exception, with a reason."))
    override = box.addButton(tr("破例加入…", "Place by exception…"), QMessageBox.ButtonRole.AcceptRole)
    override.setObjectName("btn_override")
    override.setEnabled(actor.can("placement.override"))
    cancel = box.addButton(tr("取消", "Cancel"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(cancel)
    box.exec()
    if box.clickedButton() is not override or not actor.can("placement.override"):
        return None
    dialog = OverrideDialog(parent, str(refusal))
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.reason() or None


Outcome = tuple[bool, Any, BaseException | None]


def with_override(parent: QWidget | None, actor: Actor, run: Callable[[Callable[[], object]], Outcome],
                  call: Callable[[str | None], object]) -> Outcome:
    """``run(call(None))`` (``run`` is the page's write, off the GUI thread); when an eligibility rule
    refuses, offer 破例加入 here on the GUI thread and ``run(call(reason))``. Other refusals, and a refusal
    the clerk lets stand, come back as the error (so nothing reports success when nothing was done)."""
    ok, result, error = run(lambda: call(None))
    if ok or not isinstance(error, NotEligible) or not actor.can("placement.override"):
        return ok, result, error
    reason = ask_override(parent, actor, error)
    if reason is None:
        return False, None, UserError("已取消：未破例加入，未作任何改动。",
                                      "Cancelled: not placed by exception; nothing was changed.")
    return run(lambda: call(reason))
