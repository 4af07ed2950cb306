"""Bar 13 (households under monitoring): the monitoring export of a 3,000-trainee county imports exactly,
a second import creates nothing, and the monthly report's people in work and monitored households
equal an independent count from the placements, the export and the work table."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import delete, func, select

from core.access import SYSTEM
from core.households import LABOUR, MONITORING_KINDS
from core.vocab import HOUSEHOLD_TYPES
from db.models import Household, HouseholdEvent, HouseholdMember, Placement, Trainee, WorkRecord
from db.services import demo
from db.services.households import import_members, import_work, monthly_report
from tests.conftest import TODAY
from tests.households_files import MEMBER_HEADER, WORK_HEADER, write_xlsx

MONTH = dt.date(2026, 10, 1)


def _ym(day: dt.date | None) -> str:
    return f"{day:%Y%m}" if day else ""


def export_cells(m: dict) -> list[object]:
    """One member as the monitoring system writes it (Chinese labels, months as YYYYMM)."""
    return [m["county"], m["township"], m["village"], m["natural_village"], m["household_code"], m["person_code"],
            m["name"], "居民身份证", m["id_number"], m["relation"], "男" if m["gender"] == "M" else "女", m["size"],
            HOUSEHOLD_TYPES[m["household_kind"]][0],
            MONITORING_KINDS[m["monitoring_kind"]][0] if m["monitoring_kind"] else "",
            m.get("risk1", ""), m.get("risk2", ""), _ym(m["identified_month"]), "是" if m["eliminated"] else "否",
            m["elimination_method"] or "", _ym(m["eliminated_month"]), LABOUR[m["labour"]][0], "",
            m["income_per_capita"], m["wage_income"]]


def work_cells(w: dict) -> list[object]:
    return ["", "", "", w["household_code"], w["id_number"], "", "", "是", w["place"],
            f"{w['start_month']:%Y年%m月}", f"{w['end_month']:%Y年%m月}" if w["end_month"] else "",
            w["monthly_income"], w["employer"], "", w["channel"], "是" if w["point_to_point"] else "否", ""]


def test_bar_13_households_under_monitoring(demo_db, tmp_path: Path) -> None:
    database = demo_db
    with database.session() as s:
        trainees = [dict(r._mapping) for r in s.execute(
            select(Trainee.id_number, Trainee.name, Trainee.gender, Trainee.birth_date, Trainee.ethnicity,
                   Trainee.township, Trainee.village, Trainee.household_type, Trainee.skill_level).order_by(Trainee.id))]
        # the county's export is generated afresh; the demo's own households are cleared first
        for model in (HouseholdEvent, HouseholdMember, Household, WorkRecord):
            s.execute(delete(model))
    members = demo.household_members(trainees, seed=7, today=TODAY)
    work = demo.household_work(members, seed=7, today=TODAY)
    export = write_xlsx(tmp_path / "监测对象家庭成员.xlsx", MEMBER_HEADER, [export_cells(m) for m in members])
    table = write_xlsx(tmp_path / "已外出务工信息.xlsx", WORK_HEADER, [work_cells(w) for w in work])

    done = import_members(database, export, SYSTEM)
    trainee_ids = {t["id_number"] for t in trainees}
    codes = {m["household_code"] for m in members}
    assert done.result.errors == []
    assert (done.households, done.members, done.new_households) == (len(codes), len(members), len(codes))
    assert done.linked == sum(m["id_number"] in trainee_ids for m in members) > 2000
    with database.session() as s:
        stored = {(m.id_number, h.code, m.trainee_id is not None) for m, h in
                  s.execute(select(HouseholdMember, Household).join(Household))}
        assert stored == {(m["id_number"], m["household_code"], m["id_number"] in trainee_ids) for m in members}
        events = s.scalar(select(func.count()).select_from(HouseholdEvent))
    assert import_work(database, table, SYSTEM).inserted == len(work)

    again = import_members(database, export, SYSTEM)
    assert (again.new_households, again.updated_households, again.moved_members) == (0, 0, 0)
    assert import_work(database, table, SYSTEM).inserted == 0
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(Household)) == len(codes)
        assert s.scalar(select(func.count()).select_from(HouseholdMember)) == len(members)
        assert s.scalar(select(func.count()).select_from(HouseholdEvent)) == events
        assert s.scalar(select(func.count()).select_from(WorkRecord)) == len(work)

    # an independent count, person by person, from the placements, the export and the work table
    first, last = MONTH, dt.date(2026, 10, 31)
    with database.session() as s:
        placed = {number for number, start, end in s.execute(
            select(Trainee.id_number, Placement.start_date, Placement.end_date).join(Trainee)
            .where(Placement.status.in_(("departed", "on_job", "ended"))))
            if start is not None and start <= last and (end is None or end >= first)}
    worked = {w["id_number"] for w in work if w["start_month"] <= first and (w["end_month"] is None
                                                                            or w["end_month"] >= first)}
    member_ids = {m["id_number"] for m in members}
    in_work = (placed | worked) & member_ids
    monitored = {m["household_code"] for m in members if m["monitoring_kind"]
                 and (m["identified_month"] is None or m["identified_month"] <= last)
                 and not (m["eliminated"] and (m["eliminated_month"] is None or m["eliminated_month"] <= last))}
    working_homes = {m["household_code"] for m in members if m["id_number"] in in_work}

    report = monthly_report(database, SYSTEM, MONTH)
    assert report.total["working"] == len(in_work) > 300
    assert report.total["placed_by_bureau"] == len(placed & member_ids)
    assert report.total["monitored_households"] == len(monitored) > 50
    assert report.total["monitored_without_work"] == len(monitored - working_homes)
    assert report.total["households"] == len(codes) and report.total["members"] == len(members)
    by_township = {r["township"]: r["working"] for r in report.to_json()["townships"]}
    for town in {m["township"] for m in members}:
        assert by_township[town] == len({m["id_number"] for m in members
                                         if m["township"] == town and m["id_number"] in in_work})
