"""The statistics page (统计) and its xlsx export: SQL aggregation for the registry, one vectorised
pass over the placements for retention (Kaplan–Meier, censored), conversion, wages and the
indicators the bureau reports upward.

Definitions (also shown as notes in the export):
- registered: trainees not deleted; trained: with a training record; certified: with a graded or
  special-ability certificate; placed: with a placement that was confirmed or went further;
  on the job: with a placement now 在岗.
- retention at 3/6/12 months: Kaplan–Meier S(90 / 180 / 365 days) over placements that started; a
  placement still running is censored at today.
- temporary → skilled: share of started placements converted (转为职业工), and the median days
  from start to conversion among those converted.
- average wage: mean monthly wage of placements now on the job.
- destination: 省外 when the employer's province differs from the worker's home province (from
  the ID number); 县内 when the employer's city or district is the worker's school county;
  otherwise 省内县外. Employed over six months: among people employed at any time in the last
  365 days, those employed ≥ 180 days of them.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Integer, case, cast, func, literal, select, type_coerce
from sqlalchemy.engine import Connection

from core.access import Actor, require
from core.fields import formula_like
from core.files import write_file
from core.i18n import UserError, tr
from core.placement import LISTED
from core.vocab import SKILLS, household_label, skill_label
from db import audit
from db.engine import Database
from db.models import Certificate, Employer, Placement, School, Trainee, TrainingRecord, Vacancy
from db.rules import sees_trainee_expr
from matching.survival import grouped_survival_codes, kaplan_meier, survival_at

PLACED = LISTED  # placed: confirmed to go, gone, or back
HORIZONS = (90, 180, 365)
DIMENSIONS = ("township", "school", "employer", "skill", "household_type")
DIMENSION_LABELS = {"township": ("乡镇", "Township"), "school": ("培训学校", "School"),
                    "employer": ("用人单位", "Employer"), "skill": ("技能", "Skill"),
                    "household_type": ("户类型", "Household type")}
METRICS = ("registered", "trained", "certified", "placed", "on_job", "retention_90", "retention_180",
           "retention_365", "skilled_rate", "skilled_median_days", "avg_wage")
METRIC_LABELS = {
    "registered": ("登记", "Registered"), "trained": ("参训", "Trained"), "certified": ("持证", "Certified"),
    "placed": ("就业", "Placed"), "on_job": ("在岗", "On the job"),
    "retention_90": ("3个月稳岗率", "Retention 3 m"), "retention_180": ("6个月稳岗率", "Retention 6 m"),
    "retention_365": ("12个月稳岗率", "Retention 12 m"), "skilled_rate": ("转职业工率", "Skilled rate"),
    "skilled_median_days": ("转职业工中位天数", "Median days to skilled"), "avg_wage": ("平均月薪", "Average wage"),
}
DESTINATIONS = ("outside_province", "in_province", "in_county")
DESTINATION_LABELS = {"outside_province": ("省外", "Outside the province"),
                      "in_province": ("省内县外", "In province, outside county"),
                      "in_county": ("县内", "In county")}
# First two digits of a resident ID → province as employers' rows spell it.
ID_PROVINCES = {"11": "北京", "12": "天津", "13": "河北", "14": "山西", "15": "内蒙古", "21": "辽宁", "22": "吉林",
                "23": "黑龙江", "31": "上海", "32": "江苏", "33": "浙江", "34": "安徽", "35": "福建", "36": "江西",
                "37": "山东", "41": "河南", "42": "湖北", "43": "湖南", "44": "广东", "45": "广西", "46": "海南",
                "50": "重庆", "51": "四川", "52": "贵州", "53": "云南", "54": "西藏", "61": "陕西", "62": "甘肃",
                "63": "青海", "64": "宁夏", "65": "新疆"}


def metric_label(key: str) -> str:
    return tr(*METRIC_LABELS[key])


def dimension_label(key: str) -> str:
    return tr(*DIMENSION_LABELS[key])


@dataclass
class Stats:
    today: dt.date                          # the "as of" date (the end of the period)
    overview: dict[str, float]
    curve: pd.DataFrame                     # KM: time (days), survival, at_risk, events
    breakdowns: dict[str, pd.DataFrame]     # dimension → group rows × METRICS
    upward: pd.DataFrame                    # destination rows
    upward_totals: dict[str, float] = field(default_factory=dict)
    start: dt.date | None = None            # the first day of the period; None = all history

    def period_text(self) -> str:
        if self.start is None:
            return tr(f"截至 {self.today:%Y-%m-%d}", f"as of {self.today:%Y-%m-%d}")
        return tr(f"{self.start:%Y-%m-%d} 至 {self.today:%Y-%m-%d}", f"{self.start:%Y-%m-%d} to {self.today:%Y-%m-%d}")


def _day_number(conn: Connection, column):  # type: ignore[no-untyped-def]
    """Days since 1970-01-01 computed by the database (no per-row date objects in Python)."""
    if conn.dialect.name == "sqlite":
        return cast(func.julianday(column) - 2440587.5, Integer)
    return type_coerce(column - literal(dt.date(1970, 1, 1)), Integer)


def _columns(conn: Connection, stmt) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    """The result as one numpy array per column, straight from the DBAPI tuples (no Row objects,
    no frame built row by row)."""
    result = conn.execute(stmt)
    try:
        n_cols = len(result.keys())
        rows = result.cursor.fetchall() if result.cursor is not None else []
    finally:
        result.close()
    if not rows:
        return [np.empty(0, dtype=object) for _ in range(n_cols)]
    table = np.empty((len(rows), n_cols), dtype=object)
    table[:] = rows  # one C-level copy; zip(*rows) over 300,000 tuples is several times slower
    return [table[:, i] for i in range(n_cols)]


def _num(values: np.ndarray) -> np.ndarray:
    """Numbers with None → NaN."""
    return np.array(values, dtype=float) if len(values) else np.empty(0)


def _codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dictionary encoding: (codes, labels); None and "" become code −1 only for None."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


_STATUS_CODES = {s: i for i, s in enumerate(PLACED)}          # confirmed 0, departed 1, on_job 2, ended 3
_HOUSEHOLDS = ("general", "poverty_exited", "monitored")


@dataclass
class _Data:
    """Everything read once, dictionary-encoded: trainee-side and vacancy-side attribute codes, and
    per placement the positions into both, plus its numbers."""
    t_id: np.ndarray
    t_attr: dict[str, tuple[np.ndarray, np.ndarray]]   # dimension → (codes per trainee, labels)
    t_skills: tuple[np.ndarray, np.ndarray]
    t_trained: np.ndarray
    t_certified: np.ndarray
    t_home: np.ndarray          # province name from the ID, per trainee (object)
    t_county: np.ndarray        # the school's county, per trainee (object)
    v_attr: dict[str, tuple[np.ndarray, np.ndarray]]   # skill / employer codes per vacancy
    v_province: np.ndarray
    v_city: np.ndarray
    v_district: np.ndarray
    p_t: np.ndarray             # trainee position of each placement
    p_v: np.ndarray             # vacancy position of each placement
    p_status: np.ndarray
    p_start: np.ndarray
    p_end: np.ndarray
    p_skilled: np.ndarray
    p_wage: np.ndarray
    placed_people: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    on_people: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))


_MISSING = -999_999_999
_SEP = "\x1f"


def _fetch(conn: Connection, ints: list, texts: list, source, where: list):  # type: ignore[no-untyped-def]
    """Integer columns (NULL → NaN, as float arrays) and text columns (NULL → None) of one query.

    On SQLite the whole result comes back as one row of ``group_concat`` strings that numpy parses in
    C: hundreds of thousands of rows cost no Python object per cell. Elsewhere: plain rows."""
    if conn.dialect.name == "sqlite":
        cols = [func.group_concat(func.coalesce(e, _MISSING)) for e in ints]
        cols += [func.group_concat(func.coalesce(e, ""), _SEP) for e in texts]
        row = conn.execute(select(*cols).select_from(source).where(*where)).one()
        out_i = []
        for value in row[:len(ints)]:
            arr = np.fromstring(value, dtype=np.float64, sep=",") if value else np.empty(0)
            arr[arr == _MISSING] = np.nan
            out_i.append(arr)
        out_t = [np.array(value.split(_SEP), dtype=object) if value is not None else np.empty(0, dtype=object)
                 for value in row[len(ints):]]
        out_t = [np.where(t == "", None, t) for t in out_t]
        return out_i, out_t
    columns = _columns(conn, select(*ints, *texts).select_from(source).where(*where))
    return [_num(c) for c in columns[:len(ints)]], columns[len(ints):]


def _read_all(conn: Connection, actor: Actor) -> _Data:
    household = case(*[(Trainee.household_type == h, i) for i, h in enumerate(_HOUSEHOLDS)], else_=None)
    where = [Trainee.deleted_at.is_(None)]
    where.append(sees_trainee_expr(actor))
    (t_id, school_id, hh, prefix), (township, skills) = _fetch(
        conn, [Trainee.id, Trainee.school_id, household, cast(func.substr(Trainee.id_number, 1, 2), Integer)],
        [Trainee.township, Trainee.skills], Trainee, where)
    t_id = t_id.astype(np.int64)
    # index-only DISTINCT scans are far cheaper than two correlated EXISTS per trainee
    (trained,), _ = _fetch(conn, [TrainingRecord.trainee_id], [], TrainingRecord, [])
    (certified,), _ = _fetch(conn, [Certificate.trainee_id], [], Certificate,
                             [Certificate.cert_type.in_(("graded", "special"))])
    s_id, s_name, s_county = _columns(conn, select(School.id, School.name, School.county))
    school_pos = pd.Index(s_id.astype(np.int64) if len(s_id) else []).get_indexer(
        np.nan_to_num(school_id, nan=-1).astype(np.int64))
    school_name = np.where(school_pos >= 0, s_name[np.maximum(school_pos, 0)] if len(s_name) else "", "")
    county = np.where(school_pos >= 0, s_county[np.maximum(school_pos, 0)] if len(s_county) else None, None)
    hh_codes = np.nan_to_num(hh, nan=-1).astype(np.int64)
    t_attr = {"township": _codes(township), "school": _codes(school_name),
              "household_type": (hh_codes, np.array(_HOUSEHOLDS, dtype=object))}
    provinces = np.array([ID_PROVINCES.get(f"{i:02d}") for i in range(100)], dtype=object)
    home = provinces[np.clip(np.nan_to_num(prefix, nan=0).astype(np.int64), 0, 99)]

    status = case(*[(Placement.status == st, i) for st, i in _STATUS_CODES.items()], else_=None)
    (p_tid, p_vid, p_status, p_start, p_end, p_skilled, p_wage), _ = _fetch(
        conn, [Placement.trainee_id, Placement.vacancy_id, status, _day_number(conn, Placement.start_date),
               _day_number(conn, Placement.end_date), _day_number(conn, Placement.skilled_since),
               Placement.monthly_wage], [], Placement, [Placement.status.in_(PLACED)])
    v_id, v_skill, v_emp, v_prov, v_city, v_district = _columns(conn, select(
        Vacancy.id, Vacancy.skill, Employer.name, Employer.province, Employer.city, Employer.district)
        .join(Employer, Employer.id == Vacancy.employer_id))
    p_t = pd.Index(t_id).get_indexer(p_tid.astype(np.int64)) if len(p_tid) else np.empty(0, np.int64)
    keep = p_t >= 0  # deleted trainees, or other schools' for school staff, drop out here
    p_v = pd.Index(v_id.astype(np.int64)).get_indexer(p_vid[keep].astype(np.int64)) if keep.any() \
        else np.empty(0, np.int64)
    province = pd.Series(v_prov, dtype=object).fillna("").str.replace(
        r"(省|市|自治区|壮族|回族|维吾尔)+$", "", regex=True).to_numpy(object)
    return _Data(t_id, t_attr, _codes(skills), np.isin(t_id, trained.astype(np.int64)),
                 np.isin(t_id, certified.astype(np.int64)), home, county,
                 {"skill": _codes(v_skill), "employer": _codes(v_emp)}, province, v_city, v_district,
                 p_t[keep], p_v, p_status[keep].astype(np.int64), p_start[keep], p_end[keep],
                 p_skilled[keep], p_wage[keep])


def _as_of(d: _Data, to_n: int, from_n: int | None) -> _Data:
    """The placements as they stood on day ``to_n``: none started later; a leaving or conversion after
    it had not happened yet (the worker was still on the job). With ``from_n``, only the placements
    that started within the period (the flows: placed, retention, conversion)."""
    start, end, skilled, status = d.p_start, d.p_end.copy(), d.p_skilled.copy(), d.p_status.copy()
    later_end = np.isfinite(end) & (end > to_n)
    end[later_end] = np.nan
    status[later_end & (status == _STATUS_CODES["ended"])] = _STATUS_CODES["on_job"]
    skilled[np.isfinite(skilled) & (skilled > to_n)] = np.nan
    keep = ~(np.isfinite(start) & (start > to_n))
    if from_n is not None:
        keep &= np.isfinite(start) & (start >= from_n)
    return _Data(d.t_id, d.t_attr, d.t_skills, d.t_trained, d.t_certified, d.t_home, d.t_county, d.v_attr,
                 d.v_province, d.v_city, d.v_district, d.p_t[keep], d.p_v[keep], status[keep], start[keep],
                 end[keep], skilled[keep], d.p_wage[keep])


def _people(d: _Data) -> None:
    seen = np.zeros(len(d.t_id), bool)
    seen[d.p_t] = True
    d.placed_people = np.flatnonzero(seen)
    seen[:] = False
    seen[d.p_t[d.p_status == _STATUS_CODES["on_job"]]] = True
    d.on_people = np.flatnonzero(seen)


def _fingerprint(conn: Connection) -> tuple:
    """Milliseconds to read; changes with any insert, update or delete the figures depend on (the
    version and updated_at columns move on every ORM update, the text lengths on a renamed school or
    employer), so cached data is never stale."""
    def text_len(*cols):  # type: ignore[no-untyped-def]
        total = sum((func.coalesce(func.length(c), 0) for c in cols), literal(0))
        return func.coalesce(func.sum(total), 0)
    parts = [select(func.count(), func.max(Trainee.id), func.max(Trainee.updated_at), func.sum(Trainee.version)),
             select(func.count(), func.max(Placement.id), func.max(Placement.updated_at), func.sum(Placement.version)),
             select(func.count(), func.sum(Vacancy.version)),
             select(func.count(), func.max(TrainingRecord.id)),
             select(func.count(), func.max(Certificate.id)),
             select(func.count(), text_len(School.name, School.county)),
             select(func.count(), text_len(Employer.name, Employer.province, Employer.city, Employer.district))]
    return tuple(str(v) for stmt in parts for v in conn.execute(stmt).one())


# (url, role, school) -> (fingerprint, data): reading every trainee and placement is most of the time
# at county scale; a second look at an unchanged database reuses it.
_data_cache: dict[tuple[str, str, int | None], tuple[tuple, _Data]] = {}


def _read_cached(database: Database, actor: Actor) -> _Data:
    key = (str(database.url), actor.role, actor.school_id)
    with database.engine.connect() as conn:
        fingerprint = _fingerprint(conn)
        cached = _data_cache.get(key)
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        data = _read_all(conn, actor)
    _data_cache[key] = (fingerprint, data)
    return data


def _distinct(codes: np.ndarray, people: np.ndarray, n_groups: int, n_people: int) -> np.ndarray:
    """Distinct people per group code: unique (group, person) pairs, then a bincount."""
    ok = codes >= 0
    if not ok.any():
        return np.zeros(n_groups, np.int64)
    keys = np.sort(codes[ok] * n_people + people[ok])
    first = np.ones(len(keys), bool)
    first[1:] = keys[1:] != keys[:-1]
    return np.bincount(keys[first] // n_people, minlength=n_groups)


def _group_median(codes: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    ok = (codes >= 0) & np.isfinite(values)
    c, v = codes[ok], values[ok]
    out = np.full(n_groups, np.nan)
    if not len(c):
        return out
    order = np.lexsort((v, c))
    c, v = c[order], v[order]
    lo = np.searchsorted(c, np.arange(n_groups))
    hi = np.searchsorted(c, np.arange(n_groups), side="right")
    has = hi > lo
    a = v[np.minimum((lo + hi - 1) // 2, len(v) - 1)]
    b = v[np.minimum((lo + hi) // 2, len(v) - 1)]
    out[has] = ((a + b) / 2)[has]
    return out


def _placement_metrics(d: _Data, codes: np.ndarray, k: int, today_n: int,
                       trainee_codes: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Per group code: placed, on_job (distinct people), retention, conversion, wage — numpy only."""
    n_people = max(1, len(d.t_id))
    on = d.p_status == _STATUS_CODES["on_job"]
    if trainee_codes is not None:  # a trainee's group never changes: count each placed person once
        placed_codes, on_codes = trainee_codes[d.placed_people], trainee_codes[d.on_people]
        placed = np.bincount(placed_codes[placed_codes >= 0], minlength=k)
        on_job = np.bincount(on_codes[on_codes >= 0], minlength=k)
    else:
        placed = _distinct(codes, d.p_t, k, n_people)
        on_job = _distinct(np.where(on, codes, -1), d.p_t, k, n_people)
    wage_ok = on & np.isfinite(d.p_wage) & (codes >= 0)
    wage_n = np.bincount(codes[wage_ok], minlength=k)
    wage_sum = np.bincount(codes[wage_ok], weights=d.p_wage[wage_ok], minlength=k)
    started = (d.p_status >= _STATUS_CODES["departed"]) & np.isfinite(d.p_start) & (d.p_start <= today_n) & (codes >= 0)
    sc, s_start, s_end, s_sk = codes[started], d.p_start[started], d.p_end[started], d.p_skilled[started]
    ended = np.isfinite(s_end)
    surv = grouped_survival_codes(sc, k, np.where(ended, s_end, today_n) - s_start, ended, HORIZONS)
    n_started = np.bincount(sc, minlength=k)
    conv = np.isfinite(s_sk)
    n_conv = np.bincount(sc[conv], minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {"placed": placed, "on_job": on_job,
                **{f"retention_{h}": surv[f"s_{h}"].to_numpy() for h in HORIZONS},
                "skilled_rate": np.where(n_started > 0, n_conv / np.maximum(n_started, 1), np.nan),
                "skilled_median_days": _group_median(np.where(conv, sc, -1), s_sk - s_start, k),
                "avg_wage": np.where(wage_n > 0, wage_sum / np.maximum(wage_n, 1), np.nan)}


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise equality of two object arrays of names (None never equals anything)."""
    codes, _ = pd.factorize(pd.Series(np.concatenate([a, b]), dtype=object), use_na_sentinel=True)
    ca, cb = codes[:len(a)], codes[len(a):]
    return (ca == cb) & (ca >= 0)


def _upward(d: _Data, today_n: int, from_n: int | None = None) -> tuple[pd.DataFrame, dict[str, float]]:
    started = (d.p_status >= _STATUS_CODES["departed"]) & np.isfinite(d.p_start) & (d.p_start <= today_n)
    t, v = d.p_t[started], d.p_v[started]
    home, county = d.t_home[t], d.t_county[t]
    outside = ~_same(home, d.v_province[v])
    in_county = _same(county, d.v_city[v]) | _same(county, d.v_district[v])
    dest = np.where(outside, 0, np.where(in_county, 2, 1))  # index into DESTINATIONS
    end = np.minimum(np.where(np.isfinite(d.p_end[started]), d.p_end[started], today_n), today_n)
    window = today_n - 365 if from_n is None else from_n  # the last year, or the period asked for
    days = np.clip(end - np.maximum(d.p_start[started], window), 0, None)
    n_people = max(1, len(d.t_id))
    # a person counts once, under the destination where they spent most days of the year
    year = days > 0
    key = dest[year] * n_people + t[year]
    uniq, inverse = np.unique(key, return_inverse=True)
    per_days = np.bincount(inverse, weights=days[year])
    per_t, per_dest = uniq % n_people, uniq // n_people
    total = np.bincount(per_t, weights=per_days, minlength=n_people)
    order = np.lexsort((-per_days, per_t))
    first = np.ones(len(order), bool)
    first[1:] = per_t[order][1:] != per_t[order][:-1]
    main_t, main_dest = per_t[order][first], per_dest[order][first]
    employed = np.bincount(main_dest, minlength=3)
    six = np.bincount(main_dest[total[main_t] >= 180], minlength=3)
    on = d.p_status[started] == _STATUS_CODES["on_job"]
    on_pairs = np.unique(t[on] * 3 + dest[on])
    on_people = np.unique(on_pairs // 3, return_index=True)[1]
    on_now = np.bincount((on_pairs % 3)[on_people], minlength=3)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(employed > 0, six / np.maximum(employed, 1), np.nan)
    table = pd.DataFrame({"destination": list(DESTINATIONS), "on_job": on_now, "employed_year": employed,
                          "over_six_months": six, "share_over_six": share})
    total_year = int(employed.sum())
    totals = {"on_job": int(on_now.sum()), "employed_year": total_year, "over_six_months": int(six.sum()),
              "share_over_six": float(six.sum() / total_year) if total_year else float("nan")}
    return table, totals


def _registry_counts(d: _Data, codes: np.ndarray, k: int) -> dict[str, np.ndarray]:
    ok = codes >= 0
    return {"registered": np.bincount(codes[ok], minlength=k),
            "trained": np.bincount(codes[ok & d.t_trained], minlength=k),
            "certified": np.bincount(codes[ok & d.t_certified], minlength=k)}


def _skill_registry(d: _Data, labels: np.ndarray) -> dict[str, np.ndarray]:
    """Registry counts per skill: a trainee with two skills counts under both."""
    s_codes, s_labels = d.t_skills
    out = {m: np.zeros(len(labels), np.int64) for m in ("registered", "trained", "certified")}
    index = {lab: i for i, lab in enumerate(labels)}
    ok = s_codes >= 0
    reg = np.bincount(s_codes[ok], minlength=len(s_labels))
    trn = np.bincount(s_codes[ok & d.t_trained], minlength=len(s_labels))
    cer = np.bincount(s_codes[ok & d.t_certified], minlength=len(s_labels))
    for j, combo in enumerate(s_labels):  # a few dozen combinations, not per trainee
        for skill in str(combo or "").split(","):
            if skill in index:
                i = index[skill]
                out["registered"][i] += reg[j]
                out["trained"][i] += trn[j]
                out["certified"][i] += cer[j]
    return out


def compute(database: Database, *, actor: Actor, today: dt.date | None = None,
            start: dt.date | None = None) -> Stats:
    """Every figure of the statistics page, as of ``today`` (default: today). With ``start``, the flows
    (placed, retention, conversion, the upward year) cover the placements that started from ``start``
    to ``today``; the stocks (registry, on the job, wages) stay as of ``today``."""
    require(actor, "stats.read")
    today = today or dt.date.today()
    if start is not None and start > today:
        raise UserError(f"统计起始日期 {start} 晚于截止日期 {today}，请核对。",
                        f"The period starts ({start}) after it ends ({today}).")
    today_n = (today - dt.date(1970, 1, 1)).days
    from_n = None if start is None else (start - dt.date(1970, 1, 1)).days
    whole = _as_of(_read_cached(database, actor), today_n, None)
    _people(whole)
    d = whole
    if from_n is not None:
        d = _as_of(whole, today_n, from_n)
        _people(d)

    breakdowns: dict[str, pd.DataFrame] = {}
    for dim in DIMENSIONS:
        if dim in d.t_attr:
            t_codes, labels = d.t_attr[dim]
            k = len(labels)
            reg = _registry_counts(d, t_codes, k)
            p_codes = t_codes[d.p_t] if len(d.p_t) else np.empty(0, np.int64)
        else:
            v_codes, labels = d.v_attr[dim]
            if dim == "skill":  # every skill has a row, even with no vacancy yet
                labels = np.array(list(dict.fromkeys([*SKILLS, *labels])), dtype=object)
                v_codes = pd.Index(labels).get_indexer(d.v_attr["skill"][1])[np.maximum(v_codes, 0)] \
                    if len(v_codes) else v_codes
            k = len(labels)
            reg = _skill_registry(d, labels) if dim == "skill" else \
                {m: np.zeros(k, np.int64) for m in ("registered", "trained", "certified")}
            p_codes = v_codes[d.p_v] if len(d.p_v) else np.empty(0, np.int64)
        metrics = _placement_metrics(d, p_codes, k, today_n, t_codes if dim in d.t_attr else None)
        if d is not whole:  # stocks: everyone on the job at the end of the period, not only its starters
            w_codes = (t_codes[whole.p_t] if dim in d.t_attr else v_codes[whole.p_v]) if len(whole.p_t) \
                else np.empty(0, np.int64)
            stock = _placement_metrics(whole, w_codes, k, today_n, t_codes if dim in d.t_attr else None)
            metrics["on_job"], metrics["avg_wage"] = stock["on_job"], stock["avg_wage"]
        table = pd.DataFrame({"group": labels, **reg, **metrics})
        table = table[(table["registered"] > 0) | (table["placed"] > 0) | (dim == "skill")]
        table = table[[*["group"], *METRICS]].copy()
        table["group"] = table["group"].map(lambda g: "" if g is None else str(g))
        if dim == "skill":
            table["label"] = table["group"].map(skill_label)
        elif dim == "household_type":
            table["label"] = table["group"].map(household_label)
        else:
            table["label"] = table["group"].replace("", tr("（未填）", "(blank)"))
        sort_key = "registered" if dim != "employer" else "placed"
        breakdowns[dim] = table.sort_values([sort_key, "placed"], ascending=False, kind="stable").reset_index(drop=True)

    started = (d.p_status >= _STATUS_CODES["departed"]) & np.isfinite(d.p_start) & (d.p_start <= today_n)
    ended = np.isfinite(d.p_end[started])
    curve = kaplan_meier(np.where(ended, d.p_end[started], today_n) - d.p_start[started], ended)
    at = survival_at(curve, HORIZONS)
    conv = np.isfinite(d.p_skilled[started])
    on = whole.p_status == _STATUS_CODES["on_job"]
    wages = whole.p_wage[on & np.isfinite(whole.p_wage)]
    overview = {
        "registered": int(len(d.t_id)), "trained": int(d.t_trained.sum()), "certified": int(d.t_certified.sum()),
        "placed": int(len(d.placed_people)), "on_job": int(len(whole.on_people)),
        **{f"retention_{h}": s for h, s in zip(HORIZONS, at)},
        "skilled_rate": float(conv.mean()) if started.any() else float("nan"),
        "skilled_median_days": float(np.median((d.p_skilled[started] - d.p_start[started])[conv]))
        if conv.any() else float("nan"),
        "avg_wage": float(wages.mean()) if len(wages) else float("nan"),
        "started_placements": int(started.sum()),
    }
    upward, totals = _upward(whole, today_n, from_n)
    return Stats(today, overview, curve, breakdowns, upward, totals, start)


def _percent(x: float) -> str:
    return "" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x * 100:.1f}%"


def format_metric(key: str, value: object) -> str:
    """How a figure reads on screen: counts with separators, rates as percentages, money in 元."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "—"
    if key.startswith("retention") or key in ("skilled_rate", "share_over_six"):
        return _percent(float(value))  # type: ignore[arg-type]
    if key == "avg_wage":
        return f"{float(value):,.0f}"  # type: ignore[arg-type]
    if key == "skilled_median_days":
        return f"{float(value):.0f}"  # type: ignore[arg-type]
    return f"{int(value):,}"  # type: ignore[call-overload]


def destination_label(key: str) -> str:
    return tr(*DESTINATION_LABELS[key])


RATE_KEYS = ("retention_90", "retention_180", "retention_365", "skilled_rate", "share_over_six", "survival")
MONEY_KEYS = ("avg_wage",)


def definitions(stats: Stats) -> list[tuple[str, str]]:
    """(figure, how it is counted) for the 口径说明 sheet, in the user's language."""
    period = stats.period_text()
    flows = tr(f"统计期（{period}）内开始务工的就业记录", f"placements that started in the period ({period})") \
        if stats.start else tr(f"截至 {stats.today:%Y-%m-%d} 已开始务工的全部就业记录",
                               f"all placements started by {stats.today:%Y-%m-%d}")
    year = tr(f"{stats.start:%Y-%m-%d} 至 {stats.today:%Y-%m-%d}", f"{stats.start:%Y-%m-%d} to {stats.today:%Y-%m-%d}") \
        if stats.start else tr(f"截至 {stats.today:%Y-%m-%d} 的最近365天", f"the 365 days up to {stats.today:%Y-%m-%d}")
    return [
        (tr("统计期", "Period"), period),
        (metric_label("registered"), tr("登记在册、未删除的学员人数（按当前名册）。", "Trainees on the register, not deleted (current register).")),
        (metric_label("trained"), tr("有培训记录的学员人数。", "Trainees with a training record.")),
        (metric_label("certified"), tr("持有职业技能等级证书或专项能力证书的学员人数。", "Trainees with a graded or special-ability certificate.")),
        (metric_label("placed"), tr(f"就业人数：{flows}中，经确认派遣（含已出发、在岗、已离岗）的人数，一人只计一次。",
                                    f"People placed: among {flows}, those confirmed or further; each person once.")),
        (metric_label("on_job"), tr(f"{stats.today:%Y-%m-%d} 当天在岗的人数（已到岗且尚未离岗）。",
                                    f"People on the job on {stats.today:%Y-%m-%d} (arrived, not yet left).")),
        (metric_label("retention_90"), tr(f"{flows}中，到岗后满90天仍在岗的比例（Kaplan–Meier 估计，仍在岗者按截止日计）。",
                                          f"Among {flows}: share still on the job 90 days after starting (Kaplan–Meier; those still working counted up to the end date).")),
        (metric_label("retention_180"), tr("同上，满180天。", "The same at 180 days.")),
        (metric_label("retention_365"), tr("同上，满365天。", "The same at 365 days.")),
        (metric_label("skilled_rate"), tr(f"{flows}中，由临时工转为职业工的比例。", f"Among {flows}: share converted from temporary to skilled.")),
        (metric_label("skilled_median_days"), tr("已转职业工者，从到岗到转职业工的天数中位数。", "Median days from start to conversion, among those converted.")),
        (metric_label("avg_wage"), tr(f"{stats.today:%Y-%m-%d} 在岗人员最近登记的月收入平均值，单位元，四舍五入到元。",
                                      f"Mean of the latest monthly wage of people on the job on {stats.today:%Y-%m-%d}, in yuan, rounded.")),
        (destination_label("outside_province"), tr("用人单位所在省与本人户籍省（身份证前两位）不同。", "The employer's province differs from the home province (first two ID digits).")),
        (destination_label("in_county"), tr("用人单位在培训学校所在县。", "The employer is in the training school's county.")),
        (destination_label("in_province"), tr("其余：省内、本县以外。", "The rest: in the province, outside the county.")),
        (tr("统计期内务工人数", "Employed in the period") if stats.start else tr("近一年务工人数", "Employed in the last year"),
         tr(f"{year}内有在岗天数的人数，一人按在岗天数最多的就业地计一次。",
                                                  f"People with any day on the job in {year}, each once, under the destination of most days.")),
        (tr("务工6个月以上", "Employed over six months"), tr("其中在岗累计满180天的人数；占比 = 务工6个月以上 ÷ 近一年务工人数。",
                                                          "Of those, people with 180 days or more on the job; share = over six months ÷ employed.")),
    ]


def export_xlsx(database: Database, path: str | Path, *, actor: Actor, stats: Stats | None = None,
                today: dt.date | None = None, start: dt.date | None = None, bureau: str | None = None) -> Path:
    """All figures in one workbook formatted to send upward: a title with the bureau and the period on
    every sheet, rates as percent cells, money rounded to yuan, and a 口径说明 sheet defining each figure."""
    require(actor, "stats.read")
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise UserError("统计只能导出为 .xlsx 文件。", "Statistics export to .xlsx only.")
    stats = stats or compute(database, actor=actor, today=today, start=start)
    if bureau is None:
        from db.services.bureau import bureau_heading
        bureau = bureau_heading(database)
    title = tr(f"{bureau}劳务协作就业统计（{stats.period_text()}）", f"{bureau} — placement statistics ({stats.period_text()})")
    overview = pd.DataFrame({tr("指标", "Figure"): [metric_label(k) for k in METRICS],
                             tr("数值", "Value"): [stats.overview.get(k) for k in METRICS]})
    curve = stats.curve.rename(columns={"time": tr("在岗天数", "Days"), "at_risk": tr("仍在观察", "At risk"),
                                        "events": tr("离岗", "Left"), "censored": tr("删失（仍在岗）", "Censored"),
                                        "survival": tr("稳岗概率", "Retention")})
    upward = stats.upward.assign(destination=stats.upward["destination"].map(destination_label))
    upward = pd.concat([upward, pd.DataFrame([{"destination": tr("合计", "Total"), **stats.upward_totals}])],
                       ignore_index=True).rename(columns={
        "destination": tr("就业地", "Destination"), "on_job": tr("目前在岗", "On the job now"),
        "employed_year": tr("统计期内务工人数", "Employed in the period") if stats.start
        else tr("近一年务工人数", "Employed in the last year"),
        "over_six_months": tr("务工6个月以上", "Employed over six months"),
        "share_over_six": tr("6个月以上占比", "Share over six months")})
    notes = pd.DataFrame(definitions(stats), columns=[tr("指标", "Figure"), tr("口径", "Definition")])
    rate_headers = {metric_label(k) for k in RATE_KEYS if k in METRIC_LABELS} | {
        tr("6个月以上占比", "Share over six months"), tr("稳岗概率", "Retention")}
    money_headers = {metric_label(k) for k in MONEY_KEYS}

    def write(tmp: Path) -> None:
        # Names typed by users (townships, schools, employers) are text cells, never formulas.
        options = {"strings_to_formulas": False, "strings_to_urls": False}
        with pd.ExcelWriter(tmp, engine="xlsxwriter", engine_kwargs={"options": options}) as writer:
            book = writer.book
            f_title = book.add_format({"bold": True, "font_size": 14})
            f_pct = book.add_format({"num_format": "0.0%"})
            f_money = book.add_format({"num_format": "#,##0"})
            f_int = book.add_format({"num_format": "#,##0"})
            f_wrap = book.add_format({"text_wrap": True, "valign": "top"})
            quoted = book.add_format({"quote_prefix": True})

            def sheet(frame: pd.DataFrame, name: str, *, by_row: bool = False) -> None:
                frame = frame.copy()
                for col in frame.columns:
                    if col in money_headers:
                        frame[col] = pd.to_numeric(frame[col], errors="coerce").round(0)
                frame.to_excel(writer, sheet_name=name[:31], index=False, startrow=2)
                ws = writer.sheets[name[:31]]
                ws.write(0, 0, title, f_title)
                ws.set_column(0, 0, 24)
                for i, col in enumerate(frame.columns[1:], start=1):
                    fmt = f_pct if col in rate_headers else f_money if col in money_headers else f_int
                    ws.set_column(i, i, max(12, min(30, len(str(col)) * 2 + 2)), fmt)
                for r, label in enumerate(frame.iloc[:, 0], start=3):
                    if formula_like(label):  # keeps it text even when someone edits the cell in Excel
                        ws.write_string(r, 0, label, quoted)
                if by_row:  # the overview: one figure per row, each with its own format
                    for r, key in enumerate(METRICS, start=3):
                        value = stats.overview.get(key)
                        if value is None or (isinstance(value, float) and np.isnan(value)):
                            ws.write_blank(r, 1, None)
                        elif key in RATE_KEYS:
                            ws.write_number(r, 1, float(value), f_pct)
                        else:
                            ws.write_number(r, 1, round(float(value)), f_int)

            sheet(overview, tr("总览", "Overview"), by_row=True)
            sheet(upward, tr("上报指标", "Upward indicators"))
            sheet(curve, tr("留存曲线", "Retention curve"))
            for dim, table in stats.breakdowns.items():
                out = table[["label", *METRICS]].rename(
                    columns={"label": dimension_label(dim), **{k: metric_label(k) for k in METRICS}})
                sheet(out, tr(f"按{dimension_label(dim)}", f"By {dimension_label(dim)}"))
            notes.to_excel(writer, sheet_name=tr("口径说明", "Definitions"), index=False, startrow=2)
            ws = writer.sheets[tr("口径说明", "Definitions")]
            ws.write(0, 0, title, f_title)
            ws.set_column(0, 0, 22, f_wrap)
            ws.set_column(1, 1, 90, f_wrap)

    def publish(put_in_place) -> None:  # type: ignore[no-untyped-def]
        with database.session() as session:
            audit.record(session, actor, "stats.export", "stats", None,
                         detail=json.dumps({"file": str(path), "as_of": str(stats.today),
                                            "from": None if stats.start is None else str(stats.start)},
                                           ensure_ascii=False))
            session.flush()
            put_in_place()

    return write_file(path, write, publish=publish)


__all__ = ["Stats", "compute", "export_xlsx", "format_metric", "metric_label", "dimension_label",
           "destination_label", "DIMENSIONS", "METRICS", "HORIZONS", "SKILLS"]
