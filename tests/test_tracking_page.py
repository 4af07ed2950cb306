"""The tracking page driven offscreen on a real demo database: plan a batch in the background, pin,
keep, confirm, then depart → arrive → follow up → skilled → leave, with timeline, alerts and the
bad inputs a user can type answered by one clear message."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtWidgets import QApplication, QComboBox, QDateEdit, QDialog, QLineEdit, QMessageBox, QPushButton, QSpinBox
from sqlalchemy import select

from core.access import SYSTEM
from db.models import Placement
from db.services import followup
from ui.pages.tracking import FormDialog, TrackingPage


class Dialogs:
    """Answers modal dialogs while an action runs: fills FormDialogs, records message boxes."""

    def __init__(self, fills: list[dict[str, Any] | None] | None = None) -> None:
        self.fills = list(fills or [])
        self.messages: list[str] = []
        self.active = False

    def _tick(self) -> None:
        if not self.active:
            return
        w = QApplication.activeModalWidget()
        if isinstance(w, QMessageBox):
            self.messages.append(w.text())
            yes = w.button(QMessageBox.StandardButton.Yes)
            if yes is not None:  # a question: the user says yes
                yes.click()
            else:
                w.accept()
        elif isinstance(w, FormDialog):
            values = self.fills.pop(0) if self.fills else None
            if values is None:
                w.reject()
            else:
                for key, value in values.items():
                    field = w.fields[key]
                    if isinstance(field, QDateEdit):
                        field.setDate(QDate(value.year, value.month, value.day))
                    elif isinstance(field, QSpinBox):
                        field.setValue(int(value))
                    elif isinstance(field, QComboBox):
                        field.setCurrentIndex(field.findData(value))
                    elif isinstance(field, QLineEdit):
                        field.setText(str(value))
                w.accept()
        elif isinstance(w, QDialog) and getattr(w, "_auto_accept", False):
            w.accept()
        QTimer.singleShot(30, self._tick)

    def run(self, action: Callable[[], Any]) -> list[str]:
        self.active = True
        QTimer.singleShot(0, self._tick)
        try:
            action()
        finally:
            self.active = False
        return self.messages


@pytest.fixture
def page(qtbot, demo_db):  # type: ignore[no-untyped-def]
    widget = TrackingPage(demo_db, SYSTEM)
    qtbot.addWidget(widget)
    widget.resize(1280, 820)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _plan(qtbot, page: TrackingPage) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(page.plan_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.plan_model.rowCount() > 0, timeout=60_000)


def click(qtbot, page: TrackingPage, name: str, fills: list[dict[str, Any] | None] | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    """Click the page's button ``name`` as a user does, answering the dialogs it opens; the messages shown."""
    button = page.findChild(QPushButton, name)
    assert button is not None and button.isVisible(), name
    return Dialogs(fills).run(lambda: qtbot.mouseClick(button, Qt.MouseButton.LeftButton))


def test_plan_pin_keep_and_confirm(qtbot, qtmodeltester, page: TrackingPage) -> None:  # type: ignore[no-untyped-def]
    assert page.batch_model.rowCount() >= 1 and page.current_batch_id() == 1  # the upcoming batch first
    assert page.vac_model.rowCount() >= 1
    for model in (page.batch_model, page.vac_model, page.placements_model, page.alert_model, page.due_model):
        qtmodeltester.check(model)
    _plan(qtbot, page)
    qtmodeltester.check(page.plan_model)
    summary = page.plan_summary.text()
    assert "预计 180 天稳岗" in summary and "贪心" in summary
    seats = int(page.vac_model.frame["remaining"].sum())
    assert page.plan_model.rowCount() == min(seats, page._plan.candidates)

    # pin the last proposed pair's person elsewhere is not needed: pin the row itself, then forbid another
    page.plan_view.selectRow(page.plan_model.rowCount() - 1)
    pinned = page.plan_model.row(page.plan_model.rowCount() - 1)
    qtbot.mouseClick(page.findChild(QPushButton, "btn_pin"), Qt.MouseButton.LeftButton)
    assert "锁定 1 对" in page.plan_summary.text()
    frame = page.plan_model.frame
    assert bool(frame.loc[(frame["trainee_id"] == pinned["trainee_id"]), "pinned"].iloc[0])
    page.plan_view.selectRow(0)
    forbidden = page.plan_model.row(0)
    if not forbidden["pinned"]:
        qtbot.mouseClick(page.findChild(QPushButton, "btn_forbid"), Qt.MouseButton.LeftButton)
        frame = page.plan_model.frame
        assert not ((frame["trainee_id"] == forbidden["trainee_id"]) & (frame["vacancy_id"] == forbidden["vacancy_id"])).any()

    kept = page.plan_model.rowCount()
    qtbot.mouseClick(page.accept_plan_btn, Qt.MouseButton.LeftButton)
    assert page.pair_model.rowCount() == kept and "已采纳" in page.plan_summary.text()
    qtmodeltester.check(page.pair_model)
    page.pair_view.selectRow(0)
    messages = click(qtbot, page, "btn_confirm")
    assert "确认所选 1 人" in messages[0]
    statuses = list(page.pair_model.frame["status"])
    assert statuses.count("confirmed") == 1
    assert page.message.text() == "1 人已确认。"
    page.grab().save("/tmp/tracking_batches.png")


def test_the_plan_shows_the_rank_score_without_scrolling_in_a_1280_px_window(qtbot, page: TrackingPage) -> None:  # type: ignore[no-untyped-def]
    page.resize(1280 - 190, 760)  # the page beside the navigation list of a 1280 px window
    _plan(qtbot, page)
    header = page.plan_view.horizontalHeader()
    labels = [page.plan_model.headerData(c, Qt.Orientation.Horizontal) for c in range(page.plan_model.columnCount())]
    for label in ("稳岗概率", "转职业工概率", "优先系数", "排序分"):
        col = labels.index(label)
        assert header.sectionViewportPosition(col) + header.sectionSize(col) <= page.plan_view.viewport().width(), label
    weights = [page.plan_model.data(page.plan_model.index(r, labels.index("排序分"))) for r in range(3)]
    assert all(w and float(w) > 0 for w in weights)
    page.grab().save("/tmp/plan_table_1090.png")


def test_reject_needs_a_reason(qtbot, page: TrackingPage, demo_db) -> None:  # type: ignore[no-untyped-def]
    _plan(qtbot, page)
    qtbot.mouseClick(page.accept_plan_btn, Qt.MouseButton.LeftButton)
    page.pair_view.selectRow(0)
    pid = int(page.pair_model.row(0)["id"])
    messages = click(qtbot, page, "btn_reject", [{"reason": ""}])
    assert messages and "原因" in messages[0]
    with demo_db.session() as s:
        assert s.get(Placement, pid).status == "proposed"
    page.pair_view.selectRow(int(page.pair_model.frame.index[page.pair_model.frame["id"] == pid][0]))
    click(qtbot, page, "btn_reject", [{"reason": "家属不同意"}])
    with demo_db.session() as s:
        assert s.get(Placement, pid).status == "declined" and s.get(Placement, pid).decline_reason == "家属不同意"


def test_lifecycle_from_the_placements_tab(qtbot, qtmodeltester, page: TrackingPage, demo_db) -> None:  # type: ignore[no-untyped-def]
    _plan(qtbot, page)
    qtbot.mouseClick(page.accept_plan_btn, Qt.MouseButton.LeftButton)
    page.pair_view.selectRow(0)
    pid = int(page.pair_model.row(0)["id"])
    click(qtbot, page, "btn_confirm")

    page.tabs.setCurrentIndex(1)
    page.f_batch.setCurrentIndex(page.f_batch.findData(1))
    page.f_status.setCurrentIndex(page.f_status.findData("confirmed"))
    assert page.placements_model.rowCount() == 1
    qtmodeltester.check(page.placements_model)
    page.f_status.setCurrentIndex(0)  # all statuses of the batch, so the row stays while it moves on
    page.placements_view.selectRow(page.placements_model.row_of_id(pid))
    assert page.selected_placement() == pid
    today = dt.date.today()
    # departure before the confirmation (today): one clear message, nothing written
    messages = click(qtbot, page, "btn_departed", [{"date": today - dt.timedelta(days=3)}])
    assert messages and "早于上一次状态变更" in messages[-1] and "0 人已标记出发" in messages[-1]
    # a departure tomorrow has not happened yet
    messages = click(qtbot, page, "btn_departed", [{"date": today + dt.timedelta(days=1)}])
    assert messages == [f"出发日期 {today + dt.timedelta(days=1)} 晚于今天（{today}），只能登记已经发生的事；未作任何改动。"]
    with demo_db.session() as s:
        assert s.get(Placement, pid).status == "confirmed"
    click(qtbot, page, "btn_departed", [{"date": today}])
    assert page.message.text() == "1 人已标记出发。"
    click(qtbot, page, "btn_on_job", [{"date": today, "wage": 5600}])
    # a follow-up dated before the start
    messages = click(qtbot, page, "btn_followup", [{"date": today - dt.timedelta(days=1), "wage": 5000}])
    assert messages and "早于上岗日期" in messages[-1]
    # the 回访… button acts on the selected row (Qt's checked=False is not taken for a placement id)
    click(qtbot, page, "btn_followup", [{"date": today, "wage": 5800, "employment_form": "temporary",
                                         "note": "电话回访，稳定"}])
    assert page.message.text() == "1 人已登记回访。" and page.selected_placement() == pid
    click(qtbot, page, "btn_skilled", [{"date": today, "note": "签订劳动合同"}])
    assert "已登记转为职业工" in page.message.text()
    click(qtbot, page, "btn_end", [{"date": today, "reason": "家中有事返乡"}])
    # the row stays, and the timeline on screen shows the leaving at once
    assert page.selected_placement() == pid
    assert "家中有事返乡" in " ".join(page.timeline_model.frame["detail"])
    messages = click(qtbot, page, "btn_followup", [{"date": today, "wage": 5000}])
    assert messages and "不能再登记回访" in messages[-1]
    with demo_db.session() as s:
        p = s.get(Placement, pid)
        assert (p.status, p.monthly_wage, p.employment_form, p.leave_reason) == ("ended", 5800, "skilled", "家中有事返乡")
        assert [e.note for e in p.events if e.kind == "followup"] == ["电话回访，稳定"]
    page.placements_view.selectRow(page.placements_model.row_of_id(pid))
    qtmodeltester.check(page.timeline_model)
    details = " ".join(page.timeline_model.frame["detail"])
    assert "家中有事返乡" in details and "职业工" in details and "月收入 5800 元" in details
    page.grab().save("/tmp/tracking_placements.png")


def test_a_whole_batch_departs_and_arrives_in_one_action_each(qtbot, page: TrackingPage, demo_db) -> None:  # type: ignore[no-untyped-def]
    _plan(qtbot, page)
    qtbot.mouseClick(page.accept_plan_btn, Qt.MouseButton.LeftButton)
    n = page.pair_model.rowCount()
    assert n >= 5
    click(qtbot, page, "btn_pairs_all")
    messages = click(qtbot, page, "btn_confirm")
    assert f"确认所选 {n} 人" in messages[0] and page.message.text() == f"{n} 人已确认。"
    # one of them will not go after all
    refused_id = int(page.pair_model.row(0)["id"])
    refused_name = str(page.pair_model.row(0)["name"])
    page.pair_view.selectRow(0)
    click(qtbot, page, "btn_reject", [{"reason": "家属不同意"}])

    page.tabs.setCurrentIndex(1)
    page.f_batch.setCurrentIndex(page.f_batch.findData(1))
    assert page.placements_model.rowCount() == n
    click(qtbot, page, "btn_select_all")
    assert len(page.selected_placements()) == n
    today = dt.date.today()
    messages = click(qtbot, page, "btn_departed", [{"date": today, "note": "县汽车站集中乘车"}])
    expected = f"{n - 1} 人已标记出发；1 人未变更：{refused_name}（“已放弃”状态的记录不能改为“已出发”）。"
    assert messages == [expected] and page.message.text() == expected
    assert len(page.selected_placements()) == n  # the same people stay selected for the next step
    with demo_db.session() as s:
        rows = s.scalars(select(Placement).where(Placement.batch_id == 1)).all()
        assert sorted(p.status for p in rows) == ["declined"] + ["departed"] * (n - 1)
        assert all(p.events[-1].note == "县汽车站集中乘车" for p in rows if p.id != refused_id)
    page.grab().save("/tmp/clerk_departed.png")

    # arrivals with the status filter on 已出发: the rows leave the filter, and the message says why
    page.f_status.setCurrentIndex(page.f_status.findData("departed"))
    click(qtbot, page, "btn_select_all")
    click(qtbot, page, "btn_on_job", [{"date": today, "wage": 5200}])
    assert page.message.text().startswith(f"{n - 1} 人已登记到岗。其中 {n - 1} 人的状态已不是筛选条件“已出发”")
    with demo_db.session() as s:
        assert sorted(s.scalars(select(Placement.monthly_wage).where(Placement.status == "on_job",
                                                                     Placement.batch_id == 1))) == [5200] * (n - 1)


def test_nothing_selected_says_what_to_do(qtbot, page: TrackingPage) -> None:  # type: ignore[no-untyped-def]
    page.tabs.setCurrentIndex(1)
    page.placements_view.clearSelection()
    for name in ("btn_departed", "btn_on_job", "btn_followup", "btn_end", "btn_confirm_many"):
        messages = click(qtbot, page, name)
        assert messages == ["请先在表中选择人员（按住 Ctrl 或 Shift 可多选，“全选”选中全部）。"], name


def test_alerts_tab_and_wage_floor(qtbot, page: TrackingPage, demo_db) -> None:  # type: ignore[no-untyped-def]
    page.tabs.setCurrentIndex(3)
    n = page.alert_model.rowCount()
    assert n > 0 and "监测户" in page.alert_label.text()
    assert page.alert_model.frame["household_type"].iloc[0] == "monitored"
    page.floor_spin.setValue(7000)
    click(qtbot, page, "btn_save_floor")
    assert followup.wage_floor(demo_db) == 7000
    assert page.alert_model.rowCount() > n
    page.alert_view.selectRow(0)
    click(qtbot, page, "btn_alert_show")
    assert page.tabs.currentIndex() == 1 and page.placements_model.rowCount() == 1
    page.tabs.setCurrentIndex(3)
    page.grab().save("/tmp/tracking_alerts.png")
    page.tabs.setCurrentIndex(2)
    assert page.due_model.rowCount() > 0
    # 逾期天数 is on screen at 1280 px without scrolling
    col = [k for k, _ in page.due_model._columns].index("overdue_days")
    assert page.due_view.columnViewportPosition(col) + page.due_view.columnWidth(col) <= page.due_view.viewport().width()
    page.due_view.selectRow(0)
    pid = int(page.due_model.row(0)["placement_id"])
    name = str(page.due_model.row(0)["name"])
    click(qtbot, page, "btn_due_followup", [{"date": dt.date.today(), "wage": 6100, "note": "电话回访，本人满意"}])
    with demo_db.session() as s:
        assert s.get(Placement, pid).monthly_wage == 6100
        assert s.get(Placement, pid).events[-1].note == "电话回访，本人满意"
    # the clerk stays on 待回访, the list already without the one just visited
    assert page.tabs.currentIndex() == 2 and page.message.text() == "1 人已登记回访。"
    assert pid not in set(page.due_model.frame["placement_id"]) and name
    page.grab().save("/tmp/clerk_due_followup.png")


def test_new_batch_add_vacancies_and_print(qtbot, page: TrackingPage, demo_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    click(qtbot, page, "btn_new_batch", [{"name": "2027年第1批江苏", "destination": "江苏苏州", "escort": "马主任"}])
    frame = page.batch_model.frame
    assert "2027年第1批江苏" in set(frame["name"])
    assert page.batch_model.row(page.batch_view.selectionModel().selectedRows()[0].row())["name"] == "2027年第1批江苏"
    # The refusal is caught where the page shows it (a message box polled for under load can be missed).
    shown: list[str] = []
    with monkeypatch.context() as patch:
        patch.setattr("ui.pages.tracking.common.show_error", lambda _parent, exc: shown.append(str(exc)))
        click(qtbot, page, "btn_new_batch", [{"name": "2027年第1批江苏"}])
    assert shown and "已存在" in shown[-1]

    def pick_two() -> None:
        def choose() -> None:
            dlg = getattr(page, "last_vacancy_dialog", None)
            if dlg is None or not dlg.isVisible():
                QTimer.singleShot(30, choose)
                return
            view, model = dlg.view, dlg.model
            # every offered vacancy is listed, those past their start date marked; they can be hidden
            frame = dlg.frame
            assert model.rowCount() == len(frame)
            if frame["started"].any():
                r = next(i for i in range(model.rowCount()) if model.row(i)["started"])
                assert model.data(model.index(r, 6)).endswith("（已过）")
            dlg.hide_started.setChecked(True)
            assert model.rowCount() == int((~frame["started"]).sum())
            dlg.hide_started.setChecked(False)
            # full employer names as tooltips; a search narrows the list; ticks survive the search
            employer = str(model.row(0)["employer"])
            assert model.data(model.index(0, 1), Qt.ItemDataRole.ToolTipRole) == employer
            first = str(model.row(0)["code"])
            model.setData(model.index(0, 0), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
            second_code = str(model.row(1)["code"])
            dlg.search.setText(second_code)
            assert model.rowCount() == 1
            view.selectRow(0)
            assert dlg.chosen_codes() == [first, second_code] or dlg.chosen_codes() == [second_code, first]
            assert "已选 2 个" in dlg.count.text()
            picked.extend(dlg.chosen_codes())
            dlg.accept()
        QTimer.singleShot(0, choose)
        qtbot.mouseClick(page.findChild(QPushButton, "btn_add_vacancies"), Qt.MouseButton.LeftButton)

    picked: list[str] = []
    pick_two()
    assert page.vac_model.rowCount() == 2 and set(page.vac_model.frame["code"]) == set(picked)
    assert page.message.text() == "已把 2 个岗位加入本批次。"
    with demo_db.session() as s:
        assert s.scalar(select(Placement.id).where(Placement.batch_id == page.current_batch_id())) is None

    QTimer.singleShot(300, lambda: QApplication.activeModalWidget() and QApplication.activeModalWidget().reject())
    qtbot.mouseClick(page.print_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: getattr(page, "print_dialog", None) is not None, timeout=5000)
    page.print_dialog.reject()


def test_plan_comparison_rounds_once_and_names_only_a_visible_difference() -> None:
    from ui.pages.tracking import plan_comparison

    assert plan_comparison(22.24, 22.16) == "预计 180 天稳岗 22.2 人；与逐个挑选最高分（贪心）结果相同。"
    assert plan_comparison(22.26, 22.16) == "预计 180 天稳岗 22.3 人；比逐个挑选最高分（贪心，22.2 人）多 0.1 人。"
    assert "少 0.5 人" in plan_comparison(21.7, 22.2)


def test_empty_pages_say_what_to_do_first(qtbot, database) -> None:  # type: ignore[no-untyped-def]
    from ui.pages.matching import MatchingPage

    tracking = TrackingPage(database, SYSTEM)
    qtbot.addWidget(tracking)
    tracking.show()
    assert tracking.plan_summary.text().startswith("还没有派遣批次。第一步：点击左下方“新建批次…”")
    matching = MatchingPage(database, SYSTEM)
    qtbot.addWidget(matching)
    qtbot.waitUntil(lambda: matching.ready, timeout=20000)
    assert matching.vacancy_info.text().startswith("还没有在招岗位")
