"""Bureau policy: the priority of monitored / poverty-exited households: a term shown beside the probability.

The priority never changes the predicted probability (``score``). Ranking and the assignment
objective use ``weight = (score + skilled_weight × skilled_score) × (1 + priority)``, so a priority of
0.15 lets a monitored household's worker outrank a general one whose success probability is up to
15 % higher (relative), and no more. ``skilled_weight`` (default 0) lets the bureau value the chance
of becoming a skilled worker within 12 months as well.

These are the defaults; the values in force are bureau-wide settings in the database
(db.services.settings), the same for the GUI and the command line.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

# Configurable in settings; these are the defaults when the user has set nothing.
DEFAULT_PRIORITY_WEIGHTS: dict[str, float] = {"monitored": 0.15, "poverty_exited": 0.08, "general": 0.0}
PRIORITY_MAX = 1.0
DEFAULT_SKILLED_WEIGHT = 0.0
SKILLED_WEIGHT_MAX = 1.0


def priority_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    """Defaults overlaid with the user's values; negative values are clipped to 0."""
    out = dict(DEFAULT_PRIORITY_WEIGHTS)
    for key, value in (weights or {}).items():
        try:
            out[key] = max(0.0, float(value))
        except (TypeError, ValueError):
            continue
    return out


def priority_of(household_types: np.ndarray | list[str], weights: Mapping[str, float] | None = None) -> np.ndarray:
    """Priority term (≥ 0) for each household type; unknown types get 0."""
    w = priority_weights(weights)
    types = np.asarray(household_types, dtype=object)
    out = np.zeros(types.shape, dtype=float)
    for key, value in w.items():
        out[types == key] = value
    return out


def objective_weight(score: np.ndarray, priority: np.ndarray, skilled: np.ndarray | None = None,
                     skilled_weight: float = 0.0) -> np.ndarray:
    """The priority-weighted value of a pair used for ranking and assignment (a missing skilled
    probability counts as 0)."""
    base = np.asarray(score, dtype=float)
    if skilled is not None and skilled_weight > 0:
        base = base + skilled_weight * np.nan_to_num(np.asarray(skilled, dtype=float), nan=0.0)
    return base * (1.0 + np.asarray(priority, dtype=float))


# --- bureau-wide limits (defaults; the wage floor is kept in the database for every office) --------

DEFAULT_WAGE_FLOOR = 3000        # 元 a month: below it a worker on the job is flagged
REPLACE_DAYS = 30                # left this many days ago and not re-placed: an alert
FOLLOWUP_DAYS = 90               # a worker on the job is visited at least this often
FOLLOWUP_DUE_WITHIN_DAYS = 14    # 待回访 lists visits due within this many days
ALERT_WINDOW_DAYS = 365          # alerts look back this far
