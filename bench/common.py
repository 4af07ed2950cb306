"""Helpers shared by the bench modules: one demo database per size, built once per run."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from db.engine import open_database
from db.services import demo

_cache: dict[int, tuple[Path, float]] = {}


def demo_database(n: int, workdir: Path) -> tuple[Path, float]:
    """Path of a demo database with ``n`` trainees (built once), and the seconds it took."""
    if n not in _cache:
        path = workdir / f"demo_{n}.sqlite3"
        database = open_database(f"sqlite:///{path}")
        t0 = time.perf_counter()
        demo.load_demo(database, trainees=n, seed=2025)
        _cache[n] = (path, time.perf_counter() - t0)
        database.dispose()
    return _cache[n]


def copy_of_demo(n: int, workdir: Path, name: str) -> Path:
    src, _ = demo_database(n, workdir)
    dst = workdir / name
    shutil.copy(src, dst)
    return dst
