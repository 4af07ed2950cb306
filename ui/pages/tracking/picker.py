"""加入岗位: the picker of vacancies offered to a batch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from core.i18n import tr
from core.placement import start_passed
from ui.frame_model import FrameTableModel
from ui.pages.tracking.common import _date_text, _table


class PickModel(FrameTableModel):
    """Open vacancies with a tick box on the code, the full text of every cell as its tooltip, and
    those whose start date has passed marked."""

    def __init__(self, columns: list[tuple[str, str]], parent: Any, formatters: dict[str, Callable[[Any], str]]) -> None:
        super().__init__(columns, parent, formatters=formatters)
        self.checked: set[str] = set()

    def flags(self, index: Any) -> Qt.ItemFlag:
        flags = super().flags(index)
        return flags | Qt.ItemFlag.ItemIsUserCheckable if index.column() == 0 else flags

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.row(index.row())
        if role == Qt.ItemDataRole.CheckStateRole and index.column() == 0:
            return Qt.CheckState.Checked if str(row["code"]) in self.checked else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ToolTipRole:
            return super().data(index, Qt.ItemDataRole.DisplayRole)
        if role == Qt.ItemDataRole.ForegroundRole and bool(row.get("started", False)):
            return QColor("#a15c00")
        return super().data(index, role)

    def setData(self, index: Any, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802 - Qt name
        if role != Qt.ItemDataRole.CheckStateRole or index.column() != 0:
            return False
        code = str(self.row(index.row())["code"])
        if Qt.CheckState(value) == Qt.CheckState.Checked:
            self.checked.add(code)
        else:
            self.checked.discard(code)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        return True


class VacancyPicker(QDialog):
    """加入岗位: find by code, employer or title; tick any number. Lists every offered vacancy (open
    with a seat left, db.rules.vacancy_open_expr); those past their start date are marked (已过)."""

    def __init__(self, parent: QWidget, frame: pd.DataFrame) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("加入岗位", "Add vacancies"))
        self.resize(980, 520)
        today = dt.date.today()
        frame = frame.copy()
        frame["started"] = [start_passed(d, today) for d in frame.get("start_date", [])]
        self.frame = frame
        self.model = PickModel([("code", tr("岗位编号", "Code")), ("employer", tr("用人单位", "Employer")),
                                ("title", tr("岗位", "Title")), ("skill_label", tr("技能", "Skill")),
                                ("city", tr("城市", "City")), ("remaining", tr("剩余名额", "Seats left")),
                                ("start_date", tr("到岗日期", "Start"))], self,
                               formatters={"start_date": lambda v: _date_text(v) + (tr("（已过）", " (passed)")
                                                                                    if start_passed(v, today) else "")})
        self.view = _table(self.model, multi=True)
        self.view.setObjectName("open_vacancy_table")
        self.view.setWordWrap(False)
        self.search = QLineEdit()
        self.search.setObjectName("vacancy_search")
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText(tr("查找：岗位编号、用人单位或岗位名称", "Find: code, employer or title"))
        self.search.textChanged.connect(lambda _t: self.apply())
        # Every offered vacancy is listed (as 匹配 lists them); those past their start date are marked.
        self.hide_started = QCheckBox(tr("隐藏到岗日期已过的岗位", "Hide vacancies whose start date has passed"))
        self.hide_started.setObjectName("hide_started")
        self.hide_started.toggled.connect(lambda _on: self.apply())
        self.count = QLabel()
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(tr("勾选要加入本批次的在招岗位（可勾选多个；也可按住 Ctrl/Shift 选中多行）：",
                                "Tick the open vacancies for this batch (or Ctrl/Shift-select rows):")))
        row = QHBoxLayout()
        row.addWidget(self.search, 1)
        row.addWidget(self.hide_started)
        lay.addLayout(row)
        lay.addWidget(self.view, 1)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        box.button(QDialogButtonBox.StandardButton.Ok).setText(tr("加入所选岗位", "Add the chosen"))
        box.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("取消", "Cancel"))
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count, 1)
        bottom.addWidget(box)
        lay.addLayout(bottom)
        self.model.dataChanged.connect(lambda *_: self._update_count())
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_count())
        self.apply()

    def apply(self) -> None:
        text = self.search.text().strip().lower()
        frame = self.frame
        if self.hide_started.isChecked():
            frame = frame[~frame["started"]]
        if text:
            hay = (frame["code"].astype(str) + " " + frame["employer"].astype(str) + " " + frame["title"].astype(str)).str.lower()
            frame = frame[hay.str.contains(text, regex=False)]
        self.model.set_frame(frame)
        self.view.resizeColumnsToContents()
        self.view.setColumnWidth(1, max(self.view.columnWidth(1), 260))
        self._update_count()

    def chosen_codes(self) -> list[str]:
        selected = [str(self.model.row(i.row())["code"]) for i in self.view.selectionModel().selectedRows()]
        return list(dict.fromkeys([c for c in self.frame["code"].astype(str) if c in self.model.checked] + selected))

    def _update_count(self) -> None:
        hidden = int(self.frame["started"].sum()) if self.hide_started.isChecked() else 0
        self.count.setText(tr(f"显示 {self.model.rowCount()} 个岗位，已选 {len(self.chosen_codes())} 个"
                              + (f"；{hidden} 个到岗日期已过的未显示" if hidden else ""),
                              f"{self.model.rowCount()} shown, {len(self.chosen_codes())} chosen"
                              + (f"; {hidden} past their start date hidden" if hidden else "")))

