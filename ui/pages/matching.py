"""匹配 page: rank trainees for a vacancy or vacancies for a trainee, shortlist into a batch, train
the model and read its report. All rules live in db.services.matching; this page only shows them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtCore import QPointF, QRectF, QStringListModel, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.access import Actor
from core.fields import mask_id, place_name
from core.i18n import UserError, tr
from core.vocab import household_label, level_label
from db.changes import BATCH, PLACEMENT, VACANCY, Changes
from db.engine import Database
from db.queries.registry import find_trainees, trainee_hit
from db.services import batches
from db.services import matching as ms
from matching.reasons import employer_record
from ui.dialogs import show_error
from ui.frame_model import FrameTableModel
from ui.pages.base import Page
from ui.permissions import gate, set_enabled
from ui.tasks import TaskContext, run_task


def _pct(v: Any) -> str:
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{float(v):.0%}"


def _prio(v: Any) -> str:
    return "" if not v else f"+{float(v):.2f}"


def _table(model: FrameTableModel, multi: bool = False) -> QTableView:
    view = QTableView()
    view.setModel(model)
    # no indicator until the data says which column orders it (else ▲ lands on 姓名, the first column)
    view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    view.setSortingEnabled(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection if multi
                          else QAbstractItemView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.horizontalHeader().setStretchLastSection(True)
    view.verticalHeader().setDefaultSectionSize(26)
    return view


def _note_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setStyleSheet(f"QLabel#{name} {{ color: #555555; }}")
    label.hide()
    return label


def _show_note(label: QLabel, text: str | None) -> None:
    label.setText(text or "")
    label.setVisible(bool(text))


class CalibrationPlot(QWidget):
    """Predicted vs observed 180-day retention on held-out placements (drawn with QPainter)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.series: list[tuple[str, QColor, list[dict]]] = []
        self.setMinimumSize(320, 300)

    def set_series(self, series: list[tuple[str, QColor, list[dict]]]) -> None:
        self.series = series
        self.update()

    def paintEvent(self, _event: Any) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("white"))
        m = 56
        side = min(self.width() - 2 * m, self.height() - 2 * m - 20)
        area = QRectF(m, m / 2, side, side)
        p.setPen(QPen(QColor("#999999"), 1))
        p.drawRect(area)
        for k in range(1, 5):
            x = area.left() + area.width() * k / 5
            y = area.bottom() - area.height() * k / 5
            p.setPen(QPen(QColor("#eeeeee"), 1))
            p.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom()))
            p.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
        p.setPen(QPen(QColor("#333333"), 1))
        for k in range(0, 6):
            p.drawText(QPointF(area.left() + area.width() * k / 5 - 8, area.bottom() + 14), f"{k * 20}%")
            p.drawText(QPointF(area.left() - 36, area.bottom() - area.height() * k / 5 + 4), f"{k * 20}%")
        p.drawText(QPointF(area.left() + area.width() / 2 - 40, area.bottom() + 30), tr("预测稳岗概率", "Predicted"))
        p.save()
        p.translate(14, area.top() + area.height() / 2 + 30)
        p.rotate(-90)
        p.drawText(QPointF(0, 0), tr("实际稳岗比例", "Observed"))
        p.restore()
        p.setPen(QPen(QColor("#bbbbbb"), 1, Qt.PenStyle.DashLine))
        p.drawLine(area.bottomLeft(), area.topRight())

        def pt(px: float, py: float) -> QPointF:
            return QPointF(area.left() + px * area.width(), area.bottom() - py * area.height())
        for i, (label, color, bins) in enumerate(self.series):
            p.setPen(QPen(color, 2))
            pts = [pt(b["predicted"], b["observed"]) for b in bins if b.get("count")]
            for a, b in zip(pts, pts[1:]):
                p.drawLine(a, b)
            p.setBrush(color)
            for q in pts:
                p.drawEllipse(q, 3.5, 3.5)
            p.drawText(QPointF(area.left() + 8, area.top() + 16 + 16 * i), "● " + label)
        p.end()


class ModelReportDialog(QDialog):
    """Metrics of heuristic vs learned model, calibration plot, fairness report."""

    def __init__(self, database: Database, actor: Actor, parent: QWidget | None = None,
                 priority_weights: dict[str, float] | None = None) -> None:
        super().__init__(parent)
        self.database = database
        self.actor = actor
        self.priority_weights = priority_weights
        self.setWindowTitle(tr("匹配模型报告", "Matching model report"))
        self.resize(980, 640)
        layout = QVBoxLayout(self)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        layout.addWidget(self.status_label)
        tabs = QTabWidget()
        layout.addWidget(tabs, 1)
        page = QWidget()
        row = QHBoxLayout(page)
        self.metrics_model = FrameTableModel([("what", tr("指标（时间外验证）", "Metric (held-out)")),
                                              ("heuristic", tr("规则评分", "Rule-based")),
                                              ("learned", tr("学习模型", "Learned"))])
        self.metrics_view = _table(self.metrics_model)
        self.metrics_view.setSortingEnabled(False)
        left = QVBoxLayout()
        left.addWidget(self.metrics_view, 1)
        self.versions_model = FrameTableModel([("version", tr("版本", "Version")), ("created", tr("训练时间", "Trained")),
                                               ("algorithm", tr("算法", "Algorithm")), ("auc", "AUC"),
                                               ("ndcg10", "NDCG@10"), ("active", tr("启用", "Active"))])
        left.addWidget(QLabel(tr("历史版本", "Versions")))
        self.versions_view = _table(self.versions_model)
        left.addWidget(self.versions_view, 1)
        row.addLayout(left, 3)
        self.plot = CalibrationPlot()
        row.addWidget(self.plot, 2)
        tabs.addTab(page, tr("模型指标与校准", "Metrics and calibration"))
        fair = QWidget()
        fl = QVBoxLayout(fair)
        fl.addWidget(QLabel(tr("在招岗位的符合条件人群、前10名推荐和以往安置中各群体所占比例（性别、民族、户类型不是模型特征）。",
                               "Share of each group in the eligible pool, the top-10 recommendations of the open "
                               "vacancies and past placements (gender, ethnicity and household type are not model features).")))
        self.fair_model = FrameTableModel([("attribute", tr("维度", "Attribute")), ("group", tr("群体", "Group")),
                                           ("eligible_share", tr("符合条件占比", "Eligible pool")),
                                           ("top_share", tr("前10推荐占比", "Top-10 share")),
                                           ("placed_share", tr("以往安置占比", "Past placements")),
                                           ("flagged", tr("低于五分之四", "Below four-fifths")),
                                           ("factors", tr("主要差距因素", "Factors behind the gap"))],
                                          formatters={**{c: _pct for c in ("eligible_share", "top_share", "placed_share")},
                                                      "flagged": lambda v: tr("⚠ 是", "⚠ yes") if v else ""})
        self.fair_view = _table(self.fair_model)
        fl.addWidget(self.fair_view, 1)
        self.fair_button = QPushButton(tr("生成公平性报告", "Build the fairness report"))
        self.fair_button.clicked.connect(self.build_fairness)
        gate(actor, "matching.run", self.fair_button)
        fl.addWidget(self.fair_button, 0, Qt.AlignmentFlag.AlignLeft)
        tabs.addTab(fair, tr("公平性报告", "Fairness report"))
        self.tabs = tabs
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.reload()

    def reload(self) -> None:
        status = ms.active_model(self.database)
        versions = ms.model_versions(self.database)
        self.status_label.setText(tr("当前评分方式：", "In use: ") + status.describe())
        metrics = status.model.metrics if status.learned else (versions["metrics"].iloc[0] if len(versions) else {})
        learned, heur = (metrics or {}).get("learned") or {}, (metrics or {}).get("heuristic") or {}

        def fmt(d: dict, k: str) -> str:
            v = d.get(k)
            return "—" if v is None else f"{v:.3f}"
        rows = [(tr("AUC（越高越好）", "AUC (higher is better)"), "auc"),
                (tr("Brier 分数（越低越好）", "Brier score (lower is better)"), "brier"),
                (tr("每岗位 NDCG@10（越高越好）", "NDCG@10 per vacancy (higher is better)"), "ndcg10")]
        frame = pd.DataFrame([{"what": w, "heuristic": fmt(heur, k), "learned": fmt(learned, k)} for w, k in rows])
        if metrics:
            frame = pd.concat([frame, pd.DataFrame([
                {"what": tr("验证记录数", "Held-out placements"), "heuristic": str(heur.get("rows", "")),
                 "learned": str(learned.get("rows", ""))},
                {"what": tr("验证起始日期", "Held-out from"), "heuristic": str(metrics.get("split_date", "")),
                 "learned": str(metrics.get("split_date", ""))}])], ignore_index=True)
        self.metrics_model.set_frame(frame)
        self.metrics_view.resizeColumnsToContents()
        v = versions.copy()
        v["created"] = v["created_at"].astype(str).str.slice(0, 16)
        v["active"] = v["active"].map({True: tr("是", "yes"), False: ""})
        self.versions_model.set_frame(v)
        self.versions_view.resizeColumnsToContents()
        series = []
        if heur.get("calibration"):
            series.append((tr("规则评分", "Rule-based"), QColor("#d9822b"), heur["calibration"]))
        if learned.get("calibration"):
            series.append((tr("学习模型", "Learned"), QColor("#2b6cb0"), learned["calibration"]))
        self.plot.set_series(series)

    def build_fairness(self) -> None:
        def work(ctx: TaskContext) -> pd.DataFrame:
            ctx.progress(10, tr("正在为在招岗位排序…", "Ranking the open vacancies…"))
            return ms.fairness_report(self.database, self.actor, priority_weights=self.priority_weights)
        self.fair_task = run_task(self, work, on_done=self.fair_model.set_frame,
                                  on_error=lambda e: show_error(self, e),
                                  label=tr("正在生成公平性报告…", "Building the fairness report…"))


class MatchingPage(Page):
    shows = frozenset({BATCH, VACANCY})  # its vacancy and batch choices follow every write (refresh)
    RANK_COLUMNS = [("name", tr("姓名", "Name")), ("id_masked", tr("身份证号", "ID number")),
                    ("score", tr("稳岗概率", "P(180 days)")), ("skilled_score", tr("转职业工概率", "P(skilled)")),
                    ("priority", tr("政策优先", "Priority")), ("household", tr("户类型", "Household")),
                    ("weight", tr("排序分", "Rank score")), ("reasons", tr("主要原因", "Main reasons"))]
    VAC_COLUMNS = [("vacancy_code", tr("岗位编号", "Code")), ("title", tr("岗位", "Job")),
                   ("employer_name", tr("用人单位", "Employer")), ("city", tr("城市", "City")),
                   ("score", tr("稳岗概率", "P(180 days)")), ("skilled_score", tr("转职业工概率", "P(skilled)")),
                   ("priority", tr("政策优先", "Priority")), ("weight", tr("排序分", "Rank score")),
                   ("reasons", tr("主要原因", "Main reasons"))]
    ORDER_NOTE = tr("按排序分从高到低：排序分 = 稳岗概率 ×（1 + 政策优先），所以监测户、脱贫户可能排在概率略高的人前面；"
                    "点击列标题可改按其他列排序。",
                    "Ordered by rank score = P(180 days) × (1 + priority), so monitored and poverty-exited households "
                    "may come before someone slightly more likely to stay; click a header to sort by another column.")

    def __init__(self, database: Database, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(database, actor, parent)
        fm = {"score": _pct, "skilled_score": _pct, "priority": _prio,
              "weight": lambda v: "" if v is None or v != v else f"{float(v):.2f}"}
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.model_label = QLabel()
        self.model_label.setObjectName("model_indicator")
        self.model_label.setStyleSheet("QLabel#model_indicator { padding: 4px 8px; border-radius: 4px; }")
        top.addWidget(self.model_label, 1)
        self.train_button = QPushButton(tr("训练模型", "Train model"))
        self.train_button.clicked.connect(self.train)
        self.report_button = QPushButton(tr("模型报告", "Model report"))
        self.report_button.clicked.connect(self.show_report)
        top.addWidget(self.train_button)
        top.addWidget(self.report_button)
        layout.addLayout(top)

        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 1)
        # --- by vacancy
        vpage = QWidget()
        vl = QVBoxLayout(vpage)
        row = QHBoxLayout()
        row.addWidget(QLabel(tr("岗位：", "Vacancy:")))
        self.vacancy_box = QComboBox()
        self.vacancy_box.setEditable(True)
        self.vacancy_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.vacancy_box.setMinimumWidth(460)
        row.addWidget(self.vacancy_box, 1)
        self.rank_vacancy_button = QPushButton(tr("推荐学员", "Rank trainees"))
        self.rank_vacancy_button.clicked.connect(self.rank_vacancy)
        row.addWidget(self.rank_vacancy_button)
        vl.addLayout(row)
        self.vacancy_info = QLabel()
        self.vacancy_info.setWordWrap(True)
        vl.addWidget(self.vacancy_info)
        split = QSplitter(Qt.Orientation.Vertical)
        self.ranked_model = FrameTableModel(self.RANK_COLUMNS, formatters=fm)
        self.ranked_view = _table(self.ranked_model, multi=True)
        box = QWidget()
        bl = QVBoxLayout(box)
        bl.setContentsMargins(0, 0, 0, 0)
        order_label = QLabel(tr("推荐人选（可多选）。", "Recommended (multi-select). ") + self.ORDER_NOTE)
        order_label.setObjectName("rank_order_note")
        order_label.setWordWrap(True)
        bl.addWidget(order_label)
        # The four-fifths warning stands above the ranking it concerns (same rule as 公平性报告).
        self.fairness_label = QLabel()
        self.fairness_label.setObjectName("fairness_warning")
        self.fairness_label.setWordWrap(True)
        self.fairness_label.setStyleSheet("QLabel#fairness_warning { background: #fff4e5; color: #7a4100; "
                                          "padding: 4px 8px; border-radius: 4px; }")
        self.fairness_label.hide()
        bl.addWidget(self.fairness_label)
        self.skilled_note_label = _note_label("skilled_note")
        bl.addWidget(self.skilled_note_label)
        bl.addWidget(self.ranked_view)
        split.addWidget(box)
        self.excluded_model = FrameTableModel([("name", tr("姓名", "Name")), ("id_masked", tr("身份证号", "ID number")),
                                               ("reason", tr("不符合条件的原因", "Why excluded"))])
        self.excluded_view = _table(self.excluded_model)
        box2 = QWidget()
        bl2 = QVBoxLayout(box2)
        bl2.setContentsMargins(0, 0, 0, 0)
        self.excluded_label = QLabel(tr("不符合条件", "Excluded"))
        bl2.addWidget(self.excluded_label)
        bl2.addWidget(self.excluded_view)
        split.addWidget(box2)
        split.setSizes([420, 200])
        vl.addWidget(split, 1)
        srow = QHBoxLayout()
        srow.addWidget(QLabel(tr("加入派遣批次：", "Add to batch:")))
        self.batch_box = QComboBox()
        self.batch_box.setMinimumWidth(260)
        srow.addWidget(self.batch_box)
        self.shortlist_button = QPushButton(tr("将所选人选加入批次（待确认）", "Add the selected to the batch (proposed)"))
        self.shortlist_button.clicked.connect(self.shortlist)
        srow.addWidget(self.shortlist_button)
        srow.addStretch(1)
        vl.addLayout(srow)
        self.tabs.addTab(vpage, tr("按岗位推荐学员", "Trainees for a vacancy"))
        # --- by trainee
        tpage = QWidget()
        tl = QVBoxLayout(tpage)
        row = QHBoxLayout()
        row.addWidget(QLabel(tr("学员：", "Trainee:")))
        self.trainee_edit = QLineEdit()
        self.trainee_edit.setObjectName("trainee_find")
        self.trainee_edit.setClearButtonEnabled(True)
        self.trainee_edit.setPlaceholderText(tr("姓名、拼音首字母（如 zsy）、身份证号或手机尾号",
                                                "Name, pinyin initials (e.g. zsy), ID number or last digits of the phone"))
        self.trainee_edit.returnPressed.connect(self.rank_trainee)
        # Suggestions from the registry as the clerk types (one query per pause, scoped to the user).
        self._hits: dict[str, Any] = {}
        self._hit_model = QStringListModel(self)
        self.trainee_completer = QCompleter(self._hit_model, self)
        self.trainee_completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.trainee_completer.activated.connect(lambda _text: self.rank_trainee())
        self.trainee_edit.setCompleter(self.trainee_completer)
        self._suggest_timer = QTimer(self)
        self._suggest_timer.setSingleShot(True)
        self._suggest_timer.setInterval(250)
        self._suggest_timer.timeout.connect(self.suggest_trainees)
        self.trainee_edit.textEdited.connect(lambda _t: self._suggest_timer.start())
        row.addWidget(self.trainee_edit, 1)
        self.rank_trainee_button = QPushButton(tr("推荐岗位", "Rank vacancies"))
        self.rank_trainee_button.clicked.connect(self.rank_trainee)
        row.addWidget(self.rank_trainee_button)
        tl.addLayout(row)
        self.trainee_info = QLabel()
        self.trainee_info.setWordWrap(True)
        tl.addWidget(self.trainee_info)
        self.vac_skilled_note_label = _note_label("vac_skilled_note")
        tl.addWidget(self.vac_skilled_note_label)
        split2 = QSplitter(Qt.Orientation.Vertical)
        self.vac_model = FrameTableModel(self.VAC_COLUMNS, formatters=fm)
        self.vac_view = _table(self.vac_model, multi=True)
        split2.addWidget(self.vac_view)
        self.vac_excluded_model = FrameTableModel([("vacancy_code", tr("岗位编号", "Code")), ("title", tr("岗位", "Job")),
                                                   ("employer_name", tr("用人单位", "Employer")),
                                                   ("reason", tr("不符合条件的原因", "Why excluded"))])
        self.vac_excluded_view = _table(self.vac_excluded_model)
        split2.addWidget(self.vac_excluded_view)
        split2.setSizes([420, 200])
        tl.addWidget(split2, 1)
        trow = QHBoxLayout()
        trow.addWidget(QLabel(tr("加入派遣批次：", "Add to batch:")))
        self.trainee_batch_box = QComboBox()
        self.trainee_batch_box.setMinimumWidth(260)
        trow.addWidget(self.trainee_batch_box)
        self.trainee_shortlist_button = QPushButton(tr("将所选岗位加入批次（待确认）", "Add the selected vacancy to the batch (proposed)"))
        self.trainee_shortlist_button.setObjectName("btn_trainee_shortlist")
        self.trainee_shortlist_button.clicked.connect(self.shortlist_trainee)
        trow.addWidget(self.trainee_shortlist_button)
        trow.addStretch(1)
        tl.addLayout(trow)
        self.tabs.addTab(tpage, tr("按学员推荐岗位", "Vacancies for a trainee"))
        self.last_vacancy: ms.RankResult | None = None
        gate(actor, "model.train", self.train_button)
        gate(actor, "matching.run", self.rank_vacancy_button, self.rank_trainee_button, self.trainee_edit)
        gate(actor, "batch.write", self.shortlist_button)
        self.refresh()

    # --- data ---------------------------------------------------------------------------------
    PREPARING = tr("正在准备…（读取评分模型、在招岗位和批次）", "Preparing… (reading the scoring model, open vacancies and batches)")

    def refresh(self) -> None:
        """Read the model in use, the open vacancies and the batches in the background (seconds at county
        scale); until they arrive the page says it is preparing and ranking waits."""
        self._generation = getattr(self, "_generation", 0) + 1
        generation = self._generation
        self.ready = False
        self.model_label.setText(self.PREPARING)
        self.model_label.setStyleSheet("QLabel#model_indicator { padding: 4px 8px; border-radius: 4px; background: #eeeeee; }")
        for button in self._waiting_buttons():  # ranking a trainee needs none of this: it stays available
            set_enabled(button, False)
        database = self.database

        def work(_ctx: TaskContext) -> tuple[ms.ModelStatus, str, pd.DataFrame, pd.DataFrame]:
            status = ms.active_model(database)
            return (status, self.describe_scoring(status), batches.open_vacancies(database),
                    batches.list_batches(database))

        def done(result: tuple[ms.ModelStatus, str, pd.DataFrame, pd.DataFrame]) -> None:
            if generation == self._generation:  # an older read finishing late changes nothing
                self._fill(*result)

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                self.model_label.setText(tr("评分方式：读取失败", "Scoring: could not be read"))
                show_error(self, exc)
        self.prepare_task = run_task(self, work, on_done=done, on_error=failed, cancellable=False,
                                     delay_ms=24 * 3600 * 1000, label=self.PREPARING)

    def _fill(self, status: ms.ModelStatus, scoring: str, vac: pd.DataFrame, batch_list: pd.DataFrame) -> None:
        self._set_banner(scoring, status.learned)
        current = self.vacancy_box.currentData()
        self.vacancy_box.clear()
        if vac.empty:  # an empty page says what to do first
            self.vacancy_info.setText(tr("还没有在招岗位：请先在“用人单位与岗位”中新增或导入岗位，再回到这里推荐学员。",
                                         "No open vacancy yet: add or import vacancies under 'Employers & vacancies' first."))
        for r in vac.itertuples():
            band = f"{r.wage_min}–{r.wage_max}" if r.wage_min == r.wage_min else ""
            self.vacancy_box.addItem(f"{r.code}  {r.title}  {r.employer}（{r.city}）{band}", r.code)
        if current is not None:
            idx = self.vacancy_box.findData(current)
            if idx >= 0:
                self.vacancy_box.setCurrentIndex(idx)
        for box in (self.batch_box, self.trainee_batch_box):
            chosen = box.currentData()
            box.clear()
            for b in batch_list.itertuples():
                box.addItem(f"{b.name}（{b.departure_date or ''}）", int(b.id))
            if chosen is not None and box.findData(chosen) >= 0:
                box.setCurrentIndex(box.findData(chosen))
        for button in self._waiting_buttons():
            set_enabled(button, True)
        self.ready = True

    def _waiting_buttons(self) -> tuple[QPushButton, ...]:
        """What needs the vacancy list or the batches read by refresh()."""
        return (self.rank_vacancy_button, self.shortlist_button, self.trainee_shortlist_button)

    def show_scoring(self, status: ms.ModelStatus) -> None:
        """The banner: green for a learned model in use, amber for the rules (and for a fallback)."""
        self._set_banner(self.describe_scoring(status), status.learned)

    def _set_banner(self, scoring: str, learned: bool) -> None:
        self.model_label.setText(tr("评分方式：", "Scoring: ") + scoring)
        color = "#e6f4ea" if learned else "#fff4e5"
        self.model_label.setStyleSheet(f"QLabel#model_indicator {{ padding: 4px 8px; border-radius: 4px; background: {color}; }}")

    def describe_scoring(self, status: ms.ModelStatus) -> str:
        """The banner: which model scores, and a stored version that was not switched on says so."""
        if status.learned or status.warning:
            return status.describe()
        versions = ms.model_versions(self.database)
        if versions.empty:
            return status.describe()
        v = int(versions["version"].iloc[0])
        return tr(f"规则评分（已训练第{v}版，未启用：它在检验中没有优于规则评分；详见“模型报告”）",
                  f"Rule-based score (v{v} was trained but not switched on: it did not beat the rules when "
                  "tested; see 'Model report')")

    @staticmethod
    def training_text(result: dict) -> str:
        """What training found, in plain words (the AUC/Brier/NDCG figures stay in the model report)."""
        c = result["comparison"]
        new, old = c.get("new") or {}, c.get("active") or {}
        against = tr("规则评分", "the rule-based score") if c.get("against") == "heuristic" else tr("现用模型", "the model in use")

        def pct(d: dict, k: str) -> str:
            return "—" if d.get(k) is None else f"{float(d[k]):.0%}"
        lines = [result["message"], "",
                 tr("用最近一段、训练时没看过的历史检验：", "Tested on recent history the model had not seen:"),
                 tr(f"· 分辨谁会稳岗：任取一位稳岗满 180 天的人和一位提前离岗的人，新模型给前者打分更高的机会为 "
                    f"{pct(new, 'auc')}（{against} {pct(old, 'auc')}）。",
                    f"· Telling who stays: for one person who stayed 180 days and one who left early, the new model "
                    f"scores the stayer higher {pct(new, 'auc')} of the time ({against}: {pct(old, 'auc')})."),
                 tr(f"· 推荐前 10 名的质量：与实际稳岗结果的吻合程度 {pct(new, 'ndcg10')}（{against} {pct(old, 'ndcg10')}）。",
                    f"· Quality of the top 10: agreement with who actually stayed {pct(new, 'ndcg10')} "
                    f"({against}: {pct(old, 'ndcg10')})."),
                 tr("数字越高越好；技术指标见“模型报告”。", "Higher is better; the technical figures are in 'Model report'.")]
        return "\n".join(lines)

    @staticmethod
    def _decorate(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        if "id_number" in frame:
            frame["id_masked"] = frame["id_number"].map(mask_id)
        if "household_type" in frame:
            frame["household"] = frame["household_type"].map(household_label)
        return frame

    def _code(self) -> str:
        data = self.vacancy_box.currentData()
        text = self.vacancy_box.currentText().strip()
        if data is not None and self.vacancy_box.itemText(self.vacancy_box.currentIndex()) == text:
            return str(data)
        return text.split()[0] if text else ""

    def rank_vacancy(self) -> None:
        code = self._code()
        if not code:
            show_error(self, tr("请先选择或输入岗位编号", "Choose or type a vacancy code first"))
            return
        actor, weights = self.actor, self.priority_weights()

        def work(_ctx: TaskContext) -> ms.RankResult:
            return ms.rank_vacancy(self.database, code, top=100, actor=actor, priority_weights=weights)
        self.rank_vacancy_button.setEnabled(False)
        self.vacancy_task = run_task(self, work, on_done=self._show_vacancy, on_error=self._failed,
                                     label=tr("正在排序…", "Ranking…"))

    def _failed(self, exc: BaseException) -> None:
        set_enabled(self.rank_vacancy_button, True)
        set_enabled(self.rank_trainee_button, True)
        show_error(self, exc)

    def _show_vacancy(self, result: ms.RankResult) -> None:
        set_enabled(self.rank_vacancy_button, True)
        self.last_vacancy = result
        self.show_scoring(result.model)
        v = result.subject
        band = f"{v.get('wage_min')}–{v.get('wage_max')}"
        record = employer_record(v["employer_retention"], v["employer_history"])  # "暂无历史…" with none
        info = tr(f"{v['code']} {v['title']} · {v['employer_name']}（{place_name(v['province'], v['city'])}）· "
                  f"月薪 {band} · 招 {v['headcount']} 人 · 该单位{record}",
                  f"{v['code']} {v['title']} · {v['employer_name']} ({v['city']}) · wage {band} · "
                  f"{v['headcount']} wanted · employer {record}")
        if result.message:
            info += "\n" + result.message
        self.vacancy_info.setText(info)
        self.ranked_model.set_frame(self._decorate(result.ranked))
        self._show_order(self.ranked_view, self.RANK_COLUMNS)
        warnings = result.fairness
        self.fairness_label.setText(ms.fairness_sentence(warnings) if warnings else "")
        self.fairness_label.setVisible(bool(warnings))
        _show_note(self.skilled_note_label, result.skilled_note if len(result.ranked) else None)
        self.excluded_model.set_frame(self._decorate(result.excluded))
        self.excluded_label.setText(tr(f"不符合条件（{len(result.excluded)} 人）", f"Excluded ({len(result.excluded)})"))
        for view in (self.ranked_view, self.excluded_view):
            view.resizeColumnsToContents()
            view.horizontalHeader().setSectionResizeMode(view.model().columnCount() - 1, QHeaderView.ResizeMode.Stretch)

    def suggest_trainees(self) -> None:
        text = self.trainee_edit.text().strip()
        if text in self._hits:
            return
        with self.database.session() as session:
            hits = find_trainees(session, self.actor, text, limit=15) if text else []
        self._hits = {h.label(): h for h in hits}
        self._hit_model.setStringList(list(self._hits))
        if hits and self.trainee_edit.hasFocus():
            self.trainee_completer.complete()

    def _resolve_trainee(self) -> Any:
        """The trainee the clerk means: a suggestion picked, the only match, or one chosen from a list."""
        text = self.trainee_edit.text().strip()
        if text in self._hits:
            return self._hits[text]
        with self.database.session() as session:
            hits = find_trainees(session, self.actor, text, limit=50)
        if not hits:
            raise UserError(f"找不到与“{text}”相符的学员（可输入姓名、拼音首字母、身份证号或手机尾号）。",
                            f"No trainee matches '{text}' (type a name, pinyin initials, ID number or phone digits).")
        if len(hits) == 1:
            return hits[0]
        picker = QInputDialog(self)
        picker.setObjectName("trainee_picker")
        picker.setWindowTitle(tr("选择学员", "Choose the trainee"))
        picker.setLabelText(tr(f"有 {len(hits)} 位学员与“{text}”相符{'（只列前 50 位）' if len(hits) == 50 else ''}，请选择：",
                               f"{len(hits)} trainees match '{text}'; choose one:"))
        picker.setComboBoxItems([h.label() for h in hits])
        picker.setOkButtonText(tr("推荐岗位", "Rank vacancies"))
        picker.setCancelButtonText(tr("取消", "Cancel"))
        self.last_picker = picker
        if picker.exec() != QDialog.DialogCode.Accepted:
            return None
        chosen = hits[[h.label() for h in hits].index(picker.textValue())]
        self._hits = {chosen.label(): chosen}
        self.trainee_edit.setText(chosen.label())
        return chosen

    def show_trainee(self, trainee_id: int) -> None:
        """Open the 按学员推荐岗位 tab on one trainee and rank (推荐岗位 from the trainee page)."""
        with self.database.session() as session:
            hit = trainee_hit(session, self.actor, int(trainee_id))
        self.tabs.setCurrentIndex(1)
        if hit is None:
            show_error(self, tr("找不到该学员，或当前用户无权查看。", "The trainee is gone or not visible to this user."))
            return
        self._hits = {hit.label(): hit}
        self.trainee_edit.setText(hit.label())
        self.rank_trainee()

    @staticmethod
    def _show_order(view: QTableView, columns: list[tuple[str, str]]) -> None:
        """The ranking arrives ordered by the rank score: the ▼ goes on that column (no re-sort)."""
        header = view.horizontalHeader()
        header.blockSignals(True)
        header.setSortIndicator([k for k, _ in columns].index("weight"), Qt.SortOrder.DescendingOrder)
        header.blockSignals(False)
        header.viewport().update()

    def rank_trainee(self) -> None:
        if not self.trainee_edit.text().strip():
            show_error(self, tr("请输入学员姓名、拼音首字母、身份证号或手机尾号。",
                                "Type the trainee's name, pinyin initials, ID number or phone digits."))
            return
        try:
            hit = self._resolve_trainee()
        except UserError as exc:
            show_error(self, exc)
            return
        if hit is None:
            return
        number = hit.id_number
        actor, weights = self.actor, self.priority_weights()

        def work(_ctx: TaskContext) -> ms.RankResult:
            return ms.rank_trainee(self.database, number, top=50, actor=actor, priority_weights=weights)
        self.rank_trainee_button.setEnabled(False)
        self.trainee_task = run_task(self, work, on_done=self._show_trainee, on_error=self._failed,
                                     label=tr("正在排序…", "Ranking…"))

    def _show_trainee(self, result: ms.RankResult) -> None:
        set_enabled(self.rank_trainee_button, True)
        t = result.subject
        lvl = t.get("skill_level")
        level = level_label(int(lvl)) if lvl is not None and lvl == lvl else tr("无", "-")
        info = tr(f"{t['name']} {mask_id(t['id_number'])} · 技能等级 {level} · 期望月薪 "
                  f"{t.get('expected_wage') or '未填'} · 意向地区 {t.get('preferred_regions') or '未填'}",
                  f"{t['name']} {mask_id(t['id_number'])} · level {level} · expects "
                  f"{t.get('expected_wage') or '-'} · prefers {t.get('preferred_regions') or '-'}")
        if result.message:
            info += "\n" + result.message
        self.trainee_info.setText(info)
        _show_note(self.vac_skilled_note_label, result.skilled_note if len(result.ranked) else None)
        self.vac_model.set_frame(result.ranked)
        self._show_order(self.vac_view, self.VAC_COLUMNS)
        self.vac_excluded_model.set_frame(result.excluded)
        for view in (self.vac_view, self.vac_excluded_view):
            view.resizeColumnsToContents()

    # --- actions --------------------------------------------------------------------------------
    def selected_pairs(self, view: QTableView | None = None) -> list[dict]:
        view = view or self.ranked_view
        model = view.model()
        assert isinstance(model, FrameTableModel)  # _table() gave every view here one
        rows = sorted({i.row() for i in view.selectionModel().selectedRows()})
        out = []
        for r in rows:
            rec = model.row(r)
            out.append({"trainee_id": int(rec["trainee_id"]), "vacancy_id": int(rec["vacancy_id"]),
                        "score": float(rec["score"]), "priority": float(rec["priority"]), "reasons": list(rec["reasons"])})
        return out

    def shortlist(self) -> None:
        self._shortlist(self.ranked_view, self.batch_box)

    def shortlist_trainee(self) -> None:
        pairs = self.selected_pairs(self.vac_view)
        if len(pairs) > 1:
            show_error(self, tr("一位学员只能加入一个岗位，请只选择一个岗位。", "A trainee goes to one vacancy; select one."))
            return
        self._shortlist(self.vac_view, self.trainee_batch_box)

    def _shortlist(self, view: QTableView, box: QComboBox) -> None:
        pairs = self.selected_pairs(view)
        batch_id = box.currentData()
        if batch_id is None:
            show_error(self, tr("还没有派遣批次，请先在“派遣与跟踪”中建立批次", "There is no departure batch yet; create one first"))
            return
        try:
            added = ms.shortlist(self.database, int(batch_id), pairs, actor=self.actor)
        except Exception as exc:  # noqa: BLE001 - shown as one sentence
            show_error(self, exc)
            return
        QMessageBox.information(self, "LaborBridge", tr(
            f"已将 {added} 人加入批次“{box.currentText()}”（待确认，需人工确认后才安置）。",
            f"{added} added to the batch '{box.currentText()}' as proposed (a person confirms)."))
        self.announce(Changes.of(BATCH, PLACEMENT))

    def priority_weights(self) -> dict[str, float] | None:
        """None: the services use the bureau-wide weights in the database (设置 → 政策优先系数), the
        same as the command line."""
        return None

    def train(self) -> None:
        actor = self.actor

        def work(ctx: TaskContext) -> dict:
            return ms.train(self.database, actor, progress=ctx.progress)

        def done(result: dict) -> None:
            self.train_button.setEnabled(True)
            self.last_training = result
            text = self.training_text(result)
            self.training_box = QMessageBox(QMessageBox.Icon.Information, "LaborBridge", text, parent=self)
            self.training_box.open()
            self.refresh()
            if self.last_vacancy is not None:  # scores on screen must come from the model now in use
                self.rank_vacancy()

        def failed(exc: BaseException) -> None:
            self.train_button.setEnabled(True)
            show_error(self, exc)
        self.train_button.setEnabled(False)
        self.train_task = run_task(self, work, on_done=done, on_error=failed,
                                   label=tr("正在训练匹配模型…", "Training the matcher…"))

    def show_report(self) -> None:
        self.report = ModelReportDialog(self.database, self.actor, self, self.priority_weights())
        self.report.open()
