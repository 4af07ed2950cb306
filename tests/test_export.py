"""Export in the import format: ID as text, CSV with BOM, and a round trip gives the same registry."""

from __future__ import annotations

from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import select

from core.access import SYSTEM, Actor, PermissionDenied
from core.i18n import UserError
from db.engine import open_database
from db.models import AuditLog, Employer, Placement, School, Trainee, Vacancy
from db.services.exchange import import_roster
from db.services.exchange.export import export_roster
from tests.conftest import SAMPLES

TRAINEE_FIELDS = ("name", "id_number", "gender", "birth_date", "ethnicity", "phone", "township", "village",
                  "household_type", "skills", "skill_level", "graduation_date", "training_hours", "mandarin",
                  "preferred_regions", "expected_wage", "available_from", "health_cert_expiry", "name_pinyin",
                  "name_initials")
VACANCY_FIELDS = ("code", "title", "skill", "min_level", "headcount", "wage_min", "wage_max", "board", "lodging",
                  "age_min", "age_max", "gender_requirement", "contract_type", "needs_health_cert", "start_date",
                  "status", "contact", "contact_phone")


def registry(database) -> dict[str, set]:  # type: ignore[no-untyped-def]
    with database.session() as s:
        trainees = {tuple(getattr(t, f) for f in TRAINEE_FIELDS) + (t.school.name if t.school else None,)
                    for t in s.scalars(select(Trainee).where(Trainee.deleted_at.is_(None)))}
        vacancies = {tuple(getattr(v, f) for f in VACANCY_FIELDS) + (v.employer.name, v.employer.uscc,
                                                                    v.employer.province, v.employer.city)
                     for v in s.scalars(select(Vacancy))}
        placements = {(p.trainee.id_number, p.vacancy.code, p.start_date, p.end_date, p.employment_form,
                       p.skilled_since, p.monthly_wage, p.leave_reason, p.status)
                      for p in s.scalars(select(Placement).where(Placement.status.in_(["on_job", "ended"])))}
    return {"trainees": trainees, "vacancies": vacancies, "placements": placements}


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_demo_round_trip_gives_same_registry(demo_db, tmp_path: Path, suffix: str) -> None:  # type: ignore[no-untyped-def]
    files = {}
    for kind in ("trainees", "vacancies", "placements"):
        files[kind] = tmp_path / f"{kind}{suffix}"
        assert export_roster(demo_db, kind, files[kind], SYSTEM) > 0
    fresh = open_database(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    try:
        for kind in ("trainees", "vacancies", "placements"):
            result = import_roster(fresh, kind, files[kind], SYSTEM)
            assert not result.errors, result.errors[:3]
        assert registry(fresh) == registry(demo_db)
        # and exporting the re-imported registry again changes nothing on a second import
        again = import_roster(fresh, "trainees", files["trainees"], SYSTEM)
        assert again.inserted == again.updated == 0
    finally:
        fresh.dispose()


def test_xlsx_id_column_is_text_and_headers_match(demo_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = export_roster(demo_db, "trainees", tmp_path / "t.xlsx", SYSTEM)
    assert out == 3000
    rows = CalamineWorkbook.from_path(str(tmp_path / "t.xlsx")).get_sheet_by_index(0).to_python()
    assert rows[0][:3] == ["姓名", "身份证号", "性别"]
    ids = [r[1] for r in rows[1:]]
    assert all(isinstance(i, str) and len(i) == 18 for i in ids)
    phones = [r[4] for r in rows[1:] if r[4] != ""]
    assert all(isinstance(p, str) for p in phones)
    import zipfile
    with zipfile.ZipFile(tmp_path / "t.xlsx") as z:
        styles = z.read("xl/styles.xml").decode()
    assert 'numFmtId="49"' in styles  # the "@" (Text) format is applied


def test_csv_is_utf8_with_bom(demo_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    export_roster(demo_db, "trainees", tmp_path / "t.csv", SYSTEM)
    data = (tmp_path / "t.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data[3:].decode("utf-8").splitlines()[0].startswith("姓名,身份证号")


def test_sample_round_trip(database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import_roster(database, "trainees", SAMPLES / "trainees_school_export.xlsx", SYSTEM)
    import_roster(database, "vacancies", SAMPLES / "vacancies_east.xlsx", SYSTEM)
    export_roster(database, "trainees", tmp_path / "t.xlsx", SYSTEM)
    export_roster(database, "vacancies", tmp_path / "v.xlsx", SYSTEM)
    fresh = open_database(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    try:
        assert import_roster(fresh, "trainees", tmp_path / "t.xlsx", SYSTEM).inserted == 52
        assert import_roster(fresh, "vacancies", tmp_path / "v.xlsx", SYSTEM).inserted == 26
        assert registry(fresh) == registry(database)
    finally:
        fresh.dispose()


def test_export_is_audited_and_school_scoped(demo_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    school = Actor(None, "school2", "school", school_id=2)
    n = export_roster(demo_db, "trainees", tmp_path / "mine.csv", school)
    with demo_db.session() as s:
        expected = s.query(Trainee).filter(Trainee.school_id == 2, Trainee.deleted_at.is_(None)).count()
        log = s.scalars(select(AuditLog).where(AuditLog.action == "export")).all()
    assert n == expected and 0 < n < 3000
    assert log and log[-1].username == "school2" and "mine.csv" in (log[-1].detail or "")


def test_export_refusals(demo_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        export_roster(demo_db, "trainees", tmp_path / "x.xlsx", Actor(None, "officer", "officer"))
    with pytest.raises(UserError) as info:
        export_roster(demo_db, "trainees", tmp_path / "x.pdf", SYSTEM)
    assert ".xlsx" in str(info.value)
    with pytest.raises(UserError) as info:
        export_roster(demo_db, "trainees", tmp_path / "missing" / "x.xlsx", SYSTEM)
    assert "文件夹不存在" in str(info.value)
    assert not list(tmp_path.glob("*.part"))
    with demo_db.session() as s:
        assert s.query(School).count() == 5 and s.query(Employer).count() > 0


def test_export_that_cannot_be_written_leaves_no_file_and_no_audit_entry(demo_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest as _pytest
    from sqlalchemy import func as _func
    from sqlalchemy import select as _select

    from core.access import SYSTEM
    from core.i18n import UserError as _UserError
    from db.models import AuditLog
    from db.services.exchange.export import export_roster

    out = tmp_path / "out"
    out.mkdir()
    target = out / "名册.xlsx"
    target.mkdir()  # a folder where the file should go: the final rename fails
    with _pytest.raises(_UserError, match="无法写入"):
        export_roster(demo_db, "trainees", target, SYSTEM)
    assert [p.name for p in out.iterdir()] == ["名册.xlsx"] and target.is_dir()
    with demo_db.session() as s:
        assert s.scalar(_select(_func.count()).select_from(AuditLog).where(AuditLog.action == "export")) == 0
