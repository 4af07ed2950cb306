"""Starting the GUI: application, font, translations, database, main window."""

from __future__ import annotations

import sys

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication, QMessageBox

from db import i18n
from db.engine import open_database
from db.i18n import UserError, tr
from ui.resources import app_font

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
    install_qt_translations(app, i18n.language())
    return app


def run_gui(db_url: str | None) -> int:
    app = make_app()
    try:
        database = open_database(db_url)
    except UserError as exc:
        QMessageBox.critical(None, "LaborBridge", str(exc))
        return exc.code
    from ui.main_window import MainWindow

    window = MainWindow(database)
    window.show()
    window.offer_demo_if_empty()
    code = app.exec()
    database.dispose()
    return code
