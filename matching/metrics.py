"""Evaluation: AUC, Brier score, NDCG@10 per vacancy, calibration bins."""

from __future__ import annotations

from typing import Any

import numpy as np


def ndcg_at_k(y: np.ndarray, score: np.ndarray, groups: np.ndarray, k: int = 10) -> tuple[float, int]:
    """Mean NDCG@k over groups (vacancies) that have both a retained and a non-retained placement
    (elsewhere every order is equally good); ties count as their average. Returns (mean, groups used)."""
    from sklearn.metrics import ndcg_score

    order = np.argsort(groups, kind="stable")
    g, y, s = groups[order], y[order], score[order]
    bounds = np.flatnonzero(np.diff(g)) + 1
    values = []
    for ys, ss in zip(np.split(y, bounds), np.split(s, bounds)):
        if len(ys) < 2 or ys.min() == ys.max():
            continue
        values.append(ndcg_score(ys[None, :], ss[None, :], k=k))
    return (float(np.mean(values)) if values else float("nan")), len(values)


def calibration_bins(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    out = []
    for b in range(bins):
        m = which == b
        if m.any():
            out.append({"predicted": float(p[m].mean()), "observed": float(y[m].mean()), "count": int(m.sum())})
    return out


def evaluate(y: np.ndarray, p: np.ndarray, groups: np.ndarray) -> dict[str, Any]:
    from sklearn.metrics import brier_score_loss, roc_auc_score

    y = np.asarray(y, dtype=float)
    both = 0 < y.sum() < len(y)
    ndcg, n_groups = ndcg_at_k(y, p, groups)
    return {"auc": float(roc_auc_score(y, p)) if both else float("nan"),
            "brier": float(brier_score_loss(y, p)) if len(y) else float("nan"),
            "ndcg10": ndcg, "ndcg_vacancies": n_groups, "rows": int(len(y)),
            "calibration": calibration_bins(y, p)}


FOUR_FIFTHS = 0.8


def four_fifths(pool: np.ndarray, top: np.ndarray) -> list[tuple[Any, float, float, bool]]:
    """Per group (value) of the pool or the top: (group, share of the eligible pool, share of the top
    recommendations, flagged). A group whose share of the top is below four-fifths of its share of
    the pool is flagged (the four-fifths rule of adverse impact)."""
    out = []
    for g in sorted(set(pool.tolist()) | set(top.tolist()), key=str):
        eligible = float((pool == g).mean()) if len(pool) else float("nan")
        top_share = float((top == g).mean()) if len(top) else float("nan")
        out.append((g, eligible, top_share, bool(eligible > 0 and top_share < FOUR_FIFTHS * eligible)))
    return out
