"""Users: first administrator, login, lock-out, password change, user management, CLI --user, GUI login."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from PySide6.QtWidgets import QDialog
from sqlalchemy import func, select, update

from core.access import SYSTEM, PermissionDenied
from core.i18n import UserError
from db.models import AuditLog, User
from db.services import users
from db.services.audit_search import AuditFilter, count_entries, fetch_entries
from tests.conftest import REPO

PW = "Secret123"


def _audit(database, action: str) -> list[AuditLog]:  # type: ignore[no-untyped-def]
    with database.session() as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def test_open_until_first_admin_then_login_required(database) -> None:  # type: ignore[no-untyped-def]
    assert not users.has_users(database)
    assert users.actor_for(database, None, None) == SYSTEM
    admin = users.create_first_admin(database, "chief", PW, "王局长")
    assert admin.role == "admin" and admin.user_id is not None
    with pytest.raises(UserError, match="--user"):
        users.actor_for(database, None, None)
    assert users.actor_for(database, "chief", PW) == admin
    with pytest.raises(UserError, match="已有用户"):
        users.create_first_admin(database, "second", PW)
    with database.session() as s:
        stored = s.scalar(select(User.password_hash).where(User.username == "chief"))
    assert stored.startswith("$argon2id$") and PW not in stored
    assert [e.entity_id for e in _audit(database, "login")] == [str(admin.user_id)]


def test_wrong_password_and_unknown_user_same_message(database) -> None:  # type: ignore[no-untyped-def]
    users.create_first_admin(database, "chief", PW)
    with pytest.raises(UserError) as wrong:
        users.login(database, "chief", "Wrong1234")
    with pytest.raises(UserError) as unknown:
        users.login(database, "nobody", PW)
    assert str(wrong.value) == str(unknown.value) == "用户名或密码错误。"
    failed = _audit(database, "login_failed")
    assert [f.detail for f in failed] == ["wrong password", "unknown user"]
    assert all("Wrong1234" not in (f.detail or "") + (f.after or "") for f in failed)


def test_lockout_after_five_failures(database) -> None:  # type: ignore[no-untyped-def]
    admin = users.create_first_admin(database, "chief", PW)
    staff = users.create_user(database, admin, "clerk", "Clerk1234", "staff")
    for _ in range(4):
        with pytest.raises(UserError, match="用户名或密码错误"):
            users.login(database, "clerk", "bad-guess-1")
    # The fifth wrong password locks the account but says only what it says to an unknown name.
    with pytest.raises(UserError, match="用户名或密码错误"):
        users.login(database, "clerk", "bad-guess-1")
    with pytest.raises(UserError, match="账户已锁定"):  # the right password while locked learns it
        users.login(database, "clerk", "Clerk1234")
    with database.session() as s:
        locked_until = s.scalar(select(User.locked_until).where(User.id == staff.id))
    assert locked_until is not None
    # Time passes: the lock runs out by itself.
    with database.session() as s:
        s.execute(update(User).where(User.id == staff.id).values(locked_until=dt.datetime(2000, 1, 1)))
    assert users.login(database, "clerk", "Clerk1234").actor.username == "clerk"
    # And an administrator can unlock early.
    for _ in range(5):
        with pytest.raises(UserError):
            users.login(database, "clerk", "bad-guess-2")
    users.unlock_user(database, admin, staff.id)
    assert users.login(database, "clerk", "Clerk1234").must_change_password is True


def test_change_password_rules(database) -> None:  # type: ignore[no-untyped-def]
    admin = users.create_first_admin(database, "chief", PW)
    with pytest.raises(UserError, match="当前密码不正确"):
        users.change_password(database, admin, "nope", "NewPass123")
    for bad, msg in (("short1", "至少需要 8"), ("onlyletters", "字母和数字"), ("chief1", "至少需要 8"),
                     (PW, "不能与当前密码相同")):
        with pytest.raises(UserError, match=msg):
            users.change_password(database, admin, PW, bad)
    users.change_password(database, admin, PW, "NewPass123")
    with pytest.raises(UserError):
        users.login(database, "chief", PW)
    assert users.login(database, "chief", "NewPass123").actor == admin
    assert len(_audit(database, "password_change")) == 1


def test_manage_users_admin_only_and_last_admin_kept(database) -> None:  # type: ignore[no-untyped-def]
    admin = users.create_first_admin(database, "chief", PW)
    staff = users.create_user(database, admin, "clerk", "Clerk1234", "staff")
    clerk = users.login(database, "clerk", "Clerk1234").actor
    with pytest.raises(PermissionDenied):
        users.create_user(database, clerk, "evil", "Evil12345", "admin")
    with pytest.raises(PermissionDenied):
        users.list_users(database, clerk)
    with pytest.raises(PermissionDenied):
        users.reset_password(database, clerk, admin.user_id, "Hijack123")
    with pytest.raises(UserError, match="已被使用"):
        users.create_user(database, admin, "CLERK", "Clerk1234", "staff")
    with pytest.raises(UserError, match="所属学校"):
        users.create_user(database, admin, "teacher", "Teach1234", "school")
    with pytest.raises(UserError, match="最后一位管理员"):
        users.update_user(database, admin, admin.user_id, role="staff")
    users.update_user(database, admin, staff.id, active=False)
    with pytest.raises(UserError, match="已停用"):
        users.login(database, "clerk", "Clerk1234")
    names = [(u.username, u.role, u.active) for u in users.list_users(database, admin)]
    assert names == [("chief", "admin", True), ("clerk", "staff", False)]
    upd = [e for e in _audit(database, "update") if e.entity == "user"]
    assert '"active": false' in upd[-1].after


def test_demo_accounts_must_change_password(demo_db) -> None:  # type: ignore[no-untyped-def]
    created = users.create_demo_accounts(demo_db, actor=SYSTEM)
    assert [r for _, r, _ in created] == ["admin", "staff", "school", "officer"]
    for username, role, password in created:
        result = users.login(demo_db, username, password)
        assert result.must_change_password and result.actor.role == role
    school = users.login(demo_db, "school", created[2][2]).actor
    assert school.school_id is not None
    assert users.create_demo_accounts(demo_db, users.login(demo_db, "admin", created[0][2]).actor) == []


def test_audit_search_sql_metacharacters_harmless(database) -> None:  # type: ignore[no-untyped-def]
    from core.access import Actor
    from db import audit

    admin = users.create_first_admin(database, "chief", PW)
    with database.session() as s:  # entries whose user name and detail hold SQL metacharacters
        for name in ("50%_off", "o'brien", "x"):
            audit.record(s, Actor(None, name, "officer"), "test", detail=name)
    all_entries = count_entries(database, admin, AuditFilter())
    for text in ("%", "_", "'", "' OR '1'='1", "'; DROP TABLE audit_log; --", "\\", "[a-z]*", '"'):
        hits = fetch_entries(database, admin, AuditFilter(text=text, username=text))
        assert hits == [] or all(text.lower() in (h[2] or "").lower() for h in hits)
        fetch_entries(database, admin, AuditFilter(text=text))
    assert [h[2] for h in fetch_entries(database, admin, AuditFilter(text="50%"))] == ["50%_off"]
    assert [h[2] for h in fetch_entries(database, admin, AuditFilter(text="o'b"))] == ["o'brien"]
    assert count_entries(database, admin, AuditFilter(text="%")) == 1  # only the name with a literal %
    assert count_entries(database, admin, AuditFilter()) == all_entries  # nothing dropped, nothing changed
    with pytest.raises(PermissionDenied):
        count_entries(database, users.create_user(database, admin, "clerk", "Clerk1234", "officer")
                      and users.login(database, "clerk", "Clerk1234").actor, AuditFilter())


def test_audit_log_is_append_only(database) -> None:  # type: ignore[no-untyped-def]
    users.create_first_admin(database, "chief", PW)
    with pytest.raises(PermissionDenied):
        with database.session() as s:
            entry = s.scalar(select(AuditLog).limit(1))
            entry.detail = "rewritten"
    with pytest.raises(PermissionDenied):
        with database.session() as s:
            s.execute(update(AuditLog).values(detail="rewritten"))
    with database.session() as s:
        assert s.scalar(select(func.count()).where(AuditLog.detail == "rewritten")) == 0


def _cli(db_url: str, *args: str, password: str | None = None,
         new_password: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LABORBRIDGE_PASSWORD", "LABORBRIDGE_NEW_PASSWORD")}
    if password is not None:
        env["LABORBRIDGE_PASSWORD"] = password
    if new_password is not None:
        env["LABORBRIDGE_NEW_PASSWORD"] = new_password
    return subprocess.run([sys.executable, str(REPO / "main.py"), "--db", db_url, *args], capture_output=True,
                          text=True, env=env, cwd=REPO, stdin=subprocess.DEVNULL, timeout=120)


def test_cli_user_and_demo_accounts(db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = _cli(db_url, "demo", "--trainees", "60")
    assert out.returncode == 0, out.stderr
    # the accounts are the indented lines (the demo also says what its training found)
    lines = {ln.split()[0]: ln.split()[1] for ln in out.stdout.splitlines() if ln.startswith("  ")}
    assert set(lines) == {"admin", "staff", "school", "officer"}
    no_user = _cli(db_url, "users", "list")
    assert no_user.returncode == 1 and "--user" in no_user.stderr and "Traceback" not in no_user.stderr
    wrong = _cli(db_url, "--user", "admin", "users", "list", password="wrong")
    assert wrong.returncode == 1 and "用户名或密码错误" in wrong.stderr
    # A demo account must choose its own password before it may run anything else, on the CLI too.
    forced = _cli(db_url, "--user", "admin", "users", "list", password=lines["admin"])
    assert forced.returncode == 2 and "users passwd" in forced.stderr and "Traceback" not in forced.stderr
    assert len(forced.stderr.strip().splitlines()) == 1 and not forced.stdout
    changed = _cli(db_url, "--user", "admin", "users", "passwd", password=lines["admin"], new_password="Chosen123")
    assert changed.returncode == 0, changed.stderr
    ok = _cli(db_url, "--user", "admin", "users", "list", password="Chosen123")
    assert ok.returncode == 0, ok.stderr
    assert '"must_change_password": true' in ok.stdout  # the other demo accounts still must
    officer = _cli(db_url, "--user", "officer", "users", "passwd", password=lines["officer"], new_password="Chosen456")
    assert officer.returncode == 0, officer.stderr
    refused = _cli(db_url, "--user", "officer", "users", "list", password="Chosen456")
    assert refused.returncode == 1 and "没有此操作的权限" in refused.stderr


# --- GUI ----------------------------------------------------------------------------------------------

def test_gui_first_start_creates_admin(qtbot, database) -> None:  # type: ignore[no-untyped-def]
    from ui.login_dialog import FirstAdminDialog

    dialog = FirstAdminDialog(database)
    qtbot.addWidget(dialog)
    dialog.password.setText(PW)
    dialog.password2.setText("Other1234")
    dialog.try_create()
    assert "不一致" in dialog.error.text()
    assert not users.has_users(database)
    dialog.password2.setText(PW)
    dialog.try_create()
    assert dialog.result() == QDialog.DialogCode.Accepted and dialog.actor is not None
    assert users.login(database, "admin", PW).actor.role == "admin"


def test_gui_login_wrong_then_forced_change(qtbot, database) -> None:  # type: ignore[no-untyped-def]
    from ui.login_dialog import ChangePasswordDialog, LoginDialog

    admin = users.create_first_admin(database, "chief", PW)
    users.create_user(database, admin, "clerk", "Temp12345", "staff")
    dialog = LoginDialog(database)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.username, "clerk")
    qtbot.keyClicks(dialog.password, "nope")
    dialog.try_login()
    assert dialog.error.text() == "用户名或密码错误。" and dialog.password.text() == ""
    assert dialog.result_login is None
    qtbot.keyClicks(dialog.password, "Temp12345")
    dialog.try_login()
    assert dialog.result_login is not None and dialog.result_login.must_change_password
    change = ChangePasswordDialog(database, dialog.result_login.actor, forced=True)
    qtbot.addWidget(change)
    change.old.setText("Temp12345")
    change.new.setText("Mine56789")
    change.new2.setText("Mine56789")
    change.try_change()
    assert change.result() == QDialog.DialogCode.Accepted
    assert users.login(database, "clerk", "Mine56789").must_change_password is False


def test_gui_main_window_by_role(qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    from ui.main_window import MainWindow
    from ui.users_dialog import UserEditDialog, UsersDialog

    created = {u: p for u, _, p in users.create_demo_accounts(demo_db, actor=SYSTEM)}
    admin = users.login(demo_db, "admin", created["admin"]).actor
    window = MainWindow(demo_db, admin)
    qtbot.addWidget(window)
    assert "audit" in window.page_keys()
    page = window.show_page("audit")
    qtbot.keyClicks(page.search, "'; DROP TABLE trainee; --")
    page.apply_filter()
    assert page.model.total == 0
    page.search.clear()
    page.apply_filter()
    assert page.model.total >= 5
    from pytestqt.modeltest import ModelTester
    ModelTester(None).check(page.model)  # type: ignore[arg-type]
    page.view.selectRow(0)
    assert "时间" in page.detail.toPlainText()

    dialog = UsersDialog(demo_db, admin)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 4
    edit = UserEditDialog(demo_db, admin, None, dialog)
    qtbot.addWidget(edit)
    edit.username.setText("teacher2")
    edit.role.setCurrentIndex(edit.role.findData("school"))
    assert edit.school.isEnabled()
    edit.save()
    assert edit.result() == QDialog.DialogCode.Accepted
    dialog.reload()
    assert dialog.table.rowCount() == 5

    officer = users.login(demo_db, "officer", created["officer"]).actor
    plain = MainWindow(demo_db, officer)
    qtbot.addWidget(plain)
    assert "audit" not in plain.pages
    actions = {a.objectName(): a for a in plain.admin_menu.actions()}
    assert actions["action_change_password"].isEnabled()
    for name in ("action_users", "action_audit", "action_backup", "action_restore"):  # shown, but disabled
        assert not actions[name].isEnabled() and actions[name].toolTip() == "仅局管理员可以操作"
    assert "officer" in plain.findChild(type(plain.db_label), "user_label").text()
    # No window without its user: the acting user is a required argument.
    with pytest.raises(TypeError):
        MainWindow(demo_db)  # type: ignore[call-arg]


def test_gui_start_flow_login_then_forced_change(qtbot, database) -> None:  # type: ignore[no-untyped-def]
    """ui.login_dialog.sign_in as run_gui calls it: the login dialog, then the forced change."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from ui.login_dialog import ChangePasswordDialog, LoginDialog, sign_in

    admin = users.create_first_admin(database, "chief", PW)
    users.create_user(database, admin, "clerk", "Temp12345", "staff")
    seen: list[str] = []

    def drive() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, LoginDialog):
            seen.append("login")
            dialog.username.setText("clerk")
            dialog.password.setText("Temp12345")
            dialog.login_button.click()
        elif isinstance(dialog, ChangePasswordDialog):
            seen.append("change")
            dialog.old.setText("Temp12345")
            dialog.new.setText("Mine56789")
            dialog.new2.setText("Mine56789")
            dialog.try_change()
            return
        QTimer.singleShot(50, drive)

    QTimer.singleShot(50, drive)
    actor = sign_in(database)
    assert seen == ["login", "change"]
    assert actor is not None and actor.username == "clerk" and actor.role == "staff"
    assert users.login(database, "clerk", "Mine56789").must_change_password is False


def test_a_password_typed_as_the_user_name_is_not_stored(database) -> None:  # type: ignore[no-untyped-def]
    """A failed login by an unknown name is audited without the typed name (often the password)."""
    from db.models import AuditLog

    users.create_first_admin(database, "chief", PW)
    with pytest.raises(UserError, match="用户名或密码错误"):
        users.login(database, "Geheim-2024xyz", "")
    with database.session() as s:
        entries = s.execute(select(AuditLog.username, AuditLog.detail, AuditLog.before, AuditLog.after)
                            .where(AuditLog.action == "login_failed")).all()
    assert len(entries) == 1 and entries[0].username is None and entries[0].detail == "unknown user"
    assert all("Geheim" not in str(v) for v in entries[0])
