"""The 户 page: find a household (户编号, head's name, a member's ID or phone), see its members, who
works where since when for what wage, its risk and history, its wage income per head this year
against the monitoring line; the standing list of monitored households with nobody in work; the
monitoring system's imports and the monthly report. School accounts never see this page."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd
from PySide6.QtCore import QDate, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.access import Actor
from core.fields import mask_id
from core.households import labour_label, monitoring_label
from core.i18n import tr
from core.vocab import household_label
from db.changes import HOUSEHOLD, PLACEMENT, TRAINEE
from db.engine import Database
from db.queries.households import find_households, household_detail, member_jobs
from db.services import households
from ui.dialogs import show_error
from ui.frame_model import FrameTableModel
from ui.pages.base import Page
from ui.permissions import gate, set_enabled
from ui.tasks import Cancelled, TaskContext, run_task

EVENT_LABELS = {"changed": ("监测信息变化", "Monitoring changed"), "member_in": ("成员新增", "Member added"),
                "member_out": ("成员迁出", "Member left"), "member_moved_in": ("成员迁入", "Member moved in"),
                "member_moved_out": ("成员迁往他户", "Member moved to another household")}
FIELD_LABELS = {"monitoring_kind": ("监测对象类别", "Monitoring kind"), "eliminated": ("风险是否已消除", "Risk eliminated"),
                "eliminated_month": ("消除监测时间", "Eliminated"), "household_kind": ("户类型", "Household type"),
                "risks": ("致贫/返贫风险", "Risks")}


class WageChart(QWidget):
    """Wage income per head, month by month this year (cumulative bars), against the monitoring line."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(110)
        self.months: list[tuple[dt.date, float]] = []
        self.line = 0
        self.shown = False  # no household chosen yet: no "no wages" either

    def set_data(self, months: list[tuple[dt.date, float]], line: int) -> None:
        self.months, self.line, self.shown = months, line, True
        self.update()

    def note(self) -> str:
        """The sentence drawn instead of bars, if any."""
        return tr("今年暂无工资记录", "No wages this year") if self.shown and not self.months else ""

    def paintEvent(self, _event: object) -> None:  # noqa: N802 - Qt name
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        left, bottom, top = 8, h - 18, 20
        if not self.months:
            p.drawText(QRectF(0, 0, w, h), Qt.AlignmentFlag.AlignCenter, self.note())
            return
        running, sums = 0.0, []
        for _m, v in self.months:
            running += v
            sums.append(running)
        top_value = max(max(sums), float(self.line), 1.0) * 1.1
        step = (w - left - 8) / 12
        for i, (m, _v) in enumerate(self.months):
            bar = (bottom - top) * sums[i] / top_value
            color = QColor("#2E7D32") if self.line and sums[i] >= self.line else QColor("#5B8DEF")
            p.fillRect(QRectF(left + i * step + 3, bottom - bar, step - 6, bar), color)
            p.setPen(QColor("#555"))
            p.drawText(QRectF(left + i * step, bottom + 2, step, 16), Qt.AlignmentFlag.AlignCenter, f"{m.month}")
        if self.line:
            y = bottom - (bottom - top) * self.line / top_value
            p.setPen(QPen(QColor("#C62828"), 1.5, Qt.PenStyle.DashLine))
            p.drawLine(left, int(y), w - 8, int(y))
            label = tr(f"监测线 {self.line:,} 元", f"Line {self.line:,}")
            box = QRectF(w - 130, 0, 122, 16)
            p.fillRect(box, QColor(255, 255, 255, 220))
            p.drawText(box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)


def _table(columns: list[tuple[str, str]], name: str) -> tuple[QTableView, FrameTableModel]:
    model = FrameTableModel(columns)
    view = QTableView()
    view.setObjectName(name)
    view.setModel(model)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
    view.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
    view.verticalHeader().hide()
    view.horizontalHeader().setStretchLastSection(True)
    return view, model


class HouseholdsPage(Page):
    shows = frozenset({HOUSEHOLD, TRAINEE, PLACEMENT})

    def __init__(self, database: Database, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(database, actor, parent)
        self.household_id: int | None = None
        self.ranked: pd.DataFrame | None = None
        self.alerts_task: TaskContext | None = None
        root = QVBoxLayout(self)

        bar = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setObjectName("household_search")
        self.search.setPlaceholderText(tr("户编号、户主或成员姓名、身份证号、手机号", "Household code, name, ID or phone"))
        self.search.returnPressed.connect(self.search_households)
        self.find_btn = QPushButton(tr("查找", "Find"))
        self.find_btn.setObjectName("btn_household_find")
        self.find_btn.clicked.connect(self.search_households)
        self.import_btn = QPushButton(tr("导入监测系统导出表…", "Import monitoring export…"))
        self.import_btn.setObjectName("btn_household_import")
        self.import_btn.clicked.connect(lambda: self.import_file("members"))
        self.work_btn = QPushButton(tr("导入务工表…", "Import work table…"))
        self.work_btn.setObjectName("btn_household_work")
        self.work_btn.clicked.connect(lambda: self.import_file("work"))
        self.month = QDateEdit(QDate.currentDate())
        self.month.setDisplayFormat("yyyy-MM")
        self.month.setCalendarPopup(False)
        self.report_btn = QPushButton(tr("导出月度务工规模…", "Export monthly report…"))
        self.report_btn.setObjectName("btn_household_report")
        self.report_btn.clicked.connect(self.export_report)
        bar.addWidget(self.search, 1)
        for w in (self.find_btn, self.import_btn, self.work_btn, QLabel(tr("月份", "Month")), self.month,
                  self.report_btn):
            bar.addWidget(w)
        root.addLayout(bar)
        gate(actor, "households.write", self.import_btn, self.work_btn)
        self.status = QLabel()
        self.status.setObjectName("household_status")
        self.status.setWordWrap(True)
        root.addWidget(self.status)

        split = QSplitter(Qt.Orientation.Horizontal)
        self.tabs = QTabWidget()
        self.results, self.results_model = _table([("code", tr("户编号", "Household")), ("head", tr("户主", "Head")),
                                                   ("township", tr("乡镇", "Township")), ("village", tr("村", "Village")),
                                                   ("kind", tr("监测类别", "Monitoring"))], "household_results")
        self.todo, self.todo_model = _table([("kind_label", tr("待办", "To do")), ("household_code", tr("户编号", "Household")),
                                             ("head", tr("户主", "Head")), ("township", tr("乡镇", "Township")),
                                             ("detail", tr("说明", "Detail"))], "household_todo")
        self.tabs.addTab(self.results, tr("查找结果", "Found"))
        todo_box = QWidget()
        tv = QVBoxLayout(todo_box)
        tv.setContentsMargins(0, 0, 0, 0)
        self.todo_status = QLabel(tr("正在计算…", "Computing…"))
        self.todo_status.setObjectName("household_todo_status")
        tv.addWidget(self.todo_status)
        tv.addWidget(self.todo, 1)
        self.tabs.addTab(todo_box, tr("待办（预警）", "To do (alerts)"))
        self.results.clicked.connect(lambda idx: self.open_household(int(self.results_model.row(idx.row())["id"])))
        self.todo.clicked.connect(self._open_todo)
        split.addWidget(self.tabs)

        detail = QWidget()
        d = QVBoxLayout(detail)
        self.header = QLabel(tr("在左侧查找或从待办中选择一户。", "Find a household or pick one from the to-do list."))
        self.header.setObjectName("household_header")
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        d.addWidget(self.header)
        self.members, self.members_model = _table(
            [("name", tr("姓名", "Name")), ("relation", tr("关系", "Relation")), ("id_masked", tr("身份证号", "ID number")),
             ("labour_label", tr("劳动技能", "Labour")), ("trainee", tr("学员", "Trainee")),
             ("job", tr("务工单位", "Where")), ("since", tr("起始", "Since")), ("wage", tr("月收入", "Wage"))],
            "household_members")
        d.addWidget(self.members, 2)
        buttons = QHBoxLayout()
        self.open_trainee_btn = QPushButton(tr("打开学员档案", "Open trainee record"))
        self.open_trainee_btn.setObjectName("btn_open_trainee")
        self.open_trainee_btn.clicked.connect(self.open_trainee)
        self.rank_btn = QPushButton(tr("为该成员推荐岗位", "Rank vacancies for this member"))
        self.rank_btn.setObjectName("btn_rank_member")
        self.rank_btn.clicked.connect(self.rank_member)
        buttons.addWidget(self.open_trainee_btn)
        buttons.addWidget(self.rank_btn)
        buttons.addStretch(1)
        d.addLayout(buttons)
        self.rank_ok = gate(actor, "matching.run", self.rank_btn)
        set_enabled(self.open_trainee_btn, False)
        set_enabled(self.rank_btn, False)
        self.members.clicked.connect(lambda _i: self._member_selected())
        self.income = QLabel()
        self.income.setObjectName("household_income")
        d.addWidget(self.income)
        self.chart = WageChart()
        d.addWidget(self.chart)
        self.bottom_tabs = QTabWidget()
        self.history = QListWidget()
        self.history.setObjectName("household_history")
        self.vacancies, self.vacancies_model = _table(
            [("vacancy_code", tr("岗位编号", "Vacancy")), ("employer", tr("用人单位", "Employer")),
             ("title", tr("岗位", "Title")), ("score_text", tr("稳岗概率", "Retention")),
             ("reasons_text", tr("理由", "Reasons"))], "household_vacancies")
        self.bottom_tabs.addTab(self.history, tr("变动记录", "History"))
        self.bottom_tabs.addTab(self.vacancies, tr("推荐岗位", "Ranked vacancies"))
        d.addWidget(self.bottom_tabs, 1)
        split.addWidget(detail)
        split.setSizes([500, 780])
        root.addWidget(split, 1)
        self.refresh()

    # --- lists ----------------------------------------------------------------------------------

    def refresh(self) -> None:
        """The to-do list, computed off the GUI thread: one computation per page, a new one cancels the old."""
        if self.alerts_task is not None:
            self.alerts_task.cancel()
        self.tabs.setTabText(1, tr("待办（预警）正在计算…", "To do (alerts) computing…"))
        self.todo_status.setText(tr("正在计算…", "Computing…"))
        self.todo_status.show()
        database, actor = self.database, self.actor

        def work(ctx: TaskContext) -> pd.DataFrame:
            alerts = households.compute_alerts(database, actor)
            if ctx.cancelled():
                raise Cancelled()
            return alerts

        def failed(exc: BaseException) -> None:
            if ctx is not self.alerts_task or isinstance(exc, Cancelled):
                return  # a newer computation took over
            self.alerts_task = None
            self.todo_status.setText(tr("待办计算失败", "The to-do list could not be computed"))
            self.tabs.setTabText(1, tr("待办（预警）", "To do (alerts)"))
            show_error(self, exc)

        ctx = run_task(self, work, on_done=lambda alerts: self._show_alerts(ctx, alerts), on_error=failed,
                       dialog=False)
        self.alerts_task = ctx

    def _show_alerts(self, ctx: TaskContext, alerts: pd.DataFrame) -> None:
        if ctx is not self.alerts_task:
            return  # an older computation finishing late: the newer one shows
        self.alerts_task = None
        self.todo_status.hide()
        todo = alerts[alerts["kind"].isin(["work_risk_idle", "monitored_idle", "placement_ended", "above_line"])]
        self.todo_model.set_frame(todo.reset_index(drop=True))
        self.tabs.setTabText(1, tr(f"待办（预警）{len(todo)}", f"To do (alerts) {len(todo)}"))
        if len(todo) and not len(self.results_model.frame):
            self.tabs.setCurrentIndex(1)
        self.todo.setColumnWidth(0, 190)
        self.todo.setColumnWidth(1, 160)

    def search_households(self) -> None:
        with self.database.engine.connect() as conn:
            found = find_households(conn, self.actor, self.search.text())
        frame = pd.DataFrame(found, columns=["id", "code", "township", "village", "monitoring_kind", "eliminated",
                                             "head", "found"])
        frame["kind"] = [(monitoring_label(k) + (tr("（已消除）", " (eliminated)") if e else "")) if k else ""
                         for k, e in zip(frame["monitoring_kind"], frame["eliminated"])]
        self.results_model.set_frame(frame)
        self.results.setColumnWidth(0, 160)
        self.tabs.setCurrentIndex(0)
        self.status.setText(tr(f"找到 {len(frame)} 户", f"{len(frame)} households found") if len(frame)
                            else tr("没有找到符合的家庭", "No household matches"))
        if len(frame) == 1:
            self.open_household(int(frame["id"].iloc[0]))

    def _open_todo(self, index: Any) -> None:
        row = self.todo_model.row(index.row())
        if row["household_id"] is not None and row["household_id"] == row["household_id"]:
            self.open_household(int(row["household_id"]))

    # --- one household --------------------------------------------------------------------------

    def open_household(self, household_id: int) -> None:
        with self.database.engine.connect() as conn:
            info = household_detail(conn, self.actor, household_id)
            jobs = member_jobs(conn, self.actor, household_id)
        if info is None:
            return
        self.household_id = household_id
        h = info["household"]
        kind = monitoring_label(h["monitoring_kind"]) if h["monitoring_kind"] else tr("非监测对象", "Not monitored")
        if h["eliminated"]:
            when = f"{h['eliminated_month']:%Y-%m}" if h["eliminated_month"] else ""
            how = h["elimination_method"] or ""
            kind += tr(f"（风险已消除 {when} {how}）", f" (risk eliminated {when})")
        where = " ".join(x for x in (h["county"], h["township"], h["village"], h["natural_village"]) if x)
        risks = h["risks"] or tr("无", "none")
        since = f"{h['identified_month']:%Y-%m}" if h["identified_month"] else "—"
        self.header.setText(
            f"<b style='font-size:15px'>{tr('户编号', 'Household')} {h['code'] or tr('（手工登记）', '(by hand)')}</b>"
            f"　{where}<br>{household_label(h['household_kind'])} · <b>{kind}</b> · {tr('识别监测', 'identified')} {since}"
            f"<br>{tr('致贫/返贫风险', 'Risks')}：{risks} · {tr('人数', 'size')} {h['size'] or len(info['members'])}"
            + (" · " + tr(f"人均纯收入 {h['income_per_capita']:,} 元（{h['income_year'] or ''}）",
                          f"net income per head {h['income_per_capita']:,} ({h['income_year'] or ''})")
               if h["income_per_capita"] else ""))
        frame = pd.DataFrame(info["members"])
        frame["id_masked"] = frame["id_number"].map(mask_id)
        frame["labour_label"] = frame["labour"].map(labour_label)
        frame["trainee"] = [tr("是", "yes") if t == t and t is not None else "" for t in frame["trainee_id"]]
        frame = frame.merge(jobs, how="left", left_on="id", right_on="member_id")
        for col in ("job", "since", "wage"):
            frame[col] = frame[col].fillna("")
        self.members_model.set_frame(frame)
        self.members.setColumnWidth(2, 150)
        wages = households.wage_per_head(self.database, self.actor, household_id)
        line = wages["line"]
        if line and h["eliminated"]:
            line_text = tr(f"，{wages['year']} 年监测线 {line:,} 元（风险已消除）", f"; {wages['year']} line {line:,} (eliminated)")
        elif line:
            verdict = tr("已超过监测线：可提交村级风险消除评议（本系统不作消除决定）",
                         "above the line: may go to the village's elimination review (the tool never decides)") \
                if wages["per_head"] > line else tr("低于监测线", "below the line")
            line_text = tr(f"，{wages['year']} 年监测线 {line:,} 元，{verdict}", f"; {wages['year']} line {line:,}: {verdict}")
        else:
            line_text = tr(f"（{wages['year']} 年监测线尚未在设置中填写）", f" (the {wages['year']} line is not set)")
        self.income.setText(tr(f"今年工资性收入人均 {wages['per_head']:,.0f} 元", f"Wages this year per head "
                               f"{wages['per_head']:,.0f} yuan") + line_text)
        self.chart.set_data(wages["by_month"], line)
        self.history.clear()
        for ev in info["history"]:
            detail = json.loads(ev["detail"] or "{}")
            text = tr(*EVENT_LABELS.get(ev["kind"], (ev["kind"], ev["kind"])))
            if ev["kind"] == "changed":
                parts = [f"{tr(*FIELD_LABELS.get(k, (k, k)))}: {_shown(a)} → {_shown(b)}" for k, (a, b) in detail.items()]
                text += "　" + "；".join(parts)
            else:
                text += "　" + " ".join(str(detail.get(k)) for k in ("name", "id_number") if detail.get(k))
                if detail.get("from") or detail.get("to"):
                    text += tr(f"（{detail.get('from')} → {detail.get('to')}）", f" ({detail.get('from')} → {detail.get('to')})")
            self.history.addItem(f"{ev['at']:%Y-%m-%d}　{text}")
        self.vacancies_model.set_frame(pd.DataFrame(columns=["vacancy_code", "employer", "title", "score_text",
                                                             "reasons_text"]))
        set_enabled(self.open_trainee_btn, False)
        set_enabled(self.rank_btn, False)

    def _selected_member(self) -> pd.Series | None:
        rows = self.members.selectionModel().selectedRows()
        return self.members_model.row(rows[0].row()) if rows else None

    def _member_selected(self) -> None:
        member = self._selected_member()
        linked = member is not None and member["trainee_id"] == member["trainee_id"] and member["trainee_id"] is not None
        set_enabled(self.open_trainee_btn, linked)
        set_enabled(self.rank_btn, linked and self.rank_ok)

    def open_trainee(self) -> None:
        from ui.trainee_dialog import TraineeDialog

        member = self._selected_member()
        if member is None:
            return
        self.trainee_dialog = TraineeDialog(self.database, self.actor, int(member["trainee_id"]), parent=self)
        if not self.actor.can("registry.write"):
            self.trainee_dialog.setWindowTitle(tr("学员档案（只读）", "Trainee record (read only)"))
        self.trainee_dialog.open()

    def rank_member(self) -> None:
        from db.services.matching import rank_trainee

        member = self._selected_member()
        if member is None:
            return
        try:
            result = rank_trainee(self.database, str(member["id_number"]), 10, actor=self.actor)
        except Exception as exc:  # noqa: BLE001 - shown as one sentence
            show_error(self, exc)
            return
        ranked = result.ranked.copy()
        if ranked.empty:
            self.status.setText(result.message or tr("没有可推荐的岗位", "No vacancy to rank"))
            ranked = pd.DataFrame(columns=["vacancy_code", "employer", "title", "score"])
        ranked["score_text"] = [f"{s:.0%}" for s in ranked.get("score", [])]
        ranked["reasons_text"] = ["；".join(r) if isinstance(r, list) else "" for r in ranked.get("reasons", [])]
        self.ranked = ranked
        self.vacancies_model.set_frame(ranked)
        self.bottom_tabs.setCurrentIndex(1)

    # --- imports and the report -----------------------------------------------------------------

    def import_file(self, what: str) -> None:
        title = tr("选择监测系统导出的家庭成员表", "Choose the member export") if what == "members" \
            else tr("选择已外出务工信息表", "Choose the monthly work table")
        path, _ = QFileDialog.getOpenFileName(self, title, "", tr("表格 (*.xlsx *.xls *.csv)", "Sheets (*.xlsx *.xls *.csv)"))
        if not path:
            return

        def work(ctx: Any) -> Any:
            if what == "members":
                return households.import_members(self.database, path, self.actor, progress=ctx.progress)
            return households.import_work(self.database, path, self.actor, progress=ctx.progress)

        def done(result: Any) -> None:
            summary = result.summary()
            issues = result.result.issues if what == "members" else result.issues
            errors = [i for i in issues if i.severity == "error"]
            if errors:
                report = Path(path).with_name(Path(path).stem + tr("_问题报告.xlsx", "_problems.xlsx"))
                try:
                    from db.services.exchange import write_report
                    write_report(result.result if what == "members" else result, report)
                    summary += tr(f" 逐行问题见 {report}", f" Row problems in {report}")
                except OSError:
                    pass
                summary += tr(f" 首条：第 {errors[0].row} 行 {errors[0].reason}", f" First: row {errors[0].row} {errors[0].reason}")
            self.status.setText(summary)
            self.announce(result.changes)  # this page redraws with every page that shows households

        def failed(exc: BaseException) -> None:
            self.status.setText(str(exc))
            show_error(self, exc)

        self.task = run_task(self, work, on_done=done, on_error=failed, label=tr("正在导入…", "Importing…"))

    def export_report(self) -> None:
        month = dt.date(self.month.date().year(), self.month.date().month(), 1)
        name = tr(f"{month:%Y年%m月}务工规模.xlsx", f"members-in-work-{month:%Y-%m}.xlsx")
        path, _ = QFileDialog.getSaveFileName(self, tr("导出月度务工规模", "Export the monthly report"), name,
                                              "Excel (*.xlsx)")
        if not path:
            return

        def work(_ctx: Any) -> Any:
            report = households.monthly_report(self.database, self.actor, month)
            households.export_xlsx(self.database, self.actor, report, path)
            return report

        self.task = run_task(self, work, on_done=lambda r: self.status.setText(
            tr(f"已导出 {month:%Y年%m月} 务工规模（务工 {r.total['working']:,} 人）到 {path}",
               f"Report for {month:%Y-%m} ({r.total['working']:,} in work) written to {path}")),
            on_error=lambda e: show_error(self, e), label=tr("正在导出…", "Exporting…"))


def _shown(value: Any) -> str:
    if value is None:
        return tr("空", "empty")
    if value in ("True", "False"):
        return tr("是", "yes") if value == "True" else tr("否", "no")
    return monitoring_label(value) if value in ("unstable", "marginal", "sudden") else str(value)[:10]
