"""Write operations that buttons and CLI commands share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from db import demo
from db.engine import Database


def load_demo(database: Database, *, trainees: int = 3000, seed: int = 2025, today: dt.date | None = None,
              progress: Callable[[int, str], None] | None = None) -> dict[str, int]:
    """Fill an empty database with demo data in one transaction (all or nothing)."""
    with database.engine.begin() as conn:
        counts = demo.generate(conn, trainees=trainees, seed=seed, today=today, progress=progress)
        from db.backup import reset_sequences
        reset_sequences(conn)  # PostgreSQL: the generator writes explicit ids
    if database.backend == "sqlite":
        with database.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.exec_driver_sql("ANALYZE")
    return counts
