"""One operation pattern (issue #19, 5–7, 9): a write on one page shows on every other page without a
further click; pages and actions follow the role; the audit page and the small texts read as words.
Everything driven by clicking the real buttons, navigation entries and tabs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QMainWindow, QPushButton, QTabWidget, QWidget
from sqlalchemy import select

from core.access import SYSTEM, Actor
from core.fields import place_name
from core.vocab import status_label
from db.changes import Changes
from db.engine import database_name
from db.models import Placement
from db.services import backup, batches, placements, registry, users
from matching.reasons import employer_record
from tests.test_tracking_page import click
from ui.app import make_app
from ui.main_window import MainWindow
from ui.pages.tracking import TrackingPage


def _nav(qtbot, window: MainWindow, key: str) -> QWidget:  # type: ignore[no-untyped-def]
    row = window.page_keys().index(key)
    rect = window.nav.visualItemRect(window.nav.item(row))
    qtbot.mouseClick(window.nav.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.nav.currentRow() == row
    return window.pages[key]


def _tab(qtbot, tabs: QTabWidget, index: int) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(tabs.tabBar(), Qt.MouseButton.LeftButton, pos=tabs.tabBar().tabRect(index).center())
    assert tabs.currentIndex() == index


def _window(qtbot, database, actor: Actor = SYSTEM) -> MainWindow:  # type: ignore[no-untyped-def]
    make_app()
    window = MainWindow(database, actor)
    qtbot.addWidget(window)
    window.resize(1280, 820)
    window.show()
    qtbot.waitExposed(window)
    return window


def _actors(database) -> dict[str, Actor]:  # type: ignore[no-untyped-def]
    return {role: users.login(database, name, pw).actor
            for name, role, pw in users.create_demo_accounts(database, actor=SYSTEM)}


def test_a_confirmation_shows_on_every_page_without_a_further_click(qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    window = _window(qtbot, demo_db)
    tracking = _nav(qtbot, window, "tracking")
    assert isinstance(tracking, TrackingPage)
    # A new batch appears in the 就业跟踪 batch filter at once.
    click(qtbot, tracking, "btn_new_batch", [{"name": "2027年第2批浙江", "destination": "浙江杭州"}])
    _tab(qtbot, tracking.tabs, 1)
    assert tracking.f_batch.findText("2027年第2批浙江") >= 0
    _tab(qtbot, tracking.tabs, 0)
    frame = tracking.batch_model.frame
    tracking.batch_view.selectRow(int(frame.index[frame["id"] == 1][0]))  # the upcoming demo batch
    bid = tracking.current_batch_id()
    assert bid == 1
    qtbot.mouseClick(tracking.plan_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tracking.plan_model.rowCount() > 0, timeout=60_000)
    qtbot.mouseClick(tracking.accept_plan_btn, Qt.MouseButton.LeftButton)
    code = str(tracking.pair_model.row(0)["vacancy_code"])
    pid = int(tracking.pair_model.row(0)["id"])

    # The seats left of that vacancy on the employers page, before.
    employers = _nav(qtbot, window, "employers")
    qtbot.mouseClick(employers.only_selected, Qt.MouseButton.LeftButton)
    assert not employers.only_selected.isChecked()
    qtbot.keyClicks(employers.vac_search, code)

    def seats() -> int | None:
        rows = [r for r in range(employers.vac_model.rowCount()) if employers.vac_model.value(r, "code") == code]
        return int(employers.vac_model.value(rows[0], "remaining")) if rows else None

    qtbot.waitUntil(lambda: seats() is not None and employers.vac_model.rowCount() < 5, timeout=5000)
    before = seats()
    assert before is not None and before > 0

    # Back on the batch list: the first person confirmed.
    _nav(qtbot, window, "tracking")
    tracking.pair_view.selectRow(0)
    click(qtbot, tracking, "btn_confirm")
    with demo_db.session() as s:
        assert s.get(Placement, pid).status == "confirmed"

    # 就业跟踪 shows them, filtered by the batch, without pressing anything else.
    _tab(qtbot, tracking.tabs, 1)
    tracking.f_status.setCurrentIndex(tracking.f_status.findData("confirmed"))
    tracking.f_batch.setCurrentIndex(tracking.f_batch.findData(bid))
    assert tracking.placements_model.row_of_id(pid) is not None
    assert tracking.placements_count.text() != "共 0 条"
    # The employers page, hidden meanwhile, shows one seat fewer when shown again.
    _nav(qtbot, window, "employers")
    assert seats() == before - 1
    # And the counts in the status bar followed.
    assert "学员" in window.count_label.text()


def test_a_change_made_elsewhere_redraws_the_page_on_screen(qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    """Another window of the same program (a dialog, the matching page) announcing a change: the
    tracking page on screen redraws its batch list at once; a change in another database is ignored."""
    window = _window(qtbot, demo_db)
    tracking = _nav(qtbot, window, "tracking")
    rows = tracking.batch_model.rowCount()
    new = batches.create_batch(demo_db, SYSTEM, name="他处新建的批次")
    assert int(new) > 0 and new.changes.touches("batch")
    from ui.operations import announce
    announce(object(), new.changes)  # not this database: nothing to do
    assert tracking.batch_model.rowCount() == rows
    announce(demo_db, new.changes)
    assert tracking.batch_model.rowCount() == rows + 1


def test_services_say_what_they_changed(demo_db) -> None:  # type: ignore[no-untyped-def]
    bid = batches.create_batch(demo_db, SYSTEM, name="变化记录批次")
    assert bid.changes.batch_ids == frozenset({int(bid)}) and isinstance(bid, int)
    with demo_db.session() as s:
        pid = s.scalar(select(Placement.id).where(Placement.status == "on_job").limit(1))
    changed = placements.record_followup(demo_db, SYSTEM, pid, date=dt.date.today(), note="电话回访")
    assert changed == Changes.of("placement", placements=[pid])
    many = placements.end_many(demo_db, SYSTEM, [pid], date=dt.date.today(), reason="返乡")
    assert many.changes.placement_ids == frozenset({pid}) and many.changes.touches("vacancy")
    assert Changes.of("trainee").merge(Changes.all()).everything and not Changes()


def test_the_picker_lists_vacancies_whose_start_date_has_passed(qtbot, database) -> None:  # type: ignore[no-untyped-def]
    """A new county's sample vacancies start in the past: 加入岗位 lists them (marked), as 匹配 does."""
    employer = registry.save_employer(database, SYSTEM, {"name": "上海家政服务有限公司", "province": "上海",
                                                         "city": "上海"})
    past = dt.date.today() - dt.timedelta(days=30)
    registry.save_vacancy(database, SYSTEM, int(employer), {"code": "SH-001", "title": "住家保姆", "skill": "家政服务",
                                                            "headcount": "3", "start_date": past.isoformat()})
    batches.create_batch(database, SYSTEM, name="新县第一批")
    page = TrackingPage(database, SYSTEM)
    qtbot.addWidget(page)
    page.resize(1280, 820)
    page.show()
    qtbot.waitExposed(page)
    seen: dict[str, object] = {}

    def look() -> None:
        dlg = getattr(page, "last_vacancy_dialog", None)
        if dlg is None or not dlg.isVisible():
            QTimer.singleShot(30, look)
            return
        seen["rows"] = dlg.model.rowCount()
        seen["start"] = dlg.model.data(dlg.model.index(0, 6))
        seen["count"] = dlg.count.text()
        dlg.model.setData(dlg.model.index(0, 0), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
        dlg.accept()

    QTimer.singleShot(0, look)
    qtbot.mouseClick(page.findChild(QPushButton, "btn_add_vacancies"), Qt.MouseButton.LeftButton)
    assert seen["rows"] == 1 and str(seen["start"]).endswith("（已过）")
    assert page.vac_model.rowCount() == 1 and page.message.text() == "已把 1 个岗位加入本批次。"


def test_pair_departure_arrival_and_demo_follow_the_role(qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    actors = _actors(demo_db)
    for role, allowed in (("school", False), ("officer", False), ("staff", True)):
        window = _window(qtbot, demo_db, actors[role])
        demo = window.findChild(QAction, "action_demo")
        assert demo is not None and demo.isEnabled() == allowed, role
        if not allowed:
            assert demo.toolTip() == "仅局管理员、局工作人员可以操作"
        tracking = _nav(qtbot, window, "tracking")
        for name in ("btn_pairs_departed", "btn_pairs_on_job", "btn_confirm_many"):
            button = tracking.findChild(QPushButton, name)
            assert button.isEnabled() == allowed, (role, name)
        window.close()


def test_audit_page_reads_as_words(qtbot, demo_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with demo_db.session() as s:
        pid = s.scalar(select(Placement.id).where(Placement.status == "on_job").limit(1))
    placements.end_placement(demo_db, SYSTEM, pid, date=dt.date.today(), reason="返乡照顾老人")
    backup.create_backup(demo_db, SYSTEM, tmp_path / "b.sqlite3" if demo_db.backend == "sqlite"
                         else tmp_path / "b.lbbackup")
    window = _window(qtbot, demo_db)
    page = _nav(qtbot, window, "audit")
    model = page.model
    rows = [[model.data(model.index(r, c)) for c in range(model.columnCount())] for r in range(model.rowCount())]
    left = next(r for r in rows if r[2] == "登记离岗")
    assert left[3] == "就业记录" and left[5] == f"{status_label('on_job')} → {status_label('ended')}"
    saved = next(r for r in rows if r[2] == "备份")
    assert saved[3] == "数据库" and " 行" in saved[5] and "rows" not in saved[5]
    for r in rows:  # no raw key left: every action and entity is words
        assert "." not in r[2] and "_" not in r[2] and (r[3] or "") == (r[3] or "").strip(), r
        assert r[3] not in ("stats", "placement", "database", "batch"), r
    page.grab().save("/tmp/ops_audit.png")


def test_empty_pages_say_what_to_do_first(qtbot, database) -> None:  # type: ignore[no-untyped-def]
    window = _window(qtbot, database)
    trainees = _nav(qtbot, window, "trainees")
    hint = trainees.empty_hint
    assert hint.isVisible() and hint.label.text().startswith("还没有学员。第一步：导入")

    def close_modal() -> None:
        w = QApplication.activeModalWidget()
        if isinstance(w, QDialog):
            opened.append(w.windowTitle())
            w.reject()
        else:
            QTimer.singleShot(30, close_modal)

    opened: list[str] = []
    QTimer.singleShot(0, close_modal)
    qtbot.mouseClick(hint.buttons["empty_import"], Qt.MouseButton.LeftButton)
    assert opened  # the import wizard opened
    trainees.grab().save("/tmp/ops_trainees_empty.png")
    employers = _nav(qtbot, window, "employers")
    assert employers.empty_hint.isVisible() and employers.empty_hint.label.text().startswith("还没有用人单位")
    opened.clear()
    QTimer.singleShot(0, close_modal)
    qtbot.mouseClick(employers.empty_hint.buttons["empty_add"], Qt.MouseButton.LeftButton)
    assert opened
    employers.grab().save("/tmp/ops_employers_empty.png")
    # The status bar names the file, not the URL.
    assert window.db_label.text() == "数据库：" + database_name(database.url)
    assert "://" not in window.db_label.text()


def test_readable_names_and_figures() -> None:
    assert database_name("postgresql+psycopg://clerk:s3cret@db.county.gov.cn:5432/labour") == "db.county.gov.cn/labour"
    assert database_name("sqlite:////home/clerk/.local/share/LaborBridge/laborbridge.sqlite3") == "laborbridge.sqlite3"
    assert place_name("上海", "上海") == "上海" and place_name("江苏", "苏州") == "江苏苏州"
    assert place_name("北京", "北京市") == "北京市" and place_name("", "杭州") == "杭州"
    assert employer_record(0.5, 0) == "暂无历史稳岗记录"
    assert employer_record(0.8, 12) == "历史稳岗率80%（12人次）"
    plan = batches.PlanResult.__new__(batches.PlanResult)
    plan.priority_cost = {"monitored": 3, "poverty_exited": 2, "cost": 0.04, "with_priority": 1, "without_priority": 1}
    assert "少 0.0" not in plan.priority_line() and "预计稳岗人数相同" in plan.priority_line()
    plan.priority_cost = {**plan.priority_cost, "cost": 0.26}
    assert "预计稳岗少 0.3 人" in plan.priority_line()


def test_statistics_export_shows_it_is_working(qtbot, demo_db, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    window = _window(qtbot, demo_db)
    page = _nav(qtbot, window, "statistics")
    qtbot.waitUntil(lambda: page.result is not None, timeout=30_000)
    out = tmp_path / "统计.xlsx"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a: (str(out), ""))
    qtbot.mouseClick(page.export_btn, Qt.MouseButton.LeftButton)
    # From the first moment: a busy cursor, the work named in the status bar, the button resting.
    assert page.cursor().shape() == Qt.CursorShape.BusyCursor
    assert isinstance(page.window(), QMainWindow) and window.statusBar().currentMessage() == "正在导出统计表…"
    assert not page.export_btn.isEnabled()
    qtbot.waitUntil(lambda: "已导出" in page.as_of.text(), timeout=30_000)
    assert out.exists() and page.export_btn.isEnabled() and window.statusBar().currentMessage() == ""
    assert page.cursor().shape() != Qt.CursorShape.BusyCursor


def test_an_import_from_the_empty_page_shows_everywhere_at_once(qtbot, database) -> None:  # type: ignore[no-untyped-def]
    """导入岗位… on the empty employers page: the employers, the first one's vacancies, the counts and the
    batch picker's vacancies follow when the wizard closes — nothing else pressed."""
    from ui.import_wizard import ImportWizard

    samples = Path(__file__).parent / "data" / "samples"
    window = _window(qtbot, database)
    employers = _nav(qtbot, window, "employers")
    assert employers.empty_hint.isVisible()
    steps: list[str] = []

    def drive() -> None:
        wizard = QApplication.activeModalWidget()
        if not isinstance(wizard, ImportWizard):
            QTimer.singleShot(30, drive)
            return
        wizard.path_edit.setText(str(samples / "vacancies_east.xlsx"))
        qtbot.mouseClick(wizard.preview_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: wizard.stack.currentIndex() == 1, timeout=20_000)
        qtbot.mouseClick(wizard.import_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: wizard.imported, timeout=20_000)
        steps.append("imported")
        qtbot.mouseClick(wizard.close_button, Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, drive)
    qtbot.mouseClick(employers.empty_hint.buttons["empty_import"], Qt.MouseButton.LeftButton)
    assert steps == ["imported"]
    assert employers.emp_model.total() > 0 and not employers.empty_hint.isVisible()
    assert employers.selected_employer() is not None and employers.vac_model.rowCount() > 0
    assert "在招岗位 0 个" not in window.count_label.text()
    employers.grab().save("/tmp/ops_employers_imported.png")


def test_the_matching_page_offers_a_batch_made_on_the_tracking_page(qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    window = _window(qtbot, demo_db)
    matching = _nav(qtbot, window, "matching")
    qtbot.waitUntil(lambda: matching.ready, timeout=20000)  # its choices are read in the background
    assert matching.batch_box.findText("2027年第3批广东", Qt.MatchFlag.MatchStartsWith) < 0
    tracking = _nav(qtbot, window, "tracking")
    click(qtbot, tracking, "btn_new_batch", [{"name": "2027年第3批广东"}])
    _nav(qtbot, window, "matching")
    qtbot.waitUntil(lambda: matching.ready, timeout=20000)
    assert matching.batch_box.findText("2027年第3批广东", Qt.MatchFlag.MatchStartsWith) >= 0
