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
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from matching.data import MatchData

TODAY = dt.date(2026, 6, 30)
SKILLS = ("domestic_service", "elderly_care", "medical_care", "infant_care")
PROVINCES = {"江苏": (32.1, 118.8), "上海": (31.2, 121.5), "广东": (23.1, 113.3), "福建": (26.1, 119.3),
             "浙江": (30.3, 120.2)}
HOMES = {"63": (36.6, 101.8), "65": (43.8, 87.6)}  # Qinghai, Xinjiang
WAGE_BASE = {"domestic_service": 6000, "elderly_care": 5500, "medical_care": 6000, "infant_care": 8000}
MANDARIN = {"fluent": 1.0, "basic": 0.0, "poor": -1.0}

Truth = Callable[[pd.DataFrame], np.ndarray]


def _pair_table(t: pd.DataFrame, v: pd.DataFrame, start_d: np.ndarray, effect: np.ndarray) -> pd.DataFrame:
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
        "hours": t["training_hours"].to_numpy(dtype=float)})


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


WORLDS: dict[str, Truth] = {"pay": pay_world, "belonging": belonging_world}


@dataclass
class World:
    data: MatchData          # history + the intake (new trainees, open vacancies)
    truth: Truth
    effect: np.ndarray       # hidden employer quality, by employer id - 1
    open_ids: np.ndarray     # vacancy ids of the open vacancies
    capacity: pd.Series      # seats per open vacancy

    def true_probability(self, trainee_ids: np.ndarray, vacancy_ids: np.ndarray) -> np.ndarray:
        t = self.data.trainees.set_index("trainee_id").loc[trainee_ids].reset_index()
        v = self.data.vacancies.set_index("vacancy_id").loc[vacancy_ids].reset_index()
        start = (v["start_date"].to_numpy(dtype="datetime64[D]") - np.datetime64("1970-01-01", "D")).astype(int)
        return self.truth(_pair_table(t, v, start, self.effect[v["employer_id"].to_numpy() - 1]))


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
    t0 = (TODAY - dt.date(1970, 1, 1)).days
    n_past = history // 2  # people placed about twice each on average
    past = _trainees(rng, n_past, 1)
    hist_v = _vacancies(rng, history, 1, employers, t0 - rng.integers(30, 3 * 365, history), "closed")
    # each past placement: a trainee with the vacancy's skill
    by_skill = {s: past.index[past["skills"] == s].to_numpy() for s in SKILLS}
    who = np.array([rng.choice(by_skill[s]) for s in hist_v["skill"]])
    start = (hist_v["start_date"].to_numpy(dtype="datetime64[D]") - np.datetime64("1970-01-01", "D")).astype(int)
    table = _pair_table(past.iloc[who].reset_index(drop=True), hist_v, start, effect[hist_v["employer_id"] - 1])
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
    return World(data, truth, effect, open_v["vacancy_id"].to_numpy(), capacity)
