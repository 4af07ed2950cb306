"""SQL → pandas frames for the matcher. The only place where matching data is read from the database;
matching/ itself never sees a session.

Dates come back as ``datetime64`` columns (NaT when empty) so the matcher can turn them into day
numbers with numpy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd
from sqlalchemy import Connection, func, or_, select

from core.access import Actor
from core.placement import SEAT_HOLDING, STARTED
from db.models import Employer, Placement, Trainee, Vacancy
from db.rules import effective_household_expr, scope_trainees, vacancy_open_expr

_TRAINEE_DATES = ("birth_date", "available_from", "health_cert_expiry", "graduation_date")
_VACANCY_DATES = ("start_date",)
_HISTORY_DATES = ("start_date", "end_date", "skilled_since")


def _dates(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    for col in columns:
        # One unit whatever the driver gave (SQLite: ISO text, PostgreSQL: date objects).
        frame[col] = pd.to_datetime(frame[col], errors="coerce").astype("datetime64[s]")
    return frame


def _read(conn: Connection, stmt) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    keys = [c.key for c in stmt.selected_columns]
    rows = _raw_rows(conn, stmt)
    # The driver's tuples into one object table in one C loop, then column by column: SQLAlchemy Row
    # objects (and their per-value date conversion) cost most of the seconds of reading 200,000 rows.
    table = np.array(rows, dtype=object).reshape(len(rows), len(keys))
    return pd.DataFrame({key: pd.Series(table[:, i], dtype=object) for i, key in enumerate(keys)}).infer_objects()


def _raw_rows(conn: Connection, stmt) -> list[tuple]:  # type: ignore[no-untyped-def]
    """Plain tuples from the driver's own cursor: no Row objects and no per-value conversion, for
    columns that need none (ids, text)."""
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def trainees_frame(conn: Connection, actor: Actor, ids: list[int] | None = None) -> pd.DataFrame:
    """Active (not deleted) trainees the actor may see, with a ``busy`` flag (already on a job)."""
    t = Trainee.__table__
    stmt = select(t.c.id.label("trainee_id"), t.c.id_number, t.c.name, t.c.gender, t.c.birth_date, t.c.ethnicity,
                  effective_household_expr(t).label("household_type"), t.c.mandarin, t.c.skills, t.c.skill_level, t.c.training_hours,
                  t.c.graduation_date, t.c.preferred_regions, t.c.expected_wage, t.c.available_from,
                  t.c.health_cert_expiry, t.c.school_id, t.c.township).where(t.c.deleted_at.is_(None))
    stmt = scope_trainees(actor, stmt, t)
    if ids is not None:
        stmt = stmt.where(t.c.id.in_(ids))
    frame = _dates(_read(conn, stmt.order_by(t.c.id)), _TRAINEE_DATES)
    p = Placement.__table__
    seated = select(p.c.trainee_id).where(p.c.status.in_(SEAT_HOLDING))
    if ids is not None:
        seated = seated.where(p.c.trainee_id.in_(ids))
    busy = {row[0] for row in conn.execute(seated.distinct())}
    frame["busy"] = frame["trainee_id"].isin(busy)
    for col in ("skills", "preferred_regions"):
        frame[col] = frame[col].fillna("")
    return frame


def trainee_identities(conn: Connection, actor: Actor) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ids, names and ID numbers of the active trainees the actor may see: what a prepared trainee side
    kept on disk leaves out (db/services/frame_cache.py)."""
    t = Trainee.__table__
    stmt = scope_trainees(actor, select(t.c.id, t.c.name, t.c.id_number).where(t.c.deleted_at.is_(None)), t)
    rows = _raw_rows(conn, stmt)
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object), np.zeros(0, dtype=object)
    table = np.array(rows, dtype=object)  # one C loop; zip(*rows) and three arrays took twice as long
    return table[:, 0].astype(np.int64), table[:, 1].copy(), table[:, 2].copy()


def vacancies_frame(conn: Connection, *, ids: list[int] | None = None, codes: list[str] | None = None,
                    open_only: bool = False) -> pd.DataFrame:
    """Vacancies with their employer's name and place."""
    v, e = Vacancy.__table__, Employer.__table__
    stmt = (select(v.c.id.label("vacancy_id"), v.c.code, v.c.title, v.c.employer_id, e.c.name.label("employer_name"),
                   e.c.province, e.c.city, v.c.skill, v.c.min_level, v.c.headcount, v.c.wage_min, v.c.wage_max,
                   v.c.board, v.c.lodging, v.c.age_min, v.c.age_max, v.c.gender_requirement, v.c.contract_type,
                   v.c.needs_health_cert, v.c.start_date, v.c.status)
            .join(e, e.c.id == v.c.employer_id))
    if ids is not None:
        stmt = stmt.where(v.c.id.in_(ids))
    if codes is not None:
        stmt = stmt.where(v.c.code.in_(codes))
    if open_only:
        stmt = stmt.where(vacancy_open_expr(v))
    frame = _dates(_read(conn, stmt.order_by(v.c.id)), _VACANCY_DATES)
    for col in ("board", "lodging", "needs_health_cert"):
        frame[col] = frame[col].fillna(False).astype(bool)
    return frame


def history_frame(conn: Connection, placement_ids: list[int] | None = None) -> pd.DataFrame:
    """Placements that started (departed / on the job / ended), with the employer of the vacancy;
    only those of ``placement_ids`` when given.

    Outcomes and censoring are derived in matching.history from start/end dates and the status.
    """
    p, v = Placement.__table__, Vacancy.__table__
    stmt = (select(p.c.id.label("placement_id"), p.c.trainee_id, p.c.vacancy_id, v.c.employer_id, p.c.status,
                   p.c.start_date, p.c.end_date, p.c.skilled_since, p.c.employment_form)
            .join(v, v.c.id == p.c.vacancy_id)
            .where(p.c.status.in_(STARTED), p.c.start_date.is_not(None))
            .order_by(p.c.id))
    if placement_ids is not None:
        stmt = stmt.where(p.c.id.in_(placement_ids))
    return _dates(_read(conn, stmt), _HISTORY_DATES)


# Per table: rows, highest id, newest change and the sum of row versions. Every insert, update or
# status change moves one of them; the indexes on (updated_at, version) make this a few index reads.
# The matcher's warm frames (db/services/frame_cache.py) and the statistics cache both check these.
MARKED_TABLES = {"trainee": Trainee.__table__, "placement": Placement.__table__}


def mark_queries(table: str) -> list:
    """The four one-aggregate queries of ``table``'s marks, to be run as scalar subqueries of one
    SELECT: together as one query's columns, SQLite would scan instead of seeking the maxima."""
    t = MARKED_TABLES[table]
    return [select(func.count()).select_from(t), select(func.max(t.c.id)), select(func.max(t.c.updated_at)),
            select(func.sum(t.c.version))]


def table_marks(conn: Connection, table: str) -> tuple[int, int, dt.datetime | None, int]:
    """(count, max id, max updated_at, sum of versions) of ``trainee`` or ``placement``."""
    row = conn.execute(select(*(q.scalar_subquery() for q in mark_queries(table)))).one()
    return int(row[0]), int(row[1] or 0), row[2], int(row[3] or 0)


def versions(conn: Connection, table: str, *, since: dt.datetime | None = None,
             above_id: int | None = None) -> pd.DataFrame:
    """id, version (and trainee_id for placements) of every row, or of the rows changed at or after
    ``since`` or added above ``above_id`` (then with their ``updated_at``)."""
    t = MARKED_TABLES[table]
    cols = [t.c.id, t.c.version] + ([t.c.trainee_id] if table == "placement" else [])
    window = since is not None or above_id is not None
    stmt = select(*cols, *([t.c.updated_at] if window else []))
    if window:
        stmt = stmt.where(or_(t.c.updated_at >= since, t.c.id > (above_id or 0)))
    return _read(conn, stmt)
