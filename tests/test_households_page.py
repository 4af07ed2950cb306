"""The 户 page, signed in as each role and driven by clicking its buttons."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QPushButton
from python_calamine import CalamineWorkbook
from sqlalchemy import select

from core.access import SYSTEM, Actor
from db.models import Household, HouseholdMember, Trainee
from db.services import settings
from tests.households_files import MEMBER_HEADER, member_rows, person_id, write_xlsx
from tests.test_households import homes_v1
from tests.test_roles_gui import _click_and_catch, _click_nav, _open_window
from ui.pages.households import HouseholdsPage

ROLE_ACTORS = {"admin": Actor(None, "admin", "admin"), "staff": Actor(None, "clerk", "staff"),
               "officer": Actor(None, "officer", "officer"), "school": Actor(None, "school1", "school", school_id=1)}


def _button(page: HouseholdsPage, name: str) -> QPushButton:
    button = page.findChild(QPushButton, name)
    assert button is not None, name
    return button


def _monitored_trainee_household(database) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    """(household code, head's name, a linked member's ID) of a monitored demo household with a trainee."""
    with database.session() as s:
        h, m = s.execute(select(Household, HouseholdMember).join(HouseholdMember)
                         .where(Household.monitoring_kind.is_not(None), HouseholdMember.trainee_id.is_not(None))
                         .order_by(Household.id)).first()
        head = s.scalar(select(HouseholdMember.name).where(HouseholdMember.household_id == h.id,
                                                           HouseholdMember.relation == "户主"))
        return str(h.code), str(head), m.id_number


@pytest.mark.parametrize("role", ["admin", "staff", "officer", "school"])
def test_households_page_as_each_role(qtbot, demo_db, role: str, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    actor = ROLE_ACTORS[role]
    window = _open_window(qtbot, demo_db, actor)
    if role == "school":  # school accounts see no household data: no entry, and the services refuse
        assert "households" not in window.page_keys()
        from core.access import PermissionDenied
        from db.services.households import compute_alerts
        with pytest.raises(PermissionDenied):
            compute_alerts(demo_db, actor)
        return
    settings.set_value(demo_db, SYSTEM, f"households.line.{__import__('datetime').date.today().year}", 7500)
    page = _click_nav(qtbot, window, "households")
    assert isinstance(page, HouseholdsPage)
    qtbot.waitUntil(lambda: page.alerts_task is None, timeout=60_000)  # computed off the GUI thread
    assert page.todo_model.rowCount() > 50  # the standing list of monitored households to clear
    code, head, member_id = _monitored_trainee_household(demo_db)

    # find by 户编号, by the head's name, by a member's ID: each finds the household
    for text in (code, head, member_id):
        page.search.clear()
        if text.isascii():
            qtbot.keyClicks(page.search, text)
        else:  # Chinese arrives from the input method as committed text
            page.search.insert(text)
        qtbot.mouseClick(_button(page, "btn_household_find"), Qt.MouseButton.LeftButton)
        codes = list(page.results_model.frame["code"])
        assert code in codes, text
    page.results.selectRow(codes.index(code))
    rect = page.results.visualRect(page.results_model.index(codes.index(code), 0))
    qtbot.mouseClick(page.results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert code in page.header.text() and "监测线 7,500 元" in page.income.text()
    ids = list(page.members_model.frame["id_number"])
    row = ids.index(member_id)
    assert page.members_model.frame["id_masked"].iloc[row] != member_id  # IDs masked on screen
    rect = page.members.visualRect(page.members_model.index(row, 0))
    qtbot.mouseClick(page.members.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    opened = _click_and_catch(qtbot, page.open_trainee_btn)
    assert opened == ["TraineeDialog"]
    rank = page.rank_btn
    if role == "officer":  # reads only: no ranking, no import
        assert not rank.isEnabled() and not page.import_btn.isEnabled() and not page.work_btn.isEnabled()
        assert "仅局管理员、局工作人员可以操作" in page.import_btn.toolTip()
    else:
        qtbot.mouseClick(rank, Qt.MouseButton.LeftButton)
        assert page.ranked is not None and page.bottom_tabs.currentIndex() == 1
        assert page.import_btn.isEnabled()
    # the to-do list: one click opens the household
    rect = page.todo.visualRect(page.todo_model.index(0, 1))
    qtbot.mouseClick(page.todo.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert str(page.todo_model.frame["household_code"].iloc[0]) in page.header.text()
    if role == "staff":
        page.grab().save(str(tmp_path / "households_page.png"))
    # the monthly report, from the button (every role that sees the page may export it)
    out = tmp_path / "report.xlsx"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a, **_k: (str(out), ""))
    qtbot.mouseClick(page.report_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "已导出" in page.status.text(), timeout=60_000)
    assert CalamineWorkbook.from_path(str(out)).sheet_names == ["务工规模", "口径说明", "人员明细"]


def test_import_from_the_page_reports_bad_rows_and_keeps_the_rest(qtbot, database, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                   monkeypatch) -> None:
    page = HouseholdsPage(database, ROLE_ACTORS["staff"])
    qtbot.addWidget(page)
    page.show()
    homes = homes_v1()
    homes[1].size = 5  # 人数 says 5, two are listed
    path = write_xlsx(tmp_path / "导出.xlsx", MEMBER_HEADER, member_rows(homes))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_a, **_k: (str(path), ""))
    qtbot.mouseClick(page.import_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "监测系统导出" in page.status.text(), timeout=30_000)
    assert "拒绝 2 行" in page.status.text() and "人数为 5" in page.status.text()
    assert (tmp_path / "导出_问题报告.xlsx").exists()
    with database.session() as s:
        assert sorted(s.scalars(select(Household.code))) == ["632126001001", "632126001003", "632126001004"]
        assert s.scalar(select(Trainee.id).limit(1)) is None
    # a broken file: one sentence, nothing changed
    broken = tmp_path / "坏文件.xlsx"
    broken.write_bytes(b"PK\x03\x04 broken")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_a, **_k: (str(broken), ""))
    monkeypatch.setattr("ui.pages.households.show_error", lambda _p, exc: page.status.setText(str(exc)))
    qtbot.mouseClick(page.import_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "坏文件" in page.status.text(), timeout=30_000)
    with database.session() as s:
        assert s.query(Household).count() == 3
    assert person_id(1)


def test_the_wage_chart_says_nothing_before_a_household_is_chosen(qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    """"今年暂无工资记录" under an empty page read as if some household had no wages."""
    window = _open_window(qtbot, demo_db, ROLE_ACTORS["staff"])
    page = _click_nav(qtbot, window, "households")
    assert isinstance(page, HouseholdsPage)
    assert page.chart.note() == "" and "选择一户" in page.header.text()
    qtbot.waitUntil(lambda: page.alerts_task is None, timeout=60_000)  # the to-do list is computed in the background
    rect = page.todo.visualRect(page.todo_model.index(0, 1))
    qtbot.mouseClick(page.todo.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert str(page.todo_model.frame["household_code"].iloc[0]) in page.header.text()
    assert page.chart.note() == ("" if page.chart.months else "今年暂无工资记录")


def test_alerts_are_computed_off_the_gui_thread_and_a_new_computation_replaces_the_old(qtbot, demo_db,  # type: ignore[no-untyped-def]
                                                                                    tmp_path: Path) -> None:
    from db.changes import HOUSEHOLD, Changes

    page = HouseholdsPage(demo_db, ROLE_ACTORS["staff"])
    qtbot.addWidget(page)
    page.resize(1280, 760)
    page.show()
    # the page is there at once; the to-do list says it is being computed
    assert not page.todo_status.isHidden() and page.todo_status.text() == "正在计算…"
    assert "正在计算" in page.tabs.tabText(1)
    first = page.alerts_task
    assert first is not None
    page.grab().save(str(tmp_path / "households_computing.png"))  # the tab reads 待办（预警）正在计算…
    # another page's write arrives meanwhile: the running computation is cancelled, a new one shows
    page.announce(Changes.of(HOUSEHOLD))
    second = page.alerts_task
    assert second is not None and second is not first and first.cancelled()
    qtbot.waitUntil(lambda: page.alerts_task is None, timeout=60_000)
    assert page.todo_status.isHidden()
    assert page.todo_model.rowCount() > 50
    assert page.tabs.tabText(1) == f"待办（预警）{page.todo_model.rowCount()}"
    page.grab().save(str(tmp_path / "households_alerts.png"))
