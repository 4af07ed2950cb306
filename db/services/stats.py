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
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, Integer, case, cast, func, literal, select, type_coerce
from sqlalchemy.engine import Connection
from sqlalchemy.pool import SingletonThreadPool, StaticPool

from core.access import Actor, require
from core.fields import formula_like
from core.files import write_file
from core.i18n import UserError, tr
from core.placement import LISTED
from core.vocab import SKILLS, household_label, skill_label
from db import audit
from db.engine import Database
from db.frames import mark_queries
from db.models import Certificate, Employer, Placement, School, Trainee, TrainingRecord, Vacancy
from db.rules import effective_household_expr, sees_trainee_expr
from matching.survival import grouped_survival_codes, grouped_survival_days, kaplan_meier, survival_at

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


def employed_label(start: dt.date | None) -> str:
    """The upward "employed" figure's name: within the chosen period, or the last 365 days without one
    (the same on the page, in the workbook and in its definitions)."""
    return tr("统计期内务工人数", "Employed (period)") if start else tr("近一年务工人数", "Employed (last year)")


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
    t_home: np.ndarray          # province from the ID, per trainee (code shared with v_province; −1 none)
    t_county: np.ndarray        # the school's county, per trainee (code shared with v_city, v_district)
    v_attr: dict[str, tuple[np.ndarray, np.ndarray]]   # skill / employer codes per vacancy
    v_province: np.ndarray      # the employer's province, per vacancy (code)
    v_city: np.ndarray          # the employer's city, per vacancy (code)
    v_district: np.ndarray      # the employer's district, per vacancy (code)
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
_NO_DATE = "0001-01-01"  # NULL in a group_concat of dates; no placement is dated in year 1
_NULL_TEXT = "\x1e"  # NULL in a group_concat of texts


def _const(value: object):  # type: ignore[no-untyped-def]
    """A constant written into the SQL text rather than bound: SQLite copies a bound value into its
    register on every row, and over 300,000 rows × a dozen constants that is a third of the query."""
    return literal(value, literal_execute=True)


def _integers(text: str | None) -> np.ndarray:
    """A comma-separated column of integers (ids, codes; NULL written as −1) as int64."""
    if not text:
        return np.empty(0, np.int64)
    try:
        ints = np.fromstring(text, dtype=np.int64, sep=",")
        if len(ints) == text.count(",") + 1:
            return ints
    except ValueError:  # a REAL value in an INTEGER column (SQLite does not enforce types)
        pass
    return np.fromstring(text, dtype=np.float64, sep=",").astype(np.int64)


def _numbers(text: str | None) -> np.ndarray:
    """A comma-separated column as floats, NULL (the ``_MISSING`` marker) → NaN. Integers parse several
    times faster than floats; a column holding any non-integer falls back to the float parser."""
    if not text:
        return np.empty(0)
    try:
        ints = np.fromstring(text, dtype=np.int64, sep=",")
    except ValueError:  # a REAL value in an INTEGER column (SQLite does not enforce types)
        ints = None
    if ints is not None and len(ints) == text.count(",") + 1:
        out = ints.astype(np.float64)
        out[ints == _MISSING] = np.nan
        return out
    out = np.fromstring(text, dtype=np.float64, sep=",")
    out[out == _MISSING] = np.nan
    return out


_NO_DAY = (dt.date(1, 1, 1) - dt.date(1970, 1, 1)).days


def _iso_days(text: str | None, n: int) -> np.ndarray | None:
    """Days since 1970-01-01 of ``n`` dates concatenated as 'YYYY-MM-DD' (``_NO_DATE`` for NULL → NaN),
    parsed by numpy in C; None when the text is not exactly that (the caller asks the database, which
    also settles dates numpy refuses, such as a 30 February)."""
    if not n:
        return np.empty(0)
    if text is None or len(text) != 10 * n:
        return None
    try:
        parsed = np.frombuffer(text.encode("ascii"), dtype="S10").astype("datetime64[D]")
    except (UnicodeEncodeError, ValueError):
        return None
    days = parsed.astype(np.int64).astype(np.float64)
    days[days == _NO_DAY] = np.nan
    return days


def _fetch(conn: Connection, ints: list, texts: list, source, where: list, *,  # type: ignore[no-untyped-def]
           numbers: tuple = (), dates: tuple = (), blank_is_null: bool = False):
    """One query's columns: ``ints`` (ids and codes) as int64 with NULL → −1, then ``numbers`` as floats
    and ``dates`` as day numbers (NULL → NaN), and ``texts`` dictionary-encoded as (codes, labels)
    (NULL, and with ``blank_is_null`` "", → −1; labels in order of first appearance).

    On SQLite the whole result comes back as one row of ``group_concat`` strings that numpy parses in
    C: hundreds of thousands of rows cost no Python object per cell; dates come as their stored
    'YYYY-MM-DD' text, decoded by numpy (several times cheaper than julianday() per row). Elsewhere:
    plain rows."""
    nulls = {"", None} if blank_is_null else {None}
    n_ints, n_nums = len(ints), len(ints) + len(numbers)
    if conn.dialect.name == "sqlite":
        cols = [func.group_concat(func.coalesce(e, _const(-1))) for e in ints]
        cols += [func.group_concat(func.coalesce(e, _const(_MISSING))) for e in numbers]
        cols += [func.group_concat(func.coalesce(e, _const(_NO_DATE)), _const("")) for e in dates]
        cols += [func.group_concat(func.coalesce(e, _const(_NULL_TEXT)), _const(_SEP)) for e in texts]
        row = conn.execute(select(*cols).select_from(source).where(*where)).one()
        values = [_integers(v) for v in row[:n_ints]] + [_numbers(v) for v in row[n_ints:n_nums]]
        n = len(values[0]) if values else 0
        days = [_iso_days(v, n) for v in row[n_nums:n_nums + len(dates)]]
        if any(day is None for day in days):  # dates stored in another form: the database converts them
            days, _ = _fetch(conn, [], [], source, where, numbers=tuple(_day_number(conn, e) for e in dates))
        return ([*values, *days],
                [_text_codes(v.split(_SEP) if v is not None else [], nulls | {_NULL_TEXT})
                 for v in row[n_nums + len(dates):]])
    columns = _columns(conn, select(*ints, *numbers, *(_day_number(conn, e) for e in dates), *texts)
                       .select_from(source).where(*where))
    n_all = n_nums + len(dates)
    return ([np.nan_to_num(_num(c), nan=-1).astype(np.int64) for c in columns[:n_ints]]
            + [_num(c) for c in columns[n_ints:n_all]], [_text_codes(c, nulls) for c in columns[n_all:]])


def _text_codes(values: list | np.ndarray, nulls: set) -> tuple[np.ndarray, np.ndarray]:
    """Dictionary encoding: (codes, labels in order of first appearance); the values in ``nulls`` → −1.
    Hashes each value once; the nulls are taken out of the few labels, not the many rows."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    codes = codes.astype(np.int64)
    uniques = np.asarray(uniques, dtype=object)
    drop = np.array([u in nulls for u in uniques], dtype=bool)
    if drop.any():
        new = np.cumsum(~drop) - 1
        new[drop] = -1
        codes = np.where(codes >= 0, new[np.maximum(codes, 0)], -1)
        uniques = uniques[~drop]
    return codes, uniques


def _recode(row_codes: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dictionary encoding of ``labels[row_codes]`` (−1 → "", a value; None → −1), labels in order of
    first appearance, without building the per-row strings: factorise the small integer codes, then
    merge any equal labels."""
    first, small = pd.factorize(row_codes)
    names = np.array([labels[i] if i >= 0 else "" for i in small], dtype=object)
    merged, uniques = pd.factorize(pd.Series(names, dtype=object), use_na_sentinel=True)
    codes = merged.astype(np.int64)[first] if len(first) else np.empty(0, np.int64)
    return codes, np.asarray(uniques, dtype=object)


def _positions(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Position in ``ids`` (unique non-negative integers) of each of ``wanted`` (integers); −1 where absent."""
    if not len(ids) or not len(wanted):
        return np.full(len(wanted), -1, np.int64)
    top = int(ids.max())
    lookup = np.full(top + 2, -1, np.int64)  # the last slot answers every id out of range
    lookup[ids] = np.arange(len(ids))
    w = np.asarray(wanted)
    return lookup[np.where((w >= 0) & (w <= top), w, top + 1)]


def _shared_codes(*arrays: np.ndarray) -> list[np.ndarray]:
    """One dictionary encoding over several name arrays, so that equal names get equal codes across
    them (None → −1): comparing names becomes comparing integers."""
    codes, _ = pd.factorize(pd.Series(np.concatenate([np.asarray(a, dtype=object) for a in arrays]),
                                      dtype=object), use_na_sentinel=True)
    codes = codes.astype(np.int64)
    out, at = [], 0
    for a in arrays:
        out.append(codes[at:at + len(a)])
        at += len(a)
    return out


def _read_placements(conn: Connection) -> tuple:
    """Per placement (confirmed or further): trainee id, vacancy id, status code, wage and day numbers
    of start, end and conversion."""
    status = case(*[(Placement.status == _const(st), _const(i)) for st, i in _STATUS_CODES.items()], else_=None)
    placements, _ = _fetch(
        conn, [Placement.trainee_id, Placement.vacancy_id, status], [], Placement,
        [Placement.status.in_([_const(st) for st in PLACED])], numbers=(Placement.monthly_wage,),
        dates=(Placement.start_date, Placement.end_date, Placement.skilled_since))
    return tuple(placements)


def _read_vacancies(conn: Connection) -> tuple:
    """Per vacancy: id, and its skill, employer and the employer's province, city and district encoded."""
    (v_id,), texts = _fetch(
        conn, [Vacancy.id], [Vacancy.skill, Employer.name, Employer.province, Employer.city, Employer.district],
        Vacancy.__table__.join(Employer.__table__, Employer.__table__.c.id == Vacancy.__table__.c.employer_id), [])
    return (v_id, *texts)


def _read_trained(conn: Connection) -> np.ndarray:
    """Ids of the trainees with a training record (an index-only scan: far cheaper than a correlated
    EXISTS per trainee)."""
    return _fetch(conn, [TrainingRecord.trainee_id], [], TrainingRecord, [])[0][0]


def _read_certified(conn: Connection) -> np.ndarray:
    """Ids of the trainees with a graded or special-ability certificate."""
    return _fetch(conn, [Certificate.trainee_id], [], Certificate,
                  [Certificate.cert_type.in_([_const("graded"), _const("special")])])[0][0]


def _read_in_parallel(database: Database, conn: Connection, actor: Actor) -> dict[str, Any]:
    """The five reads, on two connections at once: the database drivers release the GIL while a
    query runs, so a worker thread reads the placements while this thread reads the trainees, then
    each takes the next of the smaller reads until none is left. Both start after the change check
    (_fingerprint), so nothing read is older than the fingerprint the cache stamps on it. One
    connection only for a private in-memory SQLite database (one per connection)."""
    reads: dict[str, Callable[[Connection], Any]] = {
        "placements": _read_placements, "trainees": lambda c: _read_trainees(c, actor),
        "vacancies": _read_vacancies, "trained": _read_trained, "certified": _read_certified}
    rest = iter(["vacancies", "trained", "certified"])
    lock = threading.Lock()
    out: dict[str, Any] = {}

    def work(c: Connection, first: str) -> None:
        name: str | None = first
        while name is not None:
            out[name] = reads[name](c)
            with lock:
                name = next(rest, None)

    def apart() -> None:
        with database.engine.connect() as c:
            work(c, "placements")

    if isinstance(database.engine.pool, (SingletonThreadPool, StaticPool)):
        work(conn, "placements")
        work(conn, "trainees")
    else:
        with ThreadPoolExecutor(max_workers=1) as pool:
            worker = pool.submit(apart)
            work(conn, "trainees")
            worker.result()
    return out


def _read_all(database: Database, conn: Connection, actor: Actor) -> _Data:
    r = _read_in_parallel(database, conn, actor)
    t_id, t_attr, skills, prefix, school_pos, s_county = r["trainees"]
    v_id, v_skill, v_emp, v_prov, v_city, v_district = r["vacancies"]
    p_tid, p_vid, p_status, p_wage, p_start, p_end, p_skilled = r["placements"]
    p_t = _positions(t_id, p_tid)
    keep = p_t >= 0  # deleted trainees, or other schools' for school staff, drop out here
    placements = [p_t, p_vid, p_status, p_start, p_end, p_skilled, p_wage]
    if not keep.all():
        placements = [c[keep] for c in placements]
    p_t, p_vid, *rest = placements
    # Names compared per placement (home vs employer province, school county vs employer city or
    # district) become codes of one shared dictionary, built on the few distinct names.
    provinces = np.array([ID_PROVINCES.get(f"{i:02d}") for i in range(100)], dtype=object)
    province = pd.Series(v_prov[1], dtype=object).str.replace(
        r"(省|市|自治区|壮族|回族|维吾尔)+$", "", regex=True).to_numpy(object)
    id_province, province_code = _shared_codes(provinces, province)
    school_county, city_code, district_code = _shared_codes(s_county, v_city[1], v_district[1])
    home = id_province[np.clip(prefix, 0, 99)]
    county = _through(school_pos, school_county)
    return _Data(t_id, t_attr, skills, _marked(t_id, r["trained"]), _marked(t_id, r["certified"]), home, county,
                 {"skill": v_skill, "employer": v_emp}, _through(v_prov[0], province_code),
                 _through(v_city[0], city_code), _through(v_district[0], district_code),
                 p_t, _positions(v_id, p_vid), *rest)


def _read_trainees(conn: Connection, actor: Actor) -> tuple:
    # the type priority comes from (a linked trainee's household's), read once per trainee as text
    household = effective_household_expr(Trainee.__table__)
    where: list[ColumnElement[bool]] = [Trainee.deleted_at.is_(None)]
    where.append(sees_trainee_expr(actor))
    (t_id, school_id, prefix), (township, skills, (hh_codes, hh_labels)) = _fetch(
        conn, [Trainee.id, Trainee.school_id, cast(func.substr(Trainee.id_number, _const(1), _const(2)), Integer)],
        [Trainee.township, Trainee.skills, household], Trainee, where, blank_is_null=True)  # a blank as no entry
    lookup = np.array([_HOUSEHOLDS.index(x) if x in _HOUSEHOLDS else -1 for x in hh_labels] + [-1], dtype=np.int64)
    hh = lookup[hh_codes] if len(hh_codes) else np.empty(0, np.int64)
    s_id, s_name, s_county = _columns(conn, select(School.id, School.name, School.county))
    school_pos = _positions(np.asarray(s_id, dtype=np.int64), school_id)
    t_attr = {"township": township, "school": _recode(school_pos, s_name),
              "household_type": (hh, np.array(_HOUSEHOLDS, dtype=object))}
    return t_id, t_attr, skills, prefix, school_pos, s_county


def _through(codes: np.ndarray, table: np.ndarray) -> np.ndarray:
    """``table[codes]``, −1 staying −1."""
    if not len(table):
        return np.full(len(codes), -1, np.int64)
    return np.where(codes >= 0, table[np.maximum(codes, 0)], -1)


def _marked(t_id: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Per trainee: does its id occur in ``ids``."""
    seen = np.zeros(len(t_id) + 1, bool)
    seen[_positions(t_id, ids)] = True  # absent ids land on the last slot, −1
    return seen[:-1]


def _as_of(d: _Data, to_n: int, from_n: int | None) -> _Data:
    """The placements as they stood on day ``to_n``: none started later; a leaving or conversion after
    it had not happened yet (the worker was still on the job). With ``from_n``, only the placements
    that started within the period (the flows: placed, retention, conversion)."""
    start, end, skilled, status = d.p_start, d.p_end, d.p_skilled, d.p_status
    later_end = end > to_n  # NaN (no end) compares false
    if later_end.any():  # copies only when something changes: the cached arrays stay as read
        end, status = end.copy(), status.copy()
        end[later_end] = np.nan
        status[later_end & (status == _STATUS_CODES["ended"])] = _STATUS_CODES["on_job"]
    later_skilled = skilled > to_n
    if later_skilled.any():
        skilled = skilled.copy()
        skilled[later_skilled] = np.nan
    keep = ~(start > to_n)
    if from_n is not None:
        keep &= start >= from_n
    columns = [d.p_t, d.p_v, status, start, end, skilled, d.p_wage]
    if not keep.all():
        columns = [c[keep] for c in columns]
    return _Data(d.t_id, d.t_attr, d.t_skills, d.t_trained, d.t_certified, d.t_home, d.t_county, d.v_attr,
                 d.v_province, d.v_city, d.v_district, *columns)


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
    employer), so cached data is never stale. One statement of single-aggregate subqueries: each count
    and max is an index look-up, and the version sums scan the small (updated_at, version) indexes
    instead of the trainee and placement rows."""
    def text_len(*cols):  # type: ignore[no-untyped-def]
        total = sum((func.coalesce(func.length(c), 0) for c in cols), literal(0))
        return func.coalesce(func.sum(total), 0)
    parts = [*mark_queries("trainee"), *mark_queries("placement"),
             select(func.count()).select_from(Vacancy), select(func.sum(Vacancy.version)),
             select(func.count()).select_from(TrainingRecord), select(func.max(TrainingRecord.id)),
             select(func.count()).select_from(Certificate), select(func.max(Certificate.id)),
             select(func.count()).select_from(School), select(text_len(School.name, School.county)),
             select(func.count()).select_from(Employer),
             select(text_len(Employer.name, Employer.province, Employer.city, Employer.district))]
    return tuple(str(v) for v in conn.execute(select(*(p.scalar_subquery() for p in parts))).one())


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
        data = _read_all(database, conn, actor)
    _data_cache[key] = (fingerprint, data)
    return data


def _distinct(codes: np.ndarray, people: np.ndarray, n_groups: int, n_people: int) -> np.ndarray:
    """Distinct people per group code: unique (group, person) pairs, then a bincount (a few groups:
    marks in a groups × people table instead of a sort)."""
    ok = codes >= 0
    if not ok.any():
        return np.zeros(n_groups, np.int64)
    keys = codes[ok] * n_people + people[ok]
    if n_groups * n_people <= 1 << 24:
        seen = np.zeros(n_groups * n_people, bool)
        seen[keys] = True
        return np.count_nonzero(seen.reshape(n_groups, n_people), axis=1)
    keys = np.sort(keys)
    first = np.ones(len(keys), bool)
    first[1:] = keys[1:] != keys[:-1]
    return np.bincount(keys[first] // n_people, minlength=n_groups)


def _group_median(codes: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    ok = (codes >= 0) & np.isfinite(values)
    c, v = codes[ok], values[ok]
    if len(c) and np.array_equal(v, np.floor(v)) and n_groups * (v.max() - v.min() + 1) < 2.0 ** 62:
        return _group_median_days(c, v.astype(np.int64), n_groups)
    out = np.full(n_groups, np.nan)
    if not len(c):
        return out
    groups = np.arange(n_groups)
    order = np.lexsort((v, c))
    c, v = c[order], v[order]
    lo = np.searchsorted(c, groups)
    hi = np.searchsorted(c, groups, side="right")
    has = hi > lo
    a = v[np.minimum((lo + hi - 1) // 2, len(v) - 1)]
    b = v[np.minimum((lo + hi) // 2, len(v) - 1)]
    out[has] = ((a + b) / 2)[has]
    return out


def _group_median_days(c: np.ndarray, v: np.ndarray, n_groups: int) -> np.ndarray:
    """As :func:`_group_median` for whole days (int64 ``v``; ``c`` −1 = no group), without a lexsort."""
    if len(c) and c.min() < 0:
        c, v = c[c >= 0], v[c >= 0]
    out = np.full(n_groups, np.nan)
    if not len(c):
        return out
    low = int(v.min())
    span = int(v.max()) - low + 1
    groups = np.arange(n_groups)
    key = c * span + (v - low)
    if n_groups * span <= 2 * len(c) + 65536:
        # a small (group, value) count table stands for the sorted values: no sort at all
        cum = np.cumsum(np.bincount(key, minlength=n_groups * span))
        hi = cum[(groups + 1) * span - 1]
        lo = np.concatenate([[0], hi[:-1]])
        a = np.searchsorted(cum, (lo + hi - 1) // 2, side="right") % span + low
        b = np.searchsorted(cum, (lo + hi) // 2, side="right") % span + low
    else:
        key.sort()  # one int64 key sorted by value, several times faster than a lexsort
        c, v = key // span, key % span + low
        lo = np.searchsorted(c, groups)
        hi = np.searchsorted(c, groups, side="right")
        a = v[np.minimum((lo + hi - 1) // 2, len(v) - 1)]
        b = v[np.minimum((lo + hi) // 2, len(v) - 1)]
    has = hi > lo
    out[has] = ((a + b) / 2)[has]
    return out


@dataclass
class _Flows:
    """What every breakdown needs of the placements, computed once per look rather than per dimension."""
    on_wage: np.ndarray        # positions of the placements on the job with a wage
    started: np.ndarray        # positions of the placements that started by the end date
    durations: np.ndarray      # days on the job of each started placement (censored at the end date)
    ended: np.ndarray          # ... whether it ended
    converted: np.ndarray      # ... whether it converted to skilled
    days_to_skilled: np.ndarray
    days: np.ndarray | None    # durations as int64 when all are whole days ≥ 0 (the usual case)
    converted_at: np.ndarray   # positions within ``started`` of the converted
    converted_days: np.ndarray | None  # their days to conversion as int64 when whole


def _flows(d: _Data, today_n: int) -> _Flows:
    on_wage = np.flatnonzero((d.p_status == _STATUS_CODES["on_job"]) & np.isfinite(d.p_wage))
    started = np.flatnonzero((d.p_status >= _STATUS_CODES["departed"]) & np.isfinite(d.p_start)
                             & (d.p_start <= today_n))
    s_start, s_end, s_sk = d.p_start[started], d.p_end[started], d.p_skilled[started]
    ended = np.isfinite(s_end)
    durations = np.where(ended, s_end, today_n) - s_start
    converted = np.isfinite(s_sk)
    to_skilled = s_sk - s_start
    converted_at = np.flatnonzero(converted)
    whole = durations.astype(np.int64)
    days = whole if len(whole) and whole.min() >= 0 and np.array_equal(whole, durations) else None
    whole = to_skilled[converted_at].astype(np.int64)
    converted_days = whole if np.array_equal(whole, to_skilled[converted_at]) else None
    return _Flows(on_wage, started, durations, ended, converted, to_skilled, days, converted_at, converted_days)


def _placement_metrics(d: _Data, f: _Flows, codes: np.ndarray, k: int,
                       trainee_codes: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Per group code: placed, on_job (distinct people), retention, conversion, wage — numpy only."""
    n_people = max(1, len(d.t_id))
    if trainee_codes is not None:  # a trainee's group never changes: count each placed person once
        placed_codes, on_codes = trainee_codes[d.placed_people], trainee_codes[d.on_people]
        placed = np.bincount(placed_codes[placed_codes >= 0], minlength=k)
        on_job = np.bincount(on_codes[on_codes >= 0], minlength=k)
    else:
        on = d.p_status == _STATUS_CODES["on_job"]
        placed = _distinct(codes, d.p_t, k, n_people)
        on_job = _distinct(np.where(on, codes, -1), d.p_t, k, n_people)
    wc = codes[f.on_wage]
    wage_ok = wc >= 0
    wage_n = np.bincount(wc[wage_ok], minlength=k)
    wage_sum = np.bincount(wc[wage_ok], weights=d.p_wage[f.on_wage[wage_ok]], minlength=k)
    sc = codes[f.started]
    cc = sc[f.converted_at]
    if f.days is not None:  # whole days: the checks and conversions were done once in _flows
        surv = grouped_survival_days(sc, k, f.days, f.ended, HORIZONS)
    else:
        surv = grouped_survival_codes(sc, k, f.durations, f.ended, HORIZONS)
    if f.converted_days is not None:
        median = _group_median_days(cc, f.converted_days, k)
    else:
        median = _group_median(cc, f.days_to_skilled[f.converted_at], k)
    n_started = np.bincount(sc[sc >= 0], minlength=k)
    n_conv = np.bincount(cc[cc >= 0], minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {"placed": placed, "on_job": on_job,
                **{f"retention_{h}": surv[f"s_{h}"].to_numpy() for h in HORIZONS},
                "skilled_rate": np.where(n_started > 0, n_conv / np.maximum(n_started, 1), np.nan),
                "skilled_median_days": median,
                "avg_wage": np.where(wage_n > 0, wage_sum / np.maximum(wage_n, 1), np.nan)}


def _upward(d: _Data, today_n: int, from_n: int | None = None) -> tuple[pd.DataFrame, dict[str, float]]:
    started = (d.p_status >= _STATUS_CODES["departed"]) & np.isfinite(d.p_start) & (d.p_start <= today_n)
    t, v = d.p_t[started], d.p_v[started]
    home, county = d.t_home[t], d.t_county[t]
    outside = ~((home == d.v_province[v]) & (home >= 0))
    in_county = (county >= 0) & ((county == d.v_city[v]) | (county == d.v_district[v]))
    dest = np.where(outside, 0, np.where(in_county, 2, 1))  # index into DESTINATIONS
    end = np.minimum(np.where(np.isfinite(d.p_end[started]), d.p_end[started], today_n), today_n)
    window = today_n - 365 if from_n is None else from_n  # the last year, or the period asked for
    days = np.clip(end - np.maximum(d.p_start[started], window), 0, None)
    n_people = max(1, len(d.t_id))
    # a person counts once, under the destination where they spent most days of the year (the first
    # destination on a tie): days per (destination, person) as a 3 × people table
    year = days > 0
    key = dest[year] * n_people + t[year]
    per_days = np.bincount(key, weights=days[year], minlength=3 * n_people).reshape(3, n_people)
    present = np.bincount(key, minlength=3 * n_people).reshape(3, n_people) > 0
    employed_people = present[0] | present[1] | present[2]
    d0, d1, d2 = (np.where(present[i], per_days[i], -1.0)[employed_people] for i in range(3))
    main_dest = np.where(d2 > np.maximum(d0, d1), 2, np.where(d1 > d0, 1, 0))
    total = (per_days[0] + per_days[1] + per_days[2])[employed_people]
    employed = np.bincount(main_dest, minlength=3)
    six = np.bincount(main_dest[total >= 180], minlength=3)
    # on the job now: each person once, under the first destination they are on the job at
    on = d.p_status[started] == _STATUS_CODES["on_job"]
    on_at = np.bincount(dest[on] * n_people + t[on], minlength=3 * n_people).reshape(3, n_people) > 0
    on_now = np.array([on_at[0].sum(), (on_at[1] & ~on_at[0]).sum(), (on_at[2] & ~on_at[0] & ~on_at[1]).sum()])
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
    flows = _flows(d, today_n)
    whole_flows = flows if d is whole else _flows(whole, today_n)

    def breakdown(dim: str) -> pd.DataFrame:
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
        metrics = _placement_metrics(d, flows, p_codes, k, t_codes if dim in d.t_attr else None)
        if d is not whole:  # stocks: everyone on the job at the end of the period, not only its starters
            w_codes = (t_codes[whole.p_t] if dim in d.t_attr else v_codes[whole.p_v]) if len(whole.p_t) \
                else np.empty(0, np.int64)
            stock = _placement_metrics(whole, whole_flows, w_codes, k, t_codes if dim in d.t_attr else None)
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
        return table.sort_values([sort_key, "placed"], ascending=False, kind="stable").reset_index(drop=True)

    # Two cores: a worker takes the employer breakdown and the upward table (the two largest), this
    # thread the others; numpy releases the GIL in most of the work.
    with ThreadPoolExecutor(max_workers=1) as pool:
        theirs = pool.submit(lambda: (breakdown("employer"), _upward(whole, today_n, from_n)))
        breakdowns = {dim: breakdown(dim) for dim in DIMENSIONS if dim != "employer"}
        breakdowns["employer"], (upward, totals) = theirs.result()
    breakdowns = {dim: breakdowns[dim] for dim in DIMENSIONS}
    curve = kaplan_meier(flows.durations, flows.ended)
    at = survival_at(curve, HORIZONS)
    conv = flows.converted
    wages = whole.p_wage[whole_flows.on_wage]
    overview = {
        "registered": int(len(d.t_id)), "trained": int(d.t_trained.sum()), "certified": int(d.t_certified.sum()),
        "placed": int(len(d.placed_people)), "on_job": int(len(whole.on_people)),
        **{f"retention_{h}": s for h, s in zip(HORIZONS, at)},
        "skilled_rate": float(conv.mean()) if len(flows.started) else float("nan"),
        "skilled_median_days": float(np.median(flows.days_to_skilled[conv])) if conv.any() else float("nan"),
        "avg_wage": float(wages.mean()) if len(wages) else float("nan"),
        "started_placements": int(len(flows.started)),
    }
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
    employed = employed_label(stats.start)
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
        (employed, tr(f"{year}内有在岗天数的人数，一人按在岗天数最多的就业地计一次。",
                      f"People with any day on the job in {year}, each once, under the destination of most days.")),
        (tr("务工6个月以上", "Employed over six months"), tr(f"其中在岗累计满180天的人数；占比 = 务工6个月以上 ÷ {employed}。",
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
        "employed_year": employed_label(stats.start),
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
           "destination_label", "employed_label", "DIMENSIONS", "METRICS", "HORIZONS", "SKILLS"]
