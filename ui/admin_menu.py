"""The 管理 (Admin) menu of the main window: password, users, audit log, backup and restore.

Entries appear according to the signed-in user's permissions; the services check them again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QFileDialog, QLabel, QMessageBox

from core.i18n import UserError, tr
from core.vocab import ROLE_LABELS
from db.services import backup, users
from ui.dialogs import confirm, show_error
from ui.permissions import gate
from ui.tasks import TaskContext, run_task

if TYPE_CHECKING:
    from ui.main_window import MainWindow


def build_admin_menu(window: MainWindow) -> None:
    actor = window.actor
    menu = window.menuBar().addMenu(tr("管理(&M)", "&Admin"))
    menu.setObjectName("menu_admin")
    window.admin_menu = menu  # type: ignore[attr-defined]

    def add(name: str, zh: str, en: str, slot) -> QAction:  # type: ignore[no-untyped-def]
        action = QAction(tr(zh, en), window)
        action.setObjectName(f"action_{name}")
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    if actor.user_id is not None:
        add("change_password", "修改密码…", "Change password…", lambda: change_password(window))
    elif not users.has_users(window.database):
        add("create_admin", "创建管理员…", "Create the administrator…", lambda: create_admin(window))
    # Shown to every role, disabled (saying who may) where the role lacks the right.
    gate(actor, "users.manage", add("users", "用户管理…", "User accounts…", lambda: open_users(window)))
    gate(actor, "audit.read", add("audit", "审计日志", "Audit log", lambda: window.show_page("audit")))
    menu.addSeparator()
    gate(actor, "backup", add("backup", "备份数据库…", "Back up the database…", lambda: backup_now(window)),
         add("restore", "从备份恢复…", "Restore from a backup…", lambda: restore(window)))
    menu.setToolTipsVisible(True)

    who = (tr("未设置用户（数据库对所有人开放）", "No users yet (open database)") if actor.user_id is None
           else f"{actor.username} · {tr(*ROLE_LABELS[actor.role])}")
    label = QLabel(tr("当前用户：", "Signed in: ") + who)
    label.setObjectName("user_label")
    window.statusBar().addPermanentWidget(label)


def change_password(window: MainWindow) -> None:
    from ui.login_dialog import ChangePasswordDialog

    if ChangePasswordDialog(window.database, window.actor, parent=window).exec() == QDialog.DialogCode.Accepted:
        QMessageBox.information(window, "LaborBridge", tr("密码已修改。", "Password changed."))


def create_admin(window: MainWindow) -> None:
    from ui.login_dialog import FirstAdminDialog

    dialog = FirstAdminDialog(window.database, window)
    dialog.skip_button.setText(tr("取消", "Cancel"))
    if dialog.exec() == QDialog.DialogCode.Accepted:
        QMessageBox.information(window, "LaborBridge",
                                tr("管理员已创建。请重新启动程序并以管理员身份登录。",
                                   "The administrator was created. Restart the program and sign in."))


def open_users(window: MainWindow) -> None:
    from ui.users_dialog import UsersDialog

    try:
        UsersDialog(window.database, window.actor, window).exec()
    except UserError as exc:
        show_error(window, exc)


def backup_now(window: MainWindow) -> None:
    suffix = ".sqlite3" if window.database.backend == "sqlite" else ".lbbackup"
    default = backup.backup_dir() / f"laborbridge-{dt.datetime.now():%Y%m%d-%H%M}{suffix}"
    path, _ = QFileDialog.getSaveFileName(window, tr("备份数据库", "Back up the database"), str(default),
                                          tr(f"LaborBridge 备份 (*{suffix})", f"LaborBridge backup (*{suffix})"))
    if not path:
        return
    run_task(window, lambda _ctx: backup.create_backup(window.database, window.actor, path),
             on_done=lambda info: QMessageBox.information(
                 window, "LaborBridge", tr(f"备份完成：{info.path}\n共 {info.total_rows:,} 行数据。",
                                          f"Backup written: {info.path}\n{info.total_rows:,} rows.")),
             on_error=lambda e: show_error(window, e), label=tr("正在备份…", "Backing up…"), cancellable=False)


def restore(window: MainWindow) -> None:
    path, _ = QFileDialog.getOpenFileName(window, tr("选择备份文件", "Choose a backup file"), str(backup.backup_dir()),
                                          tr("LaborBridge 备份 (*.sqlite3 *.lbbackup);;所有文件 (*)",
                                             "LaborBridge backups (*.sqlite3 *.lbbackup);;All files (*)"))
    if path:
        restore_file(window, Path(path))


def restore_file(window: MainWindow, path: Path) -> None:
    try:
        info = backup.inspect_backup(path)
    except UserError as exc:
        show_error(window, exc)
        return
    if not confirm(window, tr(f"用备份“{path.name}”（{info.created[:16]}，{info.total_rows:,} 行）替换当前全部数据？\n"
                              "当前数据会先另存一份安全副本。",
                              f"Replace all current data with the backup '{path.name}' ({info.created[:16]}, "
                              f"{info.total_rows:,} rows)?\nA safety copy of the current data is kept first.")):
        return

    _run_restore(window, path, force=False)


def _run_restore(window: MainWindow, path: Path, *, force: bool) -> None:
    def work(_ctx: TaskContext) -> backup.RestoreReport:
        return backup.restore_backup(window.database, window.actor, path, force=force)

    def done(report: backup.RestoreReport) -> None:
        window.refresh_all()
        QMessageBox.information(window, "LaborBridge",
                                tr(f"恢复完成并已校验：{len(report.tables)} 张表共 {report.total_rows:,} 行；"
                                   "审计日志校验通过。",
                                   f"Restored and verified: {report.total_rows:,} rows in {len(report.tables)} "
                                   "tables; audit log verified."))

    def failed(exc: BaseException) -> None:
        # A backup that would rewind or carries an altered audit log: the administrator decides, and the
        # decision is written into the restored database's audit log.
        if isinstance(exc, backup.ConfirmationNeeded) and not force:
            reason = str(exc).split("。")[0] if "。" in str(exc) else str(exc).split(". ")[0]
            if confirm(window, tr(f"{reason}。\n仍要恢复吗？您的确认会记入审计日志。",
                                  f"{reason}.\nRestore anyway? Your confirmation is written to the audit log.")):
                _run_restore(window, path, force=True)
            return
        show_error(window, exc)

    run_task(window, work, on_done=done, on_error=failed, label=tr("正在恢复备份…", "Restoring…"),
             cancellable=False)
