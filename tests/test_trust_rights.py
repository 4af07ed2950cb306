"""Trust, second round (issue #20): rights re-read at every action, login answers that reveal nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from core.access import SYSTEM, SignedOut
from core.i18n import UserError
from db.models import AuditLog, Placement, Trainee
from db.services import registry, users
from db.services.exchange.export import export_roster

PW = "Secret123"


def _accounts(database):  # type: ignore[no-untyped-def]
    created = {u: p for u, _, p in users.create_demo_accounts(database, actor=SYSTEM)}
    out = {}
    for name, password in created.items():
        users.change_password(database, users.login(database, name, password).actor, password, PW)
        out[name] = users.login(database, name, PW).actor
    return out


def _some_trainees(database, n: int) -> list[int]:  # type: ignore[no-untyped-def]
    with database.session() as s:
        placed = select(Placement.trainee_id)
        return list(s.scalars(select(Trainee.id).where(Trainee.deleted_at.is_(None), Trainee.id.not_in(placed))
                              .order_by(Trainee.id).limit(n)))


def _alive(database, trainee_id: int) -> bool:  # type: ignore[no-untyped-def]
    with database.session() as s:
        return s.scalar(select(Trainee.deleted_at).where(Trainee.id == trainee_id)) is None


def test_a_disabled_account_is_stopped_at_its_next_action(demo_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    who = _accounts(demo_db)
    staff, admin = who["staff"], who["admin"]
    first, second = _some_trainees(demo_db, 2)
    assert export_roster(demo_db, "trainees", tmp_path / "ok.xlsx", staff) == 3000  # still allowed
    registry.delete_trainee(demo_db, staff, first)
    users.update_user(demo_db, admin, staff.user_id, active=False)
    with demo_db.session() as s:
        entries = s.scalar(select(func.count()).select_from(AuditLog))
    with pytest.raises(SignedOut) as refused:
        export_roster(demo_db, "trainees", tmp_path / "after.xlsx", staff)
    assert str(refused.value) == "您的账户已被管理员停用，已退出登录。"
    assert not (tmp_path / "after.xlsx").exists()
    with pytest.raises(SignedOut):
        registry.delete_trainee(demo_db, staff, second)
    assert _alive(demo_db, second)  # nothing changed
    with demo_db.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditLog)) == entries  # no export entry either
    # Enabled again, the same session's actor works again (the rights are read, not remembered).
    users.update_user(demo_db, admin, staff.user_id, active=True)
    registry.delete_trainee(demo_db, staff, second)
    assert not _alive(demo_db, second)


def test_a_demoted_account_is_stopped_at_its_next_action(demo_db) -> None:  # type: ignore[no-untyped-def]
    who = _accounts(demo_db)
    staff, admin = who["staff"], who["admin"]
    target = _some_trainees(demo_db, 1)[0]
    users.update_user(demo_db, admin, staff.user_id, role="officer")
    with pytest.raises(SignedOut) as refused:
        registry.delete_trainee(demo_db, staff, target)
    assert "角色已被管理员更改" in str(refused.value) and "重新登录" in str(refused.value)
    assert _alive(demo_db, target)
    # Signed in again as what it now is: an officer may not delete at all.
    officer = users.login(demo_db, "staff", PW).actor
    with pytest.raises(UserError):
        registry.delete_trainee(demo_db, officer, target)
    assert _alive(demo_db, target)


def test_a_school_account_moved_to_another_school_is_signed_out(demo_db) -> None:  # type: ignore[no-untyped-def]
    who = _accounts(demo_db)
    school, admin = who["school"], who["admin"]
    other = next(i for i, _ in users.list_schools(demo_db) if i != school.school_id)
    registry.cohorts(demo_db, school)  # allowed
    users.update_user(demo_db, admin, school.user_id, school_id=other)
    with pytest.raises(SignedOut):
        registry.cohorts(demo_db, school)


def test_a_deleted_user_row_is_treated_as_disabled(database) -> None:  # type: ignore[no-untyped-def]
    from core.access import Actor
    ghost = Actor(999_999, "ghost", "admin")
    with pytest.raises(SignedOut):
        users.list_users(database, ghost)


# --- login answers that reveal nothing --------------------------------------------------------------

class _CountingHasher(PasswordHasher):
    """The real Argon2 hasher, counting its verifications (the work that takes the time of a login)."""
    calls = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        type(self).calls += 1
        return super().verify(hash, password)


def _login_failure(database, name: str, password: str) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    before = _CountingHasher.calls
    with pytest.raises(UserError) as failed:
        users.login(database, name, password)
    return str(failed.value), _CountingHasher.calls - before


def test_unknown_disabled_and_locked_accounts_answer_alike(database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(users, "_hasher", _CountingHasher())
    admin = users.create_first_admin(database, "boss", PW)
    users.create_user(database, admin, "gone", PW, "staff", must_change_password=False)
    users.create_user(database, admin, "locked", PW, "staff", must_change_password=False)
    gone = next(u for u in users.list_users(database, admin) if u.username == "gone")
    users.update_user(database, admin, gone.id, active=False)
    for _ in range(users.LOCK_AFTER_FAILURES):
        with pytest.raises(UserError):
            users.login(database, "locked", "wrong-password1")
    answers = {name: _login_failure(database, name, "wrong-password1")
               for name in ("nobody", "gone", "locked", "boss")}
    sentences = {text for text, _ in answers.values()}
    assert sentences == {"用户名或密码错误。"}, answers
    # The same work, one Argon2 verification, for each: no answer comes back sooner than another.
    assert {work for _, work in answers.values()} == {1}, answers
    # A disabled account with its right password is told the truth only then (it knows the password).
    with pytest.raises(UserError) as disabled:
        users.login(database, "gone", PW)
    assert "停用" in str(disabled.value)
    with pytest.raises(UserError) as locked:
        users.login(database, "locked", PW)
    assert "锁定" in str(locked.value)
    # A name that does not exist is never "locked", however often it is tried.
    for _ in range(users.LOCK_AFTER_FAILURES + 1):
        text, _ = _login_failure(database, "nobody", "wrong-password1")
        assert text == "用户名或密码错误。"


# --- the GUI: the session ends on the next click, with one sentence in the login dialog ---------------

def test_gui_disabled_staff_is_signed_out_on_the_next_click(qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from ui.app import make_app
    from ui.login_dialog import LoginDialog, sign_in
    from ui.main_window import MainWindow

    who = _accounts(demo_db)
    staff, admin = who["staff"], who["admin"]
    make_app()
    window = MainWindow(demo_db, staff)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    page = window.show_page("trainees")
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=10000)
    page.view.selectRow(0)
    row_id = page.selected_id()
    assert row_id is not None and page.buttons["delete"].isEnabled()

    users.update_user(demo_db, admin, staff.user_id, active=False)  # the administrator, at another PC

    boxes: list[str] = []

    def answer_yes() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            boxes.append(box.text())
            yes = box.button(QMessageBox.StandardButton.Yes)
            if yes is not None:
                qtbot.mouseClick(yes, Qt.MouseButton.LeftButton)
            else:
                box.reject()
            return
        QTimer.singleShot(30, answer_yes)

    QTimer.singleShot(30, answer_yes)
    qtbot.mouseClick(page.buttons["delete"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)
    assert window.ended_message == "您的账户已被管理员停用，已退出登录。"
    assert len(boxes) == 1 and "删除学员" in boxes[0]  # only the question; the refusal is not a second box
    assert _alive(demo_db, row_id)

    # ui/app.py then signs in again, the login dialog saying why.
    shown: list[str] = []

    def look() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, LoginDialog):
            shown.append(dialog.error.text() if dialog.error.isVisible() else "")
            dialog.grab().save("/tmp/x/login_signed_out.png")
            dialog.reject()
            return
        QTimer.singleShot(30, look)

    QTimer.singleShot(30, look)
    assert sign_in(demo_db, notice=window.ended_message) is None
    assert shown == ["您的账户已被管理员停用，已退出登录。"]


def test_disabling_while_the_account_works_stops_it_at_once(demo_db) -> None:  # type: ignore[no-untyped-def]
    """Concurrency: the staff account deletes and restores a trainee over and over in its own thread
    while the administrator disables it. Every action that started after the disabling committed is
    refused, and the trainee is as the last allowed action left it."""
    import threading
    import time as clock

    who = _accounts(demo_db)
    staff, admin = who["staff"], who["admin"]
    tid = _some_trainees(demo_db, 1)[0]
    done: list[tuple[float, str]] = []
    refused: list[float] = []
    stop = threading.Event()

    def work() -> None:
        step = 0
        while not stop.is_set():
            action = "delete" if step % 2 == 0 else "restore"
            started = clock.monotonic()
            try:
                (registry.delete_trainee if action == "delete" else registry.restore_trainee)(demo_db, staff, tid)
                done.append((started, action))
                step += 1
            except SignedOut:
                refused.append(started)

    worker = threading.Thread(target=work)
    worker.start()
    clock.sleep(0.3)
    users.update_user(demo_db, admin, staff.user_id, active=False)
    disabled_at = clock.monotonic()
    clock.sleep(0.5)
    stop.set()
    worker.join(60)
    assert done and refused, (len(done), len(refused))
    assert all(started < disabled_at for started, _ in done)
    assert _alive(demo_db, tid) == (done[-1][1] == "restore")
