"""待回访 and 风险预警 tabs: who is due a follow-up, and the early warnings."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.i18n import tr
from db.services import followup, settings
from ui.dialogs import show_error
from ui.frame_model import FrameTableModel
from ui.pages.tracking.common import TrackingBase, _date_text, _fit, _table


class FollowupTab(TrackingBase):
    """The 待回访 and 风险预警 tabs."""

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
        days = settings.read_all(self.database)  # the bureau-wide limits the list was made with
        within, every = days[settings.FOLLOWUP_DUE_WITHIN_DAYS], days[settings.FOLLOWUP_DAYS]
        self.due_label.setText(tr(f"未来 {within} 天内应回访或已逾期：{len(frame)} 人（每 {every} 天回访一次；监测户在前）",
                                  f"Due within {within} days or overdue: {len(frame)} (every {every} days; "
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
        days = settings.read_all(self.database)
        replace, every = days[settings.REPLACE_DAYS], days[settings.FOLLOWUP_DAYS]
        self.alert_label.setText(tr(
            f"离岗 {replace} 天未再就业 {int(counts.get('not_replaced', 0))} 人；"
            f"超过 {every} 天未回访 {int(counts.get('no_followup', 0))} 人；"
            f"工资低于下限 {int(counts.get('low_wage', 0))} 人。其中监测户 {monitored} 条，排在最前。",
            f"Left {replace}+ days, not re-placed: {int(counts.get('not_replaced', 0))}; "
            f"no follow-up in {every} days: {int(counts.get('no_followup', 0))}; "
            f"wage below floor: {int(counts.get('low_wage', 0))}. Monitored households ({monitored}) first."))

    def save_floor(self) -> None:
        value = self.floor_spin.value()
        self._run(lambda: followup.set_wage_floor(self.database, self.actor, value), done=self.reload_alerts)

