"""Each rule has one home in core/ and every path agrees with it: seats left, who may be proposed,
who sees a trainee, stale edits of employers and vacancies."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import func, select

from core.access import SYSTEM, Actor, roles_with, school_scope, sees_trainee
from core.i18n import UserError
from core.placement import SEAT_HOLDING, check_proposable, check_transition, seats_left
from db import frames
from db.models import Employer, Placement, School, Trainee, Vacancy
from db.queries.registry import EmployerFilter, VacancyFilter, employer_query, vacancy_query
from db.services import batches, registry
from db.services import matching as ms
from db.services.registry import FormErrors
from tests.pairs import eligible_free


def test_seats_left_is_zero_for_a_closed_vacancy_and_never_negative() -> None:
    assert seats_left(5, 2, "open") == 3
    assert seats_left(5, 7, "open") == 0
    assert seats_left(5, 0, "closed") == 0
    got = seats_left(np.array([5, 5, 2]), np.array([1, 9, 0]), np.array(["open", "filled", "closed"], dtype=object))
    assert got.tolist() == [4, 0, 0]


def test_status_machine_says_plainly_when_nothing_changes() -> None:
    with pytest.raises(UserError, match="已是“已出发”"):
        check_transition("departed", "departed")
    with pytest.raises(UserError, match="不能改为"):
        check_transition("ended", "on_job")
    check_transition("confirmed", "departed")


def test_check_proposable_names_the_rule_broken() -> None:
    base = dict(trainee_name="张三", trainee_deleted=False, holds_seat=False, vacancy_code="V1",
                vacancy_status="open", seats=2)
    check_proposable(**base)  # type: ignore[arg-type]
    for change, words in [({"holds_seat": True}, "不能重复派遣"), ({"vacancy_status": "closed"}, "已关闭"),
                          ({"seats": 0}, "没有名额"), ({"trainee_deleted": True}, "已删除"),
                          ({"already_in_batch": True}, "已在本批次")]:
        with pytest.raises(UserError, match=words):
            check_proposable(**{**base, **change})  # type: ignore[arg-type]


def test_who_sees_a_trainee() -> None:
    school = Actor(3, "s", "school", school_id=7)
    assert school_scope(school) == 7 and sees_trainee(school, 7) and not sees_trainee(school, 8)
    assert school_scope(SYSTEM) is None and sees_trainee(SYSTEM, 8)
    assert roles_with("employer.write") == ["admin", "staff"]


def _rows(database, stmt):  # type: ignore[no-untyped-def]
    with database.engine.connect() as conn:
        return conn.execute(stmt).all()


def test_a_closed_vacancy_has_no_seat_left_anywhere(demo_db) -> None:  # type: ignore[no-untyped-def]
    with demo_db.session() as s:
        vac = s.scalars(select(Vacancy).where(Vacancy.status == "open").order_by(Vacancy.id)).first()
        vid, code, eid = vac.id, vac.code, vac.employer_id
        vac.status = "closed"
    assert registry.remaining_headcount(demo_db, vid) == 0
    assert [r.remaining for r in _rows(demo_db, vacancy_query(VacancyFilter(employer_id=eid))) if r.code == code] == [0]
    with demo_db.session() as s:
        name = s.get(Employer, eid).name
        frame = batches.vacancy_frame(s, [vid])
    assert frame["remaining"].tolist() == [0]
    employer_total = [r.remaining for r in _rows(demo_db, employer_query(EmployerFilter(search=name)))]
    page_total = sum(r.remaining for r in _rows(demo_db, vacancy_query(VacancyFilter(employer_id=eid))))
    assert employer_total == [page_total]  # the employer's sum is the sum of what its vacancies show
    assert code not in set(batches.open_vacancies(demo_db)["code"])
    with demo_db.engine.connect() as conn:
        assert code not in set(frames.vacancies_frame(conn, open_only=True)["code"])


def _busy_and_free(database):  # type: ignore[no-untyped-def]
    vid, code, (free,), _numbers = eligible_free(database)
    with database.session() as s:
        busy = s.scalar(select(Placement.trainee_id).where(Placement.status.in_(SEAT_HOLDING)).limit(1))
        ids = {t: s.get(Trainee, t).id_number for t in (busy, free)}
    return busy, free, ids, vid, code


def test_every_path_into_a_batch_refuses_the_same_people(demo_db) -> None:  # type: ignore[no-untyped-def]
    busy, free, ids, vid, code = _busy_and_free(demo_db)
    batch = batches.create_batch(demo_db, SYSTEM, name="规则一致")
    with pytest.raises(UserError, match="不能重复派遣") as by_hand:
        batches.add_proposal(demo_db, SYSTEM, batch, ids[busy], code)
    with pytest.raises(UserError, match="不能重复派遣") as by_ranking:
        ms.shortlist(demo_db, batch, [{"trainee_id": busy, "vacancy_id": vid}], actor=SYSTEM)
    assert str(by_hand.value) == str(by_ranking.value)
    # a vacancy not yet in the batch joins it, on both paths
    ms.shortlist(demo_db, batch, [{"trainee_id": free, "vacancy_id": vid}], actor=SYSTEM)
    assert code in set(batches.batch_vacancies(demo_db, batch)["code"])
    with pytest.raises(UserError, match="已在本批次"):
        batches.add_proposal(demo_db, SYSTEM, batch, ids[free], code)
    with demo_db.session() as s:
        s.get(Vacancy, vid).status = "closed"
    other = batches.create_batch(demo_db, SYSTEM, name="规则一致二")
    for attempt in (lambda: batches.add_proposal(demo_db, SYSTEM, other, ids[free], code),
                    lambda: ms.shortlist(demo_db, other, [{"trainee_id": free, "vacancy_id": vid}], actor=SYSTEM)):
        with pytest.raises(UserError, match="已关闭"):
            attempt()
    with demo_db.session() as s:
        assert s.scalar(select(func.count()).select_from(Placement).where(Placement.batch_id == other)) == 0


def test_stale_edit_of_an_employer_or_vacancy_is_refused(demo_db) -> None:  # type: ignore[no-untyped-def]
    with demo_db.session() as s:
        vac = s.scalars(select(Vacancy).order_by(Vacancy.id)).first()
        vid, eid = vac.id, vac.employer_id
    opened = registry.employer_values(demo_db, eid)       # clerk A opens the employer
    registry.save_employer(demo_db, SYSTEM, {**opened, "contact": "李经理"}, eid)  # clerk B saves first
    with pytest.raises(UserError, match="已被其他用户修改") as info:
        registry.save_employer(demo_db, SYSTEM, {**opened, "contact": "王经理", "loaded": opened}, eid)
    assert info.value.code == 3
    assert registry.employer_values(demo_db, eid)["contact"] == "李经理"  # B's edit survives

    opened_v = {k: v for k, v in registry.vacancy_values(demo_db, vid).items() if k != "employer_id"}
    registry.save_vacancy(demo_db, SYSTEM, eid, {**opened_v, "title": "B 改的名称"}, vid)
    with pytest.raises(UserError, match="已被其他用户修改"):
        registry.save_vacancy(demo_db, SYSTEM, eid, {**opened_v, "title": "A 改的名称", "loaded": opened_v}, vid)
    assert registry.vacancy_values(demo_db, vid)["title"] == "B 改的名称"
    # reopened, the edit goes through
    fresh = {k: v for k, v in registry.vacancy_values(demo_db, vid).items() if k != "employer_id"}
    registry.save_vacancy(demo_db, SYSTEM, eid, {**fresh, "title": "A 改的名称", "loaded": fresh}, vid)
    assert registry.vacancy_values(demo_db, vid)["title"] == "A 改的名称"


def test_a_school_account_cannot_name_another_school(demo_db) -> None:  # type: ignore[no-untyped-def]
    with demo_db.session() as s:
        own = s.scalars(select(School).order_by(School.id)).first()
        schools_before = s.scalar(select(func.count()).select_from(School))
        tid = s.scalar(select(Trainee.id).where(Trainee.school_id == own.id).limit(1))
        trainee = s.get(Trainee, tid)
        values = {"name": trainee.name, "id_number": trainee.id_number, "household_type": trainee.household_type,
                  "version": trainee.version}
    school = Actor(None, "school1", "school", school_id=own.id)
    with pytest.raises(FormErrors) as info:
        registry.save_trainee(demo_db, school, {**values, "school": "不存在的新学校"}, tid)
    assert "本校" in info.value.errors["school"]
    with demo_db.session() as s:
        assert s.scalar(select(func.count()).select_from(School)) == schools_before
        assert s.get(Trainee, tid).school_id == own.id


def test_audit_details_read_as_words_on_the_audit_page(qtbot, database) -> None:  # type: ignore[no-untyped-def]
    """The 说明 column was raw JSON; it reads as words, and the detail pane says the same."""
    import json

    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QPlainTextEdit, QTableView

    from db import audit
    from db.services import users
    from db.services.audit_search import describe_detail
    from ui.app import make_app
    from ui.main_window import MainWindow

    assert describe_detail('{"file": "学员.xlsx", "rows": 52}') == "文件 学员.xlsx；行数 52"
    assert describe_detail("wrong password") == "密码错误" and describe_detail("plain words") == "plain words"
    make_app()
    admin = users.create_first_admin(database, "chief", "Chief2026pw")
    with database.session() as s:
        audit.record(s, admin, "export", "trainees", None, detail=json.dumps({"file": "学员.xlsx", "rows": 52}))
    window = MainWindow(database, admin)
    qtbot.addWidget(window)
    window.show()
    page = window.show_page("audit")
    view = page.findChild(QTableView, "audit_table")
    qtbot.waitUntil(lambda: view.model().rowCount() > 0, timeout=10000)
    model = view.model()
    details = [model.data(model.index(r, model.columnCount() - 1)) for r in range(model.rowCount())]
    assert "文件 学员.xlsx；行数 52" in details and not any(d.startswith("{") for d in details if d)
    row = details.index("文件 学员.xlsx；行数 52")
    rect = view.visualRect(model.index(row, 1))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    pane = page.findChild(QPlainTextEdit, "audit_detail")
    assert "说明: 文件 学员.xlsx；行数 52" in pane.toPlainText()


def test_imported_notes_and_titles_keep_what_was_typed(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """NFKC turned "电话回访，本人满意" into "电话回访,本人满意"; free text is stored as typed."""
    from openpyxl import Workbook

    from db.services.exchange import import_roster

    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号", "户类型", "备注"])
    ws.append(["张三", "632126199001011238", "一般户", "电话回访，本人满意（已核实）"])
    path = tmp_path / "roster.xlsx"
    wb.save(path)
    result = import_roster(database, "trainees", path, SYSTEM)
    with database.session() as s:
        notes = s.scalars(select(Trainee.notes)).all()
    assert notes == ["电话回访，本人满意（已核实）"], result


def test_english_fits_1280_px_and_no_header_is_cut(qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    """The English window was 1404 px at least (a long label on the employers page) and headers such
    as "Open vacancies" were cut; every page now fits 1280 px and every column shows its header."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QListWidget, QTableView

    from core import i18n
    from ui.app import make_app
    from ui.main_window import MainWindow

    i18n.set_language("en")
    make_app()
    window = MainWindow(demo_db, SYSTEM)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    nav = window.findChild(QListWidget, "navigation")
    for row in range(nav.count()):
        rect = nav.visualItemRect(nav.item(row))
        qtbot.mouseClick(nav.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        page = window.stack.currentWidget()
        qtbot.waitUntil(page.isVisible)
        assert window.minimumSizeHint().width() <= 1280, nav.item(row).text()
        for view in page.findChildren(QTableView):
            header = view.horizontalHeader()
            for col in range(view.model().columnCount()):
                if not view.isColumnHidden(col) and not header.isHidden():
                    assert view.columnWidth(col) >= header.sectionSizeFromContents(col).width(), (
                        nav.item(row).text(), view.model().headerData(col, Qt.Orientation.Horizontal))
    assert nav.horizontalScrollBar().isHidden() or not nav.horizontalScrollBar().isVisible()
