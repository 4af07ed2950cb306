"""The main window as each of the four roles, signed in through the real login dialog.

Every page is opened by clicking its navigation entry; what each role sees and may press is asserted
against the permission table (core/access.py) and against SQL counts of the database itself."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QMessageBox, QPushButton, QWidget
from sqlalchemy import func, select

from core.access import SYSTEM, Actor
from db.models import Placement, School, Trainee
from db.services import users
from ui.app import make_app
from ui.login_dialog import ChangePasswordDialog, LoginDialog, sign_in
from ui.main_window import MainWindow

ROLES = ("admin", "staff", "school", "officer")
NEW_PASSWORD = "Roles2026ok"
# The tooltips of disabled controls, as a Chinese-speaking clerk reads them.
ONLY_BUREAU = "仅局管理员、局工作人员可以操作"
ONLY_WRITERS = "仅局管理员、局工作人员、培训学校可以操作"
ONLY_PRINTERS = "仅局管理员、局工作人员、经办/审核可以操作"
ONLY_ADMIN = "仅局管理员可以操作"


@pytest.fixture
def accounts(demo_db) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    """role -> (username, initial password) of the demo's one account per role."""
    return {role: (name, pw) for name, role, pw in users.create_demo_accounts(demo_db, actor=SYSTEM)}


def _sign_in(qtbot, database, username: str, password: str) -> Actor:  # type: ignore[no-untyped-def]
    """ui.login_dialog.sign_in as the program runs it: type, click 登录, then set one's own password."""
    seen: list[str] = []

    def drive() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, LoginDialog):
            seen.append("login")
            qtbot.keyClicks(dialog.username, username)
            qtbot.keyClicks(dialog.password, password)
            qtbot.mouseClick(dialog.login_button, Qt.MouseButton.LeftButton)
        elif isinstance(dialog, ChangePasswordDialog):
            seen.append("change")
            qtbot.keyClicks(dialog.old, password)
            qtbot.keyClicks(dialog.new, NEW_PASSWORD)
            qtbot.keyClicks(dialog.new2, NEW_PASSWORD)
            accept = next(b for b in dialog.buttons.buttons()
                          if dialog.buttons.buttonRole(b) == QDialogButtonBox.ButtonRole.AcceptRole)
            qtbot.mouseClick(accept, Qt.MouseButton.LeftButton)
            return
        QTimer.singleShot(30, drive)

    QTimer.singleShot(30, drive)
    actor = sign_in(database)
    assert seen == ["login", "change"]
    assert actor is not None and actor.username == username
    return actor


def _open_window(qtbot, database, actor: Actor) -> MainWindow:  # type: ignore[no-untyped-def]
    make_app()  # the program's font and translations, so the screenshots read as a clerk sees them
    window = MainWindow(database, actor)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    return window


def _click_nav(qtbot, window: MainWindow, key: str) -> QWidget:  # type: ignore[no-untyped-def]
    """Click the navigation entry of a page, as the user does; return the page then shown."""
    row = window.page_keys().index(key)
    rect = window.nav.visualItemRect(window.nav.item(row))
    qtbot.mouseClick(window.nav.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.nav.currentRow() == row
    page = window.stack.currentWidget()
    assert page is window.pages[key]
    return page


def _click_and_catch(qtbot, button: QPushButton) -> list[str]:  # type: ignore[no-untyped-def]
    """Click a button; close whatever modal window it opens; return the class names of those windows."""
    opened: list[str] = []

    def close_modal() -> None:
        w = QApplication.activeModalWidget()
        if isinstance(w, QDialog | QMessageBox):
            opened.append(type(w).__name__)
            w.reject()
        if watching:
            QTimer.singleShot(30, close_modal)

    watching = True
    QTimer.singleShot(30, close_modal)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.wait(150)
    watching = False
    qtbot.wait(60)
    return opened


def _button(page: QWidget, name: str) -> QPushButton:
    button = page.findChild(QPushButton, name)
    assert button is not None, name
    return button


def _check(control: QPushButton | QAction, allowed: bool, tooltip: str) -> None:
    """Enabled for a role that may; otherwise disabled and saying which roles may."""
    if allowed:
        assert control.isEnabled() and control.toolTip() != tooltip
    else:
        assert not control.isEnabled()
        assert control.toolTip() == tooltip


def _school_counts(database, school_id: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with database.session() as s:
        live = Trainee.deleted_at.is_(None)
        return {
            "own": int(s.scalar(select(func.count()).select_from(Trainee).where(live, Trainee.school_id == school_id))),
            "county": int(s.scalar(select(func.count()).select_from(Trainee).where(live))),
            "own_placements": int(s.scalar(select(func.count()).select_from(Placement)
                                           .join(Trainee, Trainee.id == Placement.trainee_id)
                                           .where(Trainee.school_id == school_id))),
            "placements": int(s.scalar(select(func.count()).select_from(Placement))),
        }


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_and_may_what_its_role_allows(qtbot, demo_db, accounts, role: str) -> None:  # type: ignore[no-untyped-def]
    username, password = accounts[role]
    actor = _sign_in(qtbot, demo_db, username, password)
    assert actor.role == role
    window = _open_window(qtbot, demo_db, actor)

    # --- the first screen: 学员, exactly as the window opens it -----------------------------------
    trainees = window.stack.currentWidget()
    assert trainees is window.pages["trainees"]
    total = trainees.model.total()
    with demo_db.session() as s:
        county = int(s.scalar(select(func.count()).select_from(Trainee).where(Trainee.deleted_at.is_(None))))
    if role == "school":
        counts = _school_counts(demo_db, actor.school_id)
        assert 0 < counts["own"] < counts["county"]
        assert total == counts["own"]  # its own school only, from the very first view
        assert trainees.count_label.text() == f"共 {counts['own']:,} 人"
        with demo_db.session() as s:
            school_name = s.scalar(select(School.name).where(School.id == actor.school_id))
        shown = {trainees.model.value(r, "school") for r in range(trainees.model.rowCount())}
        assert shown == {school_name}
    else:
        assert total == county
    qtbot.waitUntil(lambda: window.statusBar().isVisible())
    window.grab().save(f"/tmp/roles_{role}.png")

    writes = role in ("admin", "staff", "school")
    for key in ("add", "import"):
        _check(trainees.buttons[key], writes, ONLY_WRITERS)
    _check(trainees.buttons["export"], writes, ONLY_WRITERS)
    _check(trainees.buttons["recommend"], role in ("admin", "staff"), ONLY_BUREAU)  # ranking: bureau staff
    if role != "officer":
        assert "TraineeDialog" in _click_and_catch(qtbot, trainees.buttons["add"])
    else:
        assert _click_and_catch(qtbot, trainees.buttons["add"]) == []  # disabled: nothing opens
        trainees.view.selectRow(0)
        assert not trainees.buttons["edit"].isEnabled()  # a selection does not lift the role's limit
        assert trainees.buttons["edit"].toolTip() == ONLY_WRITERS

    # --- every page, by clicking its entry ----------------------------------------------------------
    bureau = role in ("admin", "staff")
    expected_pages = ["trainees", "employers", "matching", "tracking", "statistics"] \
        + (["households"] if role != "school" else []) + (["audit"] if role == "admin" else [])
    assert window.page_keys() == expected_pages

    employers = _click_nav(qtbot, window, "employers")
    for key in ("add_employer", "import"):
        _check(employers.buttons[key], bureau, ONLY_BUREAU)
    employers.emp_view.selectRow(0)
    _check(employers.buttons["edit_employer"], bureau, ONLY_BUREAU)
    _check(employers.buttons["add_vacancy"], bureau, ONLY_BUREAU)
    if bureau:
        assert employers.buttons["edit_employer"].isEnabled()
        assert "EmployerDialog" in _click_and_catch(qtbot, employers.buttons["add_employer"])
    else:
        assert _click_and_catch(qtbot, employers.buttons["add_employer"]) == []

    matching = _click_nav(qtbot, window, "matching")
    qtbot.waitUntil(lambda: matching.ready, timeout=20000)  # the page reads its data in the background
    for button in (matching.train_button, matching.rank_vacancy_button, matching.rank_trainee_button,
                   matching.shortlist_button):
        _check(button, bureau, ONLY_BUREAU)
    assert matching.report_button.isEnabled()  # the model's report is for everyone to read

    tracking = _click_nav(qtbot, window, "tracking")
    qtbot.waitUntil(lambda: tracking.placements_count.text() != "")
    placements = tracking.placements_model.total()
    if role == "school":
        assert placements == counts["own_placements"] < counts["placements"]
        ids = [tracking.placements_model.row_id(r) for r in range(tracking.placements_model.rowCount())]
        with demo_db.session() as s:
            schools = set(s.scalars(select(Trainee.school_id).join(Placement, Placement.trainee_id == Trainee.id)
                                    .where(Placement.id.in_(ids))))
        assert schools == {actor.school_id}
    else:
        with demo_db.session() as s:
            assert placements == s.scalar(select(func.count()).select_from(Placement))
    for name in ("btn_new_batch", "btn_edit_batch", "btn_add_vacancies", "btn_remove_vacancy", "btn_confirm",
                 "btn_add_pair", "btn_departed", "btn_on_job", "btn_followup", "btn_end", "btn_decline",
                 "btn_due_followup", "btn_save_floor"):
        _check(_button(tracking, name), bureau, ONLY_BUREAU)
    _check(_button(tracking, "btn_plan"), bureau, ONLY_BUREAU)
    _check(tracking.print_btn, role != "school", ONLY_PRINTERS)
    if bureau:
        assert "FormDialog" in _click_and_catch(qtbot, _button(tracking, "btn_new_batch"))
    else:
        assert _click_and_catch(qtbot, _button(tracking, "btn_new_batch")) == []

    statistics = _click_nav(qtbot, window, "statistics")
    qtbot.waitUntil(lambda: statistics.result is not None, timeout=60_000)
    assert statistics.export_btn.isEnabled()  # statistics are every role's to read and take away

    if role == "admin":
        audit = _click_nav(qtbot, window, "audit")
        assert audit.model.total >= 1  # at least the sign-ins of this test
    assert ("audit" in window.pages) == (role == "admin")

    # --- menus: shown to everyone, disabled where the role lacks the right ------------------------
    print_action = window.findChild(QAction, "action_print_list")
    _check(print_action, role != "school", ONLY_PRINTERS)
    admin_actions = {a.objectName(): a for a in window.admin_menu.actions()}
    for name in ("action_users", "action_audit", "action_backup", "action_restore"):
        _check(admin_actions[name], role == "admin", ONLY_ADMIN)
    assert admin_actions["action_change_password"].isEnabled()


def test_a_disabled_action_says_which_roles_may_in_english(qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    from core import i18n
    from ui.pages.trainees import TraineesPage

    i18n.set_language("en")
    try:
        officer = Actor(None, "officer", "officer")
        page = TraineesPage(demo_db, officer)
        qtbot.addWidget(page)
        assert not page.buttons["add"].isEnabled()
        assert page.buttons["add"].toolTip() == "Only bureau administrator, bureau staff, school staff may do this"
    finally:
        i18n.set_language("zh")


def test_a_school_page_built_alone_queries_its_school_from_the_start(qtbot, demo_db, accounts) -> None:  # type: ignore[no-untyped-def]
    """The bug of the first release: a page without a window yet queried as SYSTEM (the whole county)."""
    from ui.pages.tracking import TrackingPage
    from ui.pages.trainees import TraineesPage

    name, password = accounts["school"]
    school = users.login(demo_db, name, password).actor
    counts = _school_counts(demo_db, school.school_id)
    page = TraineesPage(demo_db, school)  # no parent, never shown
    qtbot.addWidget(page)
    assert page.model.total() == counts["own"] < counts["county"]
    tracking = TrackingPage(demo_db, school)  # loads when first shown: alone, without a window around it
    qtbot.addWidget(tracking)
    assert tracking.placements_model.total() in (0, counts["own_placements"])
    tracking.show()
    qtbot.waitExposed(tracking)
    assert tracking.placements_model.total() == counts["own_placements"] < counts["placements"]



@pytest.mark.parametrize(("role", "offered"), [("school", ["trainees"]),
                                                ("staff", ["trainees", "vacancies", "placements"])])
def test_the_import_wizard_offers_only_the_rosters_the_role_may_write(qtbot, demo_db, role: str,  # type: ignore[no-untyped-def]
                                                                      offered: list[str]) -> None:
    """A school account clicking 导入 sees only 学员名册: it could not import vacancies or placements."""
    from ui.import_wizard import ImportWizard
    from ui.pages.trainees import TraineesPage

    make_app()
    actor = Actor(None, role, role, school_id=1 if role == "school" else None)
    page = TraineesPage(demo_db, actor)
    qtbot.addWidget(page)
    page.show()
    seen: list[tuple[list[str], bool, str]] = []

    def look() -> None:
        wizard = QApplication.activeModalWidget()
        if not isinstance(wizard, ImportWizard):
            QTimer.singleShot(30, look)
            return
        box = wizard.kind_box
        seen.append(([box.itemData(i) for i in range(box.count())], box.isEnabled(), box.currentText()))
        QTest.keyClick(wizard, Qt.Key.Key_Escape)

    QTimer.singleShot(30, look)
    qtbot.mouseClick(page.buttons["import"], Qt.MouseButton.LeftButton)
    assert seen == [(offered, len(offered) > 1, "学员名册")]
