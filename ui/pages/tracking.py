"""派遣与跟踪: departure batches (plan → review → confirm), placements by batch / employer / township
with each worker's timeline, follow-ups due and early-warning alerts. Every button calls db.services.batches."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any

import pandas as pd
from PySide6.QtCore import QDate, QItemSelectionModel, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core import policy, vocab
from core.access import Actor
from core.fields import mask_id
from core.i18n import UserError, tr
from core.vocab import household_label
from db.engine import Database
from db.queries import placements as placement_queries
from db.services import batches, followup, placements
from ui.dialogs import confirm as ask_yes_no
from ui.dialogs import show_error
from ui.forms import picked_date
from ui.frame_model import FrameTableModel
from ui.pages.base import Page
from ui.permissions import gate
from ui.sql_model import ModelColumn, SqlTableModel
from ui.tasks import TaskContext, run_task


def _date_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return ""
    return f"{value:%Y-%m-%d}" if hasattr(value, "strftime") else str(value)


def _pct(value: Any) -> str:
    return "" if value is None or pd.isna(value) else f"{float(value) * 100:.1f}%"


def _table(model: Any, *, stretch_last: bool = True, multi: bool = False) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection if multi
                          else QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    # keep the order the data comes in (monitored households first, newest first) until a click
    view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    view.setSortingEnabled(True)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setDefaultSectionSize(26)
    view.horizontalHeader().setStretchLastSection(stretch_last)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.horizontalHeader().setDefaultSectionSize(96)
    return view


def _fit(view: QTableView, cap: int = 260) -> None:
    """Columns as wide as their contents (small tables only), never wider than ``cap``."""
    model = view.model()
    if model is None or model.rowCount() > 2000:
        return
    view.resizeColumnsToContents()
    for col in range(model.columnCount()):
        view.setColumnWidth(col, min(cap, max(60, view.columnWidth(col) + 8)))



def plan_comparison(best: float, greedy: float) -> str:
    """"预计 180 天稳岗 22.2 人；比逐个挑选最高分多 0.1 人。" — rounded once, so the figures shown add up,
    and the difference named only when it shows at that precision."""
    b, g = round(best, 1), round(greedy, 1)
    diff = round(b - g, 1)
    text = tr(f"预计 180 天稳岗 {b:.1f} 人；", f"Expected retained at 180 days: {b:.1f}; ")
    if diff > 0:
        return text + tr(f"比逐个挑选最高分（贪心，{g:.1f} 人）多 {diff:.1f} 人。",
                         f"{diff:.1f} more than picking the best score one by one (greedy, {g:.1f}).")
    if diff < 0:  # pins or forbids can cost expected retention: say so plainly
        return text + tr(f"比逐个挑选最高分（贪心，{g:.1f} 人）少 {-diff:.1f} 人（锁定/排除所致）。",
                         f"{-diff:.1f} fewer than the greedy pick ({g:.1f}), because of pins or forbids.")
    return text + tr("与逐个挑选最高分（贪心）结果相同。", "The same as picking the best score one by one (greedy).")


def _priority_weights() -> dict[str, float] | None:
    """None: the plan uses the bureau-wide weights in the database, the same as the command line."""
    return None

class FormDialog(QDialog):
    """A small form: dates, numbers, text and choices; ``values()`` after accept."""

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
    """加入岗位: find by code, employer or title; tick any number; vacancies whose start date has
    passed are hidden unless asked for, and marked when shown."""

    def __init__(self, parent: QWidget, frame: pd.DataFrame) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("加入岗位", "Add vacancies"))
        self.resize(980, 520)
        today = dt.date.today()
        frame = frame.copy()
        frame["started"] = [isinstance(d, dt.date) and d < today for d in frame.get("start_date", [])]
        self.frame = frame
        self.model = PickModel([("code", tr("岗位编号", "Code")), ("employer", tr("用人单位", "Employer")),
                                ("title", tr("岗位", "Title")), ("skill_label", tr("技能", "Skill")),
                                ("city", tr("城市", "City")), ("remaining", tr("剩余名额", "Seats left")),
                                ("start_date", tr("到岗日期", "Start"))], self,
                               formatters={"start_date": lambda v: _date_text(v) + (tr("（已过）", " (passed)")
                                                                                    if isinstance(v, dt.date) and v < today else "")})
        self.view = _table(self.model, multi=True)
        self.view.setObjectName("open_vacancy_table")
        self.view.setWordWrap(False)
        self.search = QLineEdit()
        self.search.setObjectName("vacancy_search")
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText(tr("查找：岗位编号、用人单位或岗位名称", "Find: code, employer or title"))
        self.search.textChanged.connect(lambda _t: self.apply())
        self.show_started = QCheckBox(tr("显示到岗日期已过的岗位", "Show vacancies whose start date has passed"))
        self.show_started.setObjectName("show_started")
        self.show_started.toggled.connect(lambda _on: self.apply())
        self.count = QLabel()
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(tr("勾选要加入本批次的在招岗位（可勾选多个；也可按住 Ctrl/Shift 选中多行）：",
                                "Tick the open vacancies for this batch (or Ctrl/Shift-select rows):")))
        row = QHBoxLayout()
        row.addWidget(self.search, 1)
        row.addWidget(self.show_started)
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
        if not self.show_started.isChecked():
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
        hidden = int(self.frame["started"].sum()) if not self.show_started.isChecked() else 0
        self.count.setText(tr(f"显示 {self.model.rowCount()} 个岗位，已选 {len(self.chosen_codes())} 个"
                              + (f"；{hidden} 个到岗日期已过的未显示" if hidden else ""),
                              f"{self.model.rowCount()} shown, {len(self.chosen_codes())} chosen"
                              + (f"; {hidden} past their start date hidden" if hidden else "")))


class TrackingPage(Page):
    """Batches, placements, follow-ups due and alerts on four tabs."""

    def __init__(self, database: Database, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(database, actor, parent)
        self._candidates: pd.DataFrame | None = None
        self._plan: batches.PlanResult | None = None
        self._pins: set[tuple[int, int]] = set()
        self._forbids: set[tuple[int, int]] = set()
        self.last_dialog: FormDialog | None = None
        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_batches_tab(), tr("派遣批次", "Batches"))
        self.tabs.addTab(self._build_placements_tab(), tr("就业跟踪", "Placements"))
        self.tabs.addTab(self._build_due_tab(), tr("待回访", "Follow-ups due"))
        self.tabs.addTab(self._build_alerts_tab(), tr("风险预警", "Alerts"))
        self.tabs.currentChanged.connect(self._load_tab)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.tabs)
        # The outcome of the last action, always on screen (refusals also pop up: they need reading).
        self.message = QLabel()
        self.message.setObjectName("action_message")
        self.message.setWordWrap(True)
        self.message.setVisible(False)
        layout.addWidget(self.message)
        self._loaded = False
        # What the role lacks is disabled up front, saying who may (the services refuse it too).
        gate(actor, "batch.write", self.floor_spin, *(self._button(name) for name in (
            "btn_new_batch", "btn_edit_batch", "btn_add_vacancies", "btn_remove_vacancy", "btn_pin", "btn_forbid",
            "btn_replan", "btn_accept_plan", "btn_confirm", "btn_edit_pair", "btn_reject", "btn_add_pair",
            "btn_departed", "btn_on_job", "btn_followup", "btn_skilled", "btn_end", "btn_replace", "btn_decline",
            "btn_due_followup", "btn_save_floor")))
        gate(actor, "matching.run", self.plan_btn)
        gate(actor, "print", self.print_btn)

    # --- common -----------------------------------------------------------------------------
    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt name
        super().showEvent(event)
        if not self._loaded:
            self.refresh()

    def refresh(self) -> None:
        self._loaded = True
        # Follow-ups due and alerts scan every placement (about 2 s at 300,000): computed when
        # their tab is shown, not when the page opens.
        self._stale_tabs = {2, 3}
        try:
            self.reload_batches()
            self._reload_filters()
            self.apply_filters()
            self._load_tab(self.tabs.currentIndex())
        except UserError as exc:
            show_error(self, exc)

    def _load_tab(self, index: int) -> None:
        if index not in getattr(self, "_stale_tabs", set()):
            return
        self._stale_tabs.discard(index)
        try:
            if index == 2:
                self.reload_due()
            elif index == 3:
                self.reload_alerts()
        except UserError as exc:
            show_error(self, exc)

    def _button(self, name: str) -> QPushButton:
        button = self.findChild(QPushButton, name)
        if button is None:  # a renamed button must not slip out of its permission gate unnoticed
            raise LookupError(f"TrackingPage has no button {name!r}")
        return button

    def _run(self, fn: Callable[[], Any], *, done: Callable[[], object] | None = None) -> bool:
        """Run a db call; a UserError becomes the one-sentence message box. True on success."""
        try:
            fn()
        except UserError as exc:
            show_error(self, exc)
            return False
        if done:
            done()
        self.changed.emit()
        return True

    def _ask(self, dialog: FormDialog) -> dict[str, Any] | None:
        self.last_dialog = dialog
        ok = dialog.exec() == QDialog.DialogCode.Accepted
        self.last_dialog = None
        return dialog.values() if ok else None

    # --- tab 1: batches -----------------------------------------------------------------------
    def _build_batches_tab(self) -> QWidget:
        self.batch_model = FrameTableModel([("name", tr("批次", "Batch")), ("departure_date", tr("出发日期", "Departs")),
                                            ("destination", tr("目的地", "Destination")), ("escort", tr("带队", "Escort")),
                                            ("vacancies", tr("岗位", "Vacancies")), ("seats", tr("名额", "Seats")),
                                            ("proposed", tr("拟派", "Proposed")), ("confirmed", tr("已确认", "Confirmed"))],
                                           self, formatters={"departure_date": _date_text})
        self.batch_view = _table(self.batch_model)
        self.batch_view.setObjectName("batch_table")
        self.batch_view.selectionModel().selectionChanged.connect(lambda *_: self._batch_selected())
        new_btn = QPushButton(tr("新建批次…", "New batch…"))
        new_btn.setObjectName("btn_new_batch")
        new_btn.clicked.connect(self.new_batch)
        edit_btn = QPushButton(tr("编辑…", "Edit…"))
        edit_btn.setObjectName("btn_edit_batch")
        edit_btn.clicked.connect(self.edit_batch)
        self.print_btn = QPushButton(tr("打印名册…", "Print roster…"))
        self.print_btn.setObjectName("btn_print_roster")
        self.print_btn.clicked.connect(self.print_roster)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(QLabel(tr("派遣批次", "Departure batches")))
        lv.addWidget(self.batch_view, 1)
        row = QHBoxLayout()
        for b in (new_btn, edit_btn, self.print_btn):
            row.addWidget(b)
        lv.addLayout(row)

        self.vac_model = FrameTableModel([("code", tr("岗位编号", "Code")), ("employer", tr("用人单位", "Employer")),
                                          ("title", tr("岗位", "Title")), ("skill_label", tr("技能", "Skill")),
                                          ("headcount", tr("招聘", "Headcount")), ("occupied", tr("已占", "Taken")),
                                          ("remaining", tr("剩余", "Left")), ("proposed", tr("拟派", "Proposed"))], self)
        self.vac_view = _table(self.vac_model)
        self.vac_view.setObjectName("batch_vacancy_table")
        add_vac = QPushButton(tr("加入岗位…", "Add vacancies…"))
        add_vac.setObjectName("btn_add_vacancies")
        add_vac.clicked.connect(self.add_vacancies)
        rm_vac = QPushButton(tr("移出岗位", "Remove vacancy"))
        rm_vac.setObjectName("btn_remove_vacancy")
        rm_vac.clicked.connect(self.remove_vacancy)
        self.plan_btn = QPushButton(tr("生成最优方案", "Plan optimally"))
        self.plan_btn.setObjectName("btn_plan")
        self.plan_btn.clicked.connect(self.start_plan)
        vac_box = QGroupBox(tr("批次岗位与名额", "Vacancies and seats"))
        vb = QVBoxLayout(vac_box)
        vb.addWidget(self.vac_view)
        row = QHBoxLayout()
        row.addWidget(add_vac)
        row.addWidget(rm_vac)
        row.addStretch(1)
        row.addWidget(self.plan_btn)
        vb.addLayout(row)

        # What the clerk decides on comes first (at 1280 px 排序分 must not need a scroll); who and
        # where follow, the reasons take what is left.
        self.plan_model = FrameTableModel([("pin_label", tr("锁定", "Pinned")), ("name", tr("姓名", "Name")),
                                           ("vacancy_code", tr("岗位编号", "Vacancy")),
                                           ("score", tr("稳岗概率", "P(retained)")),
                                           ("skilled_score", tr("转职业工概率", "P(skilled)")),
                                           ("priority", tr("优先系数", "Priority")),
                                           ("weight", tr("排序分", "Rank score")),
                                           ("household_label", tr("户类型", "Household")),
                                           ("id_masked", tr("身份证号", "ID")),
                                           ("employer", tr("用人单位", "Employer")),
                                           ("reasons", tr("理由", "Reasons"))], self,
                                          formatters={"score": _pct, "skilled_score": _pct,
                                                      "priority": lambda v: f"{float(v):.2f}",
                                                      "weight": lambda v: f"{float(v):.2f}"})
        self.plan_view = _table(self.plan_model)
        self.plan_view.setObjectName("plan_table")
        self.plan_summary = QLabel(tr("选择批次后点击“生成最优方案”。", "Choose a batch and press 'Plan optimally'."))
        self.plan_summary.setObjectName("plan_summary")
        self.plan_summary.setWordWrap(True)
        pin_btn = QPushButton(tr("锁定此人选", "Pin pair"))
        pin_btn.setObjectName("btn_pin")
        pin_btn.clicked.connect(lambda: self.toggle_pair("pin"))
        forbid_btn = QPushButton(tr("排除此人选", "Forbid pair"))
        forbid_btn.setObjectName("btn_forbid")
        forbid_btn.clicked.connect(lambda: self.toggle_pair("forbid"))
        self.replan_btn = QPushButton(tr("按锁定/排除重算", "Re-plan"))
        self.replan_btn.setObjectName("btn_replan")
        self.replan_btn.clicked.connect(self.replan)
        self.accept_plan_btn = QPushButton(tr("采纳方案为拟派名单", "Keep as proposals"))
        self.accept_plan_btn.setObjectName("btn_accept_plan")
        self.accept_plan_btn.clicked.connect(self.accept_plan)
        plan_box = QGroupBox(tr("分配方案（须人工确认）", "Proposed assignment (a person confirms)"))
        pb = QVBoxLayout(plan_box)
        pb.addWidget(self.plan_summary)
        pb.addWidget(self.plan_view)
        row = QHBoxLayout()
        for b in (pin_btn, forbid_btn, self.replan_btn):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(self.accept_plan_btn)
        pb.addLayout(row)

        self.pair_model = FrameTableModel([("name", tr("姓名", "Name")), ("id_masked", tr("身份证号", "ID")),
                                           ("household_label", tr("户类型", "Household")),
                                           ("vacancy_code", tr("岗位编号", "Vacancy")), ("employer", tr("用人单位", "Employer")),
                                           ("status_label", tr("状态", "Status")), ("model_score", tr("稳岗概率", "P(retained)")),
                                           ("reasons", tr("理由", "Reasons"))], self, formatters={"model_score": _pct})
        self.pair_view = _table(self.pair_model, multi=True)
        self.pair_view.setObjectName("pair_table")
        buttons = []
        for text, obj, slot in ((tr("全选", "Select all"), "btn_pairs_all", self.select_all_pairs),
                                (tr("确认", "Confirm"), "btn_confirm", self.confirm_selected),
                                (tr("出发…", "Departed…"), "btn_pairs_departed", self.pairs_departed),
                                (tr("到岗…", "Arrived…"), "btn_pairs_on_job", self.pairs_on_job),
                                (tr("改派…", "Move…"), "btn_edit_pair", self.edit_selected),
                                (tr("拒绝…", "Reject…"), "btn_reject", self.reject_selected),
                                (tr("手工添加…", "Add by hand…"), "btn_add_pair", self.add_pair)):
            b = QPushButton(text)
            b.setObjectName(obj)
            b.clicked.connect(slot)
            buttons.append(b)
        pair_box = QGroupBox(tr("批次名单（逐条确认 / 改派 / 拒绝）", "Batch list (confirm / move / reject each)"))
        qb = QVBoxLayout(pair_box)
        qb.addWidget(self.pair_view)
        row = QHBoxLayout()
        for b in buttons:
            row.addWidget(b)
        row.addStretch(1)
        qb.addLayout(row)

        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(vac_box)
        right.addWidget(plan_box)
        right.addWidget(pair_box)
        right.setSizes([200, 300, 260])
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([280, 980])
        return split

    def reload_batches(self, select_id: int | None = None) -> None:
        current = select_id if select_id is not None else self.current_batch_id()
        frame = batches.list_batches(self.database)
        self.batch_model.set_frame(frame)
        _fit(self.batch_view, 160)
        if len(frame):
            rows = frame.index[frame["id"] == current].tolist() if current is not None else []
            self.batch_view.selectRow(rows[0] if rows else 0)
        self._batch_selected()

    def current_batch_id(self) -> int | None:
        rows = self.batch_view.selectionModel().selectedRows() if self.batch_view.selectionModel() else []
        if not rows:
            return None
        return int(self.batch_model.row(rows[0].row())["id"])

    def _batch_selected(self) -> None:
        bid = self.current_batch_id()
        self._candidates, self._plan = None, None
        self._pins.clear()
        self._forbids.clear()
        self.plan_model.set_frame(pd.DataFrame(columns=["pin_label"]))
        self.plan_summary.setText(tr("点击“生成最优方案”。", "Press 'Plan optimally'."))
        if bid is None:
            self.vac_model.set_frame(pd.DataFrame())
            self.pair_model.set_frame(pd.DataFrame())
            if self.batch_model.rowCount() == 0:  # an empty page says what to do first
                self.plan_summary.setText(tr(
                    "还没有派遣批次。第一步：点击左下方“新建批次…”；第二步：“加入岗位…”选择要派人的岗位；"
                    "第三步：“生成最优方案”。",
                    "No batch yet. First 'New batch…', then 'Add vacancies…' to choose the jobs, then 'Plan optimally'."))
            return
        self.vac_model.set_frame(batches.batch_vacancies(self.database, bid))
        _fit(self.vac_view, 200)
        self.reload_pairs()

    def reload_pairs(self) -> None:
        bid = self.current_batch_id()
        if bid is None:
            return
        frame = placement_queries.batch_placements(self.database, bid, self.actor)
        self.pair_model.set_frame(frame)
        _fit(self.pair_view, 220)
        if self._plan is None and len(frame):
            counts = frame["status"].value_counts()
            self.plan_summary.setText(tr(
                f"本批次名单：拟派 {int(counts.get('proposed', 0))} 人，已确认 {int(counts.get('confirmed', 0))} 人，"
                f"已出发/在岗 {int(counts.get('departed', 0) + counts.get('on_job', 0))} 人。"
                "重新生成方案会替换尚未确认的拟派人选。",
                f"This batch: {int(counts.get('proposed', 0))} proposed, {int(counts.get('confirmed', 0))} confirmed, "
                f"{int(counts.get('departed', 0) + counts.get('on_job', 0))} departed or on the job. A new plan "
                "replaces the undecided proposals."))

    def new_batch(self) -> None:
        dlg = FormDialog(self, tr("新建派遣批次", "New departure batch"))
        dlg.line("name", tr("批次名称", "Name"), placeholder=tr("如：2026年第3批（江苏）", "e.g. 2026 batch 3"))
        dlg.date("departure_date", tr("出发日期", "Departure date"), dt.date.today() + dt.timedelta(days=14))
        dlg.line("destination", tr("目的地", "Destination"))
        dlg.line("escort", tr("带队人", "Escort officer"))
        values = self._ask(dlg)
        if values is None:
            return
        new_id: list[int] = []
        self._run(lambda: new_id.append(batches.create_batch(self.database, self.actor, **values)),
                  done=lambda: self.reload_batches(new_id[0]))

    def edit_batch(self) -> None:
        bid = self.current_batch_id()
        if bid is None:
            return
        row = self.batch_model.frame[self.batch_model.frame["id"] == bid].iloc[0]
        dlg = FormDialog(self, tr("编辑派遣批次", "Edit batch"))
        dlg.line("name", tr("批次名称", "Name"), row["name"])
        dlg.date("departure_date", tr("出发日期", "Departure date"),
                 row["departure_date"] if isinstance(row["departure_date"], dt.date) else None)
        dlg.line("destination", tr("目的地", "Destination"), row["destination"] or "")
        dlg.line("escort", tr("带队人", "Escort officer"), row["escort"] or "")
        values = self._ask(dlg)
        if values is not None:
            self._run(lambda: batches.update_batch(self.database, self.actor, bid, **values),
                      done=lambda: self.reload_batches(bid))

    def add_vacancies(self) -> None:
        bid = self.current_batch_id()
        if bid is None:
            show_error(self, tr("请先选择或新建一个批次。", "Choose or create a batch first."))
            return
        dlg = VacancyPicker(self, batches.open_vacancies(self.database, exclude_batch=bid))
        self.last_vacancy_dialog = dlg
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return
        codes = dlg.chosen_codes()
        if not codes:
            show_error(self, tr("没有勾选任何岗位，未作改动。", "No vacancy was ticked; nothing was changed."))
            return
        def done() -> None:
            self.reload_batches(bid)
            self.tell(tr(f"已把 {len(codes)} 个岗位加入本批次。", f"{len(codes)} vacancies added to the batch."))

        self._run(lambda: batches.add_vacancies(self.database, self.actor, bid, codes), done=done)

    def remove_vacancy(self) -> None:
        bid = self.current_batch_id()
        rows = self.vac_view.selectionModel().selectedRows()
        if bid is None or not rows:
            return
        code = str(self.vac_model.row(rows[0].row())["code"])
        if ask_yes_no(self, tr(f"把岗位 {code} 移出本批次？其拟派人选将一并删除。",
                               f"Remove vacancy {code} from this batch? Its proposals go too.")):
            self._run(lambda: batches.remove_vacancy(self.database, self.actor, bid, code),
                      done=lambda: self.reload_batches(bid))

    def print_roster(self) -> None:
        bid = self.current_batch_id()
        if bid is None:
            return
        from ui.printing import open_print_dialog

        try:
            self.print_dialog = open_print_dialog(self, self.database, self.actor, batch_id=bid)
        except UserError as exc:
            show_error(self, exc)

    # --- planning -----------------------------------------------------------------------------
    def start_plan(self) -> None:
        """Score and solve in the background; pins and forbids then re-plan instantly."""
        bid = self.current_batch_id()
        if bid is None:
            show_error(self, tr("请先选择一个批次。", "Choose a batch first."))
            return
        self._pins.clear()
        self._forbids.clear()
        database, actor, weights = self.database, self.actor, _priority_weights()

        def work(ctx: TaskContext) -> batches.PlanResult:
            ctx.progress(10, tr("正在为岗位评分…", "Scoring candidates…"))
            return batches.plan(database, bid, actor=actor, priority_weights=weights)

        self.plan_btn.setEnabled(False)
        self.plan_task = run_task(self, work, on_done=self._plan_done, on_error=self._plan_failed,
                                  label=tr("正在生成最优分配方案…", "Planning the batch…"))

    def _plan_failed(self, exc: BaseException) -> None:
        self.plan_btn.setEnabled(True)
        from ui.tasks import Cancelled
        if not isinstance(exc, Cancelled):
            show_error(self, exc)

    def _plan_done(self, result: batches.PlanResult) -> None:
        self.plan_btn.setEnabled(True)
        self._candidates = result.candidate_frame
        self.show_plan(result)

    def show_plan(self, result: batches.PlanResult) -> None:
        self._plan = result
        if self._candidates is None:
            self._candidates = result.candidate_frame
        frame = result.pairs.copy()
        frame["id_masked"] = frame["id_number"].map(mask_id)
        frame["household_label"] = frame["household_type"].map(household_label)
        frame["pin_label"] = frame["pinned"].map(lambda p: "🔒" if p else "")
        self.plan_model.set_frame(frame)
        _fit(self.plan_view, 150)
        self.plan_view.setColumnWidth(0, 44)  # the lock mark
        text = tr(f"方案：{len(frame)} 人上 {result.seats} 个名额（候选 {result.candidates} 人）。",
                  f"Plan: {len(frame)} people on {result.seats} seats ({result.candidates} candidates). ")
        text += plan_comparison(result.expected_retained, result.greedy_expected_retained)
        if result.manual_expected_retained is not None:
            text += tr(f" 现有人工名单（{result.manual_pairs} 人）预计稳岗 {result.manual_expected_retained:.1f} 人。",
                       f" The current hand-made list ({result.manual_pairs}) expects {result.manual_expected_retained:.1f}.")
        if result.priority_line():
            text += "\n" + result.priority_line() + tr("。", ".")
        if self._pins or self._forbids:
            text += tr(f" 锁定 {len(self._pins)} 对，排除 {len(self._forbids)} 对。",
                       f" {len(self._pins)} pinned, {len(self._forbids)} forbidden.")
        for note in result.notes:
            text += " " + note
        self.plan_summary.setText(text)

    def toggle_pair(self, kind: str) -> None:
        rows = self.plan_view.selectionModel().selectedRows()
        if not rows or self._plan is None:
            return
        r = self.plan_model.row(rows[0].row())
        pair = (int(r["trainee_id"]), int(r["vacancy_id"]))
        target, other = (self._pins, self._forbids) if kind == "pin" else (self._forbids, self._pins)
        other.discard(pair)
        if pair in target:
            target.discard(pair)
        else:
            target.add(pair)
        self.replan()

    def replan(self) -> None:
        bid = self.current_batch_id()
        if bid is None or self._candidates is None:
            show_error(self, tr("请先生成方案。", "Plan the batch first."))
            return
        try:
            result = batches.plan(self.database, bid, actor=self.actor, pins=sorted(self._pins),
                                  forbids=sorted(self._forbids), candidates=self._candidates,
                                  priority_weights=_priority_weights())
        except UserError as exc:
            show_error(self, exc)
            return
        self.show_plan(result)

    def accept_plan(self) -> None:
        bid = self.current_batch_id()
        if bid is None or self._plan is None or self._plan.pairs.empty:
            show_error(self, tr("还没有可采纳的方案。", "There is no plan to keep yet."))
            return
        pairs = self._plan.pairs

        def done() -> None:
            self.reload_batches(bid)
            self.plan_summary.setText(tr(f"方案已采纳为拟派名单（{len(pairs)} 人），请在下方逐条确认、改派或拒绝。",
                                         f"The plan is kept as {len(pairs)} proposals; confirm, move or reject each below."))

        self._run(lambda: batches.save_proposals(self.database, self.actor, bid, pairs), done=done)

    # --- review ---------------------------------------------------------------------------------
    def _selected_pairs(self) -> list[pd.Series]:
        return [self.pair_model.row(i.row()) for i in self.pair_view.selectionModel().selectedRows()]

    def select_all_pairs(self) -> None:
        self.pair_view.selectAll()
        self.pair_view.setFocus()

    def _pair_ids(self) -> list[int]:
        return [int(r["id"]) for r in self._selected_pairs()]

    def _pairs_intro(self) -> str:
        rows = self._selected_pairs()
        names = "、".join(str(r["name"]) for r in rows[:6]) + (tr(f"等 {len(rows)} 人", f" and {len(rows) - 6} more")
                                                                if len(rows) > 6 else "")
        return tr(f"共 {len(rows)} 人：{names}", f"{len(rows)} selected: {names}")

    def confirm_selected(self) -> None:
        """Confirm everyone selected: asked once, each person's seat claimed on its own, then one report."""
        ids = self._pair_ids()
        bid = self.current_batch_id()
        if not ids:
            show_error(self, tr("请先在批次名单中选择人员（可多选，或点“全选”）。",
                                "Select people in the batch list first (several, or 'Select all')."))
            return
        if not ask_yes_no(self, tr(f"确认所选 {len(ids)} 人？确认后每人占用所派岗位的一个名额。",
                                   f"Confirm the {len(ids)} selected? Each takes a seat of their vacancy.")):
            return
        try:
            result = placements.confirm_many(self.database, self.actor, ids)
        except UserError as exc:
            show_error(self, exc)
            return
        self.reload_batches(bid)
        self.tell(result.summary("已确认", "confirmed"), warn=bool(result.refused))
        self.changed.emit()

    def _pairs_many(self, title: str, build: Callable[[FormDialog], object],
                    call: Callable[[list[int], dict[str, Any]], placements.ManyResult], verb_zh: str, verb_en: str) -> None:
        bid = self.current_batch_id()

        def after(_done: list[int]) -> str:
            self.reload_batches(bid)
            self.placements_model.refresh()
            return ""
        self._many_action(self._pair_ids(), title, build, call, verb_zh, verb_en, intro=self._pairs_intro(), after=after)

    def pairs_departed(self) -> None:
        self._pairs_many(tr("登记出发", "Departed"), self._date_note("出发日期", "Date"),
                         lambda ids, v: placements.mark_departed_many(self.database, self.actor, ids, **v),
                         "已标记出发", "marked as departed")

    def pairs_on_job(self) -> None:
        self._pairs_many(tr("登记到岗", "Arrived at work"), self._arrival_form,
                         lambda ids, v: placements.mark_on_job_many(self.database, self.actor, ids, **v),
                         "已登记到岗", "marked as arrived")

    def edit_selected(self) -> None:
        rows = self._selected_pairs()
        bid = self.current_batch_id()
        if not rows or bid is None:
            return
        r = rows[0]
        vac = batches.batch_vacancies(self.database, bid)
        dlg = FormDialog(self, tr("改派", "Move to another vacancy"), f"{r['name']}（{r['vacancy_code']}）")
        dlg.choice("vacancy_code", tr("新岗位", "New vacancy"),
                   [(c, f"{c}  {e}  {t}" + tr(f"（剩余 {n}）", f" ({n} left)")) for c, e, t, n in
                    zip(vac["code"], vac["employer"], vac["title"], vac["remaining"]) if c != r["vacancy_code"]])
        dlg.line("reason", tr("原因", "Reason"))
        values = self._ask(dlg)
        if values is not None:
            self._run(lambda: placements.edit_proposal(self.database, self.actor, int(r["id"]), values["vacancy_code"] or "",
                                                    reason=values["reason"]), done=lambda: self.reload_batches(bid))

    def reject_selected(self) -> None:
        rows = self._selected_pairs()
        bid = self.current_batch_id()
        if not rows:
            return
        dlg = FormDialog(self, tr("拒绝 / 放弃", "Reject"), "、".join(str(r["name"]) for r in rows))
        dlg.line("reason", tr("原因", "Reason"), placeholder=tr("如：本人不愿外出", "e.g. does not want to go"))
        values = self._ask(dlg)
        if values is None:
            return
        for r in rows:
            if not self._run(partial(placements.decline, self.database, self.actor, int(r["id"]), reason=values["reason"])):
                break
        self.reload_batches(bid)

    def add_pair(self) -> None:
        bid = self.current_batch_id()
        if bid is None:
            return
        vac = batches.batch_vacancies(self.database, bid)
        dlg = FormDialog(self, tr("手工添加人选", "Add a pair by hand"))
        dlg.line("id_number", tr("身份证号", "ID number"))
        dlg.choice("vacancy_code", tr("岗位", "Vacancy"), [(c, f"{c}  {e}") for c, e in zip(vac["code"], vac["employer"])])
        values = self._ask(dlg)
        if values is not None:
            self._run(lambda: batches.add_proposal(self.database, self.actor, bid, values["id_number"],
                                                   values["vacancy_code"] or ""), done=lambda: self.reload_batches(bid))

    # --- tab 2: placements ----------------------------------------------------------------------
    def _build_placements_tab(self) -> QWidget:
        self.f_batch, self.f_employer, self.f_township, self.f_status = (QComboBox(), QComboBox(), QComboBox(),
                                                                         QComboBox())
        for name, combo in (("filter_batch", self.f_batch), ("filter_employer", self.f_employer),
                            ("filter_township", self.f_township), ("filter_status", self.f_status)):
            combo.setObjectName(name)
            combo.setMinimumWidth(130)
            combo.currentIndexChanged.connect(self.apply_filters)
        self.f_employer.setMaximumWidth(260)
        self.f_search = QLineEdit()
        self.f_search.setObjectName("filter_search")
        self.f_search.setPlaceholderText(tr("姓名/拼音/身份证号", "Name / pinyin / ID"))
        self.f_search.returnPressed.connect(self.apply_filters)
        filters = QHBoxLayout()
        for label, w in ((tr("批次", "Batch"), self.f_batch), (tr("用人单位", "Employer"), self.f_employer),
                         (tr("乡镇", "Township"), self.f_township), (tr("状态", "Status"), self.f_status),
                         (tr("查找", "Search"), self.f_search)):
            filters.addWidget(QLabel(label))
            filters.addWidget(w)
        filters.addStretch(1)

        fmt_date = _date_text
        columns = [ModelColumn("name", tr("姓名", "Name")),
                   ModelColumn("id_number", tr("身份证号", "ID"), format=lambda v: mask_id(v)),
                   ModelColumn("township", tr("乡镇", "Township")),
                   ModelColumn("household_type", tr("户类型", "Household"), format=household_label),
                   ModelColumn("batch", tr("批次", "Batch")),
                   ModelColumn("vacancy_code", tr("岗位编号", "Vacancy")),
                   ModelColumn("employer", tr("用人单位", "Employer")),
                   ModelColumn("status", tr("状态", "Status"), format=vocab.status_label),
                   ModelColumn("start_date", tr("上岗日期", "Started"), format=fmt_date),
                   ModelColumn("end_date", tr("离岗日期", "Ended"), format=fmt_date),
                   ModelColumn("monthly_wage", tr("月收入", "Wage"), align_right=True,
                               format=lambda v: "" if v is None else f"{v:,}"),
                   ModelColumn("employment_form", tr("用工形式", "Form"), format=vocab.form_label),
                   ModelColumn("skilled_since", tr("转职业工", "Skilled since"), format=fmt_date)]
        self.placements_model = SqlTableModel(self.database, columns, self._placement_factory(), self)
        self.placements_model.sort_key, self.placements_model.descending = "id", True
        self.placements_view = _table(self.placements_model, multi=True)
        self.placements_view.setObjectName("placements_table")
        for col, width in enumerate((100, 150, 90, 70, 150, 110, 180, 70, 90, 90, 70, 70, 90)):
            self.placements_view.setColumnWidth(col, width)
        self.placements_view.selectionModel().selectionChanged.connect(lambda *_: self.show_timeline())
        self.placements_count = QLabel()
        actions = QHBoxLayout()
        # Many rows at once (Ctrl/Shift-click, 全选): one dialog, one service call, one summary.
        for text, obj, slot in ((tr("全选", "Select all"), "btn_select_all", self.select_all_placements),
                                (tr("确认…", "Confirm…"), "btn_confirm_many", self.act_confirm),
                                (tr("出发…", "Departed…"), "btn_departed", self.act_departed),
                                (tr("到岗…", "Arrived…"), "btn_on_job", self.act_on_job),
                                (tr("回访…", "Follow-up…"), "btn_followup", lambda: self.act_followup()),
                                (tr("离岗…", "Left…"), "btn_end", self.act_end),
                                (tr("转职业工…", "Became skilled…"), "btn_skilled", self.act_skilled),
                                (tr("再就业…", "Re-place…"), "btn_replace", self.act_replace),
                                (tr("放弃…", "Decline…"), "btn_decline", self.act_decline)):
            b = QPushButton(text)
            b.setObjectName(obj)
            b.clicked.connect(slot)
            actions.addWidget(b)
        actions.addStretch(1)
        actions.addWidget(self.placements_count)

        self.timeline_model = FrameTableModel([("date", tr("日期", "Date")), ("vacancy_code", tr("岗位", "Vacancy")),
                                               ("employer", tr("用人单位", "Employer")),
                                               ("kind_label", tr("事项", "Event")), ("detail", tr("内容", "Detail")),
                                               ("user", tr("经办人", "By"))], self, formatters={"date": _date_text})
        self.timeline_view = _table(self.timeline_model)
        self.timeline_view.setObjectName("timeline_table")
        self.timeline_title = QLabel(tr("选择一条记录查看该工人的时间线。", "Select a row to see the worker's timeline."))
        tl = QWidget()
        tlv = QVBoxLayout(tl)
        tlv.setContentsMargins(0, 0, 0, 0)
        tlv.addWidget(self.timeline_title)
        tlv.addWidget(self.timeline_view)

        top = QWidget()
        tv = QVBoxLayout(top)
        tv.setContentsMargins(0, 0, 0, 0)
        tv.addLayout(filters)
        tv.addWidget(self.placements_view, 1)
        tv.addLayout(actions)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(tl)
        split.setSizes([480, 240])
        return split

    def _reload_filters(self) -> None:
        options = placement_queries.filter_options(self.database)
        for combo, key in ((self.f_batch, "batches"), (self.f_employer, "employers"), (self.f_township, "townships")):
            current = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(tr("全部", "All"), None)
            for data, text in options[key]:
                combo.addItem(str(text), data)
            combo.setCurrentIndex(max(0, combo.findData(current)))
            combo.blockSignals(False)
        if self.f_status.count() == 0:
            self.f_status.blockSignals(True)
            self.f_status.addItem(tr("全部", "All"), None)
            for key in vocab.STATUS_LABELS:
                self.f_status.addItem(vocab.status_label(key), key)
            self.f_status.blockSignals(False)

    def _filters(self) -> dict[str, Any]:
        return {"batch_id": self.f_batch.currentData(), "employer_id": self.f_employer.currentData(),
                "township": self.f_township.currentData(), "status": self.f_status.currentData(),
                "search": self.f_search.text().strip() or None}

    def _placement_factory(self):  # type: ignore[no-untyped-def]
        filters = self._filters() if hasattr(self, "f_search") else {}
        actor = self.actor
        return lambda key, desc: placement_queries.placement_query(actor, key, desc, **filters)

    def apply_filters(self) -> None:
        self.placements_model.set_query(self._placement_factory())
        self._update_count()

    def _update_count(self) -> None:
        self.placements_count.setText(tr(f"共 {self.placements_model.total():,} 条", f"{self.placements_model.total():,} rows"))

    def selected_placements(self) -> list[int]:
        rows = sorted({i.row() for i in self.placements_view.selectionModel().selectedRows()})
        return [pid for pid in (self.placements_model.row_id(r) for r in rows) if pid is not None]

    def selected_placement(self) -> int | None:
        ids = self.selected_placements()
        return ids[0] if ids else None

    def select_all_placements(self) -> None:
        """Every row the filters show (loaded up to 5,000: a batch or a township, not the county)."""
        model = self.placements_model
        while model.canFetchMore() and model.rowCount() < 5000:
            model.fetchMore()
        self.placements_view.selectAll()
        self.placements_view.setFocus()

    def show_timeline(self) -> None:
        sel = self.placements_view.selectionModel()
        rows = sel.selectedRows()
        if not rows:
            return
        current = self.placements_view.currentIndex()
        r = current.row() if current.isValid() and sel.isRowSelected(current.row()) else rows[0].row()
        self._show_timeline_of(self.placements_model.value(r, "trainee_id"), self.placements_model.value(r, "name"))

    def _show_timeline_of(self, trainee_id: Any, name: Any) -> None:
        if trainee_id is None:
            return
        try:
            frame = placement_queries.timeline(self.database, int(trainee_id), self.actor)
        except UserError as exc:
            show_error(self, exc)
            return
        self._timeline_of = (int(trainee_id), str(name))
        self.timeline_model.set_frame(frame)
        _fit(self.timeline_view, 420)
        self.timeline_title.setText(tr(f"{name} 的时间线（{len(frame)} 条）", f"Timeline of {name} ({len(frame)} entries)"))

    def tell(self, text: str, *, warn: bool = False) -> None:
        """The outcome of an action: always in the message line; a pop-up too when someone was refused."""
        self.message.setText(text)
        self.message.setStyleSheet("QLabel#action_message { padding: 4px 8px; border-radius: 4px; background: %s; }"
                                   % ("#fff4e5" if warn else "#e6f4ea"))
        self.message.setVisible(True)
        if warn:
            QMessageBox.information(self, "LaborBridge", text)

    def _after_change(self, ids: list[int] | None = None) -> list[int]:
        """Re-read the table keeping the rows acted on selected; returns those the filters now hide."""
        ids = list(ids) if ids is not None else self.selected_placements()
        self.placements_model.refresh()
        sel = self.placements_view.selectionModel()
        gone: list[int] = []
        for pid in ids:
            row = self.placements_model.row_of_id(pid)
            if row is None:
                gone.append(pid)
            else:
                sel.select(self.placements_model.index(row, 0), QItemSelectionModel.SelectionFlag.Select
                           | QItemSelectionModel.SelectionFlag.Rows)
        self._update_count()
        if getattr(self, "_timeline_of", None):  # the worker on screen may just have changed
            self._show_timeline_of(*self._timeline_of)
        # Due and alerts each scan every placement: refresh the one on screen, the other when shown.
        self._stale_tabs = {2, 3}
        self._load_tab(self.tabs.currentIndex())
        return gone

    def _gone_note(self, gone: list[int]) -> str:
        if not gone:
            return ""
        status = self.f_status.currentText()
        return tr(f"其中 {len(gone)} 人的状态已不是筛选条件“{status}”，不再列出（把状态选为“全部”可看到）。",
                  f" {len(gone)} no longer match the status filter '{status}' and left the list (choose 'All').")

    def _names_of(self, ids: list[int]) -> str:
        names = [str(self.placements_model.value(self.placements_model.row_of_id(i) or 0, "name") or "") for i in ids[:6]]
        more = tr(f"等 {len(ids)} 人", f" and {len(ids) - 6} more") if len(ids) > 6 else ""
        return "、".join(n for n in names if n) + more

    def _many_action(self, ids: list[int], title: str, build: Callable[[FormDialog], object],
                     call: Callable[[list[int], dict[str, Any]], placements.ManyResult], verb_zh: str, verb_en: str,
                     *, intro: str = "", after: Callable[[list[int]], str] | None = None) -> None:
        """One dialog for everyone selected, one service call, one summary of what changed and what did not."""
        if not ids:
            show_error(self, tr("请先在表中选择人员（按住 Ctrl 或 Shift 可多选，“全选”选中全部）。",
                                "Select people first (Ctrl- or Shift-click for several, 'Select all' for all)."))
            return
        dlg = FormDialog(self, title, intro or tr(f"共 {len(ids)} 人", f"{len(ids)} selected"))
        build(dlg)
        values = self._ask(dlg)
        if values is None:
            return
        try:
            result = call(ids, values)
        except UserError as exc:
            show_error(self, exc)
            return
        note = after(result.done) if after else ""
        self.tell(result.summary(verb_zh, verb_en) + note, warn=bool(result.refused))
        self.changed.emit()

    def _placements_many(self, title: str, build: Callable[[FormDialog], object],
                         call: Callable[[list[int], dict[str, Any]], placements.ManyResult],
                         verb_zh: str, verb_en: str) -> None:
        ids = self.selected_placements()
        self._many_action(ids, title, build, call, verb_zh, verb_en,
                          intro=tr(f"共 {len(ids)} 人：{self._names_of(ids)}", f"{len(ids)} selected: {self._names_of(ids)}"),
                          after=lambda _done: self._gone_note(self._after_change(ids)))

    def _placement_action(self, title: str, build: Callable[[FormDialog], object],
                          call: Callable[[int, dict[str, Any]], Any], done_zh: str, done_en: str) -> None:
        pid = self.selected_placement()
        if pid is None:
            show_error(self, tr("请先在表中选择一条就业记录。", "Select a placement first."))
            return
        if len(self.selected_placements()) > 1:
            show_error(self, tr("此操作一次只能处理一人，请只选择一行。", "This is done for one person at a time; select one row."))
            return
        name = self._names_of([pid])
        dlg = FormDialog(self, title, name)
        build(dlg)
        values = self._ask(dlg)
        if values is not None:
            self._run(lambda: call(pid, values),
                      done=lambda: self.tell(tr(f"{name}：{done_zh}。", f"{name}: {done_en}.")
                                             + self._gone_note(self._after_change([pid]))))

    # Dialog contents, shared by the placements tab and the batch list.
    @staticmethod
    def _date_note(label_zh: str, label_en: str) -> Callable[[FormDialog], object]:
        return lambda d: (d.date("date", tr(label_zh, label_en)), d.line("note", tr("备注", "Note")))

    @staticmethod
    def _arrival_form(d: FormDialog) -> None:
        d.date("date", tr("上岗日期", "Start date"))
        d.number("wage", tr("月收入", "Monthly wage"), suffix=tr(" 元", " yuan"))
        d.line("note", tr("备注", "Note"))

    def act_confirm(self) -> None:
        self._placements_many(tr("确认派遣", "Confirm"), self._date_note("确认日期", "Date"),
                              lambda ids, v: placements.confirm_many(self.database, self.actor, ids, **v),
                              "已确认", "confirmed")

    def act_departed(self) -> None:
        self._placements_many(tr("登记出发", "Departed"), self._date_note("出发日期", "Date"),
                              lambda ids, v: placements.mark_departed_many(self.database, self.actor, ids, **v),
                              "已标记出发", "marked as departed")

    def act_on_job(self) -> None:
        self._placements_many(tr("登记到岗", "Arrived at work"), self._arrival_form,
                              lambda ids, v: placements.mark_on_job_many(self.database, self.actor, ids, **v),
                              "已登记到岗", "marked as arrived")

    @staticmethod
    def _followup_form(d: FormDialog) -> None:
        d.date("date", tr("回访日期", "Date"))
        d.number("wage", tr("月收入", "Monthly wage"), suffix=tr(" 元", " yuan"))
        d.choice("employment_form", tr("用工形式", "Form"), [(None, tr("（不变）", "(unchanged)")),
                                                           ("temporary", vocab.form_label("temporary")),
                                                           ("skilled", vocab.form_label("skilled"))])
        d.line("note", tr("情况", "Note"))

    def act_followup(self, placement_id: int | None = None) -> None:
        """回访 of the selected rows, or of one placement named by another tab (which stays on screen)."""
        call = lambda ids, v: placements.record_followup_many(self.database, self.actor, ids, **v)  # noqa: E731
        if placement_id is None:
            self._placements_many(tr("登记回访", "Record a follow-up"), self._followup_form, call,
                                  "已登记回访", "followed up")
            return
        self._many_action([int(placement_id)], tr("登记回访", "Record a follow-up"), self._followup_form, call,
                          "已登记回访", "followed up", after=lambda _done: self._after_other_tab())

    def _after_other_tab(self) -> str:
        self.placements_model.refresh()
        self._stale_tabs = {2, 3}
        self._load_tab(self.tabs.currentIndex())
        return ""

    def act_skilled(self) -> None:
        self._placement_action(tr("转为职业工", "Became a skilled worker"), self._date_note("转职业工日期", "Date"),
                               lambda pid, v: placements.convert_to_skilled(self.database, self.actor, pid, **v),
                               "已登记转为职业工", "now a skilled worker")

    def act_end(self) -> None:
        self._placements_many(tr("登记离岗", "Left the job"),
                              lambda d: (d.date("date", tr("离岗日期", "Date")), d.line("reason", tr("离岗原因", "Reason"))),
                              lambda ids, v: placements.end_many(self.database, self.actor, ids, **v),
                              "已登记离岗", "marked as left")

    def act_decline(self) -> None:
        self._placement_action(tr("放弃派遣", "Decline"),
                               lambda d: (d.date("date", tr("日期", "Date")), d.line("reason", tr("原因", "Reason"))),
                               lambda pid, v: placements.decline(self.database, self.actor, pid, **v),
                               "已登记放弃", "declined")

    def act_replace(self) -> None:
        options = batches.open_vacancies(self.database)
        self._placement_action(tr("再就业安排", "Re-place"),
                               lambda d: (d.choice("vacancy_code", tr("新岗位", "New vacancy"),
                                                   [(c, f"{c}  {e}（剩余 {n}）") for c, e, n in
                                                    zip(options["code"], options["employer"], options["remaining"])]),
                                          d.date("date", tr("确认日期", "Date")), d.line("note", tr("备注", "Note"))),
                               lambda pid, v: placements.re_place(self.database, self.actor, pid, v["vacancy_code"] or "",
                                                               date=v["date"], note=v["note"]),
                               "已安排再就业（新的就业记录已确认）", "re-placed (a new confirmed placement)")

    def _select_placement(self, placement_id: int) -> None:
        """Show one placement in the table (clearing filters that would hide it)."""
        self.tabs.setCurrentIndex(1)
        for combo in (self.f_batch, self.f_employer, self.f_township, self.f_status):
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
        self.f_search.clear()
        actor = self.actor
        self.placements_model.set_query(
            lambda key, desc: placement_queries.placement_query(actor, key, desc, placement_id=placement_id))
        self._update_count()
        self.placements_view.selectRow(0)

    # --- tab 3: follow-ups due -------------------------------------------------------------------
    def _build_due_tab(self) -> QWidget:
        # What decides whom to call first (overdue days, due date) sits left of the long employer name,
        # so it shows at 1280 px without scrolling.
        self.due_model = FrameTableModel([("name", tr("姓名", "Name")), ("household_label", tr("户类型", "Household")),
                                          ("overdue_days", tr("逾期天数", "Days overdue")),
                                          ("due_date", tr("应回访日期", "Due")),
                                          ("last_contact", tr("上次联系", "Last contact")),
                                          ("township", tr("乡镇", "Township")), ("employer", tr("用人单位", "Employer")),
                                          ("id_masked", tr("身份证号", "ID"))],
                                         self, formatters={"last_contact": _date_text, "due_date": _date_text,
                                                           "overdue_days": lambda v: str(max(0, int(v)))})
        self.due_view = _table(self.due_model)
        self.due_view.setObjectName("due_table")
        btn = QPushButton(tr("登记回访…", "Record follow-up…"))
        btn.setObjectName("btn_due_followup")
        btn.clicked.connect(lambda: self._from_table(self.due_view, self.due_model, self.act_followup))
        self.due_label = QLabel()
        w = QWidget()
        v = QVBoxLayout(w)
        v.addWidget(self.due_label)
        v.addWidget(self.due_view)
        row = QHBoxLayout()
        row.addWidget(btn)
        row.addStretch(1)
        v.addLayout(row)
        return w

    def reload_due(self) -> None:
        frame = followup.followups_due(self.database, actor=self.actor)
        self.due_model.set_frame(frame)
        _fit(self.due_view, 220)
        self.due_label.setText(tr(f"未来 14 天内应回访或已逾期：{len(frame)} 人（每 {policy.FOLLOWUP_DAYS} 天回访一次；监测户在前）",
                                  f"Due within 14 days or overdue: {len(frame)} (every {policy.FOLLOWUP_DAYS} days; "
                                  "monitored households first)"))

    def _from_table(self, view: QTableView, model: FrameTableModel, action: Callable[[int], None]) -> None:
        rows = view.selectionModel().selectedRows()
        if not rows:
            show_error(self, tr("请先选择一行。", "Select a row first."))
            return
        action(int(model.row(rows[0].row())["placement_id"]))

    # --- tab 4: alerts ----------------------------------------------------------------------------
    def _build_alerts_tab(self) -> QWidget:
        self.alert_model = FrameTableModel([("kind_label", tr("预警", "Alert")), ("household_label", tr("户类型", "Household")),
                                            ("name", tr("姓名", "Name")), ("id_masked", tr("身份证号", "ID")),
                                            ("township", tr("乡镇", "Township")), ("employer", tr("用人单位", "Employer")),
                                            ("since", tr("起始日期", "Since")), ("detail", tr("说明", "Detail"))],
                                           self, formatters={"since": _date_text})
        self.alert_view = _table(self.alert_model)
        self.alert_view.setObjectName("alert_table")
        self.floor_spin = QSpinBox()
        self.floor_spin.setObjectName("wage_floor")
        self.floor_spin.setRange(0, 100_000)
        self.floor_spin.setSingleStep(100)
        self.floor_spin.setSuffix(tr(" 元", " yuan"))
        save_floor = QPushButton(tr("保存工资下限", "Save wage floor"))
        save_floor.setObjectName("btn_save_floor")
        save_floor.clicked.connect(self.save_floor)
        show_btn = QPushButton(tr("查看该工人", "Show worker"))
        show_btn.setObjectName("btn_alert_show")
        show_btn.clicked.connect(lambda: self._from_table(self.alert_view, self.alert_model, self._select_placement))
        self.alert_label = QLabel()
        self.alert_label.setWordWrap(True)
        w = QWidget()
        v = QVBoxLayout(w)
        row = QHBoxLayout()
        row.addWidget(QLabel(tr("月收入预警下限：", "Wage floor:")))
        row.addWidget(self.floor_spin)
        row.addWidget(save_floor)
        row.addStretch(1)
        row.addWidget(show_btn)
        v.addLayout(row)
        v.addWidget(self.alert_label)
        v.addWidget(self.alert_view)
        return w

    def reload_alerts(self) -> None:
        self.floor_spin.setValue(followup.wage_floor(self.database))
        frame = followup.alerts(self.database, actor=self.actor)
        self.alert_model.set_frame(frame)
        _fit(self.alert_view, 320)
        counts = frame["kind"].value_counts() if len(frame) else pd.Series(dtype=int)
        monitored = int((frame["household_type"] == "monitored").sum()) if len(frame) else 0
        self.alert_label.setText(tr(
            f"离岗 {policy.REPLACE_DAYS} 天未再就业 {int(counts.get('not_replaced', 0))} 人；"
            f"超过 {policy.FOLLOWUP_DAYS} 天未回访 {int(counts.get('no_followup', 0))} 人；"
            f"工资低于下限 {int(counts.get('low_wage', 0))} 人。其中监测户 {monitored} 条，排在最前。",
            f"Left {policy.REPLACE_DAYS}+ days, not re-placed: {int(counts.get('not_replaced', 0))}; "
            f"no follow-up in {policy.FOLLOWUP_DAYS} days: {int(counts.get('no_followup', 0))}; "
            f"wage below floor: {int(counts.get('low_wage', 0))}. Monitored households ({monitored}) first."))

    def save_floor(self) -> None:
        value = self.floor_spin.value()
        self._run(lambda: followup.set_wage_floor(self.database, self.actor, value), done=self.reload_alerts)
