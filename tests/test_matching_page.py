"""The 匹配 page driven offscreen: rank both ways, shortlist, train off the GUI thread, model report."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import func, select

from core.access import SYSTEM
from db.models import Placement, Trainee
from ui.pages.matching import MatchingPage, ModelReportDialog


def test_matching_page_ranks_shortlists_trains_and_reports(demo_db, qtbot, qtmodeltester, monkeypatch) -> None:
    infos: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text, *a, **k: infos.append(text))
    page = MatchingPage(demo_db, SYSTEM)
    qtbot.addWidget(page)
    page.resize(1200, 760)
    page.show()
    assert "规则评分" in page.model_label.text()
    assert page.vacancy_box.count() > 0 and page.batch_box.count() >= 1

    page.rank_vacancy_button.click()
    qtbot.waitUntil(lambda: page.ranked_model.rowCount() > 0, timeout=20000)
    qtmodeltester.check(page.ranked_model)
    qtmodeltester.check(page.excluded_model)
    assert page.excluded_model.rowCount() > 0
    assert "稳岗率" in page.vacancy_info.text()
    first_reason = page.ranked_model.data(page.ranked_model.index(0, 6))
    assert first_reason
    page.ranked_view.sortByColumn(2, page.ranked_view.horizontalHeader().sortIndicatorOrder())

    sel = page.ranked_view.selectionModel()
    for r in (0, 1):
        sel.select(page.ranked_model.index(r, 0),
                   QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
    page.shortlist()
    assert infos and "已将 2 人加入批次" in infos[-1]
    with demo_db.session() as s:
        assert s.scalar(select(func.count()).select_from(Placement).where(Placement.status == "proposed")) == 2

    page.train_button.click()
    qtbot.waitUntil(lambda: hasattr(page, "training_box"), timeout=60000)
    assert "学习模型 第" in page.model_label.text()
    page.training_box.close()
    page.grab().save("/tmp/matching_page_vacancy.png")

    with demo_db.session() as s:
        number = s.scalar(select(Trainee.id_number).where(Trainee.skills.like("%domestic_service%")).order_by(Trainee.id))
    page.tabs.setCurrentIndex(1)
    page.trainee_edit.setText(number)
    page.rank_trainee_button.click()
    qtbot.waitUntil(lambda: page.vac_model.rowCount() + page.vac_excluded_model.rowCount() > 0, timeout=20000)
    qtmodeltester.check(page.vac_model)
    qtmodeltester.check(page.vac_excluded_model)
    page.grab().save("/tmp/matching_page_trainee.png")

    dialog = ModelReportDialog(demo_db, SYSTEM, page)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.metrics_model.rowCount() == 5 and len(dialog.plot.series) == 2
    qtmodeltester.check(dialog.metrics_model)
    qtmodeltester.check(dialog.versions_model)
    dialog.grab().save("/tmp/matching_report.png")
    dialog.fair_button.click()
    qtbot.waitUntil(lambda: dialog.fair_model.rowCount() > 0, timeout=30000)
    qtmodeltester.check(dialog.fair_model)
    dialog.tabs.setCurrentIndex(1)
    dialog.grab().save("/tmp/matching_fairness.png")


def test_matching_page_bad_input_shows_one_sentence(demo_db, qtbot, monkeypatch) -> None:
    errors: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text, *a, **k: errors.append(text))
    page = MatchingPage(demo_db, SYSTEM)
    qtbot.addWidget(page)
    page.trainee_edit.setText("110101199003071234")
    page.rank_trainee_button.click()
    qtbot.waitUntil(lambda: bool(errors), timeout=20000)
    assert "找不到身份证号" in errors[-1]
    assert page.rank_trainee_button.isEnabled()
    page.shortlist()  # nothing selected
    assert "请先选择" in errors[-1]
    page.vacancy_box.setEditText("NO-SUCH-CODE")
    page.rank_vacancy_button.click()
    qtbot.waitUntil(lambda: "找不到岗位编号" in errors[-1], timeout=20000)
