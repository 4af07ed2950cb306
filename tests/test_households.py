"""Households under monitoring: the rules, the member export's import (bad rows, re-import, moves, links)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import func, select

from core.access import SYSTEM, Actor, PermissionDenied
from core.fields import FieldError
from core.households import (
    destination,
    effective_household_type,
    in_work_in_month,
    in_work_mask,
    parse_monitoring_kind,
    parse_month,
    same_county,
)
from core.i18n import UserError
from db.frames import trainees_frame
from db.models import AuditLog, Household, HouseholdEvent, HouseholdMember, Trainee, WorkRecord
from db.services.bureau import set_bureau
from db.services.exchange import write_report
from db.services.households import import_members, import_work
from tests.households_files import (
    MEMBER_HEADER,
    WORK_HEADER,
    Home,
    Member,
    member_rows,
    person_id,
    work_row,
    write_csv,
    write_xlsx,
)

STAFF = Actor(None, "clerk", "staff")
SCHOOL = Actor(None, "school1", "school", school_id=1)


def count(database, model) -> int:  # type: ignore[no-untyped-def]
    with database.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def add_trainees(database, ids: list[str], household_type: str = "general") -> None:  # type: ignore[no-untyped-def]
    with database.session() as s:
        for k, number in enumerate(ids):
            s.add(Trainee(name=f"学员{k}", id_number=number, gender="M" if int(number[16]) % 2 else "F",
                          birth_date=dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
                          household_type=household_type))


def homes_v1() -> list[Home]:
    return [
        Home("632126001001", monitoring="脱贫不稳定户", risks=("因务工就业不稳", "因病"), identified="202303",
             members=[Member("马福海", person_id(1)), Member("李秀兰", person_id(2, female=True), "配偶", gender="女"),
                      Member("马小军", person_id(3), "之子", "无劳动力")]),
        Home("632126001002", kind="一般户", monitoring="边缘易致贫户", identified="2024年5月", township="丹麻镇",
             members=[Member("祁玉英", person_id(4, female=True), gender="女"), Member("祁明", person_id(5), "之子")]),
        Home("632126001003", kind="脱贫户", monitoring="突发严重困难户", eliminated="是", method="帮扶消除",
             identified=dt.date(2023, 1, 1), eliminated_month="202406",
             members=[Member("韩德才", person_id(6))]),
        Home("632126001004", kind="脱贫户", members=[Member("朱桂花", person_id(7, female=True), gender="女")]),
    ]


# --- rules ---------------------------------------------------------------------------------------

def test_months_in_every_spelling_the_exports_use() -> None:
    for value in ("202311", 202311, "2023年11月", "2023-11", "2023/11", dt.date(2023, 11, 20), 45245.0,
                  "202311.0", "2023.11", "2023年11月20日"):
        assert parse_month(value) == dt.date(2023, 11, 1), value
    for bad in ("202313", "11月", "明年"):
        with pytest.raises(FieldError):
            parse_month(bad)


def test_in_work_in_month_counts_a_job_overlapping_the_month() -> None:
    month = dt.date(2026, 3, 1)
    assert in_work_in_month(dt.date(2026, 3, 31), None, month)
    assert in_work_in_month(dt.date(2025, 1, 1), dt.date(2026, 3, 1), month)
    assert not in_work_in_month(dt.date(2026, 4, 1), None, month)
    assert not in_work_in_month(dt.date(2025, 1, 1), dt.date(2026, 2, 28), month)
    assert not in_work_in_month(None, None, month)
    starts = np.array([10.0, 10.0, 50.0, np.nan]); ends = np.array([np.nan, 19.0, np.nan, np.nan])  # noqa: E702
    assert in_work_mask(starts, ends, 20, 40).tolist() == [True, False, False, False]


def test_kinds_counties_and_destinations() -> None:
    assert parse_monitoring_kind("检测对象类别" and "边缘易致贫户") == "marginal"
    assert parse_monitoring_kind("") == "" and parse_monitoring_kind("无") == ""
    with pytest.raises(FieldError, match="监测对象类别无法识别"):
        parse_monitoring_kind("重点户")
    assert same_county("互助县", "互助土族自治县") and not same_county("互助县", "大通回族土族自治县")
    assert destination("青海", "互助土族自治县", "江苏省南京市") == "outside_province"
    assert destination("青海", "互助土族自治县", "青海省西宁市城东区") == "in_province"
    assert destination("青海", "互助土族自治县", "互助县威远镇") == "in_county"


def test_the_household_decides_a_linked_trainees_priority() -> None:
    assert effective_household_type(True, "general", "marginal", False, "general") == "monitored"
    assert effective_household_type(True, "poverty_exited", "sudden", True, "monitored") == "poverty_exited"
    assert effective_household_type(True, "general", None, False, "monitored") == "general"
    assert effective_household_type(False, None, None, False, "poverty_exited") == "poverty_exited"


# --- the member export ---------------------------------------------------------------------------

def test_export_with_two_merged_title_rows_imports_exactly_and_links(database, tmp_path: Path) -> None:
    homes = homes_v1()
    add_trainees(database, [person_id(1), person_id(5), person_id(6), person_id(99)], "general")
    path = write_xlsx(tmp_path / "export.xlsx", MEMBER_HEADER, member_rows(homes))
    done = import_members(database, path, STAFF)
    assert done.result.errors == []
    assert (done.households, done.members, done.linked, done.new_households) == (4, 7, 3, 4)
    with database.session() as s:
        h1 = s.scalars(select(Household).where(Household.code == "632126001001")).one()
        assert (h1.monitoring_kind, h1.household_kind, h1.size, h1.township) == ("unstable", "poverty_exited", 3,
                                                                                "威远镇")
        assert h1.risks == "因务工就业不稳、因病" and h1.identified_month == dt.date(2023, 3, 1)
        h3 = s.scalars(select(Household).where(Household.code == "632126001003")).one()
        assert h3.eliminated and h3.eliminated_month == dt.date(2024, 6, 1) and h3.elimination_method == "帮扶消除"
        assert h3.identified_month == dt.date(2023, 1, 1)
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "household.link")) == 3
    with database.engine.connect() as conn:
        frame = trainees_frame(conn, SYSTEM).set_index("id_number")["household_type"]
    # monitored, not eliminated → monitored; eliminated 脱贫户 → poverty_exited; no household → as typed
    assert frame[person_id(1)] == "monitored" and frame[person_id(5)] == "monitored"
    assert frame[person_id(6)] == "poverty_exited" and frame[person_id(99)] == "general"
    # the second import of the same export creates nothing
    events = count(database, HouseholdEvent)
    again = import_members(database, path, STAFF)
    assert (again.new_households, again.updated_households, again.households) == (0, 0, 4)
    assert count(database, Household) == 4 and count(database, HouseholdMember) == 7
    assert count(database, HouseholdEvent) == events


def test_next_months_export_updates_in_place_and_records_moves(database, tmp_path: Path) -> None:
    add_trainees(database, [person_id(2), person_id(5)])
    import_members(database, write_xlsx(tmp_path / "m1.xlsx", MEMBER_HEADER, member_rows(homes_v1())), STAFF)
    homes = homes_v1()
    homes[0].monitoring, homes[0].eliminated, homes[0].eliminated_month, homes[0].method = \
        "脱贫不稳定户", "是", "202611", "帮扶消除"
    moved = homes[1].members.pop()                    # 祁明 (a trainee) now belongs to household 004
    homes[3].members.append(moved)
    homes[2].members.append(Member("韩梅", person_id(8, female=True), "之女", gender="女"))
    homes[0].members.pop()                            # 马小军 has left household 001
    done = import_members(database, write_xlsx(tmp_path / "m2.xlsx", MEMBER_HEADER, member_rows(homes)), STAFF)
    assert done.result.errors == []
    assert (done.new_households, done.moved_members, done.households) == (0, 1, 4)
    assert count(database, Household) == 4 and count(database, HouseholdMember) == 7
    with database.session() as s:
        kinds = {(e.household_id, e.kind) for e in s.scalars(select(HouseholdEvent))}
        ids = dict(s.execute(select(Household.code, Household.id)).all())
        assert (ids["632126001001"], "changed") in kinds and (ids["632126001001"], "member_out") in kinds
        assert (ids["632126001002"], "member_moved_out") in kinds and (ids["632126001004"], "member_moved_in") in kinds
        assert (ids["632126001003"], "member_in") in kinds
        member = s.scalars(select(HouseholdMember).where(HouseholdMember.id_number == person_id(5))).one()
        assert member.household_id == ids["632126001004"] and member.trainee_id is not None
        move = s.scalars(select(AuditLog).where(AuditLog.action == "household.link")
                         .order_by(AuditLog.id.desc())).first()
        assert move is not None and json.loads(move.before or "{}") == {"household": "632126001002"}
        assert json.loads(move.after or "{}") == {"household": "632126001004"}
        h1 = s.get(Household, ids["632126001001"])
        assert h1 is not None and h1.eliminated and h1.eliminated_month == dt.date(2026, 11, 1)


def test_every_bad_row_is_reported_and_the_rest_is_imported(database, tmp_path: Path) -> None:
    homes = homes_v1()
    homes.append(Home("632126001005", monitoring="重点户", members=[Member("王五", person_id(20))]))
    homes.append(Home("632126001006", size=3, members=[Member("赵六", person_id(21)), Member("赵七", person_id(22))]))
    homes.append(Home("632126001007", members=[Member("李四", person_id(30)), Member("马福海", person_id(1))]))
    rows = member_rows(homes)
    lost = person_id(40)
    rows.append(["互助土族自治县", "威远镇", "卓扎滩村", "", "632126001008", "", "张三", "居民身份证", float(lost), "户主", "男",
                 1, "脱贫户", "", "", "", "", "否", "", "", "普通劳动力", "", 8000, 0])
    path = write_xlsx(tmp_path / "bad.xlsx", MEMBER_HEADER, rows)
    done = import_members(database, path, STAFF)
    reasons = {(i.row, i.reason) for i in done.result.errors}
    text = "\n".join(r for _n, r in reasons)
    assert "监测对象类别无法识别" in text
    assert "人数为 3，但本户列出 2 名成员" in text
    assert "同一人列在两户中" in text
    assert "身份证号被Excel当作数字" in text
    # households 001 (shares 马福海 with 007), 005, 006, 007, 008 are out; 002, 003, 004 are in
    with database.session() as s:
        assert sorted(s.scalars(select(Household.code))) == ["632126001002", "632126001003", "632126001004"]
    report = write_report(done.result, tmp_path / "report.xlsx")
    sheet = CalamineWorkbook.from_path(str(report)).get_sheet_by_index(1).to_python()
    assert any("同一人列在两户中" in str(r[3]) for r in sheet)


def test_no_title_rows_other_spellings_and_gbk_csv(database, tmp_path: Path) -> None:
    header = [h.replace("县(市、区、旗)", "县").replace("行政村", "村").replace("监测对象类别", "检测对象类别")
              .replace("乡(镇)", "乡") for h in MEMBER_HEADER]
    done = import_members(database, write_xlsx(tmp_path / "plain.xlsx", header, member_rows(homes_v1()), titles=0),
                          STAFF)
    assert done.result.header_row == 1 and done.result.errors == [] and done.households == 4
    done = import_members(database, write_csv(tmp_path / "gbk.csv", header, member_rows(homes_v1()), "gbk"), STAFF)
    assert done.result.header_row == 3 and done.households == 4 and done.new_households == 0


def test_an_export_of_another_county_is_refused_whole(database, tmp_path: Path) -> None:
    set_bureau(database, SYSTEM, "互助县人力资源和社会保障局", "互助县")
    homes = homes_v1()
    homes[2].county = "大通回族土族自治县"
    with pytest.raises(UserError, match="大通回族土族自治县") as caught:
        import_members(database, write_xlsx(tmp_path / "x.xlsx", MEMBER_HEADER, member_rows(homes)), STAFF)
    assert caught.value.code == 2
    assert count(database, Household) == 0 and count(database, HouseholdMember) == 0


def test_a_school_account_may_not_import_and_nothing_changes(database, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "e.xlsx", MEMBER_HEADER, member_rows(homes_v1()))
    with pytest.raises(PermissionDenied):
        import_members(database, path, SCHOOL)
    assert count(database, Household) == 0


def test_a_file_without_the_header_is_one_sentence(database, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "w.xlsx", ["序号", "备注"], [[1, "x"]])
    with pytest.raises(UserError, match="没有找到表头") as caught:
        import_members(database, path, STAFF)
    assert caught.value.code == 2


# --- the monthly work table ----------------------------------------------------------------------

def test_work_table_imports_jobs_with_their_source_and_reimports_in_place(database, tmp_path: Path) -> None:
    import_members(database, write_xlsx(tmp_path / "m.xlsx", MEMBER_HEADER, member_rows(homes_v1())), STAFF)
    rows = [work_row(person_id(1), "2026年03月", code="632126001001"),
            work_row(person_id(4), "202601", "202605", place="互助县威远镇", employer="威远镇帮扶车间",
                     channel="帮扶车间", income=2100),
            work_row(person_id(5), dt.date(2026, 2, 10), place="青海省西宁市城北区", employer="", channel="自主务工"),
            work_row(person_id(7), "2026年04月", working="否"),
            work_row(person_id(60), "2026-02"),
            work_row(person_id(2, female=True), "2026年05月", "2026年04月"),
            work_row(person_id(3), "2026年13月")]
    path = write_xlsx(tmp_path / "work.xlsx", WORK_HEADER, rows)
    result = import_work(database, path, STAFF)
    assert result.inserted == 4
    errors = {i.row: i.reason for i in result.errors}
    assert "结束时间早于开始时间" in errors[9] and "开始时间无法识别" in errors[10]
    assert any("不在已导入的家庭成员中" in w.reason for w in result.warnings)
    with database.session() as s:
        records = {r.id_number: r for r in s.scalars(select(WorkRecord))}
    assert records[person_id(1)].destination == "outside_province"
    assert records[person_id(4)].destination == "in_county" and records[person_id(4)].channel == "帮扶车间"
    assert records[person_id(4)].end_month == dt.date(2026, 5, 1)
    assert records[person_id(5)].destination == "in_province" and records[person_id(5)].source == "work.xlsx"
    assert person_id(7) not in records
    again = import_work(database, path, STAFF)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)
    rows[0] = work_row(person_id(1), "2026年03月", "2026年10月", code="632126001001")
    later = import_work(database, write_xlsx(tmp_path / "work2.xlsx", WORK_HEADER, rows), STAFF)
    assert (later.inserted, later.updated) == (0, 1)
    assert count(database, WorkRecord) == 4
