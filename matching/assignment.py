"""Capacity-constrained assignment of trainees to vacancies (a departure batch).

Pure: takes a frame of candidate pairs and the remaining headcount per vacancy, returns frames.

Objective: maximise Σ weight (the priority-weighted probability of retention) subject to each
vacancy's remaining headcount and each trainee at most once, with pinned pairs forced in and
forbidden pairs left out. The exact solver expands every vacancy into its seats and solves a sparse
minimum-weight full bipartite matching (LAPJVsp, scipy) with one private "stay home" seat per
trainee, so leaving a trainee unassigned is always possible. Seats of one vacancy are identical, so
the expansion changes nothing but the graph size; beyond ``MAX_EDGES`` expanded edges the same
problem is solved as a linear programme (the constraint matrix is totally unimodular, so the HiGHS
simplex vertex is integral) to bound memory. Before either, each vacancy keeps only its best pairs up
to the number of free seats (exact, see ``_top_per_vacancy``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, min_weight_full_bipartite_matching

from core.i18n import UserError

Pair = tuple[int, int]
MAX_EDGES = 15_000_000
REQUIRED = ("trainee_id", "vacancy_id", "weight", "score")


@dataclass
class Assignment:
    """The chosen pairs (rows of the candidate frame plus ``pinned``) and their totals."""
    pairs: pd.DataFrame
    objective: float
    expected_retained: float
    method: str
    notes: list[str] = field(default_factory=list)


def _as_capacity(capacity: Mapping[int, int] | pd.Series) -> pd.Series:
    cap = pd.Series(capacity, dtype="int64") if not isinstance(capacity, pd.Series) else capacity.astype("int64")
    return cap.clip(lower=0)


def _pair_set(pairs: Iterable[Pair] | None) -> list[Pair]:
    return [(int(t), int(v)) for t, v in (pairs or [])]


def validate_pins(candidates: pd.DataFrame, capacity: pd.Series, pins: list[Pair],
                  forbids: list[Pair]) -> None:
    """Contradictory or impossible pins raise a UserError naming the problem; nothing is solved."""
    pin_t = [t for t, _v in pins]
    dup = sorted({t for t in pin_t if pin_t.count(t) > 1})
    if dup:
        raise UserError(f"同一名学员被锁定到多个岗位（学员编号 {', '.join(map(str, dup))}），每人只能锁定一个岗位。",
                        f"A trainee is pinned to more than one vacancy (trainee id {', '.join(map(str, dup))}); "
                        "pin each person to one vacancy only.", code=1)
    both = sorted(set(pins) & set(forbids))
    if both:
        t, v = both[0]
        raise UserError(f"同一对（学员 {t}，岗位 {v}）既被锁定又被排除，请取消其中一个。",
                        f"The pair (trainee {t}, vacancy {v}) is both pinned and forbidden; remove one of the two.",
                        code=1)
    known = set(zip(candidates["trainee_id"].astype(int), candidates["vacancy_id"].astype(int))) if pins else set()
    missing = [p for p in pins if p not in known]
    if missing:
        t, v = missing[0]
        raise UserError(f"锁定的（学员 {t}，岗位 {v}）不是符合条件的候选人，无法锁定。",
                        f"The pinned pair (trainee {t}, vacancy {v}) is not an eligible candidate.", code=1)
    per_vac = pd.Series([v for _t, v in pins], dtype="int64").value_counts()
    over = [(int(v), int(k), int(capacity.get(v, 0))) for v, k in per_vac.items() if k > capacity.get(v, 0)]
    if over:
        v, k, c = over[0]
        raise UserError(f"岗位 {v} 锁定了 {k} 人，但只剩 {c} 个名额。",
                        f"Vacancy {v} has {k} pinned trainees but only {c} seats left.", code=1)


def _prepare(candidates: pd.DataFrame, capacity: Mapping[int, int] | pd.Series, pins: Iterable[Pair] | None,
             forbids: Iterable[Pair] | None) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """(pinned rows, free rows still open to the solver, remaining capacity after pins)."""
    missing = [c for c in REQUIRED if c not in candidates.columns]
    if missing:
        raise ValueError(f"candidate frame lacks columns {missing}")
    cap = _as_capacity(capacity)
    pin_list, forbid_list = _pair_set(pins), _pair_set(forbids)
    frame = candidates.reset_index(drop=True)
    frame = frame.drop_duplicates(["trainee_id", "vacancy_id"])
    validate_pins(frame, cap, pin_list, forbid_list)
    key_t = frame["trainee_id"].to_numpy(np.int64)
    key_v = frame["vacancy_id"].to_numpy(np.int64)
    keys = pd.MultiIndex.from_arrays([key_t, key_v])
    pinned_mask = keys.isin(pin_list) if pin_list else np.zeros(len(frame), bool)
    forbid_mask = keys.isin(forbid_list) if forbid_list else np.zeros(len(frame), bool)
    pinned = frame[pinned_mask]
    rest_cap = cap.sub(pinned["vacancy_id"].value_counts(), fill_value=0).astype("int64")
    free = frame[~pinned_mask & ~forbid_mask & ~np.isin(key_t, pinned["trainee_id"].to_numpy())]
    free = free[free["vacancy_id"].map(rest_cap).fillna(0).to_numpy() > 0]
    free = free[np.isfinite(free["weight"].to_numpy(float)) & (free["weight"].to_numpy(float) > 0)]
    return pinned, free, rest_cap


def _finish(candidates_cols: list[str], pinned: pd.DataFrame, chosen: pd.DataFrame, method: str) -> Assignment:
    out = pd.concat([pinned.assign(pinned=True), chosen.assign(pinned=False)], ignore_index=True)
    out = out.sort_values(["vacancy_id", "weight"], ascending=[True, False], kind="stable").reset_index(drop=True)
    out = out[[*candidates_cols, "pinned"]]
    return Assignment(out, float(out["weight"].sum()), float(out["score"].sum()), method)


def solve(candidates: pd.DataFrame, capacity: Mapping[int, int] | pd.Series, *,
          pins: Iterable[Pair] | None = None, forbids: Iterable[Pair] | None = None) -> Assignment:
    """The optimal assignment (maximum Σ weight) honouring capacity, pins and forbids.

    The pair graph falls apart into independent pieces (typically one per skill); each is solved on
    its own, which is exact and keeps the matching problems small."""
    cols = list(candidates.columns)
    pinned, free, cap = _prepare(candidates, capacity, pins, forbids)
    if free.empty:
        return _finish(cols, pinned, free, "exact")
    free = _top_per_vacancy(free, int(cap.clip(lower=0).sum()))
    t_codes, t_uniques = pd.factorize(free["trainee_id"])
    v_codes, v_uniques = pd.factorize(free["vacancy_id"])
    n_t = len(t_uniques)
    graph = sp.coo_matrix((np.ones(len(free)), (t_codes, n_t + v_codes)), shape=(n_t + len(v_uniques),) * 2)
    n_parts, labels = connected_components(graph, directed=False)
    part = labels[t_codes]
    chosen: list[np.ndarray] = []
    method = "exact"
    order = np.argsort(part, kind="stable")
    bounds = np.searchsorted(part[order], np.arange(n_parts + 1))
    for k in range(n_parts):
        rows = order[bounds[k]:bounds[k + 1]]
        if not len(rows):
            continue
        picked, how = _solve_piece(free.iloc[rows], cap)
        chosen.append(rows[picked])
        if how != "exact":
            method = how
    return _finish(cols, pinned, free.iloc[np.concatenate(chosen)], method)


def _top_per_vacancy(free: pd.DataFrame, seats: int) -> pd.DataFrame:
    """Each vacancy's ``seats`` best free pairs, where ``seats`` is the total of free seats.

    Exact: if an optimal plan put trainee t on vacancy v from outside v's best ``seats``, at most
    ``seats`` − 1 others are placed, so one of v's best is free and weighs at least as much as t on
    v; swapping them loses nothing. A 35-seat batch over 50,000 eligible pairs becomes a few hundred
    pairs, so the matching takes milliseconds instead of seconds."""
    if seats <= 0 or len(free) <= seats:
        return free
    weight = free["weight"].to_numpy(float)
    vac = free["vacancy_id"].to_numpy(np.int64)
    order = np.lexsort((-weight, vac))
    v_sorted = vac[order]
    starts = np.flatnonzero(np.r_[True, v_sorted[1:] != v_sorted[:-1]])
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    keep = np.sort(order[rank < seats])
    return free if len(keep) == len(free) else free.iloc[keep]


def _solve_piece(free: pd.DataFrame, cap: pd.Series) -> tuple[np.ndarray, str]:
    """Positions (in ``free``) of the optimal pairs of one connected piece."""
    t_codes, t_uniques = pd.factorize(free["trainee_id"])
    v_ids = free["vacancy_id"].to_numpy(np.int64)
    weight = free["weight"].to_numpy(float)
    vac_index = pd.Index(np.unique(v_ids))
    v_codes = vac_index.get_indexer(v_ids)
    seats = cap.reindex(vac_index).fillna(0).to_numpy(np.int64)
    # no vacancy needs more seats than it has candidates
    seats = np.minimum(seats, np.bincount(v_codes, minlength=len(seats)))
    n_t, n_seats = len(t_uniques), int(seats.sum())
    per_pair = seats[v_codes]
    if int(per_pair.sum()) > MAX_EDGES:
        return _solve_lp(t_codes, v_codes, weight, seats, n_t), "exact-lp"
    seat_start = np.concatenate([[0], np.cumsum(seats)[:-1]])
    rows = np.repeat(t_codes, per_pair)
    offsets = np.arange(per_pair.sum()) - np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
    cols_idx = np.repeat(seat_start[v_codes], per_pair) + offsets
    pair_of_edge = np.repeat(np.arange(len(free)), per_pair)
    # Costs must be strictly positive (zeros would read as missing edges): cost = C − weight,
    # and every trainee's private "stay home" seat costs C. Adding C to every row is a constant.
    c = float(weight.max()) + 1.0
    data = np.concatenate([c - weight[pair_of_edge], np.full(n_t, c)])
    rows = np.concatenate([rows, np.arange(n_t)])
    cols_idx = np.concatenate([cols_idx, n_seats + np.arange(n_t)])
    graph = sp.csr_matrix((data, (rows, cols_idx)), shape=(n_t, n_seats + n_t))
    row_ind, col_ind = min_weight_full_bipartite_matching(graph)
    seated = col_ind < n_seats
    seat_vac = np.searchsorted(seat_start, col_ind[seated], side="right") - 1
    match = pd.DataFrame({"t": row_ind[seated], "v": seat_vac})
    lookup = pd.DataFrame({"t": t_codes, "v": v_codes, "row": np.arange(len(free))})
    return match.merge(lookup, on=["t", "v"], how="left")["row"].to_numpy(), "exact"


def _solve_lp(t_codes: np.ndarray, v_codes: np.ndarray, weight: np.ndarray, seats: np.ndarray,
              n_t: int) -> np.ndarray:
    from scipy.optimize import linprog

    m = len(weight)
    a = sp.vstack([sp.csr_matrix((np.ones(m), (t_codes, np.arange(m))), shape=(n_t, m)),
                   sp.csr_matrix((np.ones(m), (v_codes, np.arange(m))), shape=(len(seats), m))]).tocsr()
    b = np.concatenate([np.ones(n_t), seats.astype(float)])
    res = linprog(-weight, A_ub=a, b_ub=b, bounds=(0, 1), method="highs-ds")
    if res.status != 0:  # pragma: no cover - a feasible bounded LP always solves
        raise RuntimeError(res.message)
    return np.flatnonzero(res.x > 0.5)


def greedy(candidates: pd.DataFrame, capacity: Mapping[int, int] | pd.Series, *,
           pins: Iterable[Pair] | None = None, forbids: Iterable[Pair] | None = None) -> Assignment:
    """The baseline a person would do by hand: best remaining pair first until seats run out."""
    cols = list(candidates.columns)
    pinned, free, cap = _prepare(candidates, capacity, pins, forbids)
    order = np.argsort(-free["weight"].to_numpy(float), kind="stable")
    t_ids = free["trainee_id"].to_numpy(np.int64)[order]
    v_ids = free["vacancy_id"].to_numpy(np.int64)[order]
    left = {int(k): int(x) for k, x in cap.items()}
    taken: set[int] = set()
    keep: list[int] = []
    for pos, (t, v) in enumerate(zip(t_ids.tolist(), v_ids.tolist())):
        if t in taken or left.get(v, 0) <= 0:
            continue
        taken.add(t)
        left[v] -= 1
        keep.append(int(order[pos]))
    return _finish(cols, pinned, free.iloc[keep], "greedy")


def evaluate(candidates: pd.DataFrame, chosen: Iterable[Pair]) -> tuple[float, float]:
    """(Σ weight, Σ score) of a given set of pairs, e.g. the staff's manual choice."""
    pairs = _pair_set(chosen)
    if not pairs:
        return 0.0, 0.0
    idx = pd.MultiIndex.from_arrays([candidates["trainee_id"].astype("int64"), candidates["vacancy_id"].astype("int64")])
    rows = candidates[idx.isin(pairs)].drop_duplicates(["trainee_id", "vacancy_id"])
    return float(rows["weight"].sum()), float(rows["score"].sum())


def price_of_priority(candidates: pd.DataFrame, capacity: Mapping[int, int] | pd.Series, chosen: Assignment, *,
                      pins: Iterable[Pair] | None = None,
                      forbids: Iterable[Pair] | None = None) -> dict[str, float | int]:
    """What the policy priority costs: the expected number retained by the plan ``chosen`` (made
    with the bureau's priority weights) against the optimal plan with every priority at 0, and how
    many people from monitored and poverty-exited households each plan selects."""
    pin_list, forbid_list = _pair_set(pins), _pair_set(forbids)
    priority = candidates["priority"].to_numpy(float) if "priority" in candidates else np.zeros(len(candidates))
    if np.any(priority != 0):
        plain_frame = candidates.assign(weight=candidates["weight"].to_numpy(float) / (1.0 + priority))
        plain = solve(plain_frame, capacity, pins=pin_list, forbids=forbid_list)
    else:
        plain = chosen

    def count(a: Assignment, household: str) -> int:
        if "household_type" not in a.pairs:
            return 0
        return int((a.pairs["household_type"] == household).sum())

    return {"with_priority": chosen.expected_retained, "without_priority": plain.expected_retained,
            "cost": max(0.0, plain.expected_retained - chosen.expected_retained),
            "monitored": count(chosen, "monitored"), "poverty_exited": count(chosen, "poverty_exited"),
            "monitored_without_priority": count(plain, "monitored"),
            "poverty_exited_without_priority": count(plain, "poverty_exited")}
