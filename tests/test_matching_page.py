"""The 匹配 page driven offscreen: rank both ways, shortlist, train off the GUI thread, model report."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QLabel, QMessageBox, QPushButton
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
    qtbot.waitUntil(lambda: page.ready, timeout=20000)
    assert "规则评分" in page.model_label.text()
    assert page.vacancy_box.count() > 0 and page.batch_box.count() >= 1

    qtbot.mouseClick(page.rank_vacancy_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.ranked_model.rowCount() > 0, timeout=20000)
    qtmodeltester.check(page.ranked_model)
    qtmodeltester.check(page.excluded_model)
    assert page.excluded_model.rowCount() > 0
    assert "稳岗率" in page.vacancy_info.text()
    keys = [k for k, _ in page.RANK_COLUMNS]
    first_reason = page.ranked_model.data(page.ranked_model.index(0, keys.index("reasons")))
    assert first_reason
    # the order shown is the rank score's, and the ▼ says so (not a ▲ on 姓名)
    header = page.ranked_view.horizontalHeader()
    assert header.sortIndicatorSection() == keys.index("weight")
    assert header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    weights = [page.ranked_model.row(r)["weight"] for r in range(page.ranked_model.rowCount())]
    assert weights == sorted(weights, reverse=True)
    assert "稳岗概率 ×（1 + 政策优先）" in page.findChild(QLabel, "rank_order_note").text()
    page.ranked_view.sortByColumn(2, page.ranked_view.horizontalHeader().sortIndicatorOrder())

    sel = page.ranked_view.selectionModel()
    for r in (0, 1):
        sel.select(page.ranked_model.index(r, 0),
                   QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
    qtbot.mouseClick(page.shortlist_button, Qt.MouseButton.LeftButton)
    assert infos and "已将 2 人加入批次" in infos[-1]
    with demo_db.session() as s:
        assert s.scalar(select(func.count()).select_from(Placement).where(Placement.status == "proposed")) == 2

    qtbot.mouseClick(page.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: hasattr(page, "training_box"), timeout=60000)
    box = page.training_box.text()
    qtbot.waitUntil(lambda: page.ready, timeout=20000)  # the page reads the model in use again
    assert "分辨谁会稳岗" in box and "AUC" not in box and "Brier" not in box and "NDCG" not in box
    if page.last_training["activated"]:
        assert "学习模型 第" in page.model_label.text()
    else:  # stored but not switched on: the banner says so instead of "尚无学习模型"
        assert f"已训练第{page.last_training['version']}版，未启用" in page.model_label.text()
        assert "尚无学习模型" not in page.model_label.text()
    page.training_box.close()
    page.grab().save("/tmp/matching_page_vacancy.png")

    with demo_db.session() as s:
        number = s.scalar(select(Trainee.id_number).where(Trainee.skills.like("%domestic_service%")).order_by(Trainee.id))
    page.tabs.setCurrentIndex(1)
    page.trainee_edit.setText(number)
    qtbot.mouseClick(page.rank_trainee_button, Qt.MouseButton.LeftButton)
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
    qtbot.mouseClick(dialog.fair_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.fair_model.rowCount() > 0, timeout=30000)
    qtmodeltester.check(dialog.fair_model)
    dialog.tabs.setCurrentIndex(1)
    dialog.grab().save("/tmp/matching_fairness.png")


def test_matching_page_bad_input_shows_one_sentence(demo_db, qtbot, monkeypatch) -> None:
    errors: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text, *a, **k: errors.append(text))
    page = MatchingPage(demo_db, SYSTEM)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.ready, timeout=20000)
    page.trainee_edit.setText("110101199003071234")
    qtbot.mouseClick(page.rank_trainee_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(errors), timeout=20000)
    assert errors[-1] == "找不到与“110101199003071234”相符的学员（可输入姓名、拼音首字母、身份证号或手机尾号）。"
    assert page.rank_trainee_button.isEnabled()
    qtbot.mouseClick(page.shortlist_button, Qt.MouseButton.LeftButton)  # nothing selected
    assert "请先选择" in errors[-1]
    page.vacancy_box.setEditText("NO-SUCH-CODE")
    qtbot.mouseClick(page.rank_vacancy_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "找不到岗位编号" in errors[-1], timeout=20000)


# The offscreen platform cannot raise the suggestion popup or grab the keyboard for it (a real screen can).
@pytest.mark.qt_log_ignore("does not support raise", "does not support grabbing the keyboard")
def test_a_trainees_vacancies_found_by_name_and_added_to_a_batch(demo_db, qtbot, monkeypatch) -> None:
    """No 18-digit ID needed: a name (several matches → a picker), initials or phone digits find the trainee;
    the trainee page's 推荐岗位 opens the same tab; 加入派遣批次 works from it."""
    from core.access import SYSTEM
    from db.queries.registry import find_trainees
    from ui.main_window import MainWindow

    infos: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text, *a, **k: infos.append(text))
    with demo_db.session() as s:
        t = s.scalars(select(Trainee).where(Trainee.skills.like("%domestic_service%"), Trainee.phone.is_not(None))
                      .order_by(Trainee.id)).first()
        tid, name, surname, phone, initials = t.id, t.name, t.name[0], t.phone, t.name_initials
        same_surname = len(find_trainees(s, SYSTEM, surname, limit=50))
    assert same_surname > 1
    window = MainWindow(demo_db, SYSTEM)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    page = window.show_page("matching")
    page.tabs.setCurrentIndex(1)

    # the surname alone: a picker lists the matches; the clerk chooses the one meant
    def choose() -> None:
        picker = QApplication.activeModalWidget()
        if not isinstance(picker, QInputDialog):
            QTimer.singleShot(30, choose)
            return
        assert picker.objectName() == "trainee_picker" and f"有 {same_surname} 位学员" in picker.labelText()
        label = next(x for x in picker.comboBoxItems() if x.startswith(name + "  "))
        picker.setTextValue(label)
        picker.accept()
    QTimer.singleShot(0, choose)
    page.trainee_edit.setText(surname)  # Chinese arrives through the input method, not as key presses
    qtbot.mouseClick(page.rank_trainee_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.vac_model.rowCount() > 0, timeout=20000)
    assert page.trainee_info.text().startswith(name + " ")
    page.grab().save("/tmp/clerk_trainee_by_name.png")

    # phone digits: the only match, no picker
    page.vac_model.set_frame(page.vac_model.frame.iloc[0:0])
    page.trainee_edit.clear()
    qtbot.keyClicks(page.trainee_edit, phone[-6:])
    qtbot.keyClick(page.trainee_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.vac_model.rowCount() > 0, timeout=20000)
    assert page.trainee_info.text().startswith(name + " ")

    # suggestions appear while typing the initials
    page.trainee_edit.clear()
    page.trainee_edit.setFocus()
    qtbot.keyClicks(page.trainee_edit, initials)
    qtbot.waitUntil(lambda: page._hit_model.rowCount() > 0, timeout=5000)
    assert any(x.startswith(name + "  ") for x in page._hit_model.stringList())

    # 加入派遣批次 from this tab
    page.vac_view.selectRow(0)
    vacancy_id = int(page.vac_model.row(0)["vacancy_id"])
    qtbot.mouseClick(page.findChild(QPushButton, "btn_trainee_shortlist"), Qt.MouseButton.LeftButton)
    assert infos and infos[-1].startswith("已将 1 人加入批次")
    with demo_db.session() as s:
        p = s.scalars(select(Placement).where(Placement.trainee_id == tid, Placement.status == "proposed")).one()
        assert p.vacancy_id == vacancy_id

    # 推荐岗位 on the trainee page opens this tab on the selected trainee
    trainees = window.show_page("trainees")
    trainees.search.setText(phone[-8:])
    qtbot.waitUntil(lambda: trainees.model.rowCount() == 1, timeout=5000)
    trainees.view.selectRow(0)
    page.vac_model.set_frame(page.vac_model.frame.iloc[0:0])
    qtbot.mouseClick(trainees.buttons["recommend"], Qt.MouseButton.LeftButton)
    assert window.stack.currentWidget() is page and page.tabs.currentIndex() == 1
    qtbot.waitUntil(lambda: page.vac_model.rowCount() > 0, timeout=20000)
    assert page.trainee_info.text().startswith(name + " ")


def test_the_page_says_it_is_preparing_then_offers_the_ranking(demo_db, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Opening 匹配 at county scale takes seconds: the page shows 正在准备… at once, the vacancy list
    fills in the background, and only then may a vacancy be ranked (a trainee may be ranked at once)."""
    page = MatchingPage(demo_db, SYSTEM)
    qtbot.addWidget(page)
    page.show()
    assert page.model_label.text().startswith("正在准备…") and not page.ready
    assert not page.rank_vacancy_button.isEnabled() and page.rank_trainee_button.isEnabled()
    assert page.vacancy_box.count() == 0
    page.grab().save("/tmp/matching_preparing.png")
    qtbot.waitUntil(lambda: page.ready, timeout=20000)
    assert page.model_label.text().startswith("评分方式：") and page.vacancy_box.count() > 0
    assert page.rank_vacancy_button.isEnabled()


def test_the_fairness_warning_and_the_skilled_note_stand_above_the_ranking(demo_db, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The four-fifths warning is the fairness report's rule on this vacancy's top 10, shown above the
    ranking; a blank P(skilled) says why, until a trained model fills it."""
    from db.services import matching as ms
    from db.services.batches import open_vacancies

    codes = list(open_vacancies(demo_db)["code"])
    flagged = next(c for c in codes if ms.rank_vacancy(demo_db, c, top=100, actor=SYSTEM).fairness)
    window_width = 1280 - 200  # the page beside the navigation of a 1280 px window
    page = MatchingPage(demo_db, SYSTEM)
    qtbot.addWidget(page)
    page.resize(window_width, 760)
    page.show()
    qtbot.waitUntil(lambda: page.ready, timeout=20000)
    page.vacancy_box.setCurrentIndex(page.vacancy_box.findData(flagged))
    qtbot.mouseClick(page.rank_vacancy_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.ranked_model.rowCount() > 0, timeout=20000)
    warning = page.fairness_label
    assert warning.isVisible() and "五分之四" in warning.text()
    assert warning.mapTo(page, warning.rect().topLeft()).y() < page.ranked_view.mapTo(page, page.ranked_view.rect().topLeft()).y()
    # the same rule as 模型报告 → 公平性报告 on this vacancy: every group named there is flagged in the report
    vacancy_id = int(page.ranked_model.row(0)["vacancy_id"])
    report = ms.fairness_report(demo_db, SYSTEM, vacancy_ids=[vacancy_id])
    for g in report[report["flagged"] & (report["eligible_share"] * 10 >= 1)]["group"]:
        assert f"{g}（" in warning.text()
    for g in report[~report["flagged"]]["group"]:
        assert f"、{g}（" not in warning.text() and f"：{g}（" not in warning.text()
    note = page.skilled_note_label
    assert note.isVisible() and "规则评分不估计转职业工概率" in note.text()
    # every column up to 排序分 is on screen at 1280 px
    keys = [k for k, _ in page.RANK_COLUMNS]
    header = page.ranked_view.horizontalHeader()
    right = header.sectionViewportPosition(keys.index("weight")) + header.sectionSize(keys.index("weight"))
    assert right <= page.ranked_view.viewport().width()
    page.grab().save("/tmp/matching_fairness_warning.png")

    qtbot.mouseClick(page.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: hasattr(page, "training_box"), timeout=60000)
    page.training_box.close()
    assert page.last_training["activated"]
    qtbot.waitUntil(lambda: page.ready and not page.skilled_note_label.isVisible()
                    and page.ranked_model.row(0)["skilled_score"] == page.ranked_model.row(0)["skilled_score"],
                    timeout=30000)  # re-ranked with the learned model: P(skilled) filled, no note
