"""Anchors of the audit chain outside the database it protects.

Each PC keeps, in its user data folder (``audit-anchors.json``, readable by its owner only), the newest
entries of each database's audit chain it has seen: (entry id, chain hash), noted when this PC writes an
audit entry (sign-out included), makes a backup or restores one. Someone who can write the database file
can drop the triggers, cut or rewrite entries and re-hash the chain, but cannot make an entry this PC
anchored disappear or change without ``audit verify`` saying so. Someone who holds the database file AND
every PC's anchor file can still rewrite history unseen; printed lists carry the check code on paper.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import weakref
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

KEEP = 200  # anchors per database: the newest, and so the strongest, are kept
FILE = "audit-anchors.json"
_lock = threading.Lock()
log = logging.getLogger(__name__)


_watched: weakref.WeakSet[Engine] = weakref.WeakSet()


def watch(engine: Engine) -> None:
    """Anchor what this engine's sessions append (the engines of opened databases, not a backup's)."""
    _watched.add(engine)


def watched(engine: Engine) -> bool:
    return engine in _watched


def _path() -> Path:
    from db.engine import data_dir
    return data_dir() / FILE


def key(url: str) -> str:
    """One name per database, however its URL was written (a SQLite file by its full path)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return "sqlite:" + str(Path(parsed.database or "").resolve())
    return parsed.set(password=None).render_as_string(hide_password=True)


def _read() -> dict[str, list[list[object]]]:
    try:
        data = json.loads(_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(data: dict[str, list[list[object]]]) -> None:
    from db.engine import private_file
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.unlink(missing_ok=True)
    private_file(tmp)
    try:
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def held(url: str) -> list[tuple[int, str]]:
    """The (entry id, chain hash) anchors this PC holds for the database at ``url``."""
    out = []
    for item in _read().get(key(url), []):
        if isinstance(item, list) and len(item) >= 2 and isinstance(item[0], int) and isinstance(item[1], str):
            out.append((item[0], item[1]))
    return out


def note(url: str, entry_id: int | None, head: str | None, *, replace: bool = False) -> None:
    """Keep (entry_id, head) as an anchor of ``url``; ``replace`` forgets the older ones (after a restore
    the administrator confirmed, the chain before it is no longer this database's). Never fails a write:
    an anchor that cannot be saved is logged."""
    if entry_id is None or not head:
        return
    try:
        with _lock:
            data = _read()
            k = key(url)
            # An anchor is never overwritten: an entry id that comes back with another hash (the end was
            # cut and the id reused) is exactly what the old anchor must go on testifying against.
            anchors = [] if replace else [a for a in data.get(k, []) if isinstance(a, list) and len(a) == 2]
            if [int(entry_id), head] not in anchors:
                anchors.append([int(entry_id), head])
            anchors.sort(key=lambda a: a[0] if isinstance(a[0], int) else 0)
            data[k] = anchors[-KEEP:]
            _write(data)
    except OSError as exc:  # a full or read-only user folder: the write itself stands
        log.warning("the audit anchor could not be saved: %s", exc)
