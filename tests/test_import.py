"""Roster import: the sample rosters (tests/data/samples), idempotence, every bad input a user can produce."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook
from sqlalchemy import func, select

from core.access import SYSTEM, Actor, PermissionDenied
from core.fields import id_check_char
from core.i18n import UserError
from db.models import AuditLog, Employer, Placement, School, Trainee, Vacancy
from db.services.exchange import MAX_FILE_BYTES, import_roster, write_report, write_template
from tests.conftest import SAMPLES

HEADER = ["姓名", "身份证号", "性别", "手机号", "技能", "技能等级", "期望月薪", "结业日期"]


def make_id(prefix17: str) -> str:
    return prefix17 + id_check_char(prefix17)


ID_A = make_id("63212619900315124")   # female: 17th digit even
ID_B = make_id("63022319851102001")   # male: 17th digit odd
ID_C = make_id("65302419950601002")


def write_xlsx(path: Path, rows: list[list[object]], title: str | None = None) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    r0 = 0
    if title:
        ws.write(0, 0, title)
        r0 = 2
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, (int, float)):
                ws.write_number(r0 + r, c, value)
            else:
                ws.write_string(r0 + r, c, str(value))
    wb.close()
    return path


def count(database, model) -> int:  # type: ignore[no-untyped-def]
    with database.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def snapshot(database) -> list[tuple]:  # type: ignore[no-untyped-def]
    with database.session() as s:
        return [tuple(r) for r in s.execute(select(Trainee.__table__).order_by(Trainee.id_number))]


# --- the sample rosters ----------------------------------------------------------------------------

EXPECTED = json.loads((SAMPLES / "expected.json").read_text(encoding="utf-8"))


def test_school_export_sample_imports_as_expected(database) -> None:  # type: ignore[no-untyped-def]
    exp = EXPECTED["trainees_school_export.xlsx"]
    result = import_roster(database, "trainees", SAMPLES / "trainees_school_export.xlsx", SYSTEM)
    assert result.data_rows == exp["data_rows"]
    assert result.duplicate_rows == exp["duplicate_rows"]
    rejected = {str(r): [i.reason for i in result.errors if i.row == r] for r in result.rejected_rows}
    assert set(rejected) == set(exp["rejected_excel_rows"])
    for row, reason in exp["rejected_excel_rows"].items():
        assert any(reason in r for r in rejected[row]), (row, reason, rejected[row])
    assert result.inserted == exp["imported_people"]
    assert count(database, Trainee) == exp["imported_people"]
    assert result.exit_code == 1
    assert result.header_row == 4
    # a gender contradicting the ID is a warning and the ID wins
    gender_warnings = [w for w in result.warnings if w.column == "性别"]
    assert gender_warnings and all(w.row not in result.rejected_rows for w in gender_warnings)
    with database.session() as s:
        row30 = s.scalar(select(Trainee).where(Trainee.id_number == "653024197104042501"))
        assert row30 is not None and row30.gender == "F"
        # full-width digits folded, middle dots normalised, skills/levels/dates parsed
        fw = s.scalar(select(Trainee).where(Trainee.id_number == "653024197909180709"))
        assert fw is not None and fw.name == "阿依努尔·吾守尔"
        assert fw.graduation_date.isoformat() == "2023-09-14"
        xue = s.scalar(select(Trainee).where(Trainee.id_number == "632126197310070101"))
        assert xue.skills == "medical_care,elderly_care" and xue.skill_level == 4
        assert xue.available_from.isoformat() == "2026-07-02"
        assert all("·" in n for n in s.scalars(select(Trainee.name).where(Trainee.ethnicity.in_(["维吾尔族", "柯尔克孜族"]))))
        assert s.scalar(select(func.count()).select_from(School)) == 3


def test_gbk_csv_sample(database) -> None:  # type: ignore[no-untyped-def]
    exp = EXPECTED["trainees_gbk.csv"]
    result = import_roster(database, "trainees", SAMPLES / "trainees_gbk.csv", SYSTEM)
    assert result.data_rows == exp["data_rows"]
    assert len(result.rejected_rows) == exp["rejected"]
    assert result.exit_code == 0
    with database.session() as s:
        names = list(s.scalars(select(Trainee.name)))
    assert "吐尔逊娜依·热合曼" in names and len(names) == 25


def test_vacancy_sample(database) -> None:  # type: ignore[no-untyped-def]
    exp = EXPECTED["vacancies_east.xlsx"]
    result = import_roster(database, "vacancies", SAMPLES / "vacancies_east.xlsx", SYSTEM)
    assert result.data_rows == exp["data_rows"]
    assert {str(r) for r in result.rejected_rows} == set(exp["rejected_excel_rows"])
    for row, reason in exp["rejected_excel_rows"].items():
        assert any(reason in i.reason for i in result.errors if i.row == int(row)), (row, reason)
    assert count(database, Vacancy) == exp["data_rows"] - len(exp["rejected_excel_rows"])
    with database.session() as s:
        v = s.scalar(select(Vacancy).where(Vacancy.code == "JS2026-001"))
        assert v.board and v.lodging and v.headcount == 10 and v.min_level == 4 and v.skill == "domestic_service"
        assert v.employer.uscc == "91310115GD057MH4LN" and v.employer.province == "江苏"


def test_same_file_twice_changes_nothing(database) -> None:  # type: ignore[no-untyped-def]
    import_roster(database, "trainees", SAMPLES / "trainees_school_export.xlsx", SYSTEM)
    import_roster(database, "vacancies", SAMPLES / "vacancies_east.xlsx", SYSTEM)
    before = snapshot(database)
    employers = count(database, Employer)
    again = import_roster(database, "trainees", SAMPLES / "trainees_school_export.xlsx", SYSTEM)
    vac_again = import_roster(database, "vacancies", SAMPLES / "vacancies_east.xlsx", SYSTEM)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 52)
    assert (vac_again.inserted, vac_again.updated) == (0, 0)
    assert snapshot(database) == before
    assert count(database, Employer) == employers


def test_dry_run_writes_nothing(database) -> None:  # type: ignore[no-untyped-def]
    preview = import_roster(database, "trainees", SAMPLES / "trainees_school_export.xlsx", SYSTEM, dry_run=True)
    assert preview.inserted == 52 and preview.dry_run
    assert count(database, Trainee) == 0 and count(database, School) == 0 and count(database, AuditLog) == 0


def test_update_by_key_keeps_values_of_empty_cells(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = write_xlsx(tmp_path / "a.xlsx", [HEADER, ["王芳", ID_A, "女", "13912345678", "家政服务", "五级", 5000, "2025-03-01"]])
    import_roster(database, "trainees", first, SYSTEM)
    second = write_xlsx(tmp_path / "b.xlsx", [HEADER, ["王芳", ID_A, "", "", "家政服务、育婴", "四级", 5500, ""]])
    result = import_roster(database, "trainees", second, SYSTEM)
    assert (result.inserted, result.updated) == (0, 1)
    with database.session() as s:
        t = s.scalar(select(Trainee))
        assert t.phone == "13912345678" and t.skills == "domestic_service,infant_care"
        assert t.skill_level == 4 and t.expected_wage == 5500 and t.version == 2
        assert t.graduation_date.isoformat() == "2025-03-01"
        assert t.name_initials == "wf"


def test_english_aliases_and_unknown_columns(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write_xlsx(tmp_path / "en.xlsx", [["name", "id_number", "skills", "shoe size"],
                                              ["Li Na", ID_A, "elderly_care", "38"]])
    result = import_roster(database, "trainees", path, SYSTEM)
    assert result.inserted == 1 and result.unknown_columns == ["shoe size"]
    assert "shoe size" in result.summary()


def test_header_below_title_blank_and_totals_rows(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = [HEADER, ["王芳", ID_A, "女", "", "", "", "", ""], [None], ["张强", ID_B, "男"], ["合计：2人"],
            ["注：本表由学校填报"]]
    path = write_xlsx(tmp_path / "t.xlsx", rows, title="某某县2025年培训名册")
    result = import_roster(database, "trainees", path, SYSTEM)
    assert result.header_row == 3 and result.data_rows == 2 and result.inserted == 2 and not result.issues


def test_same_id_different_content_rejected(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write_xlsx(tmp_path / "d.xlsx", [HEADER, ["王芳", ID_A, "女"], ["王芳芳", ID_A, "女"], ["王芳", ID_A, "女"]])
    result = import_roster(database, "trainees", path, SYSTEM)
    assert result.duplicate_rows == 1 and result.rejected_rows == [3]
    assert "与第 2 行是同一人" in result.errors[0].reason
    assert count(database, Trainee) == 1


# --- Excel-mangled and malformed values ---------------------------------------------------------

@pytest.mark.parametrize("value, reason", [
    (622126199003151234.0, "身份证号被Excel当作数字"),
    ("6.22126E+17", "身份证号被Excel当作数字"),
    ("622126199003151000", "身份证号被Excel当作数字"),
    (make_id("63212619900315123")[:-1] + ("1" if make_id("63212619900315123")[-1] != "1" else "2"), "校验位错误"),
    ("63212619901345123X", "出生日期或校验位无效"),
    ("632126900315123", "15位"),
])
def test_bad_ids_rejected_with_reason(database, tmp_path, value, reason) -> None:  # type: ignore[no-untyped-def]
    path = write_xlsx(tmp_path / "ids.xlsx", [HEADER, ["王芳", value], ["张强", ID_B]])
    result = import_roster(database, "trainees", path, SYSTEM)
    assert result.rejected_rows == [2] and reason in result.errors[0].reason
    assert result.inserted == 1 and result.exit_code == 1


def test_lowercase_x_and_fullwidth(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    x_id = next(make_id(f"63212619900310{n:03d}") for n in range(1000)
                if make_id(f"63212619900310{n:03d}").endswith("X"))
    full = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in ID_B)
    path = write_xlsx(tmp_path / "x.xlsx", [HEADER, ["王芳", x_id.lower()], ["张 强", full]])
    result = import_roster(database, "trainees", path, SYSTEM)
    assert result.inserted == 2 and not result.errors
    with database.session() as s:
        assert set(s.scalars(select(Trainee.id_number))) == {x_id, ID_B}
        assert "张强" in set(s.scalars(select(Trainee.name)))


@pytest.mark.parametrize("col, value, reason", [
    ("期望月薪", "-5", "期望月薪必须≥0"),
    ("期望月薪", "1e9", "期望月薪必须≤100000"),
    ("技能等级", "七级", "技能等级无法识别"),
    ("技能", "厨师", "技能不在四类之内"),
    ("结业日期", "2025-13-45", "结业日期无法识别"),
    ("手机号", "2381234567a", "手机号"),
])
def test_out_of_range_and_unrecognised_values(database, tmp_path, col, value, reason) -> None:  # type: ignore[no-untyped-def]
    row = ["王芳", ID_A, "", "", "", "", "", ""]
    row[HEADER.index(col)] = value
    path = write_xlsx(tmp_path / "v.xlsx", [HEADER, row])
    result = import_roster(database, "trainees", path, SYSTEM)
    assert result.rejected_rows == [2]
    issue = result.errors[0]
    assert issue.column == col and reason in issue.reason and issue.value
    assert count(database, Trainee) == 0


# --- unusable files -------------------------------------------------------------------------------

def _assert_unusable(database, path, fragment) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UserError) as info:
        import_roster(database, "trainees", path, SYSTEM)
    assert info.value.code == 2 and fragment in str(info.value)
    assert count(database, Trainee) == 0 and count(database, AuditLog) == 0


def test_empty_file(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    _assert_unusable(database, path, "文件是空的")
    blank = tmp_path / "blank.csv"
    blank.write_text("\n\n", encoding="utf-8")
    _assert_unusable(database, blank, "没有任何内容")
    sheet = write_xlsx(tmp_path / "nothing.xlsx", [])
    _assert_unusable(database, sheet, "没有任何内容")


def test_header_without_rows(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _assert_unusable(database, write_xlsx(tmp_path / "h.xlsx", [HEADER]), "没有数据行")


def test_no_recognisable_header(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write_xlsx(tmp_path / "nohead.xlsx", [["甲", "乙", "丙"], ["1", "2", "3"]])
    _assert_unusable(database, path, "没有找到表头")


def test_missing_required_column(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write_xlsx(tmp_path / "noname.xlsx", [["身份证号", "手机号"], [ID_A, "13912345678"]])
    _assert_unusable(database, path, "缺少必填列：姓名")


def test_password_protected_xlsx(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import msoffcrypto.format.ooxml as ooxml

    plain = write_xlsx(tmp_path / "plain.xlsx", [HEADER, ["王芳", ID_A]])
    locked = tmp_path / "locked.xlsx"
    with plain.open("rb") as src, locked.open("wb") as dst:
        ooxml.OOXMLFile(src).encrypt("secret", dst)
    _assert_unusable(database, locked, "密码")


def test_corrupt_xlsx(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    good = write_xlsx(tmp_path / "good.xlsx", [HEADER, ["王芳", ID_A]])
    data = good.read_bytes()
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(data[: len(data) // 2])
    _assert_unusable(database, truncated, "已损坏")
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(os.urandom(4096))
    _assert_unusable(database, garbage, "已损坏")


def test_over_large_file(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    big = tmp_path / "huge.xlsx"
    with big.open("wb") as fh:  # sparse: 100 MB on paper, nothing on disk
        fh.truncate(100 * 1024 * 1024)
    assert big.stat().st_size > MAX_FILE_BYTES
    _assert_unusable(database, big, "文件过大")


def test_gbk_and_utf8_bom_csv(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = [HEADER, ["阿依古丽·买买提", ID_A, "女", "13912345678", "养老护理，家政服务", "初级工", "4500", "2024年3月5日"]]
    for enc, name in (("gbk", "g.csv"), ("utf-8-sig", "u.csv"), ("utf-8", "p.csv"), ("gb18030", "g18.csv")):
        path = tmp_path / name
        with path.open("w", encoding=enc, newline="") as fh:
            csv.writer(fh).writerows(rows)
        result = import_roster(database, "trainees", path, SYSTEM)
        assert not result.errors, (enc, result.issues)
    with database.session() as s:
        t = s.scalar(select(Trainee))
        assert t.name == "阿依古丽·买买提" and t.skills == "elderly_care,domestic_service"
        assert t.graduation_date.isoformat() == "2024-03-05"
    assert count(database, Trainee) == 1


def test_gbk_csv_with_mangled_id(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "m.csv"
    path.write_bytes(("姓名,身份证号\n王芳,6.22126E+17\n").encode("gbk"))
    result = import_roster(database, "trainees", path, SYSTEM)
    assert result.rejected_rows == [2] and "文本" in result.errors[0].reason


def test_school_account_cannot_import_vacancies(database) -> None:  # type: ignore[no-untyped-def]
    school = Actor(None, "school1", "school", school_id=1)
    with pytest.raises(PermissionDenied):
        import_roster(database, "vacancies", SAMPLES / "vacancies_east.xlsx", school)
    assert count(database, Vacancy) == 0


# --- placements ---------------------------------------------------------------------------------

def test_placements_import_by_composite_key(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_roster(database, "trainees", SAMPLES / "trainees_gbk.csv", SYSTEM)
    import_roster(database, "vacancies", SAMPLES / "vacancies_east.xlsx", SYSTEM)
    head = ["身份证号", "姓名", "岗位编号", "上岗日期", "离岗日期", "用工形式", "转为职业工日期", "月收入", "离岗原因"]
    rows = [head,
            ["653024199602010026", "吐尔逊娜依·热合曼", "JS2026-001", "2026-02-03", "", "临时工", "", 4200, ""],
            ["630223198506070129", "孙华建", "JS2026-002", "2026/7/1", "2026.9.1", "职业工", "2026-08-01", 5000, "家庭原因"],
            ["630223198506070129", "孙华", "JS2026-003", "2026/7/1", "", "", "", "", ""],
            ["632126199003151234", "某某", "JS2026-001", "2026-02-03", "", "", "", "", ""],
            ["653024199602010026", "吐尔逊娜依·热合曼", "NOPE-1", "2026-02-03", "", "", "", "", ""],
            ["653024199602010026", "吐尔逊娜依·热合曼", "JS2026-004", "2026-02-03", "2026-01-01", "", "", "", ""]]
    path = write_xlsx(tmp_path / "p.xlsx", rows)
    result = import_roster(database, "placements", path, SYSTEM)
    assert result.inserted == 3
    assert set(result.rejected_rows) == {5, 6, 7}
    reasons = {i.row: i.reason for i in result.errors}
    assert "不存在" in reasons[6] and "离岗日期早于上岗日期" in reasons[7]
    assert any(w.row == 4 and "姓名" in w.reason for w in result.warnings)
    with database.session() as s:
        statuses = sorted(s.scalars(select(Placement.status)))
        assert statuses == ["ended", "on_job", "on_job"]
    again = import_roster(database, "placements", path, SYSTEM)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    # an end date added later updates the same placement (same key)
    rows2 = [head, ["653024199602010026", "", "JS2026-001", "2026-02-03", "2026-06-30", "", "", "", "合同到期"]]
    upd = import_roster(database, "placements", write_xlsx(tmp_path / "p2.xlsx", rows2), SYSTEM)
    assert (upd.inserted, upd.updated) == (0, 1)
    assert count(database, Placement) == 3


# --- report and template ------------------------------------------------------------------------

def test_error_report_xlsx(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = import_roster(database, "trainees", SAMPLES / "trainees_school_export.xlsx", SYSTEM)
    out = write_report(result, tmp_path / "report.xlsx")
    wb = CalamineWorkbook.from_path(str(out))
    assert wb.sheet_names == ["导入结果", "问题明细"]
    detail = wb.get_sheet_by_name("问题明细").to_python()
    assert detail[0] == ["行号", "列", "值", "原因", "类型"]
    rows = {int(r[0]) for r in detail[1:] if r[4].startswith("错误")}
    assert rows == {8, 22, 26, 38, 42, 46, 47}
    summary = dict((r[0], r[1]) for r in wb.get_sheet_by_name("导入结果").to_python())
    assert summary["数据行"] == 60 and summary["拒绝的行"] == 7


@pytest.mark.parametrize("kind", ["trainees", "vacancies", "placements"])
def test_template_headers_are_recognised(database, tmp_path, kind) -> None:  # type: ignore[no-untyped-def]
    path = write_template(kind, tmp_path / f"{kind}.xlsx")
    with pytest.raises(UserError) as info:  # an empty template: header found, no data rows
        import_roster(database, kind, path, SYSTEM)
    assert "没有数据行" in str(info.value)


def test_too_many_rows_refused(database, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from db.services.exchange import parsing

    monkeypatch.setattr(parsing, "MAX_DATA_ROWS", 3)  # the cap is applied while the rows are parsed
    rows = [HEADER] + [["王芳", make_id(f"632126199003151{n:02d}")] for n in range(5)]
    _assert_unusable(database, write_xlsx(tmp_path / "many.xlsx", rows), "数据行超过 3 行")


def test_cancel_midway_leaves_registry_as_before(database) -> None:  # type: ignore[no-untyped-def]
    import_roster(database, "trainees", SAMPLES / "trainees_gbk.csv", SYSTEM)
    before = snapshot(database)

    class Stop(Exception):
        pass

    def progress(percent: int, _message: str) -> None:
        if percent >= 90:  # after the rows were written, before the commit
            raise Stop()

    with pytest.raises(Stop):
        import_roster(database, "trainees", SAMPLES / "trainees_school_export.xlsx", SYSTEM, progress=progress)
    assert snapshot(database) == before
    assert count(database, School) == 3  # the schools the first import created, no more


# --- scope: a school account writes inside its own school only (issue 12 item 7) -------------------

def _two_schools(database, tmp_path):  # type: ignore[no-untyped-def]
    """甲校 with two trainees, 乙校 with one; returns the school ids."""
    path = tmp_path / "schools.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["姓名", "身份证号", "培训学校", "手机号"],
                                  ["甲一", ID_A, "甲校", "13900000001"], ["甲二", ID_B, "甲校", "13900000002"],
                                  ["乙一", ID_C, "乙校", "13900000003"]])
    assert not import_roster(database, "trainees", path, SYSTEM).errors
    with database.session() as s:
        return {n: i for i, n in s.execute(select(School.id, School.name))}


def test_school_account_rows_naming_another_school_are_rejected(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Before: a school account created people in another school, created a school and moved its own
    trainee away. Now each such row is rejected in the report and nothing outside its school changes."""
    schools = _two_schools(database, tmp_path)
    before = snapshot(database)
    me = Actor(None, "jia", "school", school_id=schools["甲校"])
    new_1, new_2, new_3 = make_id("63212619920101001"), make_id("63212619920101002"), make_id("63212619920101003")
    path = tmp_path / "mine.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["姓名", "身份证号", "培训学校", "手机号"],
                                  ["新一", new_1, "乙校", ""],            # a new person into another school
                                  ["新二", new_2, "丙校", ""],            # a school that does not exist
                                  ["甲一", ID_A, "乙校", ""],             # moving its own trainee away
                                  ["乙一", ID_C, "", "13800000000"],      # editing another school's trainee
                                  ["甲二", ID_B, "甲校", "13811112222"],  # its own trainee: fine
                                  ["新三", new_3, "", ""]])               # a new person: into its school
    result = import_roster(database, "trainees", path, me)
    assert result.rejected_rows == [2, 3, 4, 5] and result.exit_code == 1
    reasons = {i.row: i.reason for i in result.errors}
    assert "不是本校" in reasons[2] and "不是本校" in reasons[3] and "不是本校" in reasons[4]
    assert "其他培训学校" in reasons[5]
    assert result.inserted == 1 and result.updated == 1 and not result.created.get("schools")
    with database.session() as s:
        assert {n for n, in s.execute(select(School.name))} == {"甲校", "乙校"}
        where = {t.id_number: t for t in s.scalars(select(Trainee))}
    assert where[ID_A].school_id == schools["甲校"] and where[ID_B].phone == "13811112222"
    assert where[new_3].school_id == schools["甲校"] and new_1 not in where and new_2 not in where
    key = [c.name for c in Trainee.__table__.columns].index("id_number")
    theirs = [r for r in before if r[key] == ID_C]
    assert theirs and [r for r in snapshot(database) if r[key] == ID_C] == theirs
    report = write_report(result, tmp_path / "report.xlsx")
    wb = CalamineWorkbook.from_path(str(report))
    rows = wb.get_sheet_by_index(1).to_python()
    assert [int(r[0]) for r in rows[1:]] == [2, 3, 4, 5]


def test_school_account_cannot_enrol_into_another_schools_cohort(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from db.models import Cohort, TrainingRecord

    schools = _two_schools(database, tmp_path)
    with database.session() as s:
        cohort = Cohort(school_id=schools["乙校"], name="乙校养老护理班", skill="elderly_care")
        s.add(cohort)
        s.flush()
        cohort_id = cohort.id
    before = snapshot(database)
    me = Actor(None, "jia", "school", school_id=schools["甲校"])
    path = tmp_path / "mine.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["姓名", "身份证号", "手机号"], ["甲一", ID_A, "13911112222"]])
    with pytest.raises(PermissionDenied) as info:
        import_roster(database, "trainees", path, me, cohort_id=cohort_id)
    assert "其他培训学校" in str(info.value)
    assert snapshot(database) == before and count(database, TrainingRecord) == 0
