"""User management (administrators): accounts, roles, schools, password resets, unlocking."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.access import Actor
from core.i18n import UserError, tr
from core.vocab import ROLE_LABELS
from db.engine import Database
from db.services import users
from ui.dialogs import show_error

ROLE_ORDER = ("staff", "school", "officer", "admin")


class UserEditDialog(QDialog):
    """New account (with an initial password) or changes to an existing one."""

    def __init__(self, database: Database, actor: Actor, user: users.UserInfo | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.database, self.actor, self.user = database, actor, user
        self.setWindowTitle(tr("新建用户", "New user") if user is None else tr("修改用户", "Edit user"))
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        layout.addLayout(form)
        self.username = QLineEdit(user.username if user else "")
        self.username.setObjectName("username")
        self.username.setEnabled(user is None)
        self.display_name = QLineEdit(user.display_name if user else "")
        self.role = QComboBox()
        self.role.setObjectName("role")
        for role in ROLE_ORDER:
            self.role.addItem(tr(*ROLE_LABELS[role]), role)
        self.school = QComboBox()
        self.school.setObjectName("school")
        for school_id, name in users.list_schools(database):
            self.school.addItem(name, school_id)
        form.addRow(tr("用户名：", "User name:"), self.username)
        form.addRow(tr("姓名：", "Full name:"), self.display_name)
        form.addRow(tr("角色：", "Role:"), self.role)
        form.addRow(tr("所属学校：", "School:"), self.school)
        self.password = QLineEdit(users.generate_password())
        self.password.setObjectName("password")
        self.active = QCheckBox(tr("账户可用", "Account enabled"))
        if user is None:
            form.addRow(tr("初始密码：", "Initial password:"), self.password)
            note = QLabel(tr("请把初始密码告知本人；首次登录时必须改为自己的密码。",
                             "Give the initial password to the person; they must change it at the first login."))
            note.setWordWrap(True)
            note.setStyleSheet("color: #555;")
            form.addRow("", note)
        else:
            self.active.setChecked(user.active)
            form.addRow("", self.active)
            self.role.setCurrentIndex(max(0, self.role.findData(user.role)))
            if user.school_id is not None:
                self.school.setCurrentIndex(max(0, self.school.findData(user.school_id)))
        self.role.currentIndexChanged.connect(self._role_changed)
        self._role_changed()
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020;")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _role_changed(self) -> None:
        self.school.setEnabled(self.role.currentData() == "school")

    def save(self) -> None:
        role = self.role.currentData()
        school_id = self.school.currentData() if role == "school" else None
        try:
            if self.user is None:
                users.create_user(self.database, self.actor, self.username.text(), self.password.text(), role,
                                  school_id=school_id, display_name=self.display_name.text())
            else:
                users.update_user(self.database, self.actor, self.user.id, role=role, school_id=school_id,
                                  display_name=self.display_name.text(), active=self.active.isChecked())
        except UserError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        self.accept()


class UsersDialog(QDialog):
    HEADERS = (("用户名", "User name"), ("姓名", "Name"), ("角色", "Role"), ("所属学校", "School"),
               ("状态", "Status"))

    def __init__(self, database: Database, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.database, self.actor = database, actor
        self.setWindowTitle(tr("用户管理", "User accounts"))
        self.resize(820, 440)
        layout = QVBoxLayout(self)
        self.table = QTableWidget(0, len(self.HEADERS))
        self.table.setObjectName("users_table")
        self.table.setHorizontalHeaderLabels([tr(*h) for h in self.HEADERS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(self.edit_user)
        layout.addWidget(self.table)
        row = QHBoxLayout()
        for name, zh, en, slot in (("new", "新建用户…", "New user…", self.new_user),
                                   ("edit", "修改…", "Edit…", self.edit_user),
                                   ("reset", "重置密码…", "Reset password…", self.reset_password),
                                   ("unlock", "解锁", "Unlock", self.unlock)):
            button = QPushButton(tr(zh, en))
            button.setObjectName(f"button_{name}")
            button.clicked.connect(slot)
            row.addWidget(button)
        row.addStretch(1)
        close = QPushButton(tr("关闭", "Close"))
        close.clicked.connect(self.accept)
        row.addWidget(close)
        layout.addLayout(row)
        self.users: list[users.UserInfo] = []
        self.reload()

    def reload(self) -> None:
        self.users = users.list_users(self.database, self.actor)
        self.table.setRowCount(len(self.users))
        for r, u in enumerate(self.users):
            status = (tr("已停用", "Disabled") if not u.active else tr("已锁定", "Locked") if u.locked
                      else tr("待改密码", "Must change password") if u.must_change_password else tr("正常", "Active"))
            for c, value in enumerate((u.username, u.display_name, u.role_label, u.school_name or "", status)):
                self.table.setItem(r, c, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()

    def selected(self) -> users.UserInfo | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            QMessageBox.information(self, "LaborBridge", tr("请先选择一个用户。", "Select a user first."))
            return None
        return self.users[rows[0].row()]

    def new_user(self) -> None:
        dialog = UserEditDialog(self.database, self.actor, None, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            QMessageBox.information(self, "LaborBridge",
                                    tr(f"用户“{dialog.username.text()}”已创建，初始密码：{dialog.password.text()}",
                                       f"User '{dialog.username.text()}' created; initial password: "
                                       f"{dialog.password.text()}"))
            self.reload()

    def edit_user(self) -> None:
        user = self.selected()
        if user and UserEditDialog(self.database, self.actor, user, self).exec() == QDialog.DialogCode.Accepted:
            self.reload()

    def reset_password(self) -> None:
        user = self.selected()
        if user is None:
            return
        password = users.generate_password()
        try:
            users.reset_password(self.database, self.actor, user.id, password)
        except UserError as exc:
            show_error(self, exc)
            return
        QMessageBox.information(self, "LaborBridge",
                                tr(f"“{user.username}”的临时密码：{password}\n该用户下次登录时必须修改密码。",
                                   f"Temporary password of '{user.username}': {password}\n"
                                   "They must change it at the next login."))
        self.reload()

    def unlock(self) -> None:
        user = self.selected()
        if user is None:
            return
        try:
            users.unlock_user(self.database, self.actor, user.id)
        except UserError as exc:
            show_error(self, exc)
            return
        self.reload()
