"""Matching bench: rank one vacancy against every trainee (features + scoring, warm model, frames
loaded), against a plain per-pair Python loop in the same run; held-out AUC / NDCG@10 of the learned
model vs the heuristic on the demo history."""

from __future__ import annotations

import datetime as dt
import math
import time
from pathlib import Path

import numpy as np
from common import copy_of_demo

from core.access import SYSTEM
from core.fields import age_on
from db import frames
from db.engine import open_database
from matching import rank
from matching.data import DISTANCE_KM, MatchData
from matching.features import ELIGIBLE, FEATURES, eligibility
from matching.model import train

EPOCH = dt.date(1970, 1, 1)


def _loop_rank(data: MatchData, model, v: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The same eligibility and features, one pair at a time in Python, then one predict call."""
    T, V = data.T, data.V
    start = V["eff_start_d"][v]
    rows, keep = [], []
    vs = {k: (V[k][v].item() if hasattr(V[k][v], "item") else V[k][v]) for k in V}
    t_lists = {k: T[k].tolist() for k in T if k != "pref"}
    pref = T["pref"].tolist()
    start_day = EPOCH + dt.timedelta(days=int(start))
    for i in range(len(t_lists["trainee_id"])):
        mask = t_lists["skill_mask"][i]
        level = t_lists["level"][i]
        age = age_on(EPOCH + dt.timedelta(days=int(t_lists["birth_d"][i])), start_day)
        if mask == 0 or not (mask & vs["skill_bit"]):
            continue
        if vs["has_min"] and level > vs["min_level"]:
            continue
        if vs["gender_req"] != "any" and t_lists["gender"][i] != vs["gender_req"]:
            continue
        if (not math.isnan(vs["age_min"]) and age < vs["age_min"]) or (not math.isnan(vs["age_max"]) and age > vs["age_max"]):
            continue
        avail = t_lists["available_d"][i]
        if not math.isnan(avail) and avail > start:
            continue
        if t_lists["busy"][i]:
            continue
        health = t_lists["health_d"][i]
        if vs["needs_health"] and (math.isnan(health) or health < start):
            continue
        exp = t_lists["expected"][i]
        wmin, wmax = vs["wage_min"], vs["wage_max"]
        missing = math.isnan(exp) or math.isnan(wmin)
        clip = lambda x: max(-5.0, min(5.0, x))  # noqa: E731
        gap = 0.0 if missing else clip(((wmin + wmax) / 2 - exp) / 1000)
        hit = any(c >= 0 and (c == vs["prov_code"] or c == vs["city_code"]) for c in pref[i])
        miss = bool(t_lists["has_pref"][i]) and not hit
        a = (start - t_lists["birth_d"][i]) / 365.2425
        hours = t_lists["hours"][i]
        dist_raw = DISTANCE_KM[t_lists["home_place"][i], vs["place"]] / 1000
        dist = 0.0 if math.isnan(dist_raw) else max(0.0, min(5.0, dist_raw))
        rate = max(0.01, min(0.99, vs["emp_rate"]))
        mand = t_lists["mandarin"][i]
        f = {"level_margin": max(-3.0, min(4.0, vs["min_level"] - level)), "has_level": float(t_lists["has_level"][i]),
             "wage_above": max(gap, 0.0), "wage_below": min(gap, 0.0),
             "wage_gap_min": 0.0 if missing else clip((wmin - exp) / 1000),
             "wage_gap_max": 0.0 if missing else clip((wmax - exp) / 1000), "wage_missing": float(missing),
             "region_hit": float(hit), "region_miss": float(miss), "board": float(vs["board"]),
             "lodging": float(vs["lodging"]), "mandarin": mand, "training_hours": (0.0 if math.isnan(hours) else hours) / 100,
             "age": (a - 40) / 10, "age_sq": ((a - 40) / 10) ** 2, "age_under_30": max(30 - a, 0.0) / 10,
             "age_over_45": max(a - 45, 0.0) / 10, "age_over_55": max(a - 55, 0.0) / 10,
             "distance": dist, "distance_missing": float(math.isnan(dist_raw)),
             "lodging_x_distance": float(vs["lodging"]) * dist, "board_x_distance": float(vs["board"]) * dist,
             "lodging_x_region_miss": float(vs["lodging"] and miss), "long_term": float(vs["long_term"]),
             "prior_n": t_lists["prior_n"][i], "prior_ret": t_lists["prior_ret"][i],
             "prior_early": t_lists["prior_early"][i], "last_outcome": t_lists["last_outcome"][i],
             "emp_rate": vs["emp_rate"], "emp_logit": math.log(rate / (1 - rate)), "emp_n_log": math.log1p(vs["emp_n"])}
        for k, short in enumerate(("domestic", "elderly", "medical", "infant")):
            one = float(vs["skill_code"] == k)
            f[f"skill_{short}"] = one
            f[f"wage_below_x_{short}"] = one * min(gap, 0.0)
            f[f"mandarin_x_{short}"] = one * mand
            f[f"long_term_x_{short}"] = one * float(vs["long_term"])
        rows.append([f[name] for name in FEATURES])
        keep.append(i)
    X = np.array(rows).reshape(-1, len(FEATURES))
    return model.predict(X)


def run(n_trainees: int, workdir: Path) -> dict:
    path = copy_of_demo(n_trainees, workdir, "matching.sqlite3")
    database = open_database(f"sqlite:///{path}")
    today = dt.date.today()
    with database.engine.connect() as conn:
        t0 = time.perf_counter()
        trainees, vacancies, history = frames.trainees_frame(conn, actor=SYSTEM), frames.vacancies_frame(conn), frames.history_frame(conn)
        load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    data = MatchData.build(trainees, vacancies, history, today)
    prepare_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = train(data)
    train_s = time.perf_counter() - t0
    model = result.model
    open_pos = np.flatnonzero(vacancies["status"].to_numpy() == "open")
    # the open vacancy with the largest eligible pool: the hardest case
    sizes = [(eligibility(data, slice(None), int(v)) == ELIGIBLE).sum() for v in open_pos[:40]]  # type: ignore[arg-type]
    v = int(open_pos[int(np.argmax(sizes))])
    rank.rank_vacancy(data, model, v, top=10, excluded=False)  # warm
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        ranked, _ = rank.rank_vacancy(data, model, v, top=10, excluded=False)
        times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    loop_scores = _loop_rank(data, model, v)
    loop_s = time.perf_counter() - t0
    full, _ = rank.rank_vacancy(data, model, v, top=None, reasons=False, excluded=False)
    assert len(loop_scores) == len(full) and np.allclose(np.sort(loop_scores), np.sort(full["score"].to_numpy()))
    rank_s = float(np.median(times))
    m = result.metrics
    database.dispose()
    return {
        "matching_frames_load_s": round(load_s, 3), "matching_prepare_s": round(prepare_s, 3),
        "matching_train_s": round(train_s, 2), "matching_algorithm": m["algorithm"],
        "matching_history_rows": int(len(history)), "matching_train_labelled_rows": m["rows"],
        "rank_vacancy_trainees": int(len(data.T["trainee_id"])), "rank_vacancy_eligible": int(len(full)),
        "rank_vacancy_s": round(rank_s, 4), "rank_vacancy_min_s": round(float(np.min(times)), 4), "rank_vacancy_python_loop_s": round(loop_s, 3),
        "rank_vacancy_speedup_vs_loop": round(loop_s / rank_s, 1),
        "heldout_auc_learned": round(m["learned"]["auc"], 4), "heldout_auc_heuristic": round(m["heuristic"]["auc"], 4),
        "heldout_ndcg10_learned": round(m["learned"]["ndcg10"], 4),
        "heldout_ndcg10_heuristic": round(m["heuristic"]["ndcg10"], 4),
        "heldout_brier_learned": round(m["learned"]["brier"], 4), "heldout_brier_heuristic": round(m["heuristic"]["brier"], 4),
    }
