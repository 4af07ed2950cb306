"""Ranking both ways and the planner's candidate table. Frames in, frames out."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from core.policy import objective_weight, priority_of
from matching.data import MatchData
from matching.features import ELIGIBLE, RULES, eligibility, feature_matrix, pair_inputs
from matching.model import MatchModel
from matching.reasons import exclusion_reasons, pair_reasons

# Rule names by code, for indexing with a whole code array (a dict lookup per excluded row costs ~70 ms).
_RULE_NAMES = np.array([RULES.get(code, "") for code in range(max(RULES) + 1)], dtype=object)
RANK_COLUMNS = ["trainee_id", "vacancy_id", "id_number", "name", "household_type", "score", "skilled_score",
                "priority", "weight", "reasons"]


def _score(data: MatchData, model: MatchModel, t_idx: np.ndarray | int, v_idx: np.ndarray | int,
           skilled: bool = True) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray, np.ndarray]:
    inputs = pair_inputs(data, t_idx, v_idx)
    X = feature_matrix(inputs)
    score = model.predict(X)
    skilled_score = model.predict_skilled(X) if skilled else np.full(len(X), np.nan)
    return X, inputs, score, skilled_score


def rank_vacancy(data: MatchData, model: MatchModel, v_pos: int, *, top: int | None = 10,
                 priority_weights: Mapping[str, float] | None = None, reasons: bool = True,
                 excluded: bool = True, skilled_weight: float = 0.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(ranked eligible trainees, excluded trainees with why) for one vacancy."""
    n = len(data.T["trainee_id"])
    codes = eligibility(data, slice(None), v_pos) if n else np.zeros(0, dtype=np.int8)
    elig = np.flatnonzero(codes == ELIGIBLE)
    ranked = _ranked(data, model, elig, v_pos, top, priority_weights, reasons, skilled_weight)
    out_excluded = _excluded(data, np.flatnonzero(codes != ELIGIBLE), v_pos, codes) if excluded else None
    return ranked, out_excluded


def _ranked(data: MatchData, model: MatchModel, t_idx: np.ndarray | int, v_idx: np.ndarray | int, top: int | None,
            weights: Mapping[str, float] | None, reasons: bool, skilled_weight: float = 0.0) -> pd.DataFrame:
    # P(skilled) enters the order only when the bureau gives it a weight; else it is computed for
    # the rows returned alone (it costs a second model pass).
    use_skilled = skilled_weight > 0 and model.has_skilled
    X, inputs, score, skilled_all = _score(data, model, t_idx, v_idx, skilled=use_skilled)
    # core.policy.priority_of on the few distinct household types, then spread by code: comparing
    # 200,000 Python strings per vacancy would cost more than scoring them.
    kinds = data.T["household_kinds"]
    priority = priority_of(kinds, weights)[data.T["household_code"][t_idx]]
    weight = objective_weight(score, priority, skilled_all if use_skilled else None, skilled_weight)
    order = _top_order(weight, score, top)
    skilled = skilled_all[order] if use_skilled else model.predict_skilled(X[order])
    v_all = np.broadcast_to(np.asarray(v_idx), (len(score),))
    t_sel = np.asarray(t_idx)[order] if np.ndim(t_idx) else np.full(len(order), t_idx)
    v_sel = v_all[order]
    frame = pd.DataFrame({
        "trainee_id": data.T["trainee_id"][t_sel], "vacancy_id": data.V["vacancy_id"][v_sel],
        "id_number": data.T["id_number"][t_sel], "name": data.T["name"][t_sel],
        "household_type": kinds[data.T["household_code"][t_sel]],
        "score": score[order], "skilled_score": skilled, "priority": priority[order] if np.ndim(priority) else priority,
        "weight": weight[order],
    })
    if reasons:
        sub = {k: v[order] for k, v in inputs.items()}
        frame["reasons"] = pair_reasons(data, sub, model.contributions(X[order]), v_sel)
    else:  # None, not empty lists: pandas infers nothing from a None column, so 50,000 rows cost nothing
        frame["reasons"] = np.full(len(frame), None, dtype=object)
    return frame


def _top_order(weight: np.ndarray, score: np.ndarray, top: int | None) -> np.ndarray:
    """Positions by weight, then score, descending; only the first ``top`` (ties at the boundary
    are settled by the full rule, as a complete sort would)."""
    w = np.atleast_1d(weight)
    if top is not None and top < len(w):
        threshold = np.partition(w, len(w) - top)[len(w) - top]
        keep = np.flatnonzero(w >= threshold)
        return keep[np.lexsort((-np.atleast_1d(score)[keep], -w[keep]))][:top]
    order = np.lexsort((-np.atleast_1d(score), -w))
    return order if top is None else order[:top]


def _excluded(data: MatchData, t_idx: np.ndarray, v_idx: np.ndarray | int, codes: np.ndarray) -> pd.DataFrame:
    T = data.T  # the prepared object arrays: converting the frame's columns again costs ~20 ms per call
    c = codes[t_idx] if np.ndim(codes) and len(codes) != len(t_idx) else codes
    return pd.DataFrame({
        "trainee_id": T["trainee_id"][t_idx], "id_number": T["id_number"][t_idx],
        "name": T["name"][t_idx], "rule": _RULE_NAMES[np.asarray(c, dtype=np.intp)],
        "reason": exclusion_reasons(data, t_idx, v_idx, c),
    })


def rank_trainee(data: MatchData, model: MatchModel, t_pos: int, *, top: int | None = 10,
                 priority_weights: Mapping[str, float] | None = None,
                 skilled_weight: float = 0.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(ranked vacancies for which the trainee is eligible, vacancies excluded with why)."""
    m = len(data.V["vacancy_id"])
    codes = eligibility(data, t_pos, slice(None)) if m else np.zeros(0, dtype=np.int8)
    codes = np.broadcast_to(codes, (m,))
    elig = np.flatnonzero(codes == ELIGIBLE)
    ranked = _ranked(data, model, t_pos, elig, top, priority_weights, True, skilled_weight)
    v = data.vacancies
    vac_cols = v.set_index("vacancy_id")
    for col, src in (("vacancy_code", "code"), ("title", "title"), ("employer_name", "employer_name"),
                     ("province", "province"), ("city", "city"), ("wage_min", "wage_min"), ("wage_max", "wage_max")):
        ranked[col] = vac_cols[src].reindex(ranked["vacancy_id"]).to_numpy() if len(ranked) else []
    bad = np.flatnonzero(codes != ELIGIBLE)
    excl = pd.DataFrame({"vacancy_id": data.V["vacancy_id"][bad], "vacancy_code": v["code"].to_numpy(dtype=object)[bad],
                         "title": v["title"].to_numpy(dtype=object)[bad],
                         "employer_name": v["employer_name"].to_numpy(dtype=object)[bad],
                         "rule": _RULE_NAMES[codes[bad].astype(np.intp)],
                         "reason": exclusion_reasons(data, t_pos, bad, codes[bad])})
    return ranked, excl


def candidates(data: MatchData, model: MatchModel, v_positions: list[int],
               priority_weights: Mapping[str, float] | None = None, reasons: bool = True,
               skilled_weight: float = 0.0) -> pd.DataFrame:
    """Every eligible (trainee, vacancy) pair of the given vacancies, scored."""
    t_parts, v_parts = [], []
    for v in v_positions:  # eligibility per vacancy (vectorised over trainees), then one scoring pass
        elig = np.flatnonzero(eligibility(data, slice(None), int(v)) == ELIGIBLE)
        t_parts.append(elig)
        v_parts.append(np.full(len(elig), int(v)))
    t_all = np.concatenate(t_parts) if t_parts else np.zeros(0, dtype=int)
    if not len(t_all):
        return pd.DataFrame({c: pd.Series(dtype=float if c in ("score", "skilled_score", "priority", "weight") else object)
                             for c in RANK_COLUMNS})
    out = _ranked(data, model, t_all, np.concatenate(v_parts), None, priority_weights, reasons, skilled_weight)
    out = out.sort_values(["vacancy_id", "weight"], ascending=[True, False], kind="stable", ignore_index=True)
    return out[RANK_COLUMNS]


def explain(data: MatchData, model: MatchModel, trainee_ids: np.ndarray, vacancy_ids: np.ndarray) -> list[list[str]]:
    """The main reasons of given (trainee, vacancy) pairs; a pair outside ``data`` gets none.

    A plan scores every eligible pair but shows a few dozen: their reasons are worded here, after
    the solver chose them, instead of for all 50,000 candidates."""
    t_pos = data.trainee_pos(np.asarray(trainee_ids, dtype=np.int64))
    v_pos = data.vacancy_pos(np.asarray(vacancy_ids, dtype=np.int64))
    known = np.flatnonzero((t_pos >= 0) & (v_pos >= 0))
    out: list[list[str]] = [[] for _ in range(len(t_pos))]
    if len(known):
        inputs = pair_inputs(data, t_pos[known], v_pos[known])
        X = feature_matrix(inputs)
        for i, words in zip(known.tolist(), pair_reasons(data, inputs, model.contributions(X), v_pos[known])):
            out[i] = words
    return out
