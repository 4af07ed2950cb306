"""Run as a program by test_app_exit: sign in, open a window, click 导入, press Esc, close the window and
leave exactly as ui.app.run_gui does. Prints LEFT when the leave path has run; the exit code is the
program's."""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from db.engine import open_database
from db.services import users
from ui.app import leave, make_app
from ui.import_wizard import ImportWizard
from ui.main_window import MainWindow


def main(url: str, username: str, password: str) -> int:
    app = make_app()
    database = open_database(url)
    actor = users.login(database, username, password).actor
    window = MainWindow(database, actor)
    window.show()

    def cancel_wizard() -> None:
        wizard = QApplication.activeModalWidget()
        if not isinstance(wizard, ImportWizard):
            QTimer.singleShot(30, cancel_wizard)
            return
        QTest.keyClick(wizard, Qt.Key.Key_Escape)  # the clerk changes their mind
        QTimer.singleShot(100, window.close)

    def click_import() -> None:
        QTimer.singleShot(30, cancel_wizard)
        QTest.mouseClick(window.pages["trainees"].buttons["import"], Qt.MouseButton.LeftButton)

    QTimer.singleShot(300, click_import)
    code = app.exec()
    leave(window, database, actor)
    print("LEFT", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
