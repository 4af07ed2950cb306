"""Plain-language reasons: why a pair scores as it does, and why a trainee was excluded.

Texts repeat a lot (the same wage band, the same employer), so each distinct combination is
formatted once and reused; this keeps reasons for hundreds of thousands of pairs cheap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np

from core.i18n import tr
from core.vocab import level_label, skill_label
from matching.data import NO_LEVEL, MatchData
from matching.features import (
    AGE,
    AVAILABLE,
    BUSY,
    GENDER,
    GROUP_NAMES,
    HEALTH,
    LEVEL,
    NO_SKILLS,
    SKILL,
    Index,
    age_years,
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
    pct = int(round(rate * 100))
    return tr(f"该单位历史稳岗率{pct}%（{int(n)}人次）", f"This employer's 6-month retention {pct}% ({int(n)} placements)")


def _cached(fn: Callable[..., str]) -> Callable[..., str]:
    cache: dict[tuple[object, ...], str] = {}

    def get(*key: object) -> str:
        text = cache.get(key)
        if text is None:
            text = cache[key] = fn(*key)
        return text
    return get


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
    f = {
        "level": _cached(_level_text),
        "wage": _cached(_wage_text),
        "prior": _cached(_prior_text),
        "employer": _cached(lambda r, m, name: _employer_text(r, m, name)),
        "region": _cached(lambda hit, has, v: (
            tr(f"意向地区包含{vac['city'].iat[v]}（{vac['province'].iat[v]}）", f"Prefers {vac['city'].iat[v]} ({vac['province'].iat[v]})")
            if hit else (tr(f"岗位在{vac['province'].iat[v]}{vac['city'].iat[v]}，不在意向地区内",
                            f"Job in {vac['city'].iat[v]}, not a preferred region") if has
                         else tr("未填意向地区", "No preferred region given")))),
        "board_lodging": _cached(lambda b, lodge: tr(
            {(True, True): "包吃住", (True, False): "包吃不包住", (False, True): "包住不包吃", (False, False): "不包吃住"}[(b, lodge)],
            {(True, True): "Board and lodging", (True, False): "Board only", (False, True): "Lodging only",
             (False, False): "No board or lodging"}[(b, lodge)])),
        "mandarin": _cached(lambda m: tr({1.0: "普通话流利", 0.0: "普通话一般", -1.0: "普通话较差"}.get(m, "普通话一般"),
                                         {1.0: "Fluent Mandarin", 0.0: "Basic Mandarin", -1.0: "Poor Mandarin"}.get(m, "Basic Mandarin"))),
        "hours": _cached(lambda h: tr("未登记培训课时", "No training hours recorded") if np.isnan(h)
                         else tr(f"培训{int(h)}课时", f"{int(h)} training hours")),
        "age": _cached(lambda a: tr(f"上岗时{int(a)}岁", f"{int(a)} years old at the start")),
        "contract": _cached(lambda lt: tr("长期用工", "Long-term contract") if lt else tr("临时用工", "Temporary job")),
    }
    cols_needed = ("level", "has_level", "min_level", "has_min", "expected", "wage_min", "wage_max", "region_hit",
                   "has_pref", "board", "lodging", "mandarin", "hours", "age", "long_term", "prior_n", "prior_ret",
                   "prior_early", "last_outcome", "emp_rate", "emp_n")
    # Plain Python lists: element access is far cheaper than numpy scalar indexing in this loop.
    g = {c: np.broadcast_to(np.asarray(inputs[c]), (n,)).tolist() for c in cols_needed}
    g["emp_rate"] = np.round(np.broadcast_to(inputs["emp_rate"], (n,)), 2).tolist()
    g["age"] = np.floor(np.nan_to_num(np.broadcast_to(inputs["age"], (n,)).astype(float), nan=0)).astype(int).tolist()
    vpos = np.broadcast_to(np.asarray(v_idx), (n,)).tolist()
    makers = {
        "level": lambda i: f["level"](g["level"][i], g["has_level"][i], g["min_level"][i], g["has_min"][i]),
        "wage": lambda i: f["wage"](g["expected"][i], g["wage_min"][i], g["wage_max"][i]),
        "region": lambda i: f["region"](g["region_hit"][i], g["has_pref"][i], vpos[i]),
        "board_lodging": lambda i: f["board_lodging"](g["board"][i], g["lodging"][i]),
        "mandarin": lambda i: f["mandarin"](g["mandarin"][i]),
        "hours": lambda i: f["hours"](g["hours"][i]),
        "age": lambda i: f["age"](g["age"][i]),
        "contract": lambda i: f["contract"](g["long_term"][i]),
        "prior": lambda i: f["prior"](g["prior_n"][i], g["prior_ret"][i], g["prior_early"][i], g["last_outcome"][i]),
        "employer": lambda i: f["employer"](g["emp_rate"][i], g["emp_n"][i], ""),
    }
    by_index = [makers[name] for name in _REASON_GROUPS]
    out: list[list[str]] = []
    for i, row_top in enumerate(top.tolist()):
        out.append([by_index[j](i) for j in row_top])
    return out


def _date(d: float) -> str:
    return str(dt.date(1970, 1, 1) + dt.timedelta(days=int(d)))


def exclusion_reasons(data: MatchData, t_idx: Index, v_idx: Index, codes: np.ndarray) -> list[str]:
    """One sentence per excluded pair: the first rule it breaks.

    Filled per rule with array lookups: a vacancy at 200,000 trainees excludes most of them, and
    a Python branch per row (with pandas access) took seconds."""
    T, V = data.T, data.V
    codes = np.asarray(codes)
    n = len(codes)
    tt = np.broadcast_to(np.asarray(t_idx), (n,))
    vv = np.broadcast_to(np.asarray(v_idx), (n,))
    out = np.full(n, "", dtype=object)
    skills = data.vacancies["skill"].to_numpy()
    start = V["eff_start_d"][vv]

    def fill(code: int, make: Callable[[np.intp], str]) -> None:
        idx = np.nonzero(codes == code)[0]
        if len(idx):
            out[idx] = [make(i) for i in idx]

    fill(NO_SKILLS, lambda i: tr("未登记任何技能", "No skill registered"))
    skill_text = {k: (tr(f"不具备{skill_label(k)}技能", f"Lacks the skill {skill_label(k)}")) for k in set(skills)}
    fill(SKILL, lambda i: skill_text[skills[vv[i]]])

    def level(i: np.intp) -> str:
        need = level_label(int(V["min_level"][vv[i]]))
        have = T["level"][tt[i]]
        if have >= NO_LEVEL:
            return tr(f"无等级证书，岗位要求{need}及以上", f"No graded certificate; job needs {need} or better")
        return tr(f"证书等级{level_label(int(have))}，岗位要求{need}及以上",
                  f"Certificate {level_label(int(have))}; job needs {need} or better")

    fill(LEVEL, level)
    fill(GENDER, lambda i: tr(f"岗位限招{'女性' if V['gender_req'][vv[i]] == 'F' else '男性'}",
                              f"Job is for {'women' if V['gender_req'][vv[i]] == 'F' else 'men'} only"))

    def age(i: np.intp) -> str:
        years = int(age_years(T["birth_d"][tt[i]], start[i]))
        lo = "" if np.isnan(V["age_min"][vv[i]]) else str(int(V["age_min"][vv[i]]))
        hi = "" if np.isnan(V["age_max"][vv[i]]) else str(int(V["age_max"][vv[i]]))
        return tr(f"上岗时{years}岁，岗位要求{lo}–{hi}岁", f"{years} at the start; job needs age {lo}–{hi}")

    fill(AGE, age)
    fill(AVAILABLE, lambda i: tr(f"可出发日期{_date(T['available_d'][tt[i]])}晚于到岗日期{_date(start[i])}",
                                 f"Available from {_date(T['available_d'][tt[i]])}, after the start {_date(start[i])}"))
    busy = tr("已在岗或已确认其他岗位", "Already on a job or confirmed for another")
    fill(BUSY, lambda i: busy)

    def health(i: np.intp) -> str:
        expiry = T["health_d"][tt[i]]
        if np.isnan(expiry):
            return tr("无健康证，岗位需要健康证", "No health certificate; the job needs one")
        return tr(f"健康证{_date(expiry)}到期，早于到岗日期{_date(start[i])}",
                  f"Health certificate expires {_date(expiry)}, before the start {_date(start[i])}")

    fill(HEALTH, health)
    return out.tolist()
