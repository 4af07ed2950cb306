"""The registry pages driven as a user would: lazy SQL models, search, filters, sort, dialogs, wizard."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from python_calamine import CalamineWorkbook
from sqlalchemy import func, select

from core.access import SYSTEM
from core.fields import id_check_char
from db.models import Certificate, Employer, Trainee, TrainingRecord
from tests.conftest import SAMPLES
from ui.sql_model import SqlTableModel


@pytest.fixture
def trainees_page(demo_db, qtbot):  # type: ignore[no-untyped-def]
    from ui.pages.trainees import TraineesPage

    page = TraineesPage(demo_db, SYSTEM)
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    return page


def col(model: SqlTableModel, key: str) -> int:
    return [c.key for c in model.columns].index(key)


def test_trainee_model_is_lazy_and_valid(trainees_page, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = trainees_page.model
    assert model.rowCount() == 200 and model.canFetchMore()
    assert trainees_page.count_label.text() == "共 3,000 人"
    model.fetchMore()
    assert model.rowCount() == 400
    qtmodeltester.check(model)
    # IDs and phones are masked on screen
    shown = model.data(model.index(0, col(model, "id_number")))
    assert "********" in shown and len(shown) == 18


def test_search_box_debounced(trainees_page, qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    with demo_db.session() as s:
        name, initials, number = s.execute(select(Trainee.name, Trainee.name_initials, Trainee.id_number)
                                           .where(Trainee.name.not_like("%·%")).limit(1)).one()
    qtbot.keyClicks(trainees_page.search, initials)
    qtbot.waitUntil(lambda: trainees_page.filter.search == initials, timeout=3000)
    model = trainees_page.model
    names = [model.value(r, "name") for r in range(model.rowCount())]
    assert name in names and model.rowCount() < 3000
    trainees_page.search.clear()
    qtbot.keyClicks(trainees_page.search, number[-6:])
    qtbot.waitUntil(lambda: trainees_page.filter.search == number[-6:], timeout=3000)
    assert name in [model.value(r, "name") for r in range(model.rowCount())]


def test_filters_and_header_sort(trainees_page, qtbot) -> None:  # type: ignore[no-untyped-def]
    page, model = trainees_page, trainees_page.model
    page.household_box.setCurrentIndex(page.household_box.findData("monitored"))
    assert {model.value(r, "household_type") for r in range(model.rowCount())} == {"monitored"}
    monitored = model.total()
    page.skill_box.setCurrentIndex(page.skill_box.findData("medical_care"))
    assert model.total() < monitored
    assert all("medical_care" in model.value(r, "skills") for r in range(model.rowCount()))
    page.status_box.setCurrentIndex(page.status_box.findData("placed"))
    assert all(model.value(r, "status") == "placed" for r in range(model.rowCount()))
    for box in (page.household_box, page.skill_box, page.status_box):
        box.setCurrentIndex(0)
    assert model.total() == 3000
    header = page.view.horizontalHeader()
    x = header.sectionViewportPosition(col(model, "expected_wage")) + 5
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=header.viewport().rect().topLeft() + type(
        header.viewport().rect().topLeft())(x, 5))
    wages = [model.value(r, "expected_wage") for r in range(model.rowCount())]
    assert model.sort_key == "expected_wage" and wages == sorted(wages)
    model.sort(col(model, "expected_wage"), Qt.SortOrder.DescendingOrder)
    wages = [model.value(r, "expected_wage") for r in range(model.rowCount())]
    assert wages == sorted(wages, reverse=True) and model.rowCount() == 200


def test_detail_panel_shows_training_and_certificates(trainees_page) -> None:  # type: ignore[no-untyped-def]
    trainees_page.view.selectRow(0)
    text = trainees_page.detail.toPlainText()
    assert "培训记录" in text and "证书" in text and "就业记录" in text
    assert "无培训记录" not in text  # demo trainees all have training records


def test_add_trainee_dialog_inline_messages(demo_db, qtbot) -> None:  # type: ignore[no-untyped-def]
    from ui.trainee_dialog import TraineeDialog

    dialog = TraineeDialog(demo_db, SYSTEM)
    qtbot.addWidget(dialog)
    f = dialog.form
    f.set_value("name", "王 芳")
    f.set_value("id_number", "632126199003151230")
    f.set_value("phone", "138")
    f.set_value("expected_wage", "面议")
    dialog.save()
    assert not dialog.result()
    assert "校验位" in f.error_text("id_number") and "手机号" in f.error_text("phone")
    assert "不是数字" in f.error_text("expected_wage") and f.error_text("name") == ""
    f.set_value("id_number", "63212619900315124" + id_check_char("63212619900315124"))
    dialog.check_field("id_number")
    assert f.error_text("id_number") == "" and "女" in dialog.derived.text()
    f.set_value("phone", "13912345678")
    f.set_value("expected_wage", "5000")
    f.widgets["skills"].boxes[1].setChecked(True)
    dialog.save()
    assert dialog.result() and dialog.saved_id is not None
    with demo_db.session() as s:
        t = s.get(Trainee, dialog.saved_id)
        assert (t.name, t.skills, t.expected_wage) == ("王芳", "elderly_care", 5000)
    edit = TraineeDialog(demo_db, SYSTEM, dialog.saved_id)
    qtbot.addWidget(edit)
    assert edit.form.value("skills") == "养老护理" and edit.form.value("expected_wage") == "5000"


def test_delete_and_restore_from_page(trainees_page, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import ui.pages.trainees as mod

    page, model = trainees_page, trainees_page.model
    page.status_box.setCurrentIndex(page.status_box.findData("available"))
    page.view.selectRow(0)
    name = model.value(0, "name")
    monkeypatch.setattr(mod, "confirm", lambda _p, _t: True)
    page.buttons["delete"].click()
    page.status_box.setCurrentIndex(page.status_box.findData("deleted"))
    assert model.total() == 1 and model.value(0, "name") == name
    page.view.selectRow(0)
    assert page.buttons["restore"].isEnabled()
    page.buttons["restore"].click()
    assert model.total() == 0


def test_import_wizard_preview_import_and_report(database, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from ui.import_wizard import ImportWizard

    wizard = ImportWizard(database, SYSTEM, "trainees")
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.path_edit.setText(str(SAMPLES / "trainees_school_export.xlsx"))
    wizard.preview_button.click()
    qtbot.waitUntil(lambda: wizard.stack.currentIndex() == 1, timeout=20000)
    assert wizard.import_result is not None and wizard.import_result.dry_run
    assert wizard.issue_model.rowCount() == 8  # 7 rejected rows and 1 gender warning
    assert "拒绝 7 行" in wizard.summary.text() and "52" in wizard.import_button.text()
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(Trainee)) == 0  # preview wrote nothing
    wizard.import_button.click()
    qtbot.waitUntil(lambda: wizard.imported, timeout=20000)
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(Trainee)) == 52
    out = wizard.write_report_to(str(tmp_path / "report.xlsx"))
    detail = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("问题明细").to_python()
    assert len(detail) == 9


def test_import_wizard_unusable_file_message(database, qtbot, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import ui.import_wizard as mod

    shown: list[str] = []
    monkeypatch.setattr(mod, "show_error", lambda _p, e: shown.append(str(e)))
    bad = tmp_path / "empty.csv"
    bad.write_bytes(b"")
    wizard = mod.ImportWizard(database, SYSTEM, "trainees")
    qtbot.addWidget(wizard)
    wizard.path_edit.setText(str(bad))
    wizard.preview_button.click()
    qtbot.waitUntil(lambda: bool(shown), timeout=10000)
    assert "文件是空的" in shown[0] and wizard.stack.currentIndex() == 0


def test_employers_page(demo_db, qtbot, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    from ui.pages.employers import EmployersPage

    page = EmployersPage(demo_db, SYSTEM)
    qtbot.addWidget(page)
    page.show()
    qtmodeltester.check(page.emp_model)
    with demo_db.session() as s:
        n_emp = s.scalar(select(func.count()).select_from(Employer))
    assert page.emp_model.total() == n_emp
    assert page.vac_model.rowCount() == 0  # nothing selected yet
    page.emp_view.selectRow(0)
    eid = page.selected_employer()
    assert page.vac_model.rowCount() > 0
    assert {page.vac_model.value(r, "employer_id") for r in range(page.vac_model.rowCount())} == {eid}
    qtmodeltester.check(page.vac_model)
    page.only_selected.setChecked(False)
    page.status_box.setCurrentIndex(page.status_box.findData("seats"))
    vm = page.vac_model
    assert vm.rowCount() > 0 and all(vm.value(r, "remaining") > 0 and vm.value(r, "status") == "open"
                                     for r in range(vm.rowCount()))
    wage = vm.data(vm.index(0, col(vm, "wage")))
    assert "–" in wage
    province = page.province_box.itemData(1)
    page.province_box.setCurrentIndex(1)
    assert all(page.emp_model.value(r, "province") == province for r in range(page.emp_model.rowCount()))


def test_vacancy_dialog_inline_messages(demo_db, qtbot) -> None:  # type: ignore[no-untyped-def]
    from ui.employer_dialogs import VacancyDialog

    with demo_db.session() as s:
        eid = s.scalar(select(Employer.id).limit(1))
    dialog = VacancyDialog(demo_db, SYSTEM, eid)
    qtbot.addWidget(dialog)
    f = dialog.form
    f.set_value("code", "TEST-1")
    f.set_value("title", "住家保姆")
    f.set_value("headcount", "0")
    f.set_value("wage_min", "7000")
    f.set_value("wage_max", "6000")
    dialog.save()
    assert not dialog.result()
    assert "≥1" in f.error_text("headcount") and "大于上限" in f.error_text("wage_min")
    f.set_value("headcount", "2")
    f.set_value("wage_max", "8000")
    dialog.save()
    assert dialog.result() and dialog.saved_id


def test_cohort_dialog_flow(database, qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from db.services.exchange import import_roster
    from ui.cohort_dialog import CohortDialog, GraduationDialog

    import_roster(database, "trainees", SAMPLES / "trainees_gbk.csv", SYSTEM)
    dialog = CohortDialog(database, SYSTEM)
    qtbot.addWidget(dialog)
    dialog.create_cohort()  # empty name: inline message, nothing created
    assert "班级名称为空" in dialog.form.error_text("name") and not dialog.cohort_rows
    dialog.form.set_value("name", "2026春养老班")
    dialog.form.set_value("skill", "养老护理")
    dialog.form.set_value("hours", "80")
    dialog.create_cohort()
    assert len(dialog.cohort_rows) == 1 and dialog.current_cohort()["name"] == "2026春养老班"
    ids = "653024199602010026\n630223198506070129\n111"
    monkeypatch.setattr("ui.cohort_dialog.QInputDialog.getMultiLineText", lambda *a, **k: (ids, True))
    monkeypatch.setattr("ui.cohort_dialog.show_error", lambda *a: None)
    dialog.add_by_ids()
    assert len(dialog.member_rows) == 2
    grad = GraduationDialog(database, SYSTEM, dialog.current_cohort(), dialog.member_rows, dialog)
    qtbot.addWidget(grad)
    grad.form.set_value("graduation_date", "2026-04-15")
    grad.prefix.setText("S2026-")
    grad.auto_number()
    grad.save()
    assert grad.result()
    with database.session() as s:
        assert sorted(s.scalars(select(Certificate.number))) == ["S2026-0001", "S2026-0002"]
        assert s.scalar(select(func.count()).select_from(TrainingRecord)
                        .where(TrainingRecord.graduated_on.is_not(None))) == 2


def test_date_fields_show_the_format_not_a_date(qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QLineEdit

    from ui.employer_dialogs import VacancyDialog
    from ui.forms import date_hint
    from ui.trainee_dialog import TraineeDialog

    assert date_hint() == "年-月-日（YYYY-MM-DD）" and not any(c.isdigit() for c in date_hint())
    trainee = TraineeDialog(demo_db, SYSTEM)
    qtbot.addWidget(trainee)
    assert trainee.findChild(QLineEdit, "field_available_from").placeholderText() == date_hint()
    with demo_db.session() as s:
        from db.models import Employer
        eid = s.scalar(select(Employer.id).limit(1))
    vacancy = VacancyDialog(demo_db, SYSTEM, eid)
    qtbot.addWidget(vacancy)
    assert vacancy.findChild(QLineEdit, "field_start_date").placeholderText() == date_hint()


def test_menu_and_button_text_keep_their_ampersand(qtbot, database) -> None:  # type: ignore[no-untyped-def]
    from core import i18n
    from ui.pages.trainees import TraineesPage

    i18n.set_language("en")
    try:
        page = TraineesPage(database, SYSTEM)
        qtbot.addWidget(page)
        button = page.buttons["cohorts"]
        assert button.text() == "Cohorts && graduation…"  # shown as "Cohorts & graduation…"
    finally:
        i18n.set_language("zh")


def test_employers_page_says_why_no_vacancy_is_listed_and_shows_them_after_a_change(qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    from ui.pages.employers import EmployersPage

    page = EmployersPage(demo_db, SYSTEM)
    qtbot.addWidget(page)
    page.show()
    page.emp_view.clearSelection()
    page.emp_view.setCurrentIndex(page.emp_model.index(-1, -1))
    page.apply_vacancy_filter()
    assert page.vac_title.text().startswith("岗位（请先在上方选择一家单位")
    page.after_change()  # what an import does when it is done
    assert page.selected_employer() is not None
    assert page.vac_title.text().endswith(f"（{page.vac_model.total():,}）") and page.vac_model.total() > 0


def test_a_trainee_linked_to_a_household_shows_the_households_type(trainees_page, qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    """The matcher, the lists and the alerts take the household's type for a linked trainee; the
    trainee page (column and filter) and the tracking list said the hand-typed one instead."""
    from db.queries.placements import placement_query
    from db.rules import effective_household_expr

    with demo_db.engine.connect() as conn:
        tid, name, typed, household = conn.execute(
            select(Trainee.id, Trainee.name, Trainee.household_type, effective_household_expr())
            .where(Trainee.household_type != effective_household_expr(), Trainee.deleted_at.is_(None))
            .order_by(Trainee.id)).first()
    assert typed != household
    page, model = trainees_page, trainees_page.model
    page.search.insert(name)  # Chinese arrives from the input method as committed text
    qtbot.waitUntil(lambda: page.filter.search == name, timeout=3000)
    shown = {model.value(r, "id"): model.value(r, "household_type") for r in range(model.rowCount())}
    assert shown[tid] == household
    page.household_box.setCurrentIndex(page.household_box.findData(household))
    assert tid in {model.value(r, "id") for r in range(model.rowCount())}
    page.household_box.setCurrentIndex(page.household_box.findData(typed))
    assert tid not in {model.value(r, "id") for r in range(model.rowCount())}
    with demo_db.engine.connect() as conn:
        kinds = {row.household_type for row in conn.execute(placement_query(SYSTEM, trainee_id=tid))}
    assert kinds <= {household}
