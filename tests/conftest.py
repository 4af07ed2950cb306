"""Shared fixtures: real SQLite files in a temp folder, demo databases, offscreen Qt."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LABORBRIDGE_LANG", "zh")

from db import i18n, services  # noqa: E402
from db.engine import Database, open_database  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO.parent / "shared" / "samples"
TODAY = dt.date(2026, 11, 29)


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the developer's real user data folder."""
    monkeypatch.setenv("LABORBRIDGE_DATA_DIR", str(tmp_path_factory.mktemp("userdata")))
    monkeypatch.delenv("LABORBRIDGE_DB", raising=False)
    i18n.set_language("zh")


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'lb.sqlite3'}"


@pytest.fixture
def database(db_url: str):  # type: ignore[no-untyped-def]
    database = open_database(db_url)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    database = open_database(f"sqlite:///{path}")
    services.load_demo(database, trainees=3000, seed=7, today=TODAY)
    database.dispose()
    return path


@pytest.fixture
def demo_db(_demo_template: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A fresh copy of a 3,000-trainee demo database (generated once per session)."""
    path = tmp_path / "demo.sqlite3"
    shutil.copy(_demo_template, path)
    database = open_database(f"sqlite:///{path}")
    yield database
    database.dispose()
