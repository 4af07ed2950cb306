"""The demo generator: valid, realistic, deterministic, with outcomes a matcher can learn from."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from core.fields import check_id_number, check_uscc
from core.i18n import UserError
from db.engine import open_database
from db.models import Certificate, Trainee, TrainingRecord, Vacancy
from db.services import demo
from tests.conftest import TODAY


def _frame(database, sql: str) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    with database.engine.connect() as conn:
        return pd.read_sql_query(sql, conn)


def test_every_id_and_credit_code_is_valid_and_regions_are_the_counties(demo_db) -> None:  # type: ignore[no-untyped-def]
    people = _frame(demo_db, "SELECT id_number, gender, birth_date, name FROM trainee")
    assert len(people) == 3000
    for row in people.itertuples():
        rid = check_id_number(row.id_number)
        assert rid.gender == row.gender
        assert str(rid.birth_date) == str(row.birth_date)[:10]
    regions = set(people.id_number.str[:6])
    assert regions == {"632126", "630223", "653024"}
    # The 2013 re-coding: the young of Huzhu mostly carry the new code.
    huzhu = people[people.id_number.str[:6].isin(["632126", "630223"])]
    young = huzhu[huzhu.id_number.str[6:10].astype(int) >= 2000]
    assert (young.id_number.str[:6] == "630223").mean() > 0.8
    assert people.name.str.contains("·").any()  # Uyghur and Kyrgyz names
    for code in _frame(demo_db, "SELECT uscc FROM employer").uscc:
        check_uscc(code)


def test_the_county_is_realistic(demo_db) -> None:  # type: ignore[no-untyped-def]
    eth = set(_frame(demo_db, "SELECT DISTINCT ethnicity FROM trainee").ethnicity)
    assert {"汉族", "土族", "藏族", "回族", "维吾尔族", "柯尔克孜族"} <= eth
    provinces = set(_frame(demo_db, "SELECT DISTINCT province FROM employer").province)
    assert provinces == {"江苏", "上海", "广东", "福建", "浙江"}
    with demo_db.session() as s:
        assert s.scalar(select(func.count()).select_from(Certificate)) >= 3000
        assert s.scalar(select(func.count()).select_from(TrainingRecord)) >= 3000
        assert s.scalar(select(func.count()).select_from(Vacancy).where(Vacancy.status == "open")) >= 40
        households = dict(s.execute(select(Trainee.household_type, func.count()).group_by(Trainee.household_type)).all())
    assert set(households) == {"general", "poverty_exited", "monitored"}


def test_history_spans_three_years_with_censoring_and_skilled_workers(demo_db) -> None:  # type: ignore[no-untyped-def]
    p = _frame(demo_db, "SELECT start_date, end_date, status, employment_form, skilled_since FROM placement")
    start = pd.to_datetime(p.start_date)
    assert (pd.Timestamp(TODAY) - start.min()).days > 2.5 * 365
    running = p.end_date.isna()
    assert running.any() and (~running).any()
    assert (p.status[running] == "on_job").all()
    assert (p.employment_form == "skilled").mean() > 0.05
    assert p.skilled_since.notna().sum() == (p.employment_form == "skilled").sum()


def test_outcomes_follow_the_documented_model(demo_db) -> None:  # type: ignore[no-untyped-def]
    """Employer effects and wage fit show in the history (what a matcher must be able to learn)."""
    p = _frame(demo_db, """
        SELECT p.start_date, p.end_date, v.employer_id, v.wage_min, v.wage_max, t.expected_wage
        FROM placement p JOIN vacancy v ON v.id = p.vacancy_id JOIN trainee t ON t.id = p.trainee_id""")
    end = pd.to_datetime(p.end_date).fillna(pd.Timestamp(TODAY))
    days = (end - pd.to_datetime(p.start_date)).dt.days
    known = p.end_date.notna() | (days >= 180)
    p = p[known].assign(retained=(days[known] >= 180))
    assert 0.35 < p.retained.mean() < 0.8
    gap = (p.wage_min + p.wage_max) / 2 - p.expected_wage
    assert p.retained[gap > 500].mean() > p.retained[gap < -500].mean() + 0.1
    by_employer = p.groupby("employer_id").retained.agg(["mean", "size"])
    big = by_employer[by_employer["size"] >= 30]
    assert big["mean"].max() - big["mean"].min() > 0.25


def test_same_seed_same_data(tmp_path: Path) -> None:
    frames = []
    for name in ("a", "b"):
        database = open_database(f"sqlite:///{tmp_path / name}.sqlite3")
        demo.load_demo(database, trainees=300, seed=11, today=TODAY)
        with database.engine.connect() as conn:
            frames.append(pd.read_sql_query(
                "SELECT t.id_number, t.name, p.start_date, p.end_date FROM trainee t "
                "LEFT JOIN placement p ON p.trainee_id = t.id ORDER BY t.id, p.id", conn))
        database.dispose()
    pd.testing.assert_frame_equal(frames[0], frames[1])


def test_demo_refuses_a_database_that_has_people(demo_db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UserError, match="已有学员"):
        demo.load_demo(demo_db, trainees=100)
    with demo_db.session() as s:
        assert s.scalar(select(func.count()).select_from(Trainee)) == 3000


def test_the_demo_has_past_batches_that_departed_and_were_followed_up(demo_db) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from db.models import Batch, Placement, PlacementEvent
    from db.queries.placements import batches_listed

    listed = batches_listed(demo_db)
    assert listed[0][0] == 1 and listed[0][2] == 0  # the upcoming batch, ready to plan
    past = [(i, name, n) for i, name, n in listed if i != 1]
    assert len(past) >= 3 and all("已出发" in name and n >= 5 for _i, name, n in past)
    with demo_db.session() as s:
        ids = [i for i, _n, _c in past]
        assert all(d < TODAY for d in s.scalars(select(Batch.departure_date).where(Batch.id.in_(ids))))
        visited = s.scalar(select(func.count(func.distinct(PlacementEvent.placement_id))).join(Placement)
                           .where(Placement.batch_id.in_(ids), PlacementEvent.kind == "followup"))
        assert visited > 0
