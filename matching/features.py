"""Eligibility rules and pair features, vectorised over many pairs at once.

Pairs are given as index arrays into MatchData's trainee and vacancy arrays. Either index may be a
plain int: one vacancy against every trainee is ``t_idx = array, v_idx = int`` and numpy
broadcasting does the rest without copying the vacancy's values 200,000 times.

Ethnicity, gender and household type are deliberately not features. Gender appears only in the
eligibility rule for a vacancy that states a gender requirement.
"""

from __future__ import annotations

import numpy as np

from matching.data import DISTANCE_KM, SKILL_KEYS, MatchData
from matching.history import date_parts

Index = np.ndarray | int

# --- eligibility ------------------------------------------------------------------------------

ELIGIBLE, NO_SKILLS, SKILL, LEVEL, GENDER, AGE, AVAILABLE, BUSY, HEALTH = range(9)
RULES = {NO_SKILLS: "no_skills", SKILL: "skill", LEVEL: "level", GENDER: "gender", AGE: "age",
         AVAILABLE: "availability", BUSY: "on_job", HEALTH: "health_certificate"}
DAYS_PER_YEAR = 365.2425


def age_years(birth_d: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Completed years on ``day`` (day numbers), counted by calendar like core.fields.age_on:
    someone born 2000-03-01 is 18 on 2018-03-01 (days / 365.2425 would say 17)."""
    birth, on = np.broadcast_arrays(np.asarray(birth_d, dtype=float), np.asarray(day, dtype=float))
    by, bmd = date_parts(birth)
    return _age_from_parts(by, bmd, birth, on)


def _age_from_parts(by: np.ndarray, bmd: np.ndarray, birth: np.ndarray, on: np.ndarray) -> np.ndarray:
    dy, dmd = date_parts(np.asarray(on, dtype=float))
    missing = np.isnan(birth) | np.isnan(on)
    return np.where(missing, np.nan, (dy - by - (dmd < bmd)).astype(float))


def _age_of(data: MatchData, t_idx: Index | slice, day: np.ndarray) -> np.ndarray:
    """age_years with the trainees' birth dates split once (MatchData), not per vacancy."""
    T = data.T
    return _age_from_parts(T["birth_y"][t_idx], T["birth_md"][t_idx], T["birth_d"][t_idx], day)


def eligibility(data: MatchData, t_idx: Index | slice, v_idx: Index | slice) -> np.ndarray:
    """Code of the first rule each pair breaks (0 = eligible), in the order of RULES."""
    codes = np.select(_broken(data, t_idx, v_idx), list(range(1, 9)), default=ELIGIBLE)
    return codes.astype(np.int8)


def broken_rules(data: MatchData, t_idx: np.ndarray, v_idx: np.ndarray) -> list[list[int]]:
    """Every rule each pair breaks (codes in the order of RULES; empty = eligible), for a few pairs a
    person decides on one by one: whoever overrides a refusal sees all that is wrong, not just the first.
    A trainee without any skill breaks NO_SKILLS, not also SKILL."""
    n = len(np.atleast_1d(t_idx))
    flags = np.stack([np.broadcast_to(np.asarray(f, dtype=bool), (n,)) for f in _broken(data, t_idx, v_idx)])
    flags[SKILL - 1] &= ~flags[NO_SKILLS - 1]
    return [(np.flatnonzero(flags[:, i]) + 1).tolist() for i in range(n)]


def _broken(data: MatchData, t_idx: Index | slice, v_idx: Index | slice) -> list[np.ndarray]:
    """Per rule (RULES' order), whether each pair breaks it."""
    T, V = data.T, data.V
    skill_mask = T["skill_mask"][t_idx]
    level = T["level"][t_idx]
    start = V["eff_start_d"][v_idx]
    age = _age_of(data, t_idx, start)
    age_min, age_max = V["age_min"][v_idx], V["age_max"][v_idx]
    too_young = ~np.isnan(age_min) & (age < age_min)
    too_old = ~np.isnan(age_max) & (age > age_max)
    gender_req = V["gender_req"][v_idx]
    if np.ndim(gender_req) == 0 and gender_req == "any":  # the usual case: no string comparisons at all
        gender_bad = np.zeros(np.shape(skill_mask), dtype=bool)
    else:
        gender_bad = (gender_req != "any") & (T["gender"][t_idx] != gender_req)
    available = T["available_d"][t_idx]
    health = T["health_d"][t_idx]
    health_bad = V["needs_health"][v_idx] & (np.isnan(health) | (health < start))
    return [
        skill_mask == 0,
        (skill_mask & V["skill_bit"][v_idx]) == 0,
        V["has_min"][v_idx] & (level > V["min_level"][v_idx]),
        gender_bad,
        too_young | too_old,
        ~np.isnan(available) & (available > start),
        T["busy"][t_idx],
        health_bad,
    ]


# --- features ---------------------------------------------------------------------------------

SKILL_SHORT = ("domestic", "elderly", "medical", "infant")
AGE_KNOTS_ABOVE = (45.0, 55.0)   # hinges: years past each knot (older workers may stay or leave)
AGE_KNOT_BELOW = 30.0            # years short of it
FEATURES: list[str] = (
    ["level_margin", "has_level", "wage_above", "wage_below", "wage_gap_min", "wage_gap_max", "wage_missing",
     "region_hit", "region_miss", "board", "lodging", "mandarin", "training_hours", "age", "age_sq",
     "age_under_30", "age_over_45", "age_over_55",
     "distance", "distance_missing", "lodging_x_distance", "board_x_distance", "lodging_x_region_miss",
     "long_term", "prior_n", "prior_ret", "prior_early", "last_outcome", "emp_rate", "emp_logit", "emp_n_log"]
    + [f"skill_{s}" for s in SKILL_SHORT] + [f"wage_below_x_{s}" for s in SKILL_SHORT]
    + [f"mandarin_x_{s}" for s in SKILL_SHORT] + [f"long_term_x_{s}" for s in SKILL_SHORT]
)
F = {name: i for i, name in enumerate(FEATURES)}
# Features grouped into the factors a reason talks about.
GROUPS: dict[str, list[str]] = {
    "level": ["level_margin", "has_level"],
    "wage": ["wage_above", "wage_below", "wage_gap_min", "wage_gap_max", "wage_missing"]
    + [f"wage_below_x_{s}" for s in SKILL_SHORT],
    "region": ["region_hit", "region_miss"],
    "board_lodging": ["board", "lodging", "distance", "distance_missing", "lodging_x_distance", "board_x_distance",
                      "lodging_x_region_miss"],
    "mandarin": ["mandarin"] + [f"mandarin_x_{s}" for s in SKILL_SHORT],
    "hours": ["training_hours"],
    "age": ["age", "age_sq", "age_under_30", "age_over_45", "age_over_55"],
    "contract": ["long_term"] + [f"long_term_x_{s}" for s in SKILL_SHORT],
    "prior": ["prior_n", "prior_ret", "prior_early", "last_outcome"],
    "employer": ["emp_rate", "emp_logit", "emp_n_log"],
    "skill": [f"skill_{s}" for s in SKILL_SHORT],
}
GROUP_NAMES = list(GROUPS)
GROUP_MATRIX = np.zeros((len(FEATURES), len(GROUPS)))
for _g, (_name, _cols) in enumerate(GROUPS.items()):
    for _c in _cols:
        GROUP_MATRIX[F[_c], _g] = 1.0


def pair_inputs(data: MatchData, t_idx: Index, v_idx: Index, *, day: np.ndarray | float | None = None,
                prior: dict[str, np.ndarray] | None = None,
                employer: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Raw per-pair values (broadcast). ``day`` is the start day (default: each vacancy's effective start);
    ``prior`` and ``employer`` override the as-of-today history statistics (used for training rows)."""
    T, V = data.T, data.V
    start = V["eff_start_d"][v_idx] if day is None else day
    pref = T["pref"][t_idx]
    prov = np.asarray(V["prov_code"][v_idx])[..., None]
    city = np.asarray(V["city_code"][v_idx])[..., None]
    hit = ((pref == prov) | (pref == city)).any(axis=-1)
    inputs = {
        "level": T["level"][t_idx], "has_level": T["has_level"][t_idx],
        "min_level": V["min_level"][v_idx], "has_min": V["has_min"][v_idx],
        "expected": T["expected"][t_idx], "wage_min": V["wage_min"][v_idx], "wage_max": V["wage_max"][v_idx],
        "region_hit": hit, "has_pref": T["has_pref"][t_idx],
        "board": V["board"][v_idx], "lodging": V["lodging"][v_idx],
        "mandarin": T["mandarin"][t_idx], "hours": T["hours"][t_idx],
        "age": (start - T["birth_d"][t_idx]) / DAYS_PER_YEAR,
        "long_term": V["long_term"][v_idx], "skill_code": V["skill_code"][v_idx],
        "distance": DISTANCE_KM[T["home_place"][t_idx], V["place"][v_idx]] / 1000.0,
    }
    src = prior if prior is not None else {k: T[k][t_idx] for k in ("prior_n", "prior_ret", "prior_early",
                                                                    "last_outcome")}
    inputs.update(src)
    if employer is not None:
        inputs["emp_rate"], inputs["emp_n"] = employer
    else:
        inputs["emp_rate"], inputs["emp_n"] = V["emp_rate"][v_idx], V["emp_n"][v_idx]
    shape = np.broadcast_shapes(*(np.shape(x) for x in inputs.values()))
    return {k: np.broadcast_to(np.asarray(x), shape) for k, x in inputs.items()}


def feature_matrix(inputs: dict[str, np.ndarray]) -> np.ndarray:
    """The model's numeric features (n × len(FEATURES)), no missing values."""
    n = len(inputs["level"]) if np.ndim(inputs["level"]) else 1
    X = np.empty((n, len(FEATURES)), order="F")  # filled column by column: contiguous writes
    X[:, F["level_margin"]] = np.clip(inputs["min_level"] - inputs["level"], -3, 4)
    X[:, F["has_level"]] = inputs["has_level"]
    exp = inputs["expected"]
    wmin, wmax = inputs["wage_min"], inputs["wage_max"]
    wmin_f = np.where(np.isnan(wmin), wmax, wmin)
    wmax_f = np.where(np.isnan(wmax), wmin_f, wmax)
    missing = np.isnan(exp) | np.isnan(wmin_f)
    mid = (wmin_f + wmax_f) / 2
    X[:, F["wage_missing"]] = missing
    gap = np.where(missing, 0.0, np.clip((mid - exp) / 1000.0, -5, 5))
    # Pay above what was hoped for and pay below it may weigh differently: one slope each.
    X[:, F["wage_above"]] = np.maximum(gap, 0.0)
    X[:, F["wage_below"]] = np.minimum(gap, 0.0)
    X[:, F["wage_gap_min"]] = np.where(missing, 0.0, np.clip((wmin_f - exp) / 1000.0, -5, 5))
    X[:, F["wage_gap_max"]] = np.where(missing, 0.0, np.clip((wmax_f - exp) / 1000.0, -5, 5))
    hit = inputs["region_hit"]
    miss = inputs["has_pref"] & ~hit
    X[:, F["region_hit"]] = hit
    X[:, F["region_miss"]] = miss
    board, lodging = inputs["board"], inputs["lodging"]
    X[:, F["board"]] = board
    X[:, F["lodging"]] = lodging
    mandarin = inputs["mandarin"]
    X[:, F["mandarin"]] = mandarin
    X[:, F["training_hours"]] = np.nan_to_num(inputs["hours"], nan=0.0) / 100.0
    age = np.nan_to_num(inputs["age"], nan=40.0)
    X[:, F["age"]] = (age - 40.0) / 10.0
    X[:, F["age_sq"]] = ((age - 40.0) / 10.0) ** 2
    X[:, F["age_under_30"]] = np.maximum(AGE_KNOT_BELOW - age, 0.0) / 10.0
    X[:, F["age_over_45"]] = np.maximum(age - AGE_KNOTS_ABOVE[0], 0.0) / 10.0
    X[:, F["age_over_55"]] = np.maximum(age - AGE_KNOTS_ABOVE[1], 0.0) / 10.0
    dist_raw = inputs["distance"]
    dist_missing = np.isnan(dist_raw)
    dist = np.where(dist_missing, 0.0, np.clip(dist_raw, 0.0, 5.0))
    X[:, F["distance"]] = dist
    X[:, F["distance_missing"]] = dist_missing
    X[:, F["lodging_x_distance"]] = lodging * dist
    X[:, F["board_x_distance"]] = board * dist
    X[:, F["lodging_x_region_miss"]] = lodging & miss
    long_term = inputs["long_term"]
    X[:, F["long_term"]] = long_term
    for name in ("prior_n", "prior_ret", "prior_early", "last_outcome", "emp_rate"):
        X[:, F[name]] = inputs[name]
    rate = np.clip(inputs["emp_rate"], 0.01, 0.99)
    X[:, F["emp_logit"]] = np.log(rate / (1.0 - rate))
    X[:, F["emp_n_log"]] = np.log1p(inputs["emp_n"])
    code = inputs["skill_code"]
    for k, short in enumerate(SKILL_SHORT):
        onehot = (code == k)
        X[:, F[f"skill_{short}"]] = onehot
        X[:, F[f"wage_below_x_{short}"]] = onehot * np.minimum(gap, 0.0)
        X[:, F[f"mandarin_x_{short}"]] = onehot * mandarin
        X[:, F[f"long_term_x_{short}"]] = onehot & long_term
    return X


assert len(SKILL_SHORT) == len(SKILL_KEYS)
