"""The batch planner's solver: exact optimum (brute force on small instances), pins, forbids, greedy."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from core.i18n import UserError
from matching import assignment
from matching.survival import grouped_survival_at, grouped_survival_codes, kaplan_meier, survival_at


def _instance(seed: int, n_t: int, n_v: int, density: float = 0.7) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    rows = [(t, v) for t in range(1, n_t + 1) for v in range(101, 101 + n_v) if rng.random() < density]
    frame = pd.DataFrame(rows, columns=["trainee_id", "vacancy_id"])
    frame["score"] = rng.uniform(0.05, 0.95, len(frame)).round(3)
    frame["weight"] = frame["score"] * rng.choice([1.0, 1.2, 1.5], len(frame))
    cap = pd.Series(rng.integers(0, 3, n_v), index=range(101, 101 + n_v))
    return frame, cap


def _brute_force(frame: pd.DataFrame, cap: pd.Series, pins=(), forbids=()) -> float:
    """Every way to give each trainee one vacancy or none; the best feasible Σ weight."""
    options: dict[int, list[tuple[int | None, float]]] = {}
    for t, grp in frame.groupby("trainee_id"):
        opts = [(int(v), float(w)) for v, w in zip(grp["vacancy_id"], grp["weight"]) if (t, v) not in forbids]
        pinned = [o for o in opts if (t, o[0]) in pins]
        options[int(t)] = pinned if pinned else [(None, 0.0), *opts]
    best = -1.0
    for combo in itertools.product(*options.values()):
        used: dict[int, int] = {}
        for v, _w in combo:
            if v is not None:
                used[v] = used.get(v, 0) + 1
        if all(k <= cap.get(v, 0) for v, k in used.items()):
            best = max(best, sum(w for _v, w in combo))
    return best


def _feasible(result: assignment.Assignment, cap: pd.Series) -> None:
    assert result.pairs["trainee_id"].is_unique
    per_vac = result.pairs["vacancy_id"].value_counts()
    assert all(per_vac[v] <= cap[v] for v in per_vac.index)


@pytest.mark.parametrize("seed", range(12))
def test_exact_equals_brute_force(seed: int) -> None:
    frame, cap = _instance(seed, n_t=6, n_v=3)
    result = assignment.solve(frame, cap)
    _feasible(result, cap)
    assert result.objective == pytest.approx(_brute_force(frame, cap))
    assert result.expected_retained == pytest.approx(result.pairs["score"].sum())
    greedy = assignment.greedy(frame, cap)
    _feasible(greedy, cap)
    assert greedy.objective <= result.objective + 1e-9


@pytest.mark.parametrize("seed", range(6))
def test_exact_with_pins_and_forbids_equals_brute_force(seed: int) -> None:
    frame, cap = _instance(100 + seed, n_t=6, n_v=3)
    cap[:] = np.maximum(cap.to_numpy(), 1)
    first = frame.iloc[0]
    pins = [(int(first.trainee_id), int(first.vacancy_id))]
    forbid_rows = frame[frame["trainee_id"] != first.trainee_id].head(2)
    forbids = list(zip(forbid_rows["trainee_id"].astype(int), forbid_rows["vacancy_id"].astype(int)))
    result = assignment.solve(frame, cap, pins=pins, forbids=forbids)
    _feasible(result, cap)
    chosen = set(zip(result.pairs["trainee_id"], result.pairs["vacancy_id"]))
    assert pins[0] in chosen and not chosen & set(forbids)
    assert result.pairs.loc[result.pairs["pinned"], ["trainee_id", "vacancy_id"]].values.tolist() == [list(pins[0])]
    assert result.objective == pytest.approx(_brute_force(frame, cap, set(pins), set(forbids)))


def test_greedy_is_beaten_on_the_classic_trap() -> None:
    # greedy takes A→X (0.9) and leaves B with nothing; optimal is A→Y, B→X
    frame = pd.DataFrame({"trainee_id": [1, 1, 2], "vacancy_id": [10, 11, 10],
                          "score": [0.9, 0.8, 0.85], "weight": [0.9, 0.8, 0.85]})
    cap = {10: 1, 11: 1}
    assert assignment.greedy(frame, cap).objective == pytest.approx(0.9)
    best = assignment.solve(frame, cap)
    assert best.objective == pytest.approx(1.65)
    assert sorted(map(tuple, best.pairs[["trainee_id", "vacancy_id"]].values.tolist())) == [(1, 11), (2, 10)]


def test_lp_fallback_agrees_with_matching(monkeypatch: pytest.MonkeyPatch) -> None:
    frame, cap = _instance(7, n_t=40, n_v=8)
    exact = assignment.solve(frame, cap)
    monkeypatch.setattr(assignment, "MAX_EDGES", 0)
    lp = assignment.solve(frame, cap)
    assert lp.method == "exact-lp"
    assert lp.objective == pytest.approx(exact.objective)
    _feasible(lp, cap)


def _lp_optimum(frame: pd.DataFrame, cap: pd.Series, pins=(), forbids=()) -> float:
    """An independent optimum over EVERY pair (no pruning): the assignment LP, integral because its
    constraint matrix is totally unimodular."""
    import scipy.sparse as sp
    from scipy.optimize import linprog

    frame = frame[~pd.MultiIndex.from_frame(frame[["trainee_id", "vacancy_id"]]).isin(list(forbids))]
    frame = frame.reset_index(drop=True)
    t_codes, _ = pd.factorize(frame["trainee_id"])
    v_codes, v_ids = pd.factorize(frame["vacancy_id"])
    m = len(frame)
    a = sp.vstack([sp.csr_matrix((np.ones(m), (t_codes, np.arange(m)))),
                   sp.csr_matrix((np.ones(m), (v_codes, np.arange(m))))])
    b = np.concatenate([np.ones(t_codes.max() + 1), cap.reindex(v_ids).fillna(0).to_numpy(float)])
    pinned = set(pins)
    lower = [1.0 if (int(t), int(v)) in pinned else 0.0 for t, v in zip(frame["trainee_id"], frame["vacancy_id"])]
    res = linprog(-frame["weight"].to_numpy(float), A_ub=a, b_ub=b, bounds=list(zip(lower, [1.0] * m)),
                  method="highs")
    assert res.status == 0
    return float(-res.fun)


@pytest.mark.parametrize("seed", range(6))
def test_few_seats_among_many_candidates_stay_optimal(seed: int) -> None:
    # A batch's shape: hundreds of eligible people per vacancy, a handful of seats. The solver keeps
    # only each vacancy's best pairs; the optimum over every pair must be the same.
    frame, cap = _instance(200 + seed, n_t=400, n_v=6, density=0.8)
    cap = cap + 1
    rows = frame.sample(3, random_state=seed)
    pins = [(int(rows.iloc[0].trainee_id), int(rows.iloc[0].vacancy_id))]
    forbid_rows = frame[frame["trainee_id"] != pins[0][0]].sort_values("weight", ascending=False).head(4)
    forbids = list(zip(forbid_rows["trainee_id"].astype(int), forbid_rows["vacancy_id"].astype(int)))
    best = assignment.solve(frame, cap)
    _feasible(best, cap)
    assert best.objective == pytest.approx(_lp_optimum(frame, cap), rel=1e-9)
    assert len(best.pairs) == int(cap.sum())
    constrained = assignment.solve(frame, cap, pins=pins, forbids=forbids)
    _feasible(constrained, cap)
    chosen = set(zip(constrained.pairs["trainee_id"], constrained.pairs["vacancy_id"]))
    assert pins[0] in chosen and not chosen & set(forbids)
    assert constrained.objective == pytest.approx(_lp_optimum(frame, cap, pins, forbids), rel=1e-9)


def test_larger_instance_is_feasible_and_not_worse_than_greedy() -> None:
    frame, cap = _instance(3, n_t=300, n_v=30, density=0.3)
    cap = cap + 3
    best, base = assignment.solve(frame, cap), assignment.greedy(frame, cap)
    _feasible(best, cap)
    assert best.objective >= base.objective - 1e-9


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"trainee_id": [1, 1, 2, 3], "vacancy_id": [10, 11, 10, 11],
                         "score": [0.5, 0.6, 0.7, 0.4], "weight": [0.5, 0.6, 0.7, 0.4]})


def test_trainee_pinned_twice_is_refused() -> None:
    with pytest.raises(UserError, match="锁定到多个岗位"):
        assignment.solve(_frame(), {10: 1, 11: 1}, pins=[(1, 10), (1, 11)])


def test_pin_and_forbid_same_pair_is_refused() -> None:
    with pytest.raises(UserError, match="既被锁定又被排除"):
        assignment.solve(_frame(), {10: 1, 11: 1}, pins=[(1, 10)], forbids=[(1, 10)])


def test_pins_above_capacity_are_refused() -> None:
    with pytest.raises(UserError, match="只剩 1 个名额"):
        assignment.solve(_frame(), {10: 1, 11: 1}, pins=[(1, 10), (2, 10)])


def test_pin_of_an_ineligible_pair_is_refused() -> None:
    with pytest.raises(UserError, match="不是符合条件的候选人"):
        assignment.solve(_frame(), {10: 1, 11: 1}, pins=[(3, 10)])


def test_evaluate_manual_choice() -> None:
    weight, score = assignment.evaluate(_frame(), [(1, 11), (2, 10)])
    assert score == pytest.approx(1.3) and weight == pytest.approx(1.3)


# --- Kaplan–Meier ---------------------------------------------------------------------------------

def test_kaplan_meier_matches_hand_computation() -> None:
    # times 1,2(c),3,3,4(c): S(1)=4/5, S(3)=4/5 * (1 - 2/3) = 4/15
    curve = kaplan_meier([1, 2, 3, 3, 4], [1, 0, 1, 1, 0])
    assert survival_at(curve, [0, 1, 2, 3]) == pytest.approx([1.0, 0.8, 0.8, 4 / 15])
    assert np.isnan(survival_at(curve, [10])[0])  # nobody still followed at 10


def test_grouped_survival_matches_single_curves() -> None:
    rng = np.random.default_rng(0)
    d = rng.integers(1, 400, 500)
    e = rng.random(500) < 0.6
    g = rng.choice(["a", "b", "c"], 500)
    grouped = grouped_survival_at(g, d, e, [90, 180])
    for name in "abc":
        m = g == name
        curve = kaplan_meier(d[m], e[m])
        assert grouped.loc[name, ["s_90", "s_180"]].tolist() == pytest.approx(survival_at(curve, [90, 180]))


def test_whole_day_survival_paths_agree_with_the_general_one() -> None:
    """Whole days take the counting (few groups) or packed-key sort (many groups) path; durations off
    by half a day take the general argsort: the same steps, so exactly the same figures."""
    rng = np.random.default_rng(3)
    for n_groups in (4, 900):
        d = rng.integers(0, 800, 3000)
        e = rng.random(3000) < 0.7
        g = rng.integers(-1, n_groups, 3000)
        whole = grouped_survival_codes(g, n_groups, d, e, [90, 180, 365])
        shifted = grouped_survival_codes(g, n_groups, d + 0.5, e, [90.5, 180.5, 365.5])
        assert np.array_equal(whole.to_numpy(), shifted.to_numpy(), equal_nan=True)
        assert np.isfinite(whole.to_numpy()).any()
    curve, half = kaplan_meier(d, e), kaplan_meier(d + 0.5, e)
    assert np.array_equal(curve["time"] + 0.5, half["time"])
    assert curve.drop(columns="time").equals(half.drop(columns="time"))
