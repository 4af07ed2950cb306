"""统计: headline figures, the retention curve, the upward indicators and breakdowns by township,
school, employer, skill and household type — charts drawn with QPainter, export to xlsx."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtCore import QDate, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.access import Actor
from core.i18n import tr
from db.engine import Database
from db.services import stats
from ui.dialogs import show_error
from ui.forms import picked_date
from ui.frame_model import FrameTableModel
from ui.pages.base import Page
from ui.tasks import TaskContext, run_task

ACCENT = QColor("#2f6db5")
GRID = QColor("#d9dee5")
TEXT = QColor("#333333")
BAR_METRICS = ("on_job", "placed", "registered", "retention_180", "retention_365", "skilled_rate", "avg_wage")


class SurvivalChart(QWidget):
    """Kaplan–Meier retention as a step curve over the first two years, 3/6/12-month marks labelled."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(360, 240)
        self.curve: pd.DataFrame | None = None
        self.marks: dict[int, float] = {}
        self.max_days = 730

    def set_curve(self, curve: pd.DataFrame, marks: dict[int, float]) -> None:
        self.curve, self.marks = curve, marks
        self.update()

    def paintEvent(self, _event: Any) -> None:  # noqa: N802 - Qt name
        p = QPainter(self)
        try:
            self._paint(p)
        finally:
            p.end()

    def _paint(self, p: QPainter) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("white"))
        left, top, right, bottom = 48, 28, 30, 34
        plot = QRectF(left, top, self.width() - left - right, self.height() - top - bottom)
        p.setPen(TEXT)
        font = QFont(self.font())
        font.setPointSizeF(9)
        p.setFont(font)
        p.drawText(QRectF(0, 4, self.width(), 20), Qt.AlignmentFlag.AlignHCenter,
                   tr("稳岗曲线（Kaplan–Meier，在岗者按删失处理）", "Retention curve (Kaplan–Meier, censored)"))
        for i in range(6):  # horizontal grid: 0 %, 20 % … 100 %
            y = plot.bottom() - plot.height() * i / 5
            p.setPen(QPen(GRID, 1))
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            p.setPen(TEXT)
            p.drawText(QRectF(0, y - 8, left - 6, 16), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       f"{i * 20}%")
        for days in (0, 90, 180, 365, 540, 730):
            x = plot.left() + plot.width() * days / self.max_days
            p.setPen(QPen(GRID, 1, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
            p.setPen(TEXT)
            label = tr(f"{days // 30}个月", f"{days // 30} m") if days else "0"
            p.drawText(QRectF(x - 30, plot.bottom() + 4, 60, 16), Qt.AlignmentFlag.AlignHCenter, label)
        if self.curve is None or self.curve.empty:
            p.drawText(plot, Qt.AlignmentFlag.AlignCenter, tr("暂无已上岗的就业记录", "No placements have started yet"))
            return
        t = self.curve["time"].to_numpy()
        s = self.curve["survival"].to_numpy()
        keep = t <= self.max_days
        t, s = t[keep], s[keep]
        path = QPainterPath(QPointF(plot.left(), plot.top()))
        last_y = plot.top()
        for ti, si in zip(t, s):
            x = plot.left() + plot.width() * ti / self.max_days
            y = plot.bottom() - plot.height() * si
            path.lineTo(QPointF(x, last_y))
            path.lineTo(QPointF(x, y))
            last_y = y
        end_x = plot.left() + plot.width() * min(self.max_days, float(self.curve["time"].max())) / self.max_days
        path.lineTo(QPointF(end_x, last_y))
        p.setPen(QPen(ACCENT, 2.2))
        p.drawPath(path)
        for days, value in self.marks.items():
            if value is None or math.isnan(value):
                continue
            x = plot.left() + plot.width() * days / self.max_days
            y = plot.bottom() - plot.height() * value
            p.setBrush(ACCENT)
            p.drawEllipse(QPointF(x, y), 4, 4)
            p.setPen(TEXT)
            p.drawText(QRectF(x + 6, y - 20, 70, 16), Qt.AlignmentFlag.AlignLeft, f"{value * 100:.1f}%")
            p.setPen(QPen(ACCENT, 2.2))


class BarChart(QWidget):
    """Horizontal bars of one metric for the largest groups of a breakdown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(300, 220)
        self.labels: list[str] = []
        self.values: list[float] = []
        self.metric_key = "on_job"

    def set_data(self, labels: list[str], values: list[float], metric: str) -> None:
        self.labels, self.values, self.metric_key = labels, values, metric
        self.update()

    def paintEvent(self, _event: Any) -> None:  # noqa: N802 - Qt name
        p = QPainter(self)
        try:
            self._paint(p)
        finally:
            p.end()

    def _paint(self, p: QPainter) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("white"))
        font = QFont(self.font())
        font.setPointSizeF(9)
        p.setFont(font)
        p.setPen(TEXT)
        p.drawText(QRectF(0, 4, self.width(), 18), Qt.AlignmentFlag.AlignHCenter, stats.metric_label(self.metric_key))
        values = [0.0 if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in self.values]
        if not values:
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, tr("暂无数据", "No data"))
            return
        label_w = min(170, int(self.width() * 0.38))
        top, row_h = 26, max(14.0, min(26.0, (self.height() - 32) / len(values)))
        span = max(values) or 1.0
        bar_w = self.width() - label_w - 70
        metrics = p.fontMetrics()
        for i, (label, v) in enumerate(zip(self.labels, values)):
            y = top + i * row_h
            text = metrics.elidedText(label, Qt.TextElideMode.ElideMiddle, label_w - 8)
            p.setPen(TEXT)
            p.drawText(QRectF(0, y, label_w - 6, row_h), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
            w = bar_w * v / span
            p.fillRect(QRectF(label_w, y + row_h * 0.18, max(w, 1.0), row_h * 0.64), ACCENT)
            p.drawText(QRectF(label_w + w + 4, y, 66, row_h), Qt.AlignmentFlag.AlignVCenter,
                       stats.format_metric(self.metric_key, self.values[i]))


class StatisticsPage(Page):
    """The figures a bureau reports, computed in the background whenever the page is opened."""

    def __init__(self, database: Database, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(database, actor, parent)
        self.result: stats.Stats | None = None
        self._loaded = False
        self.as_of = QLabel(tr("正在计算…", "Computing…"))
        self.as_of.setObjectName("stats_as_of")
        # The period: flows from 起始日期 (or all history) to 截止日期; stocks as of 截止日期.
        self.from_all = QCheckBox(tr("全部历史", "All history"))
        self.from_all.setObjectName("stats_all_history")
        self.from_all.setChecked(True)
        self.from_edit = QDateEdit()
        self.from_edit.setObjectName("stats_from")
        self.to_edit = QDateEdit()
        self.to_edit.setObjectName("stats_to")
        today = dt.date.today()
        for edit, day in ((self.from_edit, dt.date(today.year, 1, 1)), (self.to_edit, today)):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setDate(QDate(day.year, day.month, day.day))
            edit.setMaximumDate(QDate(today.year, today.month, today.day))
        self.from_edit.setEnabled(False)
        self.from_all.toggled.connect(lambda on: self.from_edit.setEnabled(not on))
        refresh_btn = QPushButton(tr("统计", "Compute"))
        refresh_btn.setObjectName("btn_stats_refresh")
        refresh_btn.clicked.connect(self.refresh)
        self.export_btn = QPushButton(tr("导出 Excel…", "Export to Excel…"))
        self.export_btn.setObjectName("btn_export_stats")
        self.export_btn.clicked.connect(self.ask_export)
        head = QHBoxLayout()
        head.addWidget(self.as_of)
        head.addStretch(1)
        head.addWidget(QLabel(tr("起始日期：", "From:")))
        head.addWidget(self.from_all)
        head.addWidget(self.from_edit)
        head.addWidget(QLabel(tr("截止日期：", "To:")))
        head.addWidget(self.to_edit)
        head.addWidget(refresh_btn)
        head.addWidget(self.export_btn)

        cards = QGridLayout()
        self.cards: dict[str, QLabel] = {}
        for i, key in enumerate(stats.METRICS):
            box = QFrame()
            box.setFrameShape(QFrame.Shape.StyledPanel)
            box.setStyleSheet("QFrame { background: #f5f8fc; border-radius: 4px; }")
            v = QVBoxLayout(box)
            v.setContentsMargins(10, 6, 10, 6)
            title = QLabel(stats.metric_label(key))
            title.setStyleSheet("color: #555; font-size: 12px;")
            value = QLabel("—")
            value.setObjectName(f"card_{key}")
            value.setStyleSheet("font-size: 20px; font-weight: bold; color: #1f4f8a;")
            v.addWidget(title)
            v.addWidget(value)
            self.cards[key] = value
            cards.addWidget(box, i // 6, i % 6)

        self.chart = SurvivalChart()
        self.chart.setObjectName("survival_chart")
        self.upward_model = FrameTableModel([("label", tr("就业地", "Destination")), ("on_job", tr("目前在岗", "On job now")),
                                             ("employed_year", stats.employed_label(None)),
                                             ("over_six_months", tr("务工6个月以上", "6+ months")),
                                             ("share_over_six", tr("占比", "Share"))], self,
                                            formatters={"share_over_six": lambda v: stats.format_metric("share_over_six", v)})
        self.upward_view = QTableView()
        self.upward_view.setObjectName("upward_table")
        self.upward_view.setModel(self.upward_model)
        # The figures and their headers keep their width; the destination's words take what is left and
        # give way first (in English at 1280 px the last column was cut and a scrollbar showed).
        self.upward_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.upward_view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.upward_view.verticalHeader().setVisible(False)
        self.upward_note = QLabel()
        self.upward_note.setWordWrap(True)
        upward_box = QGroupBox(tr("上报指标（务工人数按就业地，务工6个月以上占比）",
                                  "Upward indicators (by destination; share over six months)"))
        ub = QVBoxLayout(upward_box)
        ub.addWidget(self.upward_view)
        ub.addWidget(self.upward_note)
        middle = QSplitter(Qt.Orientation.Horizontal)
        middle.addWidget(self.chart)
        middle.addWidget(upward_box)
        middle.setSizes([560, 580])

        self.tabs = QTabWidget()
        self.tabs.setObjectName("breakdown_tabs")
        self.tables: dict[str, FrameTableModel] = {}
        self.bars: dict[str, BarChart] = {}
        self.metric_pick = QComboBox()
        self.metric_pick.setObjectName("bar_metric")
        for key in BAR_METRICS:
            self.metric_pick.addItem(stats.metric_label(key), key)
        self.metric_pick.currentIndexChanged.connect(self._draw_bars)
        fmt: dict[str, Callable[[Any], str]] = {k: partial(stats.format_metric, k) for k in stats.METRICS}
        for dim in stats.DIMENSIONS:
            model = FrameTableModel([("label", stats.dimension_label(dim)),
                                     *[(k, stats.metric_label(k)) for k in stats.METRICS]], self, formatters=fmt)
            view = QTableView()
            view.setObjectName(f"breakdown_{dim}")
            view.setModel(model)
            view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
            view.setSortingEnabled(True)
            view.setAlternatingRowColors(True)
            view.verticalHeader().setDefaultSectionSize(24)
            view.horizontalHeader().setDefaultSectionSize(88)
            view.setColumnWidth(0, 190)
            bar = BarChart()
            split = QSplitter(Qt.Orientation.Horizontal)
            split.addWidget(view)
            split.addWidget(bar)
            split.setSizes([760, 380])
            self.tables[dim], self.bars[dim] = model, bar
            self.tabs.addTab(split, tr(f"按{stats.dimension_label(dim)}", f"By {stats.dimension_label(dim).lower()}"))
        self.tabs.currentChanged.connect(self._draw_bars)
        pick = QHBoxLayout()
        pick.addStretch(1)
        pick.addWidget(QLabel(tr("图表指标：", "Chart:")))
        pick.addWidget(self.metric_pick)

        bottom = QWidget()
        bv = QVBoxLayout(bottom)
        bv.setContentsMargins(0, 0, 0, 0)
        bv.addLayout(pick)
        bv.addWidget(self.tabs)
        body = QSplitter(Qt.Orientation.Vertical)
        body.addWidget(middle)
        body.addWidget(bottom)
        body.setSizes([300, 380])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(head)
        layout.addLayout(cards)
        layout.addWidget(body, 1)

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt name
        super().showEvent(event)
        if not self._loaded:
            self.refresh()

    def period(self) -> tuple[dt.date | None, dt.date]:
        start = None if self.from_all.isChecked() else picked_date(self.from_edit)
        return start, picked_date(self.to_edit)

    def refresh(self) -> None:
        self._loaded = True
        database, actor = self.database, self.actor
        start, end = self.period()
        self.as_of.setText(tr("正在计算…", "Computing…"))

        def work(ctx: TaskContext) -> stats.Stats:
            ctx.progress(10, tr("正在统计…", "Computing statistics…"))
            return stats.compute(database, actor=actor, today=end, start=start)

        self.task = run_task(self, work, on_done=self.show_stats, on_error=lambda e: show_error(self, e),
                             label=tr("正在统计…", "Computing statistics…"))

    def show_stats(self, result: stats.Stats) -> None:
        self.result = result
        o = result.overview
        self.as_of.setText(tr(f"统计期：{result.period_text()}　已上岗就业记录 {o['started_placements']:,} 条",
                              f"Period: {result.period_text()} — {o['started_placements']:,} placements started"))
        for key, label in self.cards.items():
            label.setText(stats.format_metric(key, o.get(key)))
        self.chart.set_curve(result.curve, {h: o.get(f"retention_{h}", float("nan")) for h in stats.HORIZONS})
        up = result.upward.assign(label=result.upward["destination"].map(stats.destination_label))
        total = {"label": tr("合计", "Total"), **result.upward_totals}
        self.upward_model.set_frame(pd.concat([up, pd.DataFrame([total])], ignore_index=True))
        self.upward_model.set_header("employed_year", stats.employed_label(result.start))  # as in the workbook
        window_zh = f"{result.start:%Y-%m-%d} 至 {result.today:%Y-%m-%d}" if result.start else "最近365天"
        window_en = f"{result.start:%Y-%m-%d} to {result.today:%Y-%m-%d}" if result.start else "the last 365 days"
        self.upward_note.setText(tr(
            f"省外：用人单位不在本人户籍所在省；县内：在培训学校所在县；务工 = {window_zh}内有在岗天数；"
            "6个月以上 = 其中在岗满180天。目前在岗 = 截止日当天在岗，与上方“在岗”相同。",
            f"Outside the province: employer not in the home province; in county: the school's county; "
            f"employed = any day on the job in {window_en}; over six months = 180+ of them. On the job now = on "
            "the end date, the same as the headline."))
        for dim, model in self.tables.items():
            model.set_frame(result.breakdowns[dim])
        self._draw_bars()

    def _draw_bars(self) -> None:
        if self.result is None:
            return
        dim = stats.DIMENSIONS[max(0, self.tabs.currentIndex())]
        metric = self.metric_pick.currentData() or "on_job"
        table = self.result.breakdowns[dim]
        if metric.startswith("retention") or metric in ("skilled_rate", "avg_wage"):
            table = table[table["placed"] >= 5]  # a rate over a handful of people says little
        table = table.assign(_v=pd.to_numeric(table[metric], errors="coerce")).sort_values("_v", ascending=False)
        top = table[np.isfinite(table["_v"])].head(15)
        self.bars[dim].set_data([str(x) for x in top["label"]], top["_v"].tolist(), metric)

    def default_file_name(self) -> str:
        from db.services.bureau import bureau

        name = bureau(self.database)[0]
        period = self.result.period_text().replace(" ", "") if self.result else ""
        return tr(f"{name}统计（{period}）.xlsx", f"{name or 'bureau'} statistics ({period}).xlsx").replace("/", "-")

    def ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, tr("导出统计", "Export statistics"), self.default_file_name(),
                                              "Excel (*.xlsx)")
        if path:
            self.export(path)

    def export(self, path: str) -> None:
        database, actor, result = self.database, self.actor, self.result

        def work(_ctx: TaskContext) -> object:
            return stats.export_xlsx(database, path, actor=actor, stats=result)

        def done(_path: object) -> None:
            self.export_btn.setEnabled(True)
            self.as_of.setText(self.as_of.text() + tr(f"　已导出：{path}", f" — exported to {path}"))

        def failed(exc: BaseException) -> None:
            self.export_btn.setEnabled(True)
            show_error(self, exc)

        self.export_btn.setEnabled(False)  # one export at a time; the busy cursor says it is working
        self.task = run_task(self, work, on_done=done, on_error=failed,
                             label=tr("正在导出统计表…", "Exporting the statistics…"), busy=True)
