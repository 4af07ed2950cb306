"""Made-up counties whose outcomes follow models of our own — not the demo's — for testing the matcher.

Each world draws trainees (homes in Qinghai or Xinjiang, by the ID number's province digits),
employers in five eastern provinces with a hidden quality, three years of placement history whose
180-day outcomes follow the world's model, and a fresh intake: new trainees and open vacancies to
plan. The true probability of every candidate pair is known, so a plan can be scored against the
best possible one (the oracle) and against a random one.

- ``pay``: pay below what the worker hoped for hurts a lot, pay above helps a little (and infant care
  bargains hardest); a higher certificate and a long contract help.
- ``belonging``: the preferred region, lodging the further from home the job is, Mandarin in care
  work (elderly and hospital care) and age past 48 decide; pay hardly matters.

Worlds the model was not built for (issue #22): their laws are not sums of the model's features.

- ``threshold``: steps, not slopes — pay more than 500 yuan below the hope, a job over 3,000 km from
  home without lodging, age past 50 in care work, a certificate above the minimum.
- ``interaction``: pay counts in proportion to the distance from home; each employer values a
  certificate differently (employer × skill); age hurts in care work only; Mandarin in care work.
- ``drift``: employers' quality drifts over the years (some get better, some worse), so old history
  about an employer misleads; pay and the preferred region matter mildly.

``make_world(…, history=500…2000)`` gives the small histories of a new county.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from matching.data import MatchData
from matching.model import MatchModel

TODAY = dt.date(2026, 6, 30)
SKILLS = ("domestic_service", "elderly_care", "medical_care", "infant_care")
PROVINCES = {"江苏": (32.1, 118.8), "上海": (31.2, 121.5), "广东": (23.1, 113.3), "福建": (26.1, 119.3),
             "浙江": (30.3, 120.2)}
HOMES = {"63": (36.6, 101.8), "65": (43.8, 87.6)}  # Qinghai, Xinjiang
WAGE_BASE = {"domestic_service": 6000, "elderly_care": 5500, "medical_care": 6000, "infant_care": 8000}
MANDARIN = {"fluent": 1.0, "basic": 0.0, "poor": -1.0}

Truth = Callable[[pd.DataFrame], np.ndarray]


def _pair_table(t: pd.DataFrame, v: pd.DataFrame, start_d: np.ndarray, effect: np.ndarray,
                slope: np.ndarray | None = None) -> pd.DataFrame:
    """What the hidden outcome models look at, for aligned rows of trainees ``t`` and vacancies ``v``."""
    gap = ((v["wage_min"].to_numpy() + v["wage_max"].to_numpy()) / 2 - t["expected_wage"].to_numpy()) / 1000
    home = np.array([HOMES[x[:2]] for x in t["id_number"]])
    dest = np.array([PROVINCES[x] for x in v["province"]])
    p1, p2 = np.radians(home[:, 0]), np.radians(dest[:, 0])
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(dest[:, 1] - home[:, 1]) / 2) ** 2
    km = 2 * 6371 * np.arcsin(np.sqrt(h))
    birth = (t["birth_date"].to_numpy(dtype="datetime64[D]") - np.datetime64("1970-01-01", "D")).astype(int)
    level = t["skill_level"].fillna(6).to_numpy(dtype=float)
    vmin = v["min_level"].fillna(6).to_numpy(dtype=float)
    prefs = t["preferred_regions"].to_numpy(dtype=object)
    return pd.DataFrame({
        "gap": gap, "km": km, "age": (start_d - birth) / 365.25, "margin": np.clip(vmin - level, -2, 3),
        "region_hit": [p in str(r).split(",") for p, r in zip(v["province"], prefs)],
        "lodging": v["lodging"].to_numpy(dtype=float), "board": v["board"].to_numpy(dtype=float),
        "long_term": (v["contract_type"] == "long_term").to_numpy(dtype=float),
        "mandarin": t["mandarin"].map(MANDARIN).to_numpy(dtype=float),
        "skill": v["skill"].to_numpy(dtype=object), "effect": effect,
        "hours": t["training_hours"].to_numpy(dtype=float),
        "slope": np.zeros(len(v)) if slope is None else slope})


def pay_world(x: pd.DataFrame) -> np.ndarray:
    infant = (x["skill"] == "infant_care").to_numpy(dtype=float)
    below = np.minimum(x["gap"], 0).to_numpy()
    logit = (0.1 + 1.1 * below * (1 + 0.6 * infant) + 0.15 * np.maximum(x["gap"], 0).to_numpy()
             + 0.3 * x["margin"].to_numpy() + 0.4 * x["long_term"].to_numpy() + x["effect"].to_numpy())
    return 1 / (1 + np.exp(-logit))


def belonging_world(x: pd.DataFrame) -> np.ndarray:
    care = x["skill"].isin(["elderly_care", "medical_care"]).to_numpy(dtype=float)
    logit = (-0.6 + 1.0 * x["region_hit"].to_numpy(dtype=float)
             + 0.45 * x["lodging"].to_numpy() * (x["km"].to_numpy() / 1000)
             + 0.9 * care * x["mandarin"].to_numpy() + 0.2 * x["mandarin"].to_numpy()
             - 0.12 * np.maximum(x["age"].to_numpy() - 48, 0) + 0.1 * x["gap"].clip(-2, 2).to_numpy()
             + x["effect"].to_numpy())
    return 1 / (1 + np.exp(-logit))


def threshold_world(x: pd.DataFrame) -> np.ndarray:
    care = x["skill"].isin(["elderly_care", "medical_care"]).to_numpy(dtype=float)
    logit = (0.6 - 1.6 * (x["gap"].to_numpy() < -0.5) - 1.1 * ((x["km"].to_numpy() > 3000) & (x["lodging"].to_numpy() == 0))
             - 1.2 * care * (x["age"].to_numpy() > 50) + 0.7 * (x["margin"].to_numpy() >= 1) + x["effect"].to_numpy())
    return 1 / (1 + np.exp(-logit))


def interaction_world(x: pd.DataFrame) -> np.ndarray:
    care = x["skill"].isin(["elderly_care", "medical_care"]).to_numpy(dtype=float)
    logit = (0.1 + 0.9 * x["gap"].clip(-3, 2).to_numpy() * (x["km"].to_numpy() / 2500)
             + x["slope"].to_numpy() * x["margin"].to_numpy()
             - 0.09 * care * np.maximum(x["age"].to_numpy() - 38, 0) + 0.6 * care * x["mandarin"].to_numpy()
             + x["effect"].to_numpy())
    return 1 / (1 + np.exp(-logit))


def drift_world(x: pd.DataFrame) -> np.ndarray:
    logit = (0.0 + 0.5 * x["gap"].clip(-3, 2).to_numpy() + 0.6 * x["region_hit"].to_numpy(dtype=float)
             + 0.2 * x["mandarin"].to_numpy() + x["effect"].to_numpy())
    return 1 / (1 + np.exp(-logit))


WORLDS: dict[str, Truth] = {"pay": pay_world, "belonging": belonging_world, "threshold": threshold_world,
                            "interaction": interaction_world, "drift": drift_world}
DRIFT_PER_YEAR = {"drift": 0.7}       # sd of each employer's yearly change in quality
SLOPE_SD = {"interaction": 0.5}       # sd of each employer's weight on the certificate margin


@dataclass
class World:
    data: MatchData          # history + the intake (new trainees, open vacancies)
    truth: Truth
    effect: np.ndarray       # hidden employer quality today, by employer id - 1
    open_ids: np.ndarray     # vacancy ids of the open vacancies
    capacity: pd.Series      # seats per open vacancy
    drift: np.ndarray | None = None  # yearly change of each employer's quality
    slope: np.ndarray | None = None  # each employer's weight on the certificate margin

    def effect_at(self, emp: np.ndarray, start_d: np.ndarray) -> np.ndarray:
        t0 = (TODAY - dt.date(1970, 1, 1)).days
        drift = np.zeros(len(self.effect)) if self.drift is None else self.drift
        return np.asarray(self.effect[emp] + drift[emp] * (start_d - t0) / 365.0)

    def true_probability(self, trainee_ids: np.ndarray, vacancy_ids: np.ndarray) -> np.ndarray:
        t = self.data.trainees.set_index("trainee_id").loc[trainee_ids].reset_index()
        v = self.data.vacancies.set_index("vacancy_id").loc[vacancy_ids].reset_index()
        start = (v["start_date"].to_numpy(dtype="datetime64[D]") - np.datetime64("1970-01-01", "D")).astype(int)
        emp = v["employer_id"].to_numpy() - 1
        slope = None if self.slope is None else self.slope[emp]
        return self.truth(_pair_table(t, v, start, self.effect_at(emp, start), slope))


def _trainees(rng: np.random.Generator, n: int, first_id: int) -> pd.DataFrame:
    home = rng.choice(list(HOMES), n)
    skills = rng.choice(SKILLS, n, p=[0.35, 0.3, 0.15, 0.2])
    provinces = list(PROVINCES)
    prefs = [",".join(rng.choice(provinces, int(k), replace=False)) for k in rng.choice([0, 1, 2], n, p=[0.15, 0.55, 0.3])]
    base = np.array([WAGE_BASE[s] for s in skills])
    return pd.DataFrame({
        "trainee_id": np.arange(first_id, first_id + n), "id_number": [f"{h}0000{i:012d}" for i, h in enumerate(home, first_id)],
        "name": "某", "gender": "F",
        "birth_date": pd.Timestamp(TODAY) - pd.to_timedelta(rng.integers(19 * 365, 57 * 365, n), "D"),
        "ethnicity": "汉族", "household_type": rng.choice(["general", "poverty_exited", "monitored"], n, p=[0.55, 0.35, 0.1]),
        "mandarin": rng.choice(["fluent", "basic", "poor"], n, p=[0.5, 0.35, 0.15]), "skills": skills,
        "skill_level": rng.choice([np.nan, 5, 4, 3], n, p=[0.35, 0.3, 0.25, 0.1]),
        "training_hours": rng.choice([40, 80, 120, 160], n), "graduation_date": pd.NaT, "preferred_regions": prefs,
        "expected_wage": (np.round((base + rng.normal(0, 1000, n)) / 500) * 500).clip(3000, 12000),
        "available_from": pd.NaT, "health_cert_expiry": pd.NaT, "school_id": 1, "township": "", "busy": False})


def _vacancies(rng: np.random.Generator, n: int, first_id: int, employers: pd.DataFrame, start: np.ndarray,
               status: str) -> pd.DataFrame:
    emp = rng.integers(0, len(employers), n)
    skill = employers["skill"].to_numpy()[emp]
    wmin = (np.round((np.array([WAGE_BASE[s] for s in skill]) + rng.normal(-300, 1100, n)) / 500) * 500).clip(3000, 11000)
    return pd.DataFrame({
        "vacancy_id": np.arange(first_id, first_id + n), "code": [f"V{i}" for i in range(first_id, first_id + n)],
        "title": "岗位", "employer_id": emp + 1, "employer_name": "某单位", "province": employers["province"].to_numpy()[emp],
        "city": "某市", "skill": skill, "min_level": rng.choice([np.nan, 5, 4], n, p=[0.5, 0.35, 0.15]), "headcount": 1,
        "wage_min": wmin, "wage_max": wmin + rng.choice([500, 1000, 1500], n), "board": rng.random(n) < 0.6,
        "lodging": rng.random(n) < 0.6, "age_min": 18, "age_max": 60, "gender_requirement": "any",
        "contract_type": rng.choice(["temporary", "long_term"], n), "needs_health_cert": False,
        "start_date": pd.Timestamp("1970-01-01") + pd.to_timedelta(start, "D"), "status": status})


def make_world(name: str, *, seed: int, history: int = 9000, intake: int = 1200, open_vacancies: int = 60) -> World:
    rng = np.random.default_rng(seed)
    truth = WORLDS[name]
    n_emp = 90
    employers = pd.DataFrame({"skill": rng.choice(SKILLS, n_emp, p=[0.35, 0.3, 0.15, 0.2]),
                              "province": rng.choice(list(PROVINCES), n_emp)})
    effect = rng.normal(0, 0.6, n_emp)
    extra = np.random.default_rng(seed + 1000)  # the older worlds keep their draws
    drift = extra.normal(0, DRIFT_PER_YEAR[name], n_emp) if name in DRIFT_PER_YEAR else None
    slope = extra.normal(0, SLOPE_SD[name], n_emp) if name in SLOPE_SD else None
    t0 = (TODAY - dt.date(1970, 1, 1)).days
    n_past = history // 2  # people placed about twice each on average
    past = _trainees(rng, n_past, 1)
    hist_v = _vacancies(rng, history, 1, employers, t0 - rng.integers(30, 3 * 365, history), "closed")
    # each past placement: a trainee with the vacancy's skill
    by_skill = {s: past.index[past["skills"] == s].to_numpy() for s in SKILLS}
    who = np.array([rng.choice(by_skill[s]) for s in hist_v["skill"]])
    start = (hist_v["start_date"].to_numpy(dtype="datetime64[D]") - np.datetime64("1970-01-01", "D")).astype(int)
    world_now = World(MatchData.__new__(MatchData), truth, effect, np.zeros(0), pd.Series(dtype=int), drift, slope)
    emp = hist_v["employer_id"].to_numpy() - 1
    table = _pair_table(past.iloc[who].reset_index(drop=True), hist_v, start, world_now.effect_at(emp, start),
                        None if slope is None else slope[emp])
    kept = rng.random(history) < truth(table)
    days = np.where(kept, 180 + rng.exponential(300, history), rng.integers(7, 180, history)).astype(int)
    end = start + days
    running = end >= t0
    hist = pd.DataFrame({
        "placement_id": np.arange(1, history + 1), "trainee_id": past["trainee_id"].to_numpy()[who],
        "vacancy_id": hist_v["vacancy_id"].to_numpy(), "employer_id": hist_v["employer_id"].to_numpy(),
        "status": np.where(running, "on_job", "ended"),
        "start_date": pd.Timestamp("1970-01-01") + pd.to_timedelta(start, "D"),
        "end_date": pd.Series(pd.Timestamp("1970-01-01") + pd.to_timedelta(end, "D")).where(~running),
        "skilled_since": pd.NaT, "employment_form": "temporary"})
    new = _trainees(rng, intake, n_past + 1)
    open_v = _vacancies(rng, open_vacancies, history + 1, employers, np.full(open_vacancies, t0 + 30), "open")
    open_v["headcount"] = rng.integers(2, 8, open_vacancies)
    trainees = pd.concat([past.assign(busy=True), new], ignore_index=True)  # the past cohort is away working
    vacancies = pd.concat([hist_v, open_v], ignore_index=True)
    data = MatchData.build(trainees, vacancies, hist, TODAY)
    capacity = pd.Series(open_v["headcount"].to_numpy(), index=open_v["vacancy_id"].to_numpy())
    return World(data, truth, effect, open_v["vacancy_id"].to_numpy(), capacity, drift, slope)


def gap_closed(w: World, model: MatchModel, *, random_plans: int = 5) -> float:
    """The share of the random→oracle gap a plan with ``model`` (no priority) closes, scored with the
    world's true probabilities: 0 = as good as a random plan, 1 = the best possible plan."""
    from matching import assignment, rank

    no_priority = {"monitored": 0.0, "poverty_exited": 0.0, "general": 0.0}
    positions = [int(p) for p in w.data.vacancy_pos(w.open_ids)]
    cand = rank.candidates(w.data, model, positions, no_priority, reasons=False)
    true = w.true_probability(cand["trainee_id"].to_numpy(), cand["vacancy_id"].to_numpy())
    truth = pd.Series(true, index=pd.MultiIndex.from_arrays([cand["trainee_id"], cand["vacancy_id"]]))

    def value(a: assignment.Assignment) -> float:
        return float(truth.loc[list(zip(a.pairs["trainee_id"], a.pairs["vacancy_id"]))].sum())

    plan = value(assignment.solve(cand, w.capacity))
    oracle = value(assignment.solve(cand.assign(weight=true, score=true), w.capacity))
    rng = np.random.default_rng(0)
    rand = float(np.mean([value(assignment.solve(cand.assign(weight=rng.random(len(cand)) + 0.01), w.capacity))
                          for _ in range(random_plans)]))
    return (plan - rand) / (oracle - rand)


def plain_logistic(w: World) -> MatchModel:
    """Baseline: one logistic regression on the model's features over the placements whose 180-day
    window has closed (what the first release learned), no model choice, no young placements."""
    from matching.model import _fit, _subset, training_set

    ts = training_set(w.data)
    y = ts.h["retained_label"].to_numpy(dtype=float)
    closed = ~np.isnan(y)
    ts = _subset(ts, closed)
    X = ts.X(w.data, ts.h["start_d"].to_numpy())
    return MatchModel("learned", _fit("logistic", X, y[closed]), algorithm="logistic")


# Worlds the model was not built for, with small histories (name, placements, seed).
UNSEEN = (("threshold", 1000, 1), ("interaction", 2000, 1), ("drift", 1500, 1), ("pay", 500, 1),
          ("belonging", 800, 1), ("threshold", 2000, 2), ("interaction", 800, 2), ("drift", 600, 2))


def gap_report(worlds: tuple[tuple[str, int, int], ...] = UNSEEN) -> list[dict[str, object]]:
    """Per world: the share of the random→oracle gap closed by the matcher (its model choice), by the
    rule-based score and by the plain logistic model, and the family the matcher chose."""
    from matching.model import HEURISTIC, train

    out: list[dict[str, object]] = []
    for name, history, seed in worlds:
        w = make_world(name, seed=seed, history=history, intake=800, open_vacancies=40)
        result = train(w.data)
        out.append({"world": name, "history": history, "seed": seed, "chosen": result.metrics["algorithm"],
                    "matcher": gap_closed(w, result.model), "rules": gap_closed(w, HEURISTIC),
                    "logistic": gap_closed(w, plain_logistic(w))})
    return out
