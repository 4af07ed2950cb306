"""The cold-start score: a transparent points scheme an office worker can check by hand.

Each factor adds or removes points; the probability is a fixed logistic curve of the points:

    level above the minimum +1 · offered minimum ≥ expected wage +1, expected above the range −1 ·
    preferred region +1, preferences given elsewhere −1 · board +½, lodging +½ ·
    Mandarin fluent +1, poor −1 · ≥ 120 training hours +1 · long-term contract +1 ·
    last placement lasted ≥ 180 days +1, ended earlier −1

    P = 1 / (1 + exp(−(−1.0 + 0.35 · points)))

It uses no employer history (there is none at cold start) and never ethnicity, gender or household.
"""

from __future__ import annotations

import numpy as np

from matching.features import GROUP_NAMES, F

INTERCEPT = -1.0
SCALE = 0.35


def points_by_group(X: np.ndarray) -> np.ndarray:
    """(n × groups) points of each factor."""
    n = X.shape[0]
    pts = np.zeros((n, len(GROUP_NAMES)))
    g = {name: i for i, name in enumerate(GROUP_NAMES)}
    pts[:, g["level"]] = X[:, F["level_margin"]] >= 1
    wage_ok = X[:, F["wage_missing"]] == 0
    pts[:, g["wage"]] = np.where(wage_ok & (X[:, F["wage_gap_min"]] >= 0), 1.0,
                                 np.where(wage_ok & (X[:, F["wage_gap_max"]] < 0), -1.0, 0.0))
    pts[:, g["region"]] = X[:, F["region_hit"]] - X[:, F["region_miss"]]
    pts[:, g["board_lodging"]] = 0.5 * (X[:, F["board"]] + X[:, F["lodging"]])
    pts[:, g["mandarin"]] = X[:, F["mandarin"]]
    pts[:, g["hours"]] = X[:, F["training_hours"]] >= 1.2
    pts[:, g["contract"]] = X[:, F["long_term"]]
    pts[:, g["prior"]] = X[:, F["last_outcome"]]
    return pts


def heuristic_score(X: np.ndarray) -> np.ndarray:
    points: np.ndarray = points_by_group(X).sum(axis=1)
    return 1.0 / (1.0 + np.exp(-(INTERCEPT + SCALE * points)))
