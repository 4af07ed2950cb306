"""Matching frames loaded once in the background after sign-in, so the first ranking or plan of the
session does not wait for 200,000 trainees and their history to be read.

The frames live in db/services/matching.py's fingerprint-checked cache (a frame is reused only while
the database is unchanged); this module only fills it early, off the GUI thread."""

from __future__ import annotations

import threading
import time

from core.access import Actor
from db.engine import Database

_lock = threading.Lock()


def warm(database: Database, actor: Actor) -> float:
    """Read the trainees and history frames the matcher will ask for; returns the seconds it took.
    A second warm-up while one runs waits for it instead of reading everything twice."""
    from db.services import matching

    t0 = time.perf_counter()
    with _lock:
        matching._load(database, actor, open_only=True)
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
