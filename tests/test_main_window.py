"""The main window on a real database, offscreen."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QMessageBox

from core.access import SYSTEM
from ui.app import make_app
from ui.main_window import MainWindow


def test_window_shows_navigation_database_and_counts(qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    make_app()
    window = MainWindow(demo_db, SYSTEM)
    qtbot.addWidget(window)
    window.show()
    titles = [window.nav.item(i).text() for i in range(window.nav.count())]
    assert titles[:5] == ["学员", "用人单位与岗位", "匹配", "派遣与跟踪", "统计"]
    assert "lb" in window.db_label.text() or "demo.sqlite3" in window.db_label.text()
    assert "学员 3,000 人" in window.count_label.text()
    window.nav.setCurrentRow(2)
    assert window.stack.currentIndex() == 2


def test_empty_database_offers_demo_data_and_loads_it(qtbot, database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    make_app()
    asked: list[str] = []

    def answer_yes(*args, **_kwargs):  # type: ignore[no-untyped-def]
        asked.append(args[2])
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer_yes)
    window = MainWindow(database, SYSTEM)
    qtbot.addWidget(window)
    window.show()
    window.offer_demo_if_empty()
    assert asked and "演示" in asked[0]
    qtbot.waitUntil(lambda: "学员 3,000 人" in window.count_label.text(), timeout=30000)
    from db.services import matching as matching_service
    assert matching_service.active_model(database).learned  # the demo ends with the learned matcher on


def test_non_empty_database_does_not_ask(qtbot, demo_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    make_app()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: (_ for _ in ()).throw(AssertionError("asked")))
    window = MainWindow(demo_db, SYSTEM)
    qtbot.addWidget(window)
    window.offer_demo_if_empty()
    QApplication.processEvents()
