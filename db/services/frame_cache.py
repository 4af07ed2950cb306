"""The trainee side of the matcher's data, read once and kept warm.

Reading 200,000 trainees and their placement history and preparing them takes seconds; a ranking or a
plan only adds its few vacancies (MatchData.with_vacancies). So the trainee side is read once per
database, actor scope and day — in the background after sign-in (:func:`warm_in_background`) — and
then only what changed is read again:

* Each call reads four marks per table (rows, highest id, newest ``updated_at``, sum of versions; index
  reads). Equal marks: nothing changed.
* Otherwise the rows changed since the newest change seen (less a margin for clocks of other offices'
  PCs) or added since are read with their versions. If they account for the new marks (the row count
  and the version sum agree), only the trainees concerned — changed trainees and the people of
  changed placements — are read again and prepared (MatchData.replace_trainees). If they do not (a
  change the window missed, e.g. a clock far behind), everything is read again: a stale frame is
  never used.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select

from core.access import Actor
from db import frames
from db.engine import Database
from matching.data import MatchData
from matching.history import outcomes

# Rows changed up to this long before the newest change seen are read again: another PC's clock may
# be behind this one's, and two changes can share a timestamp.
CLOCK_MARGIN = dt.timedelta(minutes=10)

# More changed rows than this (a large import): reading everything again is as quick as patching.
MAX_PATCH = 20_000

Key = tuple[str, str, int | None]
Marks = tuple[int, int, dt.datetime | None, int]


@dataclass
class _Side:
    day: dt.date
    marks: dict[str, Marks]
    versions: dict[str, pd.DataFrame]   # per table: version (and trainee_id) indexed by row id
    history: pd.DataFrame               # started placements, through matching.history.outcomes
    base: MatchData
    how: str = "read"                   # how it was last brought up to date: read / patched / unchanged


_cache: dict[Key, _Side] = {}
_lock = threading.Lock()


def clear() -> None:
    """Forget every warm frame (after a restore, or in a bench that wants a cold start)."""
    _cache.clear()


def last_update(database: Database, actor: Actor) -> str | None:
    """How the actor's frame was last brought up to date ("read", "patched", "unchanged"); None if cold."""
    side = _cache.get((database.url, actor.role, actor.school_id))
    return side.how if side else None


def trainee_side(conn: Connection, database: Database, actor: Actor, day: dt.date) -> MatchData:
    """The prepared trainee side for ``actor`` (no vacancies), up to date with the database."""
    key: Key = (database.url, actor.role, actor.school_id)
    marks = {table: frames.table_marks(conn, table) for table in ("trainee", "placement")}
    side = _cache.get(key)
    if side is not None and side.day == day:
        if side.marks == marks:
            side.how = "unchanged"
            return side.base
        patched = _patch(conn, actor, side, marks)
        if patched is not None:
            _cache[key] = patched
            return patched.base
    side = _read(conn, actor, day, marks)
    _cache[key] = side
    return side.base


def _read(conn: Connection, actor: Actor, day: dt.date, marks: dict[str, Marks]) -> _Side:
    trainees = frames.trainees_frame(conn, actor)
    history = frames.history_frame(conn)
    versions = {table: frames.versions(conn, table).set_index("id") for table in ("trainee", "placement")}
    base = MatchData.build(trainees, frames.vacancies_frame(conn, ids=[]), history, day)
    return _Side(day, marks, versions, base.history, base)


def _patch(conn: Connection, actor: Actor, side: _Side, marks: dict[str, Marks]) -> _Side | None:
    """``side`` brought up to ``marks`` by reading only what changed; None when that cannot be trusted."""
    versions: dict[str, pd.DataFrame] = {}
    changed: dict[str, pd.Index] = {}
    for table, (count, max_id, _newest, total) in marks.items():
        old = side.versions[table]
        _c, old_max, old_newest, _t = side.marks[table]
        since = (old_newest - CLOCK_MARGIN) if old_newest is not None else None
        window = frames.versions(conn, table, since=since, above_id=old_max).set_index("id")
        merged = pd.concat([old[~old.index.isin(window.index)], window])
        gone = pd.Index([], dtype="int64")
        if len(merged) != count:  # rows deleted (a batch's undecided proposals are)
            present = pd.Index(_ids(conn, table))
            gone = merged.index.difference(present)
            merged = merged.drop(gone)
        if len(merged) != count or int(merged["version"].sum()) != total or (int(merged.index.max()) if len(merged) else 0) != max_id:
            return None
        versions[table] = merged
        # Rows of the window at a version already seen are unchanged (every write bumps the version).
        seen = old["version"].reindex(window.index)
        changed[table] = window.index[seen.to_numpy() != window["version"].to_numpy()].union(gone)
        if len(changed[table]) > MAX_PATCH:
            return None
    placements = changed["placement"]
    people = changed["trainee"].union(
        pd.Index(pd.concat([side.versions["placement"]["trainee_id"], versions["placement"]["trainee_id"]])
                 .loc[lambda s: s.index.isin(placements)].astype("int64").unique()))
    ids = [int(i) for i in people]
    rows = _chunked(lambda part: frames.trainees_frame(conn, actor, ids=part), ids) if ids else None
    new_history = (_chunked(lambda part: frames.history_frame(conn, placement_ids=part), [int(i) for i in placements])
                   if len(placements) else None)
    history = side.history
    if new_history is not None:
        kept = history[~history["placement_id"].isin(placements)]
        fresh = outcomes(new_history, side.day)
        history = pd.concat([kept, fresh], ignore_index=True) if len(fresh) else kept.reset_index(drop=True)
        history = history.sort_values("placement_id", kind="stable", ignore_index=True)
    if rows is None:
        return _Side(side.day, marks, versions, history, side.base, "unchanged")
    base = side.base.replace_trainees(rows, np.asarray(ids, dtype=np.int64), history)
    return _Side(side.day, marks, versions, history, base, "patched")


def _chunked(read: Callable[[list[int]], pd.DataFrame], ids: list[int]) -> pd.DataFrame:
    """``read`` over slices of ``ids``: a database takes only so many parameters in one query."""
    parts = [read(ids[i:i + 5000]) for i in range(0, len(ids), 5000)]
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def _ids(conn: Connection, table: str) -> list[int]:
    return [int(r[0]) for r in conn.execute(select(frames.MARKED_TABLES[table].c.id))]


def warm(database: Database, actor: Actor) -> float:
    """Read the trainee side the matcher will ask for; returns the seconds it took. A second warm-up
    while one runs waits for it instead of reading everything twice."""
    t0 = time.perf_counter()
    with _lock, database.engine.connect() as conn:
        trainee_side(conn, database, actor, dt.date.today())
    return time.perf_counter() - t0


def warm_in_background(database: Database, actor: Actor) -> threading.Thread:
    """Start :func:`warm` on a quiet daemon thread (no progress dialog: the clerk keeps working)."""
    def run() -> None:
        try:
            warm(database, actor)
        except Exception:  # noqa: BLE001 - a failed warm-up only means the first ranking reads itself
            pass
    thread = threading.Thread(target=run, name="warm-matching-frames", daemon=True)
    thread.start()
    return thread
