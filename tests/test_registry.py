"""Registry services: trainee add/edit with per-field messages, soft delete and undo, cohorts and
graduation, employers and vacancies, search and filters in SQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

import main
from core.access import SYSTEM, Actor, PermissionDenied
from core.fields import id_check_char
from core.i18n import UserError
from db.models import AuditLog, Certificate, Placement, Trainee, TrainingRecord, Vacancy
from db.queries.registry import (
    EmployerFilter,
    PagedQuery,
    TraineeFilter,
    VacancyFilter,
    count_of,
    employer_query,
    trainee_query,
    vacancy_query,
)
from db.services import registry
from db.services.registry import CertificateInput, FormErrors


def make_id(prefix17: str) -> str:
    return prefix17 + id_check_char(prefix17)


ZHANG = make_id("63212619900315124")


def person(**extra: object) -> dict[str, object]:
    return {"name": "张舒雨", "id_number": ZHANG, "phone": "13912345678", "township": "威远镇",
            "household_type": "监测户", "skills": "养老护理、育婴", "skill_level": "四级", "school": "海东市职业技术学校",
            "expected_wage": "5500", "available_from": "2026.3.1", **extra}


def rows(database, stmt, limit: int = 100_000) -> list:  # type: ignore[no-untyped-def]
    if isinstance(stmt, PagedQuery):
        stmt = stmt.page(0, limit)
    with database.engine.connect() as conn:
        return conn.execute(stmt).all()


def test_add_and_edit_trainee(database) -> None:  # type: ignore[no-untyped-def]
    tid = registry.save_trainee(database, SYSTEM, person())
    with database.session() as s:
        t = s.get(Trainee, tid)
        assert (t.gender, t.birth_date, t.skills, t.skill_level) == ("F", dt.date(1990, 3, 15), "elderly_care,infant_care", 4)
        assert t.household_type == "monitored" and t.school.name == "海东市职业技术学校"
        assert (t.name_pinyin, t.name_initials) == ("zhangshuyu", "zsy")
    registry.save_trainee(database, SYSTEM, person(phone="", expected_wage="6000"), tid)
    with database.session() as s:
        t = s.get(Trainee, tid)
        assert t.phone is None and t.expected_wage == 6000 and t.version == 2
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.entity == "trainee")) == 2


def test_form_errors_per_field_and_nothing_written(database) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FormErrors) as info:
        registry.save_trainee(database, SYSTEM, person(name="", id_number="632126199003151230", phone="138",
                                                       expected_wage="面议", skills="厨师"))
    errors = info.value.errors
    assert set(errors) == {"name", "id_number", "phone", "expected_wage", "skills"}
    assert "姓名为空" in errors["name"] and "校验位" in errors["id_number"] and "不是数字" in errors["expected_wage"]
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(Trainee)) == 0


def test_one_id_one_person(database) -> None:  # type: ignore[no-untyped-def]
    registry.save_trainee(database, SYSTEM, person())
    with pytest.raises(FormErrors) as info:
        registry.save_trainee(database, SYSTEM, person(name="张三"))
    assert "已登记为“张舒雨”" in info.value.errors["id_number"]


def test_soft_delete_and_undo(demo_db) -> None:  # type: ignore[no-untyped-def]
    with demo_db.session() as s:
        busy = select(Placement.trainee_id).where(Placement.status.in_(["confirmed", "departed", "on_job"]))
        ended = s.scalar(select(Placement.trainee_id).where(Placement.status == "ended",
                                                            Placement.trainee_id.not_in(busy)).limit(1))
        active = s.scalar(select(Placement.trainee_id).where(Placement.status == "on_job").limit(1))
    registry.delete_trainee(demo_db, SYSTEM, ended)
    visible = rows(demo_db, count_of(trainee_query(SYSTEM, TraineeFilter())))[0][0]
    deleted = rows(demo_db, trainee_query(SYSTEM, TraineeFilter(status="deleted")))
    assert visible == 2999 and [r.id for r in deleted] == [ended]
    with demo_db.session() as s:  # the placement history still refers to the person
        assert s.scalar(select(func.count()).select_from(Placement).where(Placement.trainee_id == ended)) >= 1
    registry.restore_trainee(demo_db, SYSTEM, ended)
    assert rows(demo_db, count_of(trainee_query(SYSTEM, TraineeFilter())))[0][0] == 3000
    with pytest.raises(UserError) as info:
        registry.delete_trainee(demo_db, SYSTEM, active)
    assert "进行中的就业记录" in str(info.value)


def test_school_staff_scope(database) -> None:  # type: ignore[no-untyped-def]
    tid = registry.save_trainee(database, SYSTEM, person())
    other = Actor(None, "school9", "school", school_id=99)
    with pytest.raises(UserError):
        registry.save_trainee(database, other, person(expected_wage="1"), tid)
    assert rows(database, count_of(trainee_query(other, TraineeFilter())))[0][0] == 0
    with pytest.raises(PermissionDenied):
        registry.save_employer(database, other, {"name": "X", "province": "江苏", "city": "苏州"})


def test_search_by_name_pinyin_initials_and_digits(database) -> None:  # type: ignore[no-untyped-def]
    registry.save_trainee(database, SYSTEM, person())
    registry.save_trainee(database, SYSTEM, {"name": "阿依古丽·买买提", "id_number": make_id("65302419950601002"),
                                             "phone": "13800001111"})
    def find(text: str) -> list[str]:
        return [r.name for r in rows(database, trainee_query(SYSTEM, TraineeFilter(search=text)))]
    assert find("zsy") == ["张舒雨"]
    assert find("ZSY") == ["张舒雨"]
    assert find("zhangs") == ["张舒雨"]
    assert find("舒") == ["张舒雨"]
    assert find(ZHANG[-4:]) == ["张舒雨"]
    assert find("1111") == ["阿依古丽·买买提"]
    assert find(ZHANG) == ["张舒雨"]
    assert find("aygl") == ["阿依古丽·买买提"]
    assert find("%") == [] and find("_") == []


def test_filters_and_sort_in_sql(demo_db) -> None:  # type: ignore[no-untyped-def]
    base = rows(demo_db, count_of(trainee_query(SYSTEM, TraineeFilter())))[0][0]
    for flt in (TraineeFilter(township="威远镇"), TraineeFilter(skill="infant_care"), TraineeFilter(level=0),
                TraineeFilter(level=5), TraineeFilter(household_type="monitored"), TraineeFilter(status="placed"),
                TraineeFilter(status="available")):
        got = rows(demo_db, trainee_query(SYSTEM, flt))
        assert 0 < len(got) < base, flt
    placed = rows(demo_db, count_of(trainee_query(SYSTEM, TraineeFilter(status="placed"))))[0][0]
    available = rows(demo_db, count_of(trainee_query(SYSTEM, TraineeFilter(status="available"))))[0][0]
    assert placed + available == base
    infant = rows(demo_db, trainee_query(SYSTEM, TraineeFilter(skill="infant_care")))
    assert all("infant_care" in r.skills.split(",") for r in infant)
    wages = [r.expected_wage for r in rows(demo_db, trainee_query(SYSTEM, TraineeFilter(), "expected_wage", True), 50)]
    assert wages == sorted(wages, reverse=True)
    with demo_db.session() as s:
        top = s.scalar(select(func.max(Trainee.expected_wage)))
    assert wages[0] == top


def test_cohort_flow_graduation_and_certificates(database) -> None:  # type: ignore[no-untyped-def]
    a = registry.save_trainee(database, SYSTEM, person(skills="", skill_level=""))
    b = registry.save_trainee(database, SYSTEM, {"name": "李芳", "id_number": make_id("63022319880101002")})
    with pytest.raises(FormErrors) as info:
        registry.create_cohort(database, SYSTEM, school="互助县现代家政职业技能培训学校", name="", skill="厨师",
                               start_date="2026-03-10", end_date="2026-03-01", hours="0")
    assert set(info.value.errors) == {"name", "skill", "end_date", "hours"}
    cid = registry.create_cohort(database, SYSTEM, school="互助县现代家政职业技能培训学校", name="2026春养老班",
                                 skill="养老护理", start_date="2026.3.1", end_date="2026年4月15日", hours="120")
    with pytest.raises(FormErrors):
        registry.create_cohort(database, SYSTEM, school="互助县现代家政职业技能培训学校", name="2026春养老班", skill="育婴")
    assert registry.enrol(database, SYSTEM, cid, [a, b]) == 2
    assert registry.enrol(database, SYSTEM, cid, [a]) == 0
    members = registry.cohort_members(database, SYSTEM, cid)
    assert {m["trainee_id"] for m in members} == {a, b}
    # one bad certificate: nothing is written
    with pytest.raises(FormErrors) as info:
        registry.graduate(database, SYSTEM, cid, [a, b], "2026-04-15",
                          [CertificateInput(a, "S001", "graded", 5), CertificateInput(b, "", "graded", 5)])
    assert list(info.value.errors) == [f"cert:{b}"]
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(Certificate)) == 0
        assert s.scalar(select(func.count()).select_from(TrainingRecord).where(TrainingRecord.graduated_on.is_not(None))) == 0
    counts = registry.graduate(database, SYSTEM, cid, [a, b], "2026-04-15",
                               [CertificateInput(a, "S001", "graded", 4), CertificateInput(b, "S002", "graded", 5)])
    assert counts == {"graduated": 2, "certificates": 2}
    with database.session() as s:
        t = s.get(Trainee, a)
        assert t.skills == "elderly_care" and t.skill_level == 4 and t.graduation_date == dt.date(2026, 4, 15)
        assert t.training_hours == 120
    detail = registry.trainee_detail(database, SYSTEM, a)
    assert detail.training[0]["cohort"] == "2026春养老班" and detail.certificates[0]["number"] == "S001"
    with pytest.raises(FormErrors) as info:  # a certificate number is registered once
        registry.graduate(database, SYSTEM, cid, [a], "2026-04-16", [CertificateInput(a, "S002", "training")])
    assert "已登记" in info.value.errors[f"cert:{a}"]


def test_cohort_import_enrols(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from db.services.exchange import import_roster
    from tests.conftest import SAMPLES

    cid = registry.create_cohort(database, SYSTEM, school="乌恰县职业技能培训中心", name="乌恰育婴1班", skill="育婴")
    result = import_roster(database, "trainees", SAMPLES / "trainees_gbk.csv", SYSTEM, cohort_id=cid)
    assert result.created["training_records"] == 25
    assert len(registry.cohort_members(database, SYSTEM, cid)) == 25


def test_employer_and_vacancy_with_remaining_headcount(demo_db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FormErrors) as info:
        registry.save_employer(demo_db, SYSTEM, {"name": "", "uscc": "123", "province": "江苏", "city": ""})
    assert set(info.value.errors) == {"name", "uscc", "city"}
    eid = registry.save_employer(demo_db, SYSTEM, {"name": "苏州好家政", "uscc": "91310115GD057MH4LN",
                                                   "province": "江苏省", "city": "苏州市"})
    assert registry.employer_values(demo_db, eid)["province"] == "江苏"
    with pytest.raises(FormErrors) as info:
        registry.save_vacancy(demo_db, SYSTEM, eid, {"code": "SZ-1", "title": "保姆", "skill": "家政服务",
                                                     "headcount": "0", "wage_min": "6000", "wage_max": "5000"})
    assert set(info.value.errors) == {"headcount", "wage_min"}
    vid = registry.save_vacancy(demo_db, SYSTEM, eid, {"code": "SZ-1", "title": "保姆", "skill": "家政服务",
                                                       "headcount": "3", "wage_min": "5000", "wage_max": "6000",
                                                       "board": True})
    assert registry.remaining_headcount(demo_db, vid) == 3
    with demo_db.session() as s:
        some = s.scalars(select(Trainee.id).limit(2)).all()
        for t in some:
            s.add(Placement(trainee_id=t, vacancy_id=vid, status="confirmed"))
    assert registry.remaining_headcount(demo_db, vid) == 1
    with pytest.raises(FormErrors) as info:
        registry.save_vacancy(demo_db, SYSTEM, eid, {"code": "SZ-1", "title": "保姆", "skill": "家政服务",
                                                     "headcount": "1"}, vid)
    assert "不能少于 2" in info.value.errors["headcount"]
    got = rows(demo_db, vacancy_query(VacancyFilter(employer_id=eid)))
    assert [(r.code, r.remaining) for r in got] == [("SZ-1", 1)]
    emp = [r for r in rows(demo_db, employer_query(EmployerFilter(search="好家政")))]
    assert [(r.name, r.open_vacancies, r.remaining) for r in emp] == [("苏州好家政", 1, 1)]
    seats = rows(demo_db, vacancy_query(VacancyFilter(with_seats=True)))
    assert all(r.status == "open" and r.remaining > 0 for r in seats)
    assert rows(demo_db, vacancy_query(VacancyFilter(province="江苏", skill="elderly_care", status="open")))
    with demo_db.session() as s:
        assert s.get(Vacancy, vid).board is True


def test_cli_exit_codes(db_url, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import SAMPLES

    assert main.main(["--db", db_url, "import", "trainees", str(SAMPLES / "trainees_gbk.csv")]) == 0
    out = capsys.readouterr().out
    assert "新增 25" in out
    report = tmp_path / "r.xlsx"
    assert main.main(["--db", db_url, "import", "trainees", str(SAMPLES / "trainees_school_export.xlsx"),
                      "--report", str(report)]) == 1
    assert report.exists() and "第 8 行" in capsys.readouterr().out
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook at all")
    assert main.main(["--db", db_url, "import", "trainees", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "已损坏" in err and "Traceback" not in err
    assert main.main(["--db", db_url, "export", "trainees", str(tmp_path / "t.csv")]) == 0
    assert "已导出 77 行" in capsys.readouterr().out


def test_find_trainees_by_name_initials_id_or_phone_within_the_users_scope(demo_db) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from db.models import Trainee
    from db.queries.registry import find_trainees, trainee_hit

    with demo_db.session() as s:
        t = s.scalars(select(Trainee).where(Trainee.phone.is_not(None)).order_by(Trainee.id)).first()
        for text in (t.name, t.name_initials, t.id_number, t.id_number[-6:], t.phone[-4:]):
            hits = find_trainees(s, SYSTEM, text, limit=500)
            assert t.id in [h.id for h in hits], text
        hit = trainee_hit(s, SYSTEM, t.id)
        assert hit is not None and hit.label().startswith(f"{t.name}  {t.id_number[:6]}") and t.id_number not in hit.label()
        other = Actor(None, "school9", "school", school_id=(t.school_id or 0) + 1000)
        assert find_trainees(s, other, t.id_number) == [] and trainee_hit(s, other, t.id) is None
        assert find_trainees(s, SYSTEM, "   ") == [] and len(find_trainees(s, SYSTEM, t.name[0], limit=3)) <= 3


def test_household_filter_and_column_use_the_effective_type(demo_db) -> None:  # type: ignore[no-untyped-def]
    """A trainee linked to a monitored household is 监测户 whatever was typed on their record."""
    from db.models import Household, HouseholdMember

    with demo_db.session() as s:
        tid = s.scalar(select(HouseholdMember.trainee_id).join(Household)
                       .where(HouseholdMember.trainee_id.is_not(None), Household.monitoring_kind.is_not(None),
                              Household.eliminated.is_(False)).order_by(HouseholdMember.id).limit(1))
        assert tid is not None
        s.get(Trainee, tid).household_type = "general"  # typed by hand before the household was imported
    monitored = {r.id: r for r in rows(demo_db, trainee_query(SYSTEM, TraineeFilter(household_type="monitored")),
                                       1_000_000)}
    general = {r.id for r in rows(demo_db, trainee_query(SYSTEM, TraineeFilter(household_type="general")), 1_000_000)}
    assert tid in monitored and tid not in general
    assert monitored[tid].household_type == "monitored"  # the column shows what the filter used
