"""The matcher end to end on real SQLite files: eligibility, features, censoring, training,
ranking both ways, the planner contract, fairness, shortlisting and the CLI."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select, update

import main
from core.access import SYSTEM, Actor
from core.i18n import UserError
from core.policy import DEFAULT_PRIORITY_WEIGHTS
from db.models import AuditLog, ModelVersion, Placement, Trainee, Vacancy
from db.services import matching as ms
from matching.data import MatchData
from matching.features import ELIGIBLE, FEATURES, RULES, eligibility, feature_matrix, pair_inputs
from matching.history import EmployerHistory, outcomes
from matching.model import HEURISTIC, MatchModel, ThinHistory, train
from tests.conftest import TODAY


def _open_code(database) -> str:  # type: ignore[no-untyped-def]
    with database.session() as s:
        return s.scalar(select(Vacancy.code).where(Vacancy.status == "open").order_by(Vacancy.id))


def _trained(database):  # type: ignore[no-untyped-def]
    return ms.train(database, today=TODAY, actor=SYSTEM)


# --- eligibility and features ----------------------------------------------------------------------

def test_every_exclusion_has_one_reason_and_eligible_pass_the_rules(demo_db) -> None:
    result = ms.rank_vacancy(demo_db, _open_code(demo_db), top=None, today=TODAY, actor=SYSTEM)
    v = result.subject
    assert len(result.ranked) > 0 and len(result.excluded) > 0
    assert set(result.excluded["rule"]) <= set(RULES.values())
    assert result.excluded["reason"].str.len().min() > 0
    skill_reasons = result.excluded.loc[result.excluded["rule"] == "skill", "reason"]
    assert skill_reasons.str.startswith("不具备").all()
    with demo_db.session() as s:
        rows = s.execute(select(Trainee.id, Trainee.skills, Trainee.skill_level)
                         .where(Trainee.id.in_(result.ranked["trainee_id"].tolist()))).all()
    for _id, skills, level in rows:
        assert v["skill"] in skills.split(",")
        if v["min_level"] == v["min_level"] and v["min_level"] is not None:
            assert level is not None and level <= v["min_level"]
    assert len(result.ranked) + len(result.excluded) == 3000


def test_features_are_vectorised_and_equal_per_pair(demo_db) -> None:
    data = ms._load(demo_db, ms.SYSTEM, open_only=True, today=TODAY)
    n = len(data.T["trainee_id"])
    X_all = feature_matrix(pair_inputs(data, slice(None), 0))  # type: ignore[arg-type]
    assert X_all.shape == (n, len(FEATURES)) and np.isfinite(X_all).all()
    for t in (0, 17, n - 1):
        one = feature_matrix({k: np.atleast_1d(v) for k, v in pair_inputs(data, np.array([t]), 0).items()})
        np.testing.assert_allclose(one[0], X_all[t])
    # the other direction: one trainee against every vacancy
    X_rev = feature_matrix(pair_inputs(data, 5, slice(None)))  # type: ignore[arg-type]
    np.testing.assert_allclose(X_rev[3], X_all_for(data, 5, 3))


def X_all_for(data: MatchData, t: int, v: int) -> np.ndarray:
    return feature_matrix(pair_inputs(data, np.array([t]), np.array([v])))[0]


def test_protected_attributes_are_not_features(demo_db) -> None:
    assert not any(w in f for f in FEATURES for w in ("gender", "ethnic", "household"))
    _trained(demo_db)
    code = _open_code(demo_db)
    before = ms.rank_vacancy(demo_db, code, top=None, today=TODAY, actor=SYSTEM).ranked.set_index("trainee_id")["score"]
    with demo_db.session() as s:
        s.execute(update(Trainee).values(ethnicity="汉族", household_type="general"))
    after = ms.rank_vacancy(demo_db, code, top=None, today=TODAY, actor=SYSTEM).ranked.set_index("trainee_id")["score"]
    pd.testing.assert_series_equal(before.sort_index(), after.sort_index())


# --- censoring and leakage ------------------------------------------------------------------------

def _history(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame([{"placement_id": i, "trainee_id": i, "vacancy_id": 1, "employer_id": e, "status": st,
                          "start_date": pd.Timestamp(s), "end_date": pd.Timestamp(en) if en else pd.NaT,
                          "skilled_since": pd.NaT, "employment_form": "temporary"}
                         for i, (e, st, s, en) in enumerate(rows, 1)])


def test_young_placements_are_censored_not_failures() -> None:
    today = dt.date(2026, 6, 30)
    h = outcomes(_history([
        (1, "on_job", "2026-05-01", None),          # running, 60 days: no label
        (1, "ended", "2026-04-01", "2026-05-01"),   # ended early but window still open: no label
        (1, "on_job", "2025-06-01", None),          # running for a year: retained
        (1, "ended", "2025-01-01", "2025-02-01"),   # ended after a month: not retained
        (1, "ended", "2025-01-01", "2025-08-01"),   # lasted 212 days: retained
        (1, "ended", "2025-01-01", None),           # ended without an end date: unknown
    ]), today)
    labels = h["retained_label"].tolist()
    assert np.isnan(labels[0]) and np.isnan(labels[1]) and np.isnan(labels[5])
    assert labels[2:5] == [1.0, 0.0, 1.0]


def test_employer_history_uses_only_closed_windows_before_the_day() -> None:
    today = dt.date(2026, 6, 30)
    h = outcomes(_history([(7, "ended", "2025-01-01", "2025-01-20"), (7, "ended", "2025-02-01", "2025-12-01")]), today)
    eh = EmployerHistory(h)
    day = lambda s: (dt.date.fromisoformat(s) - dt.date(1970, 1, 1)).days  # noqa: E731
    _r, n = eh.at(np.array([7]), day("2025-06-01"))
    assert n[0] == 0  # the early exit of January counts only once its 180-day window has closed
    rate, n = eh.at(np.array([7, 7]), np.array([day("2025-07-15"), day("2026-01-01")]))
    assert n.tolist() == [1.0, 2.0]
    assert rate[0] < rate[1]


# --- training ----------------------------------------------------------------------------------------

def test_training_beats_heuristic_on_demo_and_activates(demo_db) -> None:
    result = _trained(demo_db)
    m = result["metrics"]
    assert result["activated"] is True
    assert m["learned"]["auc"] > m["heuristic"]["auc"]
    assert m["learned"]["ndcg10"] > m["heuristic"]["ndcg10"]
    assert m["learned"]["brier"] < m["heuristic"]["brier"]
    assert m["comparison"]["against"] == "heuristic"
    status = ms.active_model(demo_db)
    assert status.learned and status.model.version_id == result["version"]
    assert "学习模型" in status.describe()
    again = _trained(demo_db)  # same data: not better than the active model, stored but not activated
    assert again["activated"] is False and "未优于" in again["message"]
    with demo_db.session() as s:
        assert s.scalar(select(func.count()).select_from(ModelVersion).where(ModelVersion.active.is_(True))) == 1
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "model.train")) == 2
    json.dumps(m, allow_nan=False)  # strict JSON


def test_train_with_no_history_is_a_clear_error(database) -> None:
    with pytest.raises(UserError) as info:
        ms.train(database, today=TODAY, actor=SYSTEM)
    assert info.value.code == 1 and "历史记录太少" in str(info.value)
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(ModelVersion)) == 0


def _synthetic(n: int, seed: int, outcome, all_retained: bool = False):  # type: ignore[no-untyped-def]
    """Frames of a made-up county whose outcomes follow ``outcome`` (not the demo's model)."""
    rng = np.random.default_rng(seed)
    today = dt.date(2026, 6, 30)
    trainees = pd.DataFrame({
        "trainee_id": np.arange(1, n + 1), "id_number": [f"X{i:05d}" for i in range(n)], "name": "某",
        "gender": "F", "birth_date": pd.to_datetime("1970-01-01") + pd.to_timedelta(rng.integers(0, 12000, n), "D"),
        "ethnicity": "汉族", "household_type": "general", "mandarin": rng.choice(["fluent", "basic", "poor"], n),
        "skills": "elderly_care", "skill_level": rng.choice([np.nan, 5, 4, 3], n), "training_hours": rng.integers(40, 300, n),
        "graduation_date": pd.NaT, "preferred_regions": rng.choice(["江苏", "上海", ""], n),
        "expected_wage": rng.integers(8, 14, n) * 500, "available_from": pd.NaT, "health_cert_expiry": pd.NaT,
        "school_id": 1, "township": "", "busy": False})
    m = n // 4
    vacancies = pd.DataFrame({
        "vacancy_id": np.arange(1, m + 1), "code": [f"V{i}" for i in range(m)], "title": "护理员",
        "employer_id": rng.integers(1, 30, m), "employer_name": "某单位", "province": rng.choice(["江苏", "上海"], m),
        "city": "某市", "skill": "elderly_care", "min_level": np.nan, "headcount": 1, "wage_min": rng.integers(8, 12, m) * 500,
        "wage_max": 7000, "board": rng.random(m) < 0.5, "lodging": rng.random(m) < 0.5, "age_min": 18, "age_max": 60,
        "gender_requirement": "any", "contract_type": rng.choice(["temporary", "long_term"], m),
        "needs_health_cert": False, "start_date": pd.NaT, "status": "closed"})
    vacancies["wage_max"] = vacancies["wage_min"] + 1000
    t = rng.integers(0, n, n)
    v = rng.integers(0, m, n)
    start = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 1100, n), "D")
    p = outcome(trainees.iloc[t].reset_index(drop=True), vacancies.iloc[v].reset_index(drop=True), rng)
    kept = np.ones(n, bool) if all_retained else rng.random(n) < p
    days = np.where(kept, 400, rng.integers(10, 170, n))
    end = start + pd.to_timedelta(days, "D")
    history = pd.DataFrame({"placement_id": np.arange(1, n + 1), "trainee_id": t + 1, "vacancy_id": v + 1,
                            "employer_id": vacancies["employer_id"].to_numpy()[v], "status": "ended",
                            "start_date": start, "end_date": end, "skilled_since": pd.NaT, "employment_form": "temporary"})
    return MatchData.build(trainees, vacancies, history, today)


def test_learns_a_history_unlike_the_demo() -> None:
    def outcome(t, v, rng):  # type: ignore[no-untyped-def]
        # Here lodging and a temporary contract help, older workers stay, wage hardly matters.
        age = (pd.Timestamp("2025-01-01") - t["birth_date"]).dt.days / 365
        logit = -0.2 + 1.2 * v["lodging"] - 0.8 * (v["contract_type"] == "long_term") + 0.05 * (age - 40)
        return 1 / (1 + np.exp(-logit.to_numpy(dtype=float)))
    data = _synthetic(4000, 3, outcome)
    result = train(data)
    assert result.metrics["learned"]["auc"] > result.metrics["heuristic"]["auc"] + 0.05
    restored = MatchModel.from_blob(result.model.to_blob())
    X = result.X_test[:5]
    np.testing.assert_allclose(restored.predict(X), result.model.predict(X))


def test_history_with_one_outcome_only() -> None:
    data = _synthetic(1000, 4, lambda t, v, rng: np.ones(len(t)), all_retained=True)
    with pytest.raises(ThinHistory) as info:
        train(data)
    assert "只有一种结果" in str(info.value)


def test_corrupt_stored_model_falls_back_to_heuristic(demo_db) -> None:
    with demo_db.session() as s:
        s.add(ModelVersion(target="retained_180", algorithm="logistic", training_rows=1, metrics="{}",
                           blob=b"not a pickle", active=True))
    status = ms.active_model(demo_db)
    assert not status.learned and "损坏" in status.warning
    result = ms.rank_vacancy(demo_db, _open_code(demo_db), today=TODAY, actor=SYSTEM)
    assert len(result.ranked) > 0 and "规则评分" in result.model.describe()
    trained = _trained(demo_db)  # a corrupt active model is no obstacle to training a new one
    assert trained["activated"] and ms.active_model(demo_db).learned


# --- ranking ---------------------------------------------------------------------------------------

def test_rank_both_ways_with_chinese_reasons(demo_db) -> None:
    _trained(demo_db)
    code = _open_code(demo_db)
    r = ms.rank_vacancy(demo_db, code, top=10, today=TODAY, actor=SYSTEM)
    assert len(r.ranked) == 10 and r.model.learned
    assert r.ranked["score"].between(0, 1).all()
    assert (np.diff(r.ranked["weight"].to_numpy()) <= 1e-12).all()
    reasons = [x for rs in r.ranked["reasons"] for x in rs]
    assert all(1 <= len(rs) <= 3 for rs in r.ranked["reasons"])
    assert any(x.startswith("期望月薪") or x.startswith("证书等级") or x.startswith("意向地区") for x in reasons)
    tid = r.ranked["id_number"].iloc[0]
    back = ms.rank_trainee(demo_db, tid, top=None, today=TODAY, actor=SYSTEM)  # all: priority comes from households
    assert len(back.ranked) >= 1 and code in back.ranked["vacancy_code"].tolist() + back.excluded["vacancy_code"].tolist()
    assert back.ranked["score"].between(0, 1).all()


def test_trainee_without_skills_and_vacancy_without_candidates(demo_db) -> None:
    with demo_db.session() as s:
        t = s.scalar(select(Trainee).order_by(Trainee.id).limit(1))
        t.skills = ""
        number = t.id_number
        v = s.scalar(select(Vacancy).where(Vacancy.status == "open").order_by(Vacancy.id).limit(1))
        v.age_min, v.age_max = 70, 75
        code = v.code
    r = ms.rank_trainee(demo_db, number, today=TODAY, actor=SYSTEM)
    assert r.ranked.empty and "未登记任何技能" in r.message
    assert set(r.excluded["rule"]) == {"no_skills"}
    r2 = ms.rank_vacancy(demo_db, code, today=TODAY, actor=SYSTEM)
    assert r2.ranked.empty and "暂无符合条件的学员" in r2.message and len(r2.excluded) == 3000
    with pytest.raises(UserError, match="找不到岗位编号"):
        ms.rank_vacancy(demo_db, "NO-SUCH", today=TODAY, actor=SYSTEM)
    with pytest.raises(UserError, match="找不到身份证号"):
        ms.rank_trainee(demo_db, "110101199003071234", today=TODAY, actor=SYSTEM)


def test_candidate_scores_contract_and_priority_kept_apart(demo_db) -> None:
    _trained(demo_db)
    with demo_db.session() as s:
        ids = s.scalars(select(Vacancy.id).where(Vacancy.status == "open").order_by(Vacancy.id).limit(4)).all()
    c = ms.candidate_scores(demo_db, list(ids), today=TODAY, actor=SYSTEM)
    assert list(c.columns) == ["trainee_id", "vacancy_id", "id_number", "name", "household_type", "score",
                               "skilled_score", "priority", "weight", "reasons"]
    assert len(c) > 0 and set(c["vacancy_id"]) <= set(ids)
    assert not c.duplicated(["trainee_id", "vacancy_id"]).any()
    mon = c[c["household_type"] == "monitored"]
    assert (mon["priority"] == DEFAULT_PRIORITY_WEIGHTS["monitored"]).all()
    np.testing.assert_allclose(c["weight"], c["score"] * (1 + c["priority"]))
    c2 = ms.candidate_scores(demo_db, list(ids), priority_weights={"monitored": 0.5}, today=TODAY, actor=SYSTEM)
    merged = c.merge(c2, on=["trainee_id", "vacancy_id"])
    np.testing.assert_allclose(merged["score_x"], merged["score_y"])  # priority never moves the probability
    assert (c2.loc[c2["household_type"] == "monitored", "priority"] == 0.5).all()
    assert ms.candidate_scores(demo_db, [], today=TODAY, actor=SYSTEM).empty
    with pytest.raises(UserError):
        ms.candidate_scores(demo_db, list(ids), actor=Actor(None, "teacher", "school", 1))


def test_fairness_report_shares(demo_db) -> None:
    report = ms.fairness_report(demo_db, today=TODAY, actor=SYSTEM)
    assert set(report["attribute_key"]) == {"gender", "ethnicity", "household_type"}
    for _attr, g in report.groupby("attribute_key"):
        assert g["eligible_share"].sum() == pytest.approx(1.0)
        assert g["top_share"].sum() == pytest.approx(1.0)
    assert "监测户" in report["group"].tolist()


def test_shortlist_into_batch(demo_db) -> None:
    r = ms.rank_vacancy(demo_db, _open_code(demo_db), top=3, today=TODAY, actor=SYSTEM)
    pairs = r.ranked[["trainee_id", "vacancy_id", "score", "priority", "reasons"]].to_dict("records")
    from db.services import batches

    batch_id = batches.create_batch(demo_db, SYSTEM, name="推荐加入测试")  # an empty batch of its own
    assert ms.shortlist(demo_db, batch_id, pairs, actor=SYSTEM) == 3
    assert ms.shortlist(demo_db, batch_id, pairs, actor=SYSTEM) == 0  # already there: nothing doubled
    with demo_db.session() as s:
        rows = s.scalars(select(Placement).where(Placement.batch_id == batch_id)).all()
        assert len(rows) == 3 and {p.status for p in rows} == {"proposed"}
        assert json.loads(rows[0].model_reasons) and rows[0].model_score is not None
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "placement.propose")) == 3
    with pytest.raises(UserError, match="找不到派遣批次"):
        ms.shortlist(demo_db, 999, pairs, actor=SYSTEM)
    bad = pairs + [{"trainee_id": 999999, "vacancy_id": pairs[0]["vacancy_id"]}]
    other = r.ranked["vacancy_id"].iloc[0]
    with pytest.raises(UserError):
        ms.shortlist(demo_db, batch_id, [{"trainee_id": 5, "vacancy_id": other}] + bad, actor=SYSTEM)
    with demo_db.session() as s:  # all or nothing: the good pair of the failed call was not written
        assert s.scalar(select(func.count()).select_from(Placement).where(Placement.batch_id == batch_id)) == 3


# --- CLI -------------------------------------------------------------------------------------------

def test_cli_train_and_rank_json(demo_db, capsys) -> None:
    url = demo_db.url
    code = _open_code(demo_db)
    # before any model: P(skilled) is null, and each row says why in a plain sentence
    assert main.main(["--db", url, "rank", "--vacancy", code, "--top", "3", "--json"]) == 0
    cold = capsys.readouterr()
    rows = json.loads(cold.out)
    assert all(r["skilled_score"] is None and "规则评分不估计转职业工概率" in r["skilled_note"] for r in rows)
    assert "五分之四" in cold.err or not ms.rank_vacancy(demo_db, code, top=100, actor=SYSTEM).fairness
    assert main.main(["--db", url, "rank", "--vacancy", code, "--top", "3"]) == 0
    assert "转职业工概率空白" in capsys.readouterr().out
    assert main.main(["--db", url, "train"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["learned"]["auc"] > out["heuristic"]["auc"]
    assert main.main(["--db", url, "rank", "--vacancy", code, "--top", "5", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 5
    assert set(rows[0]) >= {"id_number", "name", "score", "priority", "reasons"}
    assert all(r["skilled_score"] is not None and "skilled_note" not in r for r in rows)  # the learned model says
    assert 0 <= rows[0]["score"] <= 1 and isinstance(rows[0]["reasons"], list)
    assert main.main(["--db", url, "rank", "--trainee", rows[0]["id_number"], "--json"]) == 0
    vac_rows = json.loads(capsys.readouterr().out)
    assert vac_rows and set(vac_rows[0]) >= {"vacancy_code", "name", "score", "priority", "reasons"}
    assert main.main(["--db", url, "rank", "--vacancy", code, "--top", "2"]) == 0
    text = capsys.readouterr().out
    assert "学习模型" in text and "稳岗概率" in text and "********" in text


def test_cli_errors_are_one_sentence(database, capsys) -> None:
    assert main.main(["--db", database.url, "train"]) == 1
    err = capsys.readouterr().err
    assert "历史记录太少" in err and "Traceback" not in err
    assert main.main(["--db", database.url, "rank", "--vacancy", "NOPE"]) == 1
    err = capsys.readouterr().err
    assert "找不到岗位编号" in err and "Traceback" not in err
    assert main.main(["--db", database.url, "rank", "--vacancy", "NOPE", "--top", "0"]) == 2


def test_heuristic_is_used_before_training(demo_db) -> None:
    status = ms.active_model(demo_db)
    assert status.model is HEURISTIC and "规则评分" in status.describe()
    r = ms.rank_vacancy(demo_db, _open_code(demo_db), today=TODAY, actor=SYSTEM)
    assert r.ranked["skilled_score"].isna().all() and r.ranked["score"].between(0, 1).all()
    assert (eligibility(ms._load(demo_db, ms.SYSTEM, open_only=True, today=TODAY), slice(None), 0) == ELIGIBLE).any()  # type: ignore[arg-type]


def test_age_is_counted_by_calendar_like_the_id_rules() -> None:
    """Someone who turns 18 on the start date meets an 18+ age limit (days / 365.2425 said 17)."""
    import datetime as _dt

    from core.fields import age_on
    from matching.features import age_years

    epoch = _dt.date(1970, 1, 1)
    births = [_dt.date(2000, 3, 1), _dt.date(2000, 2, 29), _dt.date(1988, 12, 31), _dt.date(1975, 6, 15)]
    days = [_dt.date(2018, 3, 1), _dt.date(2018, 2, 28), _dt.date(2026, 12, 30), _dt.date(2026, 6, 15)]
    got = age_years(np.array([(b - epoch).days for b in births], float), np.array([(d - epoch).days for d in days], float))
    assert got.tolist() == [float(age_on(b, d)) for b, d in zip(births, days)]
