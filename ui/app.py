"""Starting the GUI: application, font, translations, database, main window."""

from __future__ import annotations

import sys

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from core import i18n
from core.access import Actor
from core.i18n import UserError, tr
from db.engine import Database, open_database
from ui.resources import app_font, resource_dir

_translators: list[QTranslator] = []


def install_qt_translations(app: QApplication, lang: str) -> None:
    """Qt's own dialogs (buttons, file dialogs, print dialogs) in the UI language."""
    for t in _translators:
        app.removeTranslator(t)
    _translators.clear()
    if lang != "zh":
        return
    path = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    for name in ("qtbase_zh_CN", "qt_zh_CN"):
        translator = QTranslator(app)
        if translator.load(name, path):
            app.installTranslator(translator)
            _translators.append(translator)
            break
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("LaborBridge")
    app.setOrganizationName("LaborBridge")
    app.setApplicationDisplayName(tr("劳务协作桥", "LaborBridge"))
    app.setFont(app_font(10))
    app.setWindowIcon(QIcon(str(resource_dir() / "icons" / "laborbridge.png")))
    install_qt_translations(app, i18n.language())
    return app


def run_gui(db_url: str | None) -> int:
    app = make_app()
    import logging

    from db.engine import log_path
    from ui.dialogs import install_error_hook

    # The log is created readable by its owner only (it may name the failing record's table).
    logging.basicConfig(filename=str(log_path()), level=logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", encoding="utf-8")
    install_error_hook()
    try:
        database = open_database(db_url)
    except UserError as exc:
        QMessageBox.critical(None, "LaborBridge", str(exc))
        return exc.code
    from ui.login_dialog import sign_in
    from ui.main_window import MainWindow

    notice: str | None = None
    while True:
        # first administrator, or login + forced password change
        actor = sign_in(database, notice=notice)
        if actor is None:
            database.dispose()
            return 0
        window = MainWindow(database, actor)
        window.show()
        from ui.bureau_dialog import ask_bureau_once
        ask_bureau_once(window, database, actor)  # once per database: the heading of every list
        window.offer_demo_if_empty()
        _warm_matching_frames(window, database, actor)
        daily = _schedule_daily_backup(window, database)
        code = app.exec()
        daily.stop()
        notice = window.ended_message  # the account was disabled or demoted: back to the login
        leave(window, database, actor, final=notice is None)
        if notice is None:
            return code


def leave(window: QWidget, database: Database, actor: Actor, *, final: bool = True) -> None:
    """After the main window closed: stop background work, sign out, make the exit backup (which then
    holds the sign-out entry), then delete the window.

    The window is deleted here, while Qt still stands. Left to the interpreter's exit, PySide deletes
    widgets with the application in no particular order (a dialog once opened, then the page owning
    it) and the process aborted after the clerk had closed it."""
    from PySide6.QtCore import QCoreApplication, QEvent

    from db.services.users import logout
    from ui.tasks import cancel_all

    # A task still running (the window was closed during it) stops at its next step and rolls back,
    # rather than writing while the exit backup copies the database.
    cancel_all(60_000)
    try:
        logout(database, actor)
    except Exception:  # noqa: BLE001 - leaving must never fail over an audit entry
        pass
    if final:
        _backup_on_exit(database)
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    if final:
        database.dispose()


def _warm_matching_frames(window, database, actor) -> None:  # type: ignore[no-untyped-def]
    """The first ranking or plan answers from frames read in the background right after sign-in."""
    from db.services import frame_cache

    window.warm_thread = frame_cache.warm_in_background(database, actor)


def _schedule_daily_backup(window, database):  # type: ignore[no-untyped-def]
    """Checks hourly; makes an automatic backup when the newest is older than a day."""
    from PySide6.QtCore import QTimer

    from db.services import backup
    from ui.tasks import run_task

    def check() -> None:
        try:
            due = backup.backup_due(database)
        except Exception:  # noqa: BLE001 - a backup check must not disturb the user's work
            return
        if due:
            run_task(window, lambda _ctx: backup.auto_backup(database, "daily"), on_error=lambda _e: None,
                     label=tr("正在自动备份…", "Automatic backup…"), cancellable=False, delay_ms=5000)

    timer = QTimer(window)
    timer.setInterval(3600 * 1000)
    timer.timeout.connect(check)
    timer.start()
    QTimer.singleShot(60 * 1000, check)
    return timer


def _backup_on_exit(database) -> None:  # type: ignore[no-untyped-def]
    """SQLite: a backup on every exit (cheap, local). A shared server is backed up daily instead."""
    if database.backend != "sqlite":
        return
    from db.services import backup
    try:
        backup.auto_backup(database, "exit")
    except Exception as exc:  # noqa: BLE001 - tell the user, but let the program close
        QMessageBox.warning(None, "LaborBridge", tr(f"退出时自动备份失败：{exc}", f"The backup on exit failed: {exc}"))
