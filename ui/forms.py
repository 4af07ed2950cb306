"""A form whose every field has a red message line under it (inline validation).

Widgets are read as text (dates too: people type 2024.3.5 or 2024年3月5日 and the db/ rules parse
them), so the messages come from the same rules as the Excel import.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar, cast

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.i18n import UserError, tr
from db.services.registry import FormErrors
from ui.dialogs import show_error

ERROR_STYLE = "color: #b00020; font-size: 12px;"


T = TypeVar("T")


def date_hint() -> str:
    """The placeholder of a typed date: the format, which cannot be mistaken for a date already filled in."""
    return tr("年-月-日（YYYY-MM-DD）", "YYYY-MM-DD")


def picked_date(edit: QDateEdit) -> dt.date:
    """The date shown in ``edit``. PySide6 types QDate.toPython() as ``object`` (one name serves
    QDate, QTime and QDateTime); for a QDate it is a datetime.date."""
    return cast(dt.date, edit.date().toPython())


class FieldForm(QWidget):
    """Rows of (label, widget, message). ``values()`` returns text per key; ``show_errors`` marks."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout_ = QFormLayout(self)
        self.layout_.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.widgets: dict[str, QWidget] = {}
        self.messages: dict[str, QLabel] = {}

    def _add(self, key: str, label: str, widget: QWidget, required: bool = False) -> QWidget:
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(1)
        lay.addWidget(widget)
        message = QLabel()
        message.setObjectName(f"error_{key}")
        message.setStyleSheet(ERROR_STYLE)
        message.setWordWrap(True)
        message.hide()
        lay.addWidget(message)
        self.layout_.addRow(label + (" *" if required else ""), box)
        self.widgets[key] = widget
        self.messages[key] = message
        return widget

    def line(self, key: str, label: str, required: bool = False, placeholder: str = "") -> QLineEdit:
        """A text field; a date field gets the greyed format hint from :func:`date_hint` as placeholder."""
        edit = QLineEdit()
        edit.setObjectName(f"field_{key}")
        edit.setPlaceholderText(placeholder)
        self._add(key, label, edit, required)
        return edit

    def combo(self, key: str, label: str, items: Sequence[str | tuple[str, str]], editable: bool = False,
              required: bool = False) -> QComboBox:
        """Items are texts, or (value, label) pairs whose value is what the form returns."""
        combo = QComboBox()
        combo.setObjectName(f"field_{key}")
        combo.setEditable(editable)
        for item in items:
            if isinstance(item, tuple):
                combo.addItem(item[1], item[0])
            else:
                combo.addItem(item)
        self._add(key, label, combo, required)
        return combo

    def text(self, key: str, label: str) -> QPlainTextEdit:
        edit = QPlainTextEdit()
        edit.setObjectName(f"field_{key}")
        edit.setFixedHeight(54)
        self._add(key, label, edit)
        return edit

    def checks(self, key: str, label: str, items: Sequence[tuple[str, str]]) -> QWidget:
        """Check boxes (value, text); the value read is the texts joined with 、."""
        box = QWidget()
        box.setObjectName(f"field_{key}")
        lay = QHBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        box.boxes = []  # type: ignore[attr-defined]
        for value, text in items:
            cb = QCheckBox(text)
            cb.setProperty("value", value)
            lay.addWidget(cb)
            box.boxes.append(cb)  # type: ignore[attr-defined]
        lay.addStretch(1)
        self._add(key, label, box)
        return box

    def value(self, key: str) -> str:
        w = self.widgets[key]
        if isinstance(w, QLineEdit):
            return w.text()
        if isinstance(w, QComboBox):
            data = w.currentData()
            return str(data) if data is not None and not w.isEditable() else w.currentText()
        if isinstance(w, QPlainTextEdit):
            return w.toPlainText()
        if hasattr(w, "boxes"):
            return "、".join(cb.text() for cb in w.boxes if cb.isChecked())
        raise KeyError(key)

    def set_value(self, key: str, value: Any) -> None:
        w = self.widgets[key]
        text = "" if value is None else str(value)
        if isinstance(w, QLineEdit):
            w.setText(text)
        elif isinstance(w, QComboBox):
            i = w.findData(text) if text else -1
            i = i if i >= 0 else w.findText(text)
            if i >= 0:
                w.setCurrentIndex(i)
            elif w.isEditable():
                w.setEditText(text)
        elif isinstance(w, QPlainTextEdit):
            w.setPlainText(text)
        elif hasattr(w, "boxes"):
            chosen = set(value or [])
            for cb in w.boxes:
                cb.setChecked(cb.property("value") in chosen)

    def values(self) -> dict[str, str]:
        return {k: self.value(k) for k in self.widgets}

    def submit(self, action: Callable[[], T]) -> tuple[bool, T | None]:
        """Run a save: per-field refusals go under their fields, any other one in a message box."""
        try:
            result = action()
        except FormErrors as exc:
            self.show_errors(exc.errors)
            return False, None
        except UserError as exc:
            show_error(self.window(), exc)
            return False, None
        self.show_errors({})
        return True, result

    def show_errors(self, errors: Mapping[str, str]) -> None:
        for key, label in self.messages.items():
            message = errors.get(key)
            label.setText(message or "")
            label.setVisible(bool(message))
            w = self.widgets[key]
            w.setStyleSheet("border: 1px solid #b00020;" if message and not hasattr(w, "boxes") else "")

    def error_text(self, key: str) -> str:
        label = self.messages[key]
        return label.text() if not label.isHidden() else ""


class FormDialog(QDialog):
    """A small dialog of typed fields — dates (picked, read with :func:`picked_date`), numbers, text and
    choices — for the one-step actions of the tracking page; ``values()`` after accept."""

    def __init__(self, parent: QWidget | None, title: str, intro: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(380)
        layout = QVBoxLayout(self)
        if intro:
            label = QLabel(intro)
            label.setWordWrap(True)
            layout.addWidget(label)
        self.form = QFormLayout()
        layout.addLayout(self.form)
        self.fields: dict[str, QWidget] = {}
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("确定", "OK"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("取消", "Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def date(self, key: str, label: str, value: dt.date | None = None) -> QDateEdit:
        w = QDateEdit()
        w.setCalendarPopup(True)
        w.setDisplayFormat("yyyy-MM-dd")
        day = value or dt.date.today()
        w.setDate(QDate(day.year, day.month, day.day))
        return self._add(key, label, w)

    def number(self, key: str, label: str, value: int = 0, maximum: int = 100_000, suffix: str = "") -> QSpinBox:
        w = QSpinBox()
        w.setRange(0, maximum)
        w.setSingleStep(100)
        w.setValue(value)
        if suffix:
            w.setSuffix(suffix)
        w.setSpecialValueText(tr("（不填）", "(none)"))
        return self._add(key, label, w)

    def line(self, key: str, label: str, value: str = "", placeholder: str = "") -> QLineEdit:
        w = QLineEdit(value)
        w.setPlaceholderText(placeholder)
        return self._add(key, label, w)

    def choice(self, key: str, label: str, items: list[tuple[Any, str]], current: Any = None) -> QComboBox:
        w = QComboBox()
        for data, text in items:
            w.addItem(text, data)
        if current is not None:
            w.setCurrentIndex(max(0, w.findData(current)))
        return self._add(key, label, w)

    def _add(self, key: str, label: str, widget: Any) -> Any:
        widget.setObjectName(f"field_{key}")
        self.form.addRow(label, widget)
        self.fields[key] = widget
        return widget

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, w in self.fields.items():
            if isinstance(w, QDateEdit):
                out[key] = picked_date(w)
            elif isinstance(w, QSpinBox):
                out[key] = w.value() or None
            elif isinstance(w, QComboBox):
                out[key] = w.currentData()
            elif isinstance(w, QLineEdit):
                out[key] = w.text().strip()
        return out

