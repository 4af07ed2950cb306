"""Signing in: the first administrator of a new database, the login, the forced password change."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from core.access import SYSTEM, Actor
from core.i18n import UserError, tr
from db.engine import Database, display_url
from db.services import users


def _password_edit() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


def _error_label() -> QLabel:
    label = QLabel()
    label.setObjectName("error")
    label.setStyleSheet("color: #b00020;")
    label.setWordWrap(True)
    label.hide()
    return label


class _Form(QDialog):
    def __init__(self, title: str, intro: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        self.intro = QLabel(intro)
        self.intro.setWordWrap(True)
        layout.addWidget(self.intro)
        self.form = QFormLayout()
        layout.addLayout(self.form)
        self.error = _error_label()
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox()
        layout.addWidget(self.buttons)

    def show_error(self, exc: UserError | str) -> None:
        self.error.setText(str(exc))
        self.error.show()


class LoginDialog(_Form):
    """User name and password; wrong ones say so in the dialog, which stays open."""

    def __init__(self, database: Database, parent: QWidget | None = None) -> None:
        super().__init__(tr("登录 — 劳务协作桥", "Sign in — LaborBridge"),
                         tr(f"数据库：{display_url(database.url)}", f"Database: {display_url(database.url)}"), parent)
        self.database = database
        self.result_login: users.LoginResult | None = None
        self.username = QLineEdit()
        self.username.setObjectName("username")
        self.password = _password_edit()
        self.password.setObjectName("password")
        self.form.addRow(tr("用户名：", "User name:"), self.username)
        self.form.addRow(tr("密码：", "Password:"), self.password)
        self.login_button = self.buttons.addButton(tr("登录", "Sign in"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(tr("退出", "Quit"), QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.try_login)
        self.buttons.rejected.connect(self.reject)
        self.login_button.setDefault(True)

    def try_login(self) -> None:
        try:
            self.result_login = users.login(self.database, self.username.text(), self.password.text())
        except UserError as exc:
            self.password.clear()
            self.password.setFocus()
            self.show_error(exc)
            return
        self.accept()


class FirstAdminDialog(_Form):
    """A database without users: create its administrator (or go on without, as the issue allows)."""

    def __init__(self, database: Database, parent: QWidget | None = None) -> None:
        super().__init__(
            tr("创建管理员 — 劳务协作桥", "Create the administrator — LaborBridge"),
            tr("这个数据库还没有任何用户。请创建局管理员账户：此后每次启动都需要登录，"
               "管理员可以为局工作人员、培训学校和经办人开设账户。\n"
               "在创建管理员之前，任何人打开本程序都可以查看和修改全部数据。",
               "This database has no users yet. Create the bureau administrator: from then on every start "
               "asks for a login, and the administrator opens accounts for staff, schools and officers.\n"
               "Until an administrator exists, anyone who opens the program can see and change all data."), parent)
        self.database = database
        self.actor: Actor | None = None
        self.username = QLineEdit("admin")
        self.username.setObjectName("username")
        self.display_name = QLineEdit()
        self.password = _password_edit()
        self.password.setObjectName("password")
        self.password2 = _password_edit()
        self.password2.setObjectName("password2")
        self.form.addRow(tr("用户名：", "User name:"), self.username)
        self.form.addRow(tr("姓名（可选）：", "Full name (optional):"), self.display_name)
        self.form.addRow(tr("密码：", "Password:"), self.password)
        self.form.addRow(tr("再次输入密码：", "Repeat password:"), self.password2)
        hint = QLabel(tr("密码至少 8 位，需同时包含字母和数字。", "At least 8 characters with letters and digits."))
        hint.setStyleSheet("color: #555;")
        self.form.addRow("", hint)
        create = self.buttons.addButton(tr("创建并登录", "Create and sign in"), QDialogButtonBox.ButtonRole.AcceptRole)
        create.setDefault(True)
        self.skip_button = self.buttons.addButton(tr("暂不创建", "Not now"), QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.try_create)
        self.buttons.rejected.connect(self.reject)

    def try_create(self) -> None:
        if self.password.text() != self.password2.text():
            self.show_error(tr("两次输入的密码不一致。", "The two passwords differ."))
            return
        try:
            self.actor = users.create_first_admin(self.database, self.username.text(), self.password.text(),
                                                  self.display_name.text())
            users.login(self.database, self.username.text(), self.password.text())  # audited sign-in
        except UserError as exc:
            self.show_error(exc)
            return
        self.accept()


class ChangePasswordDialog(_Form):
    """Change one's own password; ``forced`` at the first login of an account with a temporary one."""

    def __init__(self, database: Database, actor: Actor, *, forced: bool = False,
                 parent: QWidget | None = None) -> None:
        intro = (tr(f"账户“{actor.username}”使用的是初始密码，首次登录必须设置您自己的新密码。",
                    f"The account '{actor.username}' has an initial password: choose your own before going on.")
                 if forced else tr(f"修改账户“{actor.username}”的密码。", f"Change the password of '{actor.username}'."))
        super().__init__(tr("修改密码", "Change password"), intro, parent)
        self.database, self.actor = database, actor
        self.old = _password_edit()
        self.old.setObjectName("old_password")
        self.new = _password_edit()
        self.new.setObjectName("new_password")
        self.new2 = _password_edit()
        self.new2.setObjectName("new_password2")
        self.form.addRow(tr("当前密码：", "Current password:"), self.old)
        self.form.addRow(tr("新密码：", "New password:"), self.new)
        self.form.addRow(tr("再次输入新密码：", "Repeat new password:"), self.new2)
        ok = self.buttons.addButton(tr("修改密码", "Change password"), QDialogButtonBox.ButtonRole.AcceptRole)
        ok.setDefault(True)
        self.buttons.addButton(tr("退出程序", "Quit") if forced else tr("取消", "Cancel"),
                               QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.try_change)
        self.buttons.rejected.connect(self.reject)

    def try_change(self) -> None:
        if self.new.text() != self.new2.text():
            self.show_error(tr("两次输入的新密码不一致。", "The two new passwords differ."))
            return
        try:
            users.change_password(self.database, self.actor, self.old.text(), self.new.text())
        except UserError as exc:
            self.show_error(exc)
            return
        self.accept()


def sign_in(database: Database, parent: QWidget | None = None, notice: str | None = None) -> Actor | None:
    """The start flow: first administrator, or login (+ forced password change). None = quit.
    ``notice``: why the previous session ended, shown in the login dialog."""
    if not users.has_users(database):
        first = FirstAdminDialog(database, parent)
        if first.exec() == QDialog.DialogCode.Accepted and first.actor is not None:
            return first.actor
        QMessageBox.information(parent, "LaborBridge",
                                tr("未创建管理员：在创建之前，此数据库对任何使用者开放。可随时在“管理”菜单中创建。",
                                   "No administrator yet: the database stays open to anyone until one is created "
                                   "(Admin menu)."))
        return SYSTEM
    dialog = LoginDialog(database, parent)
    if notice:
        dialog.show_error(notice)
    dialog.username.setFocus(Qt.FocusReason.OtherFocusReason)
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.result_login is None:
        return None
    result = dialog.result_login
    if result.must_change_password:
        change = ChangePasswordDialog(database, result.actor, forced=True, parent=parent)
        if change.exec() != QDialog.DialogCode.Accepted:
            return None
    return result.actor
