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

The prepared side also outlives the process (:func:`_save`, :func:`_from_disk`): one private file (0600)
per database, actor scope and day in ``prepared/`` of the user data folder, holding the arrays and frames
without names, ID numbers or phones, keyed by the same marks. A new process maps it into memory, adds
the names and ID numbers from the database and patches what changed since, exactly as a warm process
does; a file whose day, format or marks cannot be used is ignored, and a restore removes them all.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import mmap
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select

from core.access import Actor
from db import frames
from db.engine import Database, data_dir
from matching.data import MatchData, NotStorable, attach_identities, from_state, state_arrays
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
    """Forget every warm frame, in memory and on disk (after a restore, or in a bench that wants a
    cold start)."""
    _cache.clear()
    folder = _folder()
    if folder.is_dir():
        for path in folder.iterdir():
            with contextlib.suppress(OSError):  # a file still mapped elsewhere (Windows) goes next time
                path.unlink()


def forget_memory() -> None:
    """Forget the warm frames of this process only (what a new process starts with)."""
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
    loaded = side is None or side.day != day
    if loaded:
        side = _from_disk(conn, actor, key, day)
    if side is not None and side.day == day:
        if side.marks == marks:
            side.how = "disk" if loaded else "unchanged"
            _cache[key] = side
            return side.base
        patched = _patch(conn, actor, side, marks)
        if patched is not None:
            _cache[key] = patched
            _save(key, patched)
            return patched.base
    side = _read(conn, actor, day, marks)
    _cache[key] = side
    _save(key, side)
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
        stamps = pd.to_datetime(window.pop("updated_at"))
        merged = pd.concat([old[~old.index.isin(window.index)], window])
        gone = pd.Index([], dtype="int64")
        if len(merged) != count:  # rows deleted (a batch's undecided proposals are)
            present = pd.Index(_ids(conn, table))
            gone = merged.index.difference(present)
            merged = merged.drop(gone)
        if len(merged) != count or int(merged["version"].sum()) != total or (int(merged.index.max()) if len(merged) else 0) != max_id:
            return None
        versions[table] = merged
        # Rows of the window at a version already seen are unchanged (every write bumps the version),
        # unless written after the newest change seen: a write that kept the version, or another
        # database put under the same address.
        seen = old["version"].reindex(window.index)
        later = (stamps > pd.Timestamp(old_newest)).to_numpy() if old_newest is not None else np.ones(len(window), bool)
        changed[table] = window.index[(seen.to_numpy() != window["version"].to_numpy()) | later].union(gone)
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


# --- on disk -----------------------------------------------------------------------------------------
_FORMAT = 2
_MAGIC = b"LBPREP01"
_ALIGN = 64


def _folder() -> Path:
    return data_dir() / "prepared"


def _stem(key: Key) -> str:
    # A hash: the address may hold a server password, and the file name must not.
    return hashlib.sha256("\0".join(map(str, key)).encode()).hexdigest()[:32]


def _marks_json(marks: dict[str, Marks]) -> dict[str, list[Any]]:
    return {t: [c, m, n.isoformat() if n is not None else None, s] for t, (c, m, n, s) in marks.items()}


def _marks_of(stored: dict[str, list[Any]]) -> dict[str, Marks]:
    return {t: (int(c), int(m), dt.datetime.fromisoformat(n) if n is not None else None, int(s))
            for t, (c, m, n, s) in stored.items()}


def _private_write(path: Path, chunks: list[bytes | memoryview]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
    with os.fdopen(fd, "wb") as out:
        for chunk in chunks:
            out.write(chunk)


def _save(key: Key, side: _Side) -> None:
    """Write ``side`` as one file of aligned raw arrays behind a JSON header, then point to it. Best
    effort: a full disk or an odd column only means the next process reads the database itself."""
    try:
        arrays: dict[str, np.ndarray] = {}
        meta = state_arrays(side.base, arrays)
        for table, frame in side.versions.items():
            arrays[f"v{table}:id"] = frame.index.to_numpy(dtype=np.int64)
            for col in frame.columns:
                arrays[f"v{table}:{col}"] = frame[col].to_numpy(dtype=np.int64)
        meta.update(format=_FORMAT, day=side.day.isoformat(), marks=_marks_json(side.marks))
        layout: dict[str, list[Any]] = {}
        offset = 0
        for name, arr in arrays.items():
            arr = np.ascontiguousarray(arr)
            arrays[name] = arr
            layout[name] = [arr.dtype.str, list(arr.shape), offset]
            offset += -(-arr.nbytes // _ALIGN) * _ALIGN
        meta["arrays"] = layout
        header = json.dumps(meta, ensure_ascii=False).encode()
        start = -(-(len(_MAGIC) + 8 + len(header)) // _ALIGN) * _ALIGN
        chunks: list[bytes | memoryview] = [_MAGIC, start.to_bytes(8, "little"), header,
                                            b"\0" * (start - len(_MAGIC) - 8 - len(header))]
        for arr in arrays.values():
            chunks.append(arr.reshape(-1).view(np.uint8).data if arr.nbytes else b"")
            chunks.append(b"\0" * (-(-arr.nbytes // _ALIGN) * _ALIGN - arr.nbytes))
        folder = _folder()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        stem = _stem(key)
        data_name = f"{stem}-{uuid.uuid4().hex[:12]}.prep"
        _private_write(folder / data_name, chunks)
        pointer = folder / f"{stem}.{uuid.uuid4().hex[:8]}.tmp"
        _private_write(pointer, [json.dumps({"file": data_name}).encode()])
        os.replace(pointer, folder / f"{stem}.json")
        for old in folder.glob(f"{stem}-*.prep"):
            if old.name != data_name:
                with contextlib.suppress(OSError):  # still mapped by another process (Windows)
                    old.unlink()
    except (OSError, NotStorable, TypeError, ValueError):
        pass


def _load_file(key: Key) -> tuple[dict[str, Any], dict[str, np.ndarray]] | None:
    folder = _folder()
    try:
        name = json.loads((folder / f"{_stem(key)}.json").read_text())["file"]
        with open(folder / str(name), "rb") as f:
            if f.read(len(_MAGIC)) != _MAGIC:
                return None
            start = int.from_bytes(f.read(8), "little")
            meta = json.loads(f.read(start - len(_MAGIC) - 8).rstrip(b"\0"))
            size = os.fstat(f.fileno()).st_size
            whole = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY) if size > start else None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
        return None
    arrays: dict[str, np.ndarray] = {}
    try:
        for array_name, (dtype, shape, offset) in meta["arrays"].items():
            dtype_ = np.dtype(dtype)
            if dtype_.hasobject:
                return None
            count = int(np.prod(shape)) if shape else 1
            if count == 0 or whole is None:
                arrays[array_name] = np.zeros(shape, dtype=dtype_)
                continue
            arrays[array_name] = np.frombuffer(whole, dtype=dtype_, count=count,
                                               offset=start + int(offset)).reshape(shape)
    except (KeyError, ValueError, TypeError):  # a file cut short or written by something else
        return None
    return meta, arrays


def _from_disk(conn: Connection, actor: Actor, key: Key, day: dt.date) -> _Side | None:
    """The side stored by an earlier process for ``key`` and ``day`` (names and ID numbers read again);
    None when there is none or it cannot be used."""
    loaded = _load_file(key)
    if loaded is None:
        return None
    meta, arrays = loaded
    if meta.get("day") != day.isoformat():
        return None
    try:
        base = from_state(meta, arrays, frames.vacancies_frame(conn, ids=[]))
        versions: dict[str, pd.DataFrame] = {}
        for table in ("trainee", "placement"):
            cols = {name.split(":", 1)[1]: arr for name, arr in arrays.items() if name.startswith(f"v{table}:")}
            index = pd.Index(cols.pop("id"), name="id")
            versions[table] = pd.DataFrame(cols, index=index)
        marks = _marks_of(meta["marks"])
    except (KeyError, ValueError, TypeError, IndexError):
        return None
    ids, names, numbers = frames.trainee_identities(conn, actor)
    attach_identities(base, ids, names, numbers)
    return _Side(day, marks, versions, base.history, base, "disk")


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
