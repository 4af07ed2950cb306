"""Plain-language reasons: why a pair scores as it does, and why a trainee was excluded.

Texts repeat a lot (the same wage band, the same employer), so each distinct combination of the
values a sentence is made of is formatted once and spread by array indexing (_texts); this keeps
reasons for hundreds of thousands of pairs cheap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np

from core.fields import place_name
from core.i18n import tr
from core.vocab import level_label, skill_label
from matching.data import NO_LEVEL, MatchData
from matching.features import (
    AGE,
    AVAILABLE,
    BUSY,
    ELIGIBLE,
    GENDER,
    GROUP_NAMES,
    HEALTH,
    LEVEL,
    NO_SKILLS,
    RULES,
    SKILL,
    Index,
    age_years,
    broken_rules,
    eligibility,
)

CN_NUM = {1: "一", 2: "二", 3: "三", 4: "四", 5: "五"}
TOP_REASONS = 3
_REASON_GROUPS = [g for g in GROUP_NAMES if g != "skill"]


def _money(x: float) -> str:
    return f"{int(round(x))}"


def _band(wmin: float, wmax: float) -> str:
    if np.isnan(wmin) and np.isnan(wmax):
        return tr("未标明", "not stated")
    if np.isnan(wmax) or wmin == wmax:
        return _money(wmin if not np.isnan(wmin) else wmax)
    if np.isnan(wmin):
        return _money(wmax)
    return f"{_money(wmin)}–{_money(wmax)}"


def _level_text(level: float, has_level: bool, vmin: float, has_min: bool) -> str:
    name = level_label(int(level)) if has_level else ""
    if has_min:
        margin = int(vmin - level)
        if margin > 0:
            return tr(f"证书等级高于要求{CN_NUM.get(margin, str(margin))}级", f"Certificate {margin} level(s) above the minimum")
        return tr(f"证书等级刚好达到要求（{name}）", f"Certificate just meets the minimum ({name})")
    if has_level:
        return tr(f"持{name}证书，岗位无等级要求", f"Holds {name}; no minimum level required")
    return tr("无等级证书，岗位无等级要求", "No graded certificate; none required")


def _wage_text(expected: float, wmin: float, wmax: float) -> str:
    band = _band(wmin, wmax)
    if np.isnan(expected):
        return tr(f"未填期望月薪，岗位{band}", f"No expected wage given; job pays {band}")
    return tr(f"期望月薪{_money(expected)}，岗位{band}", f"Expects {_money(expected)}/month; job pays {band}")


def _prior_text(n: float, ret: float, early: float, last: float) -> str:
    if n == 0:
        return tr("此前无外出务工记录", "No earlier placement")
    if last > 0:
        return tr(f"此前务工{int(n)}次，上次稳定超过半年", f"{int(n)} earlier placement(s); the last lasted over 6 months")
    if last < 0:
        return tr(f"此前务工{int(n)}次，上次未满半年离岗", f"{int(n)} earlier placement(s); the last ended within 6 months")
    return tr(f"此前务工{int(n)}次，稳岗{int(ret)}次", f"{int(n)} earlier placement(s), {int(ret)} lasted 6 months")


def _employer_text(rate: float, n: float, name: str) -> str:
    if n < 1:
        return tr("该单位尚无满半年的历史记录", "No 6-month history with this employer yet")
    return tr("该单位", "This employer's ") + employer_record(rate, n)


def employer_record(rate: float, n: float) -> str:
    """"历史稳岗率 80%（12 人次）", or "暂无历史": a smoothed rate over no placement is no record."""
    if n < 1:
        return tr("暂无历史稳岗记录", "no retention history yet")
    pct = int(round(rate * 100))
    return tr(f"历史稳岗率{pct}%（{int(n)}人次）", f"6-month retention {pct}% ({int(n)} placements)")


def _distinct(n: int, keys: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(first position of each distinct combination of ``keys``, each position's combination number).

    ``keys`` are arrays of length ``n``; equal values (NaN with NaN) fall in one combination."""
    code = np.zeros(n, dtype=np.int64)
    size = 1  # combination numbers are below this
    for key in keys:
        if not n or (key[0] == key[-1] and bool((key == key[0]).all())):  # e.g. one vacancy: splits nothing
            continue
        if key.dtype == bool:
            inverse, count = key.astype(np.int64), 2
        else:
            values, inverse = np.unique(key, return_inverse=True)
            inverse, count = inverse.reshape(-1), len(values)
        if size * count >= 2**62:  # renumber densely first, so the mixed-radix number cannot overflow
            _, code = np.unique(code, return_inverse=True)
            code, size = code.reshape(-1), n
        code = code * count + inverse
        size *= count
    _, first, code = np.unique(code, return_index=True, return_inverse=True)
    return first, code.reshape(-1)


def _texts(rows: np.ndarray, keys: list[np.ndarray], make: Callable[[int], str]) -> np.ndarray:
    """``make(row)`` for each of ``rows`` (an object array), called once per distinct combination of
    ``keys`` (aligned with ``rows``), which must determine the text: texts repeat a lot, and a Python
    call per row cost seconds at 200,000 trainees."""
    first, which = _distinct(len(rows), keys)
    texts = np.empty(len(first), dtype=object)
    texts[:] = [make(int(rows[j])) for j in first]
    out: np.ndarray = texts[which]
    return out


def pair_reasons(data: MatchData, inputs: dict[str, np.ndarray], contrib: np.ndarray,
                 v_idx: np.ndarray, k: int = TOP_REASONS) -> list[list[str]]:
    """The ``k`` factors that move each pair's score most, strongest first."""
    n = contrib.shape[0]
    if n == 0:
        return []
    cols = [GROUP_NAMES.index(g) for g in _REASON_GROUPS]
    c = np.abs(contrib[:, cols])
    top = np.argsort(-c, axis=1, kind="stable")[:, :k]
    vac = data.vacancies
    cols_needed = ("level", "has_level", "min_level", "has_min", "expected", "wage_min", "wage_max", "region_hit",
                   "has_pref", "board", "lodging", "mandarin", "hours", "age", "long_term", "prior_n", "prior_ret",
                   "prior_early", "last_outcome", "emp_rate", "emp_n")
    g = {c: np.broadcast_to(np.asarray(inputs[c]), (n,)) for c in cols_needed}
    g["emp_rate"] = np.round(np.broadcast_to(inputs["emp_rate"], (n,)), 2)
    g["age"] = np.floor(np.nan_to_num(np.broadcast_to(inputs["age"], (n,)).astype(float), nan=0)).astype(int)
    g["vpos"] = np.broadcast_to(np.asarray(v_idx), (n,))

    def v(name: str, i: int) -> Any:
        """Row i's value as a plain Python scalar (as the texts were always formatted from)."""
        return g[name][i].item()

    def region(i: int) -> str:
        hit, has, p = v("region_hit", i), v("has_pref", i), v("vpos", i)
        if hit:
            city, province = vac['city'].iat[p], vac['province'].iat[p]
            once = place_name(province, city) == city  # 上海 is its own province: not "上海（上海）"
            return tr(f"意向地区包含{city}" + ("" if once else f"（{province}）"),
                      f"Prefers {city}" + ("" if once else f" ({province})"))
        if has:
            return tr(f"岗位在{place_name(vac['province'].iat[p], vac['city'].iat[p])}，不在意向地区内",
                      f"Job in {vac['city'].iat[p]}, not a preferred region")
        return tr("未填意向地区", "No preferred region given")

    def board_lodging(i: int) -> str:
        key = (v("board", i), v("lodging", i))
        return tr({(True, True): "包吃住", (True, False): "包吃不包住", (False, True): "包住不包吃",
                   (False, False): "不包吃住"}[key],
                  {(True, True): "Board and lodging", (True, False): "Board only", (False, True): "Lodging only",
                   (False, False): "No board or lodging"}[key])

    def mandarin(i: int) -> str:
        m = v("mandarin", i)
        return tr({1.0: "普通话流利", 0.0: "普通话一般", -1.0: "普通话较差"}.get(m, "普通话一般"),
                  {1.0: "Fluent Mandarin", 0.0: "Basic Mandarin", -1.0: "Poor Mandarin"}.get(m, "Basic Mandarin"))

    def hours(i: int) -> str:
        h = v("hours", i)
        return tr("未登记培训课时", "No training hours recorded") if np.isnan(h) else tr(f"培训{int(h)}课时",
                                                                               f"{int(h)} training hours")

    def age(i: int) -> str:
        a = v("age", i)
        return tr(f"上岗时{int(a)}岁", f"{int(a)} years old at the start")

    # Per factor: the inputs its sentence is made of (the grouping keys) and how it is written.
    factors: dict[str, tuple[tuple[str, ...], Callable[[int], str]]] = {
        "level": (("level", "has_level", "min_level", "has_min"),
                  lambda i: _level_text(v("level", i), v("has_level", i), v("min_level", i), v("has_min", i))),
        "wage": (("expected", "wage_min", "wage_max"),
                 lambda i: _wage_text(v("expected", i), v("wage_min", i), v("wage_max", i))),
        "region": (("region_hit", "has_pref", "vpos"), region),
        "board_lodging": (("board", "lodging"), board_lodging),
        "mandarin": (("mandarin",), mandarin),
        "hours": (("hours",), hours),
        "age": (("age",), age),
        "contract": (("long_term",),
                     lambda i: tr("长期用工", "Long-term contract") if v("long_term", i) else tr("临时用工", "Temporary job")),
        "prior": (("prior_n", "prior_ret", "prior_early", "last_outcome"),
                  lambda i: _prior_text(v("prior_n", i), v("prior_ret", i), v("prior_early", i), v("last_outcome", i))),
        "employer": (("emp_rate", "emp_n"), lambda i: _employer_text(v("emp_rate", i), v("emp_n", i), "")),
    }
    out = np.empty(top.shape, dtype=object)
    for j, name in enumerate(_REASON_GROUPS):
        rows, slots = np.nonzero(top == j)  # a factor appears at most once in a row's top k
        if len(rows):
            keys, make = factors[name]
            out[rows, slots] = _texts(rows, [g[key][rows] for key in keys], make)
    texts: list[list[str]] = out.tolist()
    return texts


def _date(d: float) -> str:
    return str(dt.date(1970, 1, 1) + dt.timedelta(days=int(d)))


def exclusion_reasons(data: MatchData, t_idx: Index, v_idx: Index, codes: np.ndarray) -> list[str]:
    """One sentence per excluded pair: the first rule it breaks.

    Per rule, each distinct sentence is written once (_texts) and spread by array indexing: a vacancy
    at 200,000 trainees excludes most of them, and a Python call per row took seconds."""
    T, V = data.T, data.V
    codes = np.asarray(codes)
    n = len(codes)
    tt = np.broadcast_to(np.asarray(t_idx), (n,))
    vv = np.broadcast_to(np.asarray(v_idx), (n,))
    out = np.full(n, "", dtype=object)
    skills = data.vacancies["skill"].to_numpy()
    start = V["eff_start_d"][vv]

    def fill(code: int, keys: Callable[[np.ndarray], list[np.ndarray]], make: Callable[[int], str]) -> None:
        """Rows breaking rule ``code``; ``keys(rows)`` are the values their sentence is made of."""
        rows = np.flatnonzero(codes == code)
        if len(rows):
            out[rows] = _texts(rows, keys(rows), make)

    fill(NO_SKILLS, lambda r: [], lambda i: tr("未登记任何技能", "No skill registered"))
    skill_text = {k: (tr(f"不具备{skill_label(k)}技能", f"Lacks the skill {skill_label(k)}")) for k in set(skills)}
    fill(SKILL, lambda r: [vv[r]], lambda i: skill_text[skills[vv[i]]])

    def level(i: int) -> str:
        need = level_label(int(V["min_level"][vv[i]]))
        have = T["level"][tt[i]]
        if have >= NO_LEVEL:
            return tr(f"无等级证书，岗位要求{need}及以上", f"No graded certificate; job needs {need} or better")
        return tr(f"证书等级{level_label(int(have))}，岗位要求{need}及以上",
                  f"Certificate {level_label(int(have))}; job needs {need} or better")

    fill(LEVEL, lambda r: [V["min_level"][vv[r]], T["level"][tt[r]]], level)
    women = np.zeros(n, dtype=bool)  # filled on the rows it is read on: string comparisons cost
    gendered = np.flatnonzero(codes == GENDER)
    women[gendered] = V["gender_req"][vv[gendered]] == "F"
    fill(GENDER, lambda r: [women[r]], lambda i: tr(f"岗位限招{'女性' if women[i] else '男性'}",
                                                    f"Job is for {'women' if women[i] else 'men'} only"))

    years = np.zeros(n)
    aged = np.flatnonzero(codes == AGE)
    years[aged] = age_years(T["birth_d"][tt[aged]], start[aged])

    def age(i: int) -> str:
        lo = "" if np.isnan(V["age_min"][vv[i]]) else str(int(V["age_min"][vv[i]]))
        hi = "" if np.isnan(V["age_max"][vv[i]]) else str(int(V["age_max"][vv[i]]))
        return tr(f"上岗时{int(years[i])}岁，岗位要求{lo}–{hi}岁", f"{int(years[i])} at the start; job needs age {lo}–{hi}")

    fill(AGE, lambda r: [years[r], V["age_min"][vv[r]], V["age_max"][vv[r]]], age)
    fill(AVAILABLE, lambda r: [T["available_d"][tt[r]], start[r]],
         lambda i: tr(f"可出发日期{_date(T['available_d'][tt[i]])}晚于到岗日期{_date(start[i])}",
                      f"Available from {_date(T['available_d'][tt[i]])}, after the start {_date(start[i])}"))
    busy = tr("已在岗或已确认其他岗位", "Already on a job or confirmed for another")
    fill(BUSY, lambda r: [], lambda i: busy)

    def health(i: int) -> str:
        expiry = T["health_d"][tt[i]]
        if np.isnan(expiry):
            return tr("无健康证，岗位需要健康证", "No health certificate; the job needs one")
        return tr(f"健康证{_date(expiry)}到期，早于到岗日期{_date(start[i])}",
                  f"Health certificate expires {_date(expiry)}, before the start {_date(start[i])}")

    fill(HEALTH, lambda r: [T["health_d"][tt[r]], start[r]], health)
    texts: list[str] = out.tolist()
    return texts



def pair_verdicts(data: MatchData, trainee_ids: list[int], vacancy_ids: list[int]) -> list[tuple[str, str] | None]:
    """Per (trainee, vacancy) pair given by ids: None when eligible, else (rules, sentence): the names of
    every rule it breaks (comma-separated) and their sentences joined by "；" — the rules of
    matching.features and the words of a ranking's excluded list. Every id must be in ``data``."""
    t_pos = data.trainee_pos(trainee_ids)
    v_pos = data.vacancy_pos(vacancy_ids)
    if (t_pos < 0).any() or (v_pos < 0).any():
        raise KeyError("a pair outside the data")
    out: list[tuple[str, str] | None] = [None] * len(t_pos)
    if not len(t_pos):
        return out
    # The vectorised first-rule pass settles the eligible pairs (all of a plan) at once; only the
    # refused few are looked at rule by rule.
    bad = np.flatnonzero(eligibility(data, t_pos, v_pos) != ELIGIBLE)
    for i, codes in zip(bad.tolist(), broken_rules(data, t_pos[bad], v_pos[bad]) if len(bad) else []):
        n = len(codes)
        sentences = exclusion_reasons(data, np.full(n, t_pos[i]), np.full(n, v_pos[i]), np.asarray(codes))
        out[i] = (",".join(RULES[c] for c in codes), tr("；", "; ").join(sentences))
    return out
