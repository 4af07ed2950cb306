"""就业跟踪 tab: the people in work by batch, employer, township and status, their actions and timeline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from core import vocab
from core.fields import mask_id
from core.i18n import UserError, tr
from core.vocab import household_label
from db.queries import placements as placement_queries
from db.services import batches, placements
from ui.dialogs import show_error
from ui.forms import FormDialog
from ui.frame_model import FrameTableModel
from ui.pages.tracking.common import TrackingBase, _date_text, _fit, _table
from ui.sql_model import ModelColumn, SqlTableModel


class PeopleTab(TrackingBase):
    """The 就业跟踪 tab."""

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

    def _placements_many(self, title: str, build: Callable[[FormDialog], object],
                         call: Callable[[list[int], dict[str, Any]], placements.ManyResult],
                         verb_zh: str, verb_en: str) -> None:
        ids = self.selected_placements()
        self._many_action(ids, title, build, call, verb_zh, verb_en,
                          intro=tr(f"共 {len(ids)} 人：{self._names_of(ids)}", f"{len(ids)} selected: {self._names_of(ids)}"),
                          after=lambda _done: self._gone_note(self._after_change(ids)))

    def _placement_action(self, title: str, build: Callable[[FormDialog], object],
                          call: Callable[[int, dict[str, Any]], Any], done_zh: str, done_en: str, *,
                          overridable: Callable[[int, dict[str, Any], str | None], Any] | None = None) -> None:
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
            def done() -> None:
                self.tell(tr(f"{name}：{done_zh}。", f"{name}: {done_en}.") + self._gone_note(self._after_change([pid])))
            if overridable is not None:
                self._run_overridable(lambda o: overridable(pid, values, o), done=done)
            else:
                self._run(lambda: call(pid, values), done=done)

    # Dialog contents, shared by the placements tab and the batch list.
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

        def replace(pid: int, v: dict[str, Any], override: str | None = None) -> Any:
            return placements.re_place(self.database, self.actor, pid, v["vacancy_code"] or "", date=v["date"],
                                       note=v["note"], override=override)
        self._placement_action(tr("再就业安排", "Re-place"),
                               lambda d: (d.choice("vacancy_code", tr("新岗位", "New vacancy"),
                                                   [(c, f"{c}  {e}" + tr(f"（剩余 {n}）", f" ({n} left)")) for c, e, n in
                                                    zip(options["code"], options["employer"], options["remaining"])]),
                                          d.date("date", tr("确认日期", "Date")), d.line("note", tr("备注", "Note"))),
                               replace, "已安排再就业（新的就业记录已确认）", "re-placed (a new confirmed placement)",
                               overridable=replace)

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

