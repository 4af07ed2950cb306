"""Kaplan–Meier retention with right-censoring, vectorised (numpy/pandas), also per group.

A placement still running is censored at today: it counts as "at risk" up to its current length and
never as a departure, so young placements do not drag the retention curve down.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


def kaplan_meier(durations: np.ndarray | pd.Series, events: np.ndarray | pd.Series) -> pd.DataFrame:
    """The survival curve: one row per distinct time with at_risk, events, censored, survival."""
    d = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    ok = np.isfinite(d) & (d >= 0)
    d, e = d[ok], e[ok]
    if not len(d):
        return pd.DataFrame({"time": [0.0], "at_risk": [0], "events": [0], "censored": [0], "survival": [1.0]})
    span = float(d.max()) + 1.0
    if span <= max(8 * len(d), 1 << 22) and np.array_equal(d, np.floor(d)):
        # whole days over a modest range: count per day instead of sorting
        days = d.astype(np.int64)
        per_day = np.bincount(days, minlength=int(span))
        at = np.flatnonzero(per_day)
        times, n_total = at.astype(float), per_day[at]
        n_event = np.bincount(days, weights=e.astype(float), minlength=int(span))[at].astype(int)
    else:
        times, inverse = np.unique(d, return_inverse=True)
        n_total = np.bincount(inverse, minlength=len(times))
        n_event = np.bincount(inverse, weights=e.astype(float), minlength=len(times)).astype(int)
    at_risk = len(d) - np.concatenate([[0], np.cumsum(n_total)[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(at_risk > 0, 1.0 - n_event / at_risk, 1.0)
    survival = np.cumprod(factor)
    return pd.DataFrame({"time": times, "at_risk": at_risk, "events": n_event,
                         "censored": n_total - n_event, "survival": survival})


def survival_at(curve: pd.DataFrame, times: Sequence[float]) -> list[float]:
    """S(t) read off a curve (step function, right-continuous); NaN beyond the last observation."""
    t = curve["time"].to_numpy()
    s = curve["survival"].to_numpy()
    out = []
    for x in times:
        pos = np.searchsorted(t, x, side="right") - 1
        if x > t[-1] and s[-1] > 0:
            out.append(float("nan"))  # nobody still in the job was followed that long
        else:
            out.append(1.0 if pos < 0 else float(s[pos]))
    return out


def grouped_survival_at(groups: pd.Series | np.ndarray, durations: np.ndarray | pd.Series,
                        events: np.ndarray | pd.Series, times: Sequence[float]) -> pd.DataFrame:
    """S(t) at each of ``times`` for every group at once (one column per time, index = group)."""
    codes, uniques = pd.factorize(pd.Series(np.asarray(groups, dtype=object)), use_na_sentinel=True)
    table = grouped_survival_codes(codes, len(uniques), durations, events, times)
    table.index = pd.Index(uniques)
    return table


def _day_steps(g: np.ndarray, days: np.ndarray, e: np.ndarray,
               span: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (group, day) steps in (group, day) order: their group, day, number leaving and
    number of events, without an argsort: over a small (group, day) grid they are counted straight
    into it, otherwise (group, day, event) packs into one int64 key sorted by value."""
    cells = (int(g.max()) + 1) * span
    if cells <= 2 * len(g) + 65536:
        key = g * span + days
        counts = np.bincount(key, minlength=cells)
        events = np.bincount(key, weights=e.astype(float), minlength=cells)
        at = np.flatnonzero(counts)
        return at // span, (at % span).astype(float), counts[at], events[at]
    key = (g * span + days) * 2 + e
    key.sort()
    packed = key >> 1
    starts = np.flatnonzero(np.concatenate([[True], packed[1:] != packed[:-1]]))
    at = packed[starts]
    return (at // span, (at % span).astype(float), np.diff(np.append(starts, len(key))),
            np.add.reduceat((key & 1).astype(float), starts))


def grouped_survival_codes(codes: np.ndarray, n_groups: int, durations: np.ndarray | pd.Series,
                           events: np.ndarray | pd.Series, times: Sequence[float]) -> pd.DataFrame:
    """As :func:`grouped_survival_at` for integer group codes 0…n_groups−1 (−1 = no group): numpy only."""
    g = np.asarray(codes, dtype=np.int64)
    d = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    ok = (g >= 0) & np.isfinite(d) & (d >= 0)
    g, d, e = g[ok], d[ok], e[ok]
    if not len(g):
        return _table(None, n_groups, times)
    span = float(d.max()) + 1.0
    if np.array_equal(d, np.floor(d)) and span * (int(g.max()) + 1) * 2 < 2.0 ** 62:
        return grouped_survival_days(g, n_groups, d.astype(np.int64), e, times)
    order = np.argsort(g * span + d, kind="stable")  # one sort on a combined key beats lexsort
    g, d, e = g[order], d[order], e[order]
    new = np.ones(len(g), bool)
    new[1:] = (g[1:] != g[:-1]) | (d[1:] != d[:-1])
    step = np.cumsum(new) - 1
    steps = (g[new], d[new], np.bincount(step), np.bincount(step, weights=e.astype(float)))
    return _table((*steps, np.bincount(g, minlength=n_groups), span), n_groups, times)


def grouped_survival_days(codes: np.ndarray, n_groups: int, days: np.ndarray, events: np.ndarray,
                          times: Sequence[float]) -> pd.DataFrame:
    """As :func:`grouped_survival_codes` for durations in whole days already checked: ``days`` int64
    ≥ 0, ``events`` bool, ``codes`` int64 (−1 = no group). Several breakdowns of the same placements
    skip the checks and conversions this way."""
    if len(codes) and codes.min() < 0:
        keep = codes >= 0
        codes, days, events = codes[keep], days[keep], events[keep]
    if not len(codes):
        return _table(None, n_groups, times)
    span = int(days.max()) + 1
    steps = _day_steps(codes, days, events, span)
    return _table((*steps, np.bincount(codes, minlength=n_groups), float(span)), n_groups, times)


def _table(steps: tuple[Any, ...] | None, n_groups: int, times: Sequence[float]) -> pd.DataFrame:
    """S(t) per group from the distinct (group, time) steps, their counts and the group sizes."""
    cols = [f"s_{int(t)}" for t in times]
    out = np.full((n_groups, len(times)), np.nan)
    if steps is not None:
        sg, sd, n_at, k_at, size, span = steps
        first_step = np.searchsorted(sg, np.arange(n_groups))
        cum_n = np.cumsum(n_at)
        before = cum_n - n_at - np.concatenate([[0], cum_n])[first_step[sg]]
        at_risk = size[sg] - before
        with np.errstate(divide="ignore"):
            logf = np.log(1.0 - k_at / at_risk)
        logf[~np.isfinite(logf)] = -1e6  # S drops to 0 there; keeps the running sum finite for later groups
        cum = np.cumsum(logf)
        base = np.concatenate([[0.0], cum])[first_step[sg]]
        log_s = cum - base  # within-group cumulative log-survival at each step
        last_step = np.searchsorted(sg, np.arange(n_groups), side="right") - 1
        step_key = sg * span + sd
        has = size > 0
        for j, t in enumerate(times):
            # last step of each group with time ≤ t
            pos = np.searchsorted(step_key, np.arange(n_groups) * span + min(float(t), span - 1.0), side="right") - 1
            inside = has & (pos >= first_step) & (pos <= last_step)
            val = np.ones(n_groups)
            val[inside] = np.exp(log_s[pos[inside]])
            max_d = np.where(has, sd[np.maximum(last_step, 0)], -np.inf)
            final = np.where(has, np.exp(log_s[np.maximum(last_step, 0)]), np.nan)
            unknown = ~has | ((max_d < t) & (final > 0))
            val[unknown] = np.nan
            out[:, j] = val
    return pd.DataFrame(out, columns=cols)
