"""派遣批次 tab: batches, their vacancies, the optimal plan and the batch list (confirm / move / reject)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any

import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from core.fields import mask_id
from core.i18n import UserError, tr
from core.vocab import household_label
from db.queries import placements as placement_queries
from db.services import batches, placements
from ui.dialogs import confirm as ask_yes_no
from ui.dialogs import show_error
from ui.forms import FormDialog
from ui.frame_model import FrameTableModel
from ui.pages.tracking.common import TrackingBase, _date_text, _fit, _pct, _table
from ui.pages.tracking.picker import VacancyPicker
from ui.tasks import TaskContext, run_task


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

class BatchTab(TrackingBase):
    """The 派遣批次 tab."""

    def _build_batches_tab(self) -> QWidget:
        # The plan on screen: scored candidates (re-planned instantly with pins and forbids), the result.
        self._candidates: pd.DataFrame | None = None
        self._plan: batches.PlanResult | None = None
        self._pins: set[tuple[int, int]] = set()
        self._forbids: set[tuple[int, int]] = set()
        self._keep_plan = False  # a redraw for another page's change keeps the plan (see TrackingPage.redraw)
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
        if not (self._keep_plan and bid is not None):
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

        def create() -> Any:
            made = batches.create_batch(self.database, self.actor, **values)
            new_id.append(int(made))
            return made  # its .changes reach every page

        self._run(create, done=lambda: self.reload_batches(new_id[0]))

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
        database, actor = self.database, self.actor
        ok, result, error = self.operate(lambda: placements.confirm_many(database, actor, ids),
                                         label=tr("正在确认…", "Confirming…"))
        if not ok:
            assert error is not None
            show_error(self, error)
            return
        self.reload_batches(bid)
        self.tell(result.summary("已确认", "confirmed"), warn=bool(result.refused))

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
            self._run_overridable(lambda o: placements.edit_proposal(
                self.database, self.actor, int(r["id"]), values["vacancy_code"] or "", reason=values["reason"],
                override=o), done=lambda: self.reload_batches(bid))

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
            self._run_overridable(lambda o: batches.add_proposal(
                self.database, self.actor, bid, values["id_number"], values["vacancy_code"] or "", override=o),
                done=lambda: self.reload_batches(bid))

