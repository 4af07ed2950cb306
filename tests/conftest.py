"""Shared fixtures: real SQLite files in a temp folder, demo databases, offscreen Qt."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LABORBRIDGE_LANG", "zh")

from core import i18n
from db.engine import open_database
from db.services import demo
from tests.pg import PG_URL, PgServer

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "tests" / "data" / "samples"  # the sample rosters live in the repository
TODAY = dt.date(2026, 11, 29)


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the developer's real user data folder."""
    monkeypatch.setenv("LABORBRIDGE_DATA_DIR", str(tmp_path_factory.mktemp("userdata")))
    monkeypatch.delenv("LABORBRIDGE_DB", raising=False)
    i18n.set_language("zh")


@pytest.fixture(autouse=True)
def _no_task_outlives_its_test():  # type: ignore[no-untyped-def]
    """Background tasks a test started must not hold the thread pool for the next test."""
    yield
    _stop_background_tasks()


def _stop_background_tasks() -> None:
    """Before a test's database goes away: close its windows (a closing preview may still read the
    database) and stop its background tasks."""
    widgets = sys.modules.get("PySide6.QtWidgets")
    if widgets is not None and widgets.QApplication.instance() is not None:
        from PySide6.QtCore import QTimer

        for widget in widgets.QApplication.topLevelWidgets():
            widget.close()
            for timer in widget.findChildren(QTimer):  # a debounce of a window never shown
                timer.stop()
        widgets.QApplication.processEvents()
    tasks = sys.modules.get("ui.tasks")
    if tasks is not None:
        assert tasks.cancel_all(30000), "a background task did not stop within 30 s of its test"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """pytest-qt deletes the last test's widgets later, and later never comes: delete them now.

    Otherwise PySide tears them down with the application in no particular order (a dialog, then the
    page that owns it) and the process aborts after every test has passed."""
    core = sys.modules.get("PySide6.QtCore")
    if core is not None and core.QCoreApplication.instance() is not None:
        core.QCoreApplication.sendPostedEvents(None, core.QEvent.Type.DeferredDelete)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: a test about the SQLite file itself (not run on PostgreSQL)")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """With LABORBRIDGE_TEST_PG set (.ci/postgres sets it), every database test runs on SQLite AND on
    PostgreSQL; without it, only on SQLite."""
    if PG_URL and "db_backend" in metafunc.fixturenames \
            and metafunc.definition.get_closest_marker("sqlite_only") is None:
        metafunc.parametrize("db_backend", ["sqlite", "postgresql"])


@pytest.fixture
def db_backend() -> str:
    return "sqlite"


@pytest.fixture(scope="session")
def pg_server():  # type: ignore[no-untyped-def]
    """The test PostgreSQL server (templates built lazily, dropped at the end)."""
    if not PG_URL:
        pytest.fail("LABORBRIDGE_TEST_PG is not set")  # only reached through the postgresql parameter
    server = PgServer(PG_URL)
    yield server
    server.close()


@pytest.fixture
def db_url(db_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL database (schema from a template)."""
    if db_backend == "postgresql":
        server: PgServer = request.getfixturevalue("pg_server")
        url = server.clone(server.empty_template())
        request.addfinalizer(lambda: server.drop(url))
        return url
    return f"sqlite:///{tmp_path / 'lb.sqlite3'}"


@pytest.fixture
def database(db_url: str):  # type: ignore[no-untyped-def]
    database = open_database(db_url)
    yield database
    _stop_background_tasks()  # before the database goes: a task of this test may still use it
    database.dispose()


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    database = open_database(f"sqlite:///{path}")
    demo.load_demo(database, trainees=3000, seed=7, today=TODAY)
    database.dispose()
    return path


@pytest.fixture
def demo_db(db_backend: str, tmp_path: Path, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """A fresh copy of a 3,000-trainee demo database (generated once per session and backend)."""
    if db_backend == "postgresql":
        server: PgServer = request.getfixturevalue("pg_server")
        url = server.clone(server.demo_template(lambda db: demo.load_demo(db, trainees=3000, seed=7, today=TODAY)))
        database = open_database(url)
        yield database
        _stop_background_tasks()
        database.dispose()
        server.drop(url)
        return
    _demo_template: Path = request.getfixturevalue("_demo_template")
    path = tmp_path / "demo.sqlite3"
    shutil.copy(_demo_template, path)
    database = open_database(f"sqlite:///{path}")
    yield database
    _stop_background_tasks()
    database.dispose()
