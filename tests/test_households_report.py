"""The monthly 务工规模 report: figures by hand on a small county, the workbook, the command line."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from core.access import SYSTEM, Actor, PermissionDenied
from db.models import Employer, Placement, Trainee, Vacancy
from db.services.bureau import set_bureau
from db.services.households import export_xlsx, import_members, import_work, monthly_report
from tests.households_files import MEMBER_HEADER, WORK_HEADER, member_rows, person_id, work_row, write_xlsx
from tests.test_cli import run
from tests.test_households import STAFF, add_trainees, homes_v1

OFFICER = Actor(None, "officer", "officer")
MARCH = dt.date(2026, 3, 1)


def small_county(database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Four households (homes_v1); placements and imported work whose figures are worked out by hand."""
    set_bureau(database, SYSTEM, "互助县人力资源和社会保障局", "互助县")
    add_trainees(database, [person_id(1), person_id(5), person_id(6)])
    with database.session() as s:
        east = Employer(name="南京颐和护理院", province="江苏", city="南京")
        s.add(east)
        s.flush()
        vac = Vacancy(code="JS-1", employer_id=east.id, title="护理员", skill="elderly_care")
        s.add(vac)
        s.flush()
        ids = {t.id_number: t.id for t in s.query(Trainee)}
        s.add_all([
            Placement(trainee_id=ids[person_id(1)], vacancy_id=vac.id, status="on_job", start_date=dt.date(2026, 1, 10)),
            Placement(trainee_id=ids[person_id(5)], vacancy_id=vac.id, status="ended", start_date=dt.date(2025, 2, 1),
                      end_date=dt.date(2025, 4, 15)),
            Placement(trainee_id=ids[person_id(6)], vacancy_id=vac.id, status="confirmed",
                      start_date=dt.date(2026, 3, 1)),  # confirmed but not begun: not in work
        ])
    import_members(database, write_xlsx(tmp_path / "m.xlsx", MEMBER_HEADER, member_rows(homes_v1())), STAFF)
    import_work(database, write_xlsx(tmp_path / "w.xlsx", WORK_HEADER, [
        work_row(person_id(4, female=True), "202510", place="互助县丹麻镇", employer="丹麻镇帮扶车间", channel="帮扶车间"),
        work_row(person_id(7, female=True), "202503", "202503", place="西宁市城东区", employer="城东超市"),
    ]), STAFF)


def test_figures_equal_a_count_by_hand(database, tmp_path: Path) -> None:
    small_county(database, tmp_path)
    report = monthly_report(database, OFFICER, MARCH)
    rows = {r["township"]: r for r in report.to_json()["townships"]}
    assert rows["威远镇"] == {
        "township": "威远镇", "households": 3, "monitored_households": 1, "members": 5, "labour_force": 4,
        "working": 1, "outside_province": 1, "in_province": 0, "in_county": 0, "working_last_year": 1, "change": 0,
        "monitored_without_work": 0, "zero_employment": 2, "placed_by_bureau": 1, "on_job_3m": 0, "on_job_6m": 0}
    assert rows["丹麻镇"] == {
        "township": "丹麻镇", "households": 1, "monitored_households": 1, "members": 2, "labour_force": 2,
        "working": 1, "outside_province": 0, "in_province": 0, "in_county": 1, "working_last_year": 1, "change": 0,
        "monitored_without_work": 0, "zero_employment": 0, "placed_by_bureau": 0, "on_job_3m": 1, "on_job_6m": 0}
    assert report.total["working"] == 2 and report.total["households"] == 4
    # a month later the household work counts 6 months, and in 2025-03 the elimination was not yet done
    assert monthly_report(database, OFFICER, dt.date(2026, 4, 1)).total["on_job_6m"] == 1
    by_village = monthly_report(database, OFFICER, MARCH, by="village").to_json()["townships"]
    assert {(r["township"], r["village"]) for r in by_village} == {("威远镇", "卓扎滩村"), ("丹麻镇", "卓扎滩村")}


def test_workbook_has_title_definitions_and_masked_people(database, tmp_path: Path) -> None:
    small_county(database, tmp_path)
    report = monthly_report(database, OFFICER, MARCH)
    out = export_xlsx(database, OFFICER, report, tmp_path / "务工规模.xlsx")
    book = CalamineWorkbook.from_path(str(out))
    assert book.sheet_names == ["务工规模", "口径说明", "人员明细"]
    main = book.get_sheet_by_index(0).to_python()
    assert "互助县人力资源和社会保障局" in main[0][0] and "2026年03月" in main[0][0]
    assert main[-1][0] == "合计" and main[-1][5] == 2
    people = book.get_sheet_by_index(2).to_python()
    flat = json.dumps(people, ensure_ascii=False, default=str)
    assert person_id(1) not in flat and person_id(1)[:6] in flat
    assert any(r[0] == "零就业家庭" and r[4] == "韩德才" for r in people)
    assert any("覆盖当月" in str(r[1]) for r in book.get_sheet_by_index(1).to_python())


def test_command_line_report_import_and_bad_input(database, tmp_path: Path) -> None:
    small_county(database, tmp_path)
    url = str(database.engine.url)
    database.dispose()
    result = run("--db", url, "households", "report", "--month", "2026-03", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["month"] == "2026-03" and data["total"]["working"] == 2
    assert set(data["townships"][0]) >= {"township", "households", "monitored_households", "members", "working",
                                         "working_last_year", "monitored_without_work", "zero_employment"}
    bad = run("--db", url, "households", "report", "--month", "2026-13")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    again = run("--db", url, "households", "import", str(tmp_path / "m.xlsx"), "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["new_households"] == 0
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    refused = run("--db", url, "households", "import", str(broken))
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    xlsx = run("--db", url, "households", "report", "--month", "2026-03", "--xlsx", str(tmp_path / "r.xlsx"))
    assert xlsx.returncode == 0 and (tmp_path / "r.xlsx").exists()


def test_alerts_list_idle_monitored_households_and_ended_placements(database, tmp_path: Path) -> None:
    from db.services import settings
    from db.services.households import compute_alerts

    small_county(database, tmp_path)
    alerts = compute_alerts(database, OFFICER, today=dt.date(2026, 3, 20))
    kinds = {(r["kind"], r["household_code"]) for r in alerts.to_dict("records")}
    # 001 has 马福海 on the job; 002's member works in the county workshop: neither is idle
    assert not any(k in ("monitored_idle", "work_risk_idle") for k, _c in kinds)
    # in 2025-05 nobody of 001 worked (its placement began in 2026) and its risk is 因务工就业不稳
    before = compute_alerts(database, OFFICER, today=dt.date(2025, 5, 10))
    rows = {(r["kind"], r["household_code"]) for r in before.to_dict("records")}
    assert ("work_risk_idle", "632126001001") in rows
    assert ("placement_ended", "632126001002") in rows  # 祁明 left the job on 2025-04-15
    assert ("township_drop", None) not in rows
    # the advisory wage alert appears only once the bureau has set the year's monitoring line
    assert "above_line" not in set(alerts["kind"])
    settings.set_value(database, SYSTEM, "households.line.2026", 8000)
    with database.session() as s:
        s.query(Placement).filter(Placement.status == "on_job").update({"monthly_wage": 9000})  # 3 months × 9000 / 3 members; 002: 6,300
    advisory = compute_alerts(database, OFFICER, today=dt.date(2026, 3, 20))
    above = advisory[advisory["kind"] == "above_line"]
    assert list(above["household_code"]) == ["632126001001"] and "不作消除决定" in above["detail"].iloc[0]
    from db.services.households import wage_per_head
    wages = wage_per_head(database, OFFICER, int(above["household_id"].iloc[0]), today=dt.date(2026, 3, 20))
    assert wages["per_head"] == 9000 and wages["line"] == 8000 and [round(v) for _m, v in wages["by_month"]] == \
        [3000, 3000, 3000]


def test_alerts_from_the_command_line(database, tmp_path: Path) -> None:
    small_county(database, tmp_path)
    url = str(database.engine.url)
    database.dispose()
    result = run("--db", url, "households", "alerts", "--month", "2025-05", "--json")
    assert result.returncode == 0, result.stderr
    assert {r["kind"] for r in json.loads(result.stdout)} >= {"work_risk_idle", "placement_ended"}


def test_subsidies_due_ledger_and_publicity_list(database, tmp_path: Path) -> None:
    from core.i18n import UserError
    from db.services.households import subsidies

    small_county(database, tmp_path)
    # Gansu-style 2026 rule for Qinghai workers: 600 yuan out of the province after 3 months on the job
    subsidies.set_rule(database, SYSTEM, province="青海", year=2026, kind="travel", scope="outside_province",
                       months=3, amount=600)
    with pytest.raises(UserError):
        subsidies.set_rule(database, SYSTEM, province="火星", year=2026, kind="travel", scope="outside_province",
                           months=3, amount=600)
    assert subsidies.due(database, OFFICER, dt.date(2026, 3, 1)).empty  # started 2026-01-10: not 3 months yet
    due = subsidies.due(database, OFFICER, dt.date(2026, 4, 1))
    assert list(due["name"]) == ["学员0"] and due["due_on"].iloc[0] == dt.date(2026, 4, 10)
    assert due["amount"].iloc[0] == 600 and due["status"].iloc[0] == "eligible"
    with pytest.raises(PermissionDenied):
        subsidies.record_due(database, OFFICER, dt.date(2026, 4, 1))
    assert subsidies.record_due(database, STAFF, dt.date(2026, 4, 1)) == 1
    assert subsidies.record_due(database, STAFF, dt.date(2026, 4, 1)) == 0  # never twice
    claim = int(subsidies.due(database, OFFICER, dt.date(2026, 4, 1))["claim_id"].iloc[0])
    subsidies.advance(database, STAFF, claim, "claimed", evidence=["id_card", "contract"])
    with pytest.raises(UserError, match="公示前还缺少"):
        subsidies.advance(database, STAFF, claim, "publicised")
    with pytest.raises(UserError, match="不能从"):
        subsidies.advance(database, STAFF, claim, "paid")
    subsidies.advance(database, STAFF, claim, "publicised",
                      evidence=["wages", "phone_check", "monitoring_record"])
    out = subsidies.publicity_list(database, OFFICER, tmp_path / "公示名单.xlsx")
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    assert "公示名单" in rows[0][0] and rows[3][1] == "学员0" and rows[3][7] == 600
    assert person_id(1) not in json.dumps(rows, ensure_ascii=False) and "*" in rows[3][2]
    url = str(database.engine.url)
    database.dispose()
    result = run("--db", url, "subsidies", "due", "--month", "2026-04", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["total"] == 600 and data["due"][0]["status"] == "publicised" and "*" in data["due"][0]["id_number"]


def test_text_output_of_the_command_line_reads_as_the_clerk_expects(database, tmp_path: Path) -> None:
    """Text, not JSON: a township's alert shows no "nan" for the household it has not, the village report
    names the village, a subsidy its kind in words."""
    from db.services.households import subsidies

    small_county(database, tmp_path)
    # 李秀兰 worked in March 2025 only: 威远镇 had 2 in work then and has 1 now, a drop of 50 %
    import_work(database, write_xlsx(tmp_path / "w2.xlsx", WORK_HEADER, [
        work_row(person_id(2, female=True), "202503", "202503", employer="南京颐和护理院")]), STAFF)
    subsidies.set_rule(database, SYSTEM, province="青海", year=2026, kind="travel", scope="outside_province",
                       months=3, amount=600)
    url = str(database.engine.url)
    database.dispose()
    alerts = run("--db", url, "households", "alerts", "--month", "2026-03")
    assert alerts.returncode == 0, alerts.stderr
    drop = next(line for line in alerts.stdout.splitlines() if line.startswith("乡镇务工规模同比下降"))
    assert drop.split("\t")[1:3] == ["威远镇", ""] and "nan" not in alerts.stdout
    report = run("--db", url, "households", "report", "--month", "2026-03", "--by", "village")
    assert report.returncode == 0, report.stderr
    lines = [line.split("\t") for line in report.stdout.splitlines()]
    assert lines[0][:3] == ["乡镇", "村", "户数"]
    assert ["丹麻镇", "卓扎滩村"] == lines[1][:2] and lines[-1][:3] == ["合计", "", "4"]
    due = run("--db", url, "subsidies", "due", "--month", "2026-04")
    assert due.returncode == 0, due.stderr
    assert due.stdout.split("\t")[4] == "跨省务工一次性交通补助" and "travel" not in due.stdout
