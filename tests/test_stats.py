"""Statistics against independent counts on a real demo database, and the xlsx export read back."""

from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import pandas as pd
import pytest
from sqlalchemy import distinct, func, select

from core.access import SYSTEM
from db.models import AuditLog, Certificate, Employer, Placement, School, Trainee, TrainingRecord, Vacancy
from db.services import batches, placements, stats
from tests.conftest import TODAY
from tests.pairs import eligible_free


def _naive_km(durations: np.ndarray, events: np.ndarray, t: float) -> float:
    s = 1.0
    for time in sorted(set(durations[events])):
        if time > t:
            break
        at_risk = (durations >= time).sum()
        s *= 1 - ((durations == time) & events).sum() / at_risk
    return s


def test_figures_match_independent_counts(demo_db) -> None:  # type: ignore[no-untyped-def]
    result = stats.compute(demo_db, today=TODAY, actor=SYSTEM)
    o = result.overview
    with demo_db.session() as s:
        assert o["registered"] == s.scalar(select(func.count()).select_from(Trainee))
        assert o["trained"] == s.scalar(select(func.count(distinct(TrainingRecord.trainee_id))))
        assert o["certified"] == s.scalar(select(func.count(distinct(Certificate.trainee_id)))
                                          .where(Certificate.cert_type.in_(("graded", "special"))))
        assert o["on_job"] == s.scalar(select(func.count(distinct(Placement.trainee_id)))
                                       .where(Placement.status == "on_job"))
        rows = s.execute(select(Placement.start_date, Placement.end_date, Placement.skilled_since,
                                Placement.monthly_wage, Placement.status)
                         .where(Placement.status.in_(("departed", "on_job", "ended")))).all()
    start = np.array([(r[0] - TODAY).days for r in rows], float)
    end = np.array([np.nan if r[1] is None else (r[1] - TODAY).days for r in rows], float)
    events = ~np.isnan(end)
    durations = np.where(events, end, 0) - start
    for h in stats.HORIZONS:
        assert o[f"retention_{h}"] == pytest.approx(_naive_km(durations, events, h))
    assert 0.3 < o["retention_180"] < 0.9  # the demo's outcome model retains roughly half at 180 days
    assert o["skilled_rate"] == pytest.approx(np.mean([r[2] is not None for r in rows]))
    assert o["avg_wage"] == pytest.approx(np.mean([r[3] for r in rows if r[4] == "on_job"]))
    # every breakdown sums back to the whole where people are counted once per group
    for dim in ("township", "school", "household_type"):
        table = result.breakdowns[dim]
        assert table["registered"].sum() == o["registered"]
        assert table["on_job"].sum() == o["on_job"]
    assert set(result.breakdowns["skill"]["group"]) == set(stats.SKILLS)
    assert result.breakdowns["employer"]["placed"].sum() >= o["placed"]
    assert result.curve["survival"].is_monotonic_decreasing
    up = result.upward.set_index("destination")
    assert up.loc["outside_province", "on_job"] == o["on_job"]  # demo employers are all in the east
    assert 0 < result.upward_totals["share_over_six"] < 1


def test_destinations_classify_in_county_and_in_province(demo_db) -> None:  # type: ignore[no-untyped-def]
    with demo_db.session() as s:
        school = s.scalar(select(School).where(School.county == "互助县").limit(1))
        people = s.scalars(select(Trainee).where(Trainee.id_number.like("63%"), Trainee.school_id == school.id,
                                                 ~Trainee.placements.any()).limit(2)).all()
        home = Employer(name="互助县养老中心", province="青海", city="海东", district="互助县")
        xining = Employer(name="西宁颐养院", province="青海", city="西宁", district="城中区")
        s.add_all([home, xining])
        s.flush()
        for emp, person, code in ((home, people[0], "QH-1"), (xining, people[1], "QH-2")):
            v = Vacancy(code=code, employer_id=emp.id, title="养老护理员", skill="elderly_care", headcount=1)
            s.add(v)
            s.flush()
            s.add(Placement(trainee_id=person.id, vacancy_id=v.id, status="on_job",
                            start_date=TODAY - dt.timedelta(days=200), monthly_wage=3800))
    up = stats.compute(demo_db, today=TODAY, actor=SYSTEM).upward.set_index("destination")
    assert up.loc["in_county", "on_job"] == 1 and up.loc["in_province", "on_job"] == 1
    assert up.loc["in_county", "over_six_months"] == 1


def test_new_batch_shows_in_statistics(demo_db) -> None:  # type: ignore[no-untyped-def]
    before = stats.compute(demo_db, today=TODAY, actor=SYSTEM).overview["on_job"]
    _vid, code, _ids, (id_number,) = eligible_free(demo_db)
    bid = batches.create_batch(demo_db, SYSTEM, name="统计批次")
    pid = batches.add_proposal(demo_db, SYSTEM, bid, id_number, code)
    placements.confirm(demo_db, SYSTEM, pid, date=TODAY - dt.timedelta(days=5))
    placements.mark_departed(demo_db, SYSTEM, pid, date=TODAY - dt.timedelta(days=4))
    placements.mark_on_job(demo_db, SYSTEM, pid, date=TODAY - dt.timedelta(days=2), wage=6000)
    assert stats.compute(demo_db, today=TODAY, actor=SYSTEM).overview["on_job"] == before + 1


def test_export_xlsx_reads_back(demo_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = stats.compute(demo_db, today=TODAY, actor=SYSTEM)
    out = stats.export_xlsx(demo_db, tmp_path / "统计.xlsx", stats=result, actor=SYSTEM)
    book = openpyxl.load_workbook(out, read_only=True)
    assert {"总览", "上报指标", "留存曲线", "按乡镇", "按培训学校", "按用人单位", "按技能", "按户类型", "口径说明"} <= set(book.sheetnames)
    assert book["总览"]["A1"].value == f"人力资源和社会保障局劳务协作就业统计（截至 {TODAY:%Y-%m-%d}）"
    overview = {r[0]: r[1] for r in book["总览"].iter_rows(min_row=4, values_only=True)}
    assert overview["登记"] == result.overview["registered"]
    assert overview["6个月稳岗率"] == pytest.approx(result.overview["retention_180"])
    towns = list(book["按乡镇"].iter_rows(min_row=3, values_only=True))
    assert towns[0][0] == "乡镇" and len(towns) - 1 == len(result.breakdowns["township"])
    with demo_db.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "stats.export")) == 1


def test_export_refuses_bad_target(demo_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from core.i18n import UserError

    with pytest.raises(UserError, match="xlsx"):
        stats.export_xlsx(demo_db, tmp_path / "out.csv", actor=SYSTEM)
    with pytest.raises(UserError, match="无法写入"):
        stats.export_xlsx(demo_db, tmp_path / "missing" / "out.xlsx", actor=SYSTEM)


def test_format_metric() -> None:
    assert stats.format_metric("retention_180", 0.5234) == "52.3%"
    assert stats.format_metric("registered", 12345) == "12,345"
    assert stats.format_metric("avg_wage", float("nan")) == "—"


def test_period_and_as_of(demo_db) -> None:  # type: ignore[no-untyped-def]
    """As of a past date nothing that happened later counts; a period keeps the flows to its starters
    while 在岗 stays the count on the end date (the headline and the 上报指标 total agree)."""
    import datetime as dt

    import numpy as np

    from core.i18n import UserError
    from db.models import Placement

    whole = stats.compute(demo_db, today=TODAY, actor=SYSTEM)
    start = TODAY.replace(month=1, day=1)
    year = stats.compute(demo_db, today=TODAY, start=start, actor=SYSTEM)
    assert year.overview["on_job"] == whole.overview["on_job"] == year.upward_totals["on_job"]
    assert 0 < year.overview["placed"] < whole.overview["placed"]
    with demo_db.session() as s:
        started_in_year = s.scalar(select(func.count(func.distinct(Placement.trainee_id))).where(
            Placement.start_date >= start, Placement.start_date <= TODAY,
            Placement.status.in_(("departed", "on_job", "ended"))))
        mid = TODAY - dt.timedelta(days=200)
        on_then = s.scalar(select(func.count(func.distinct(Placement.trainee_id))).where(
            Placement.start_date <= mid, (Placement.end_date.is_(None)) | (Placement.end_date > mid),
            Placement.status.in_(("on_job", "ended"))))
    assert year.overview["placed"] == started_in_year
    past = stats.compute(demo_db, today=mid, actor=SYSTEM)
    assert past.overview["on_job"] == on_then == past.upward_totals["on_job"]
    assert past.today == mid and past.period_text() == f"截至 {mid:%Y-%m-%d}"
    assert not np.isnan(year.overview["retention_90"])
    with pytest.raises(UserError, match="晚于截止日期"):
        stats.compute(demo_db, today=start, start=TODAY, actor=SYSTEM)


def test_stats_from_the_command_line(demo_db, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    import json

    import main

    db_url = demo_db.url if isinstance(demo_db.url, str) else demo_db.url.render_as_string(hide_password=False)

    out = tmp_path / "年度统计.xlsx"
    assert main.main(["--db", db_url, "stats", "--from", "2026-01-01", "--to", str(TODAY), "--xlsx", str(out),
                      "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    expected = stats.compute(demo_db, today=TODAY, start=TODAY.replace(month=1, day=1), actor=SYSTEM)
    assert data["from"] == "2026-01-01" and data["overview"]["placed"] == expected.overview["placed"]
    assert data["upward_totals"]["on_job"] == expected.overview["on_job"]
    book = openpyxl.load_workbook(out, read_only=True)
    assert book["口径说明"]["A1"].value.endswith("（2026-01-01 至 2026-11-29）")
    assert main.main(["--db", db_url, "stats", "--from", "2026-13-01"]) != 0
    assert "日期无法识别" in capsys.readouterr().err


def test_a_second_look_reuses_the_data_until_something_changes(demo_db) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from db.models import Employer, Trainee

    first = stats.compute(demo_db, today=TODAY, actor=SYSTEM)
    key = (str(demo_db.url), SYSTEM.role, SYSTEM.school_id)
    cached = stats._data_cache[key][1]
    stats.compute(demo_db, today=TODAY, actor=SYSTEM)
    assert stats._data_cache[key][1] is cached
    with demo_db.session() as s:
        s.get(Trainee, 5).deleted_at = dt.datetime(2026, 11, 1)
    assert stats.compute(demo_db, today=TODAY, actor=SYSTEM).overview["registered"] == first.overview["registered"] - 1
    with demo_db.session() as s:
        s.get(Employer, 1).name = s.get(Employer, 1).name + "（新）"
    table = stats.compute(demo_db, today=TODAY, actor=SYSTEM).breakdowns["employer"]
    assert table["label"].str.endswith("（新）").any()


def test_group_median_paths_agree() -> None:
    """Whole days: a count table (few groups) or one packed sort (many); other values: a lexsort."""
    rng = np.random.default_rng(7)
    for n_groups in (3, 5000):
        codes = rng.integers(-1, n_groups, 4000)
        days = rng.integers(-20, 900, 4000).astype(float)
        days[rng.random(4000) < 0.1] = np.nan
        whole = stats._group_median(codes, days, n_groups)
        shifted = stats._group_median(codes, days + 0.25, n_groups)
        assert np.array_equal(whole + 0.25, shifted, equal_nan=True)
        g = int(np.bincount(codes[codes >= 0]).argmax())
        assert whole[g] == np.median(days[(codes == g) & np.isfinite(days)])


@pytest.mark.sqlite_only
def test_dates_stored_in_another_form_give_the_same_figures(demo_db) -> None:  # type: ignore[no-untyped-def]
    """SQLite dates are read as their 'YYYY-MM-DD' text and decoded by numpy; a date written in
    another form (a time part, say, by some other tool) makes the database convert them instead."""
    from sqlalchemy import text

    before = stats.compute(demo_db, today=TODAY, start=dt.date(2025, 1, 1), actor=SYSTEM)
    with demo_db.engine.begin() as conn:
        changed = conn.execute(text("UPDATE placement SET start_date = start_date || ' 00:00:00', version = version + 1 "
                                    "WHERE start_date IS NOT NULL AND id % 7 = 0")).rowcount
    assert changed > 0
    after = stats.compute(demo_db, today=TODAY, start=dt.date(2025, 1, 1), actor=SYSTEM)
    assert pd.Series(after.overview).equals(pd.Series(before.overview))
    for dim in stats.DIMENSIONS:
        pd.testing.assert_frame_equal(after.breakdowns[dim], before.breakdowns[dim])
    pd.testing.assert_frame_equal(after.upward, before.upward)
    pd.testing.assert_frame_equal(after.curve, before.curve)


def test_dates_decode_as_sqlite_reads_them() -> None:
    """numpy's decoding of 'YYYY-MM-DD' gives the day numbers julianday() gives, over the whole
    calendar; anything else (a time part, slashes, a 30 February) is left to the database."""
    days = np.arange(-719161, 2932896, 997)  # 0001-01-02 … 9999-12-31
    dates = [dt.date(1970, 1, 1) + dt.timedelta(days=int(n)) for n in days]
    text = "".join(f"{d.year:04d}-{d.month:02d}-{d.day:02d}" for d in dates)
    assert np.array_equal(stats._iso_days(text + stats._NO_DATE, len(dates) + 1), [*days, np.nan], equal_nan=True)
    for odd in ("2024-02-07 00:00", "2024/02/07", "2024-13-07", "2024-01-32", "2024-02-30", "2024-2-7xx",
                "２０２４-02-07"):
        assert stats._iso_days(odd, 1) is None, odd


def test_household_breakdown_counts_the_effective_type(demo_db) -> None:  # type: ignore[no-untyped-def]
    """A trainee linked to a monitored household counts as 监测户 whatever was typed on their record."""
    from db.models import Household, HouseholdMember

    def registered() -> dict[str, int]:
        table = stats.compute(demo_db, today=TODAY, actor=SYSTEM).breakdowns["household_type"]
        return dict(zip(table["group"], table["registered"]))

    with demo_db.session() as s:
        linked = s.scalars(select(HouseholdMember.trainee_id).join(Household)
                           .where(HouseholdMember.trainee_id.is_not(None), Household.monitoring_kind.is_not(None),
                                  Household.eliminated.is_(False))).all()
        assert linked
    before = registered()
    with demo_db.session() as s:  # typed by hand as 一般户 before the households were imported
        for trainee in s.scalars(select(Trainee).where(Trainee.id.in_(linked))):
            trainee.household_type = "general"
    assert registered() == before  # the typed value does not move them: their household's type counts
