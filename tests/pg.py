"""The PostgreSQL side of the test suite: a fresh database per test, cloned from template databases.

`CREATE DATABASE … TEMPLATE …` copies a migrated (or demo-filled) database in a fraction of a second,
so a test on PostgreSQL starts as clean as one on a new SQLite file.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from db.engine import Database, open_database

PG_URL = os.environ.get("LABORBRIDGE_TEST_PG") or None


class PgServer:
    def __init__(self, url: str) -> None:
        self.base = make_url(url)
        self.admin = create_engine(self.base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        self.prefix = f"lbt{os.getpid()}_"
        self._counter = itertools.count(1)
        self._empty: str | None = None
        self._demo: str | None = None
        self._templates: list[str] = []

    def url_for(self, name: str) -> str:
        return self.base.set(database=name).render_as_string(hide_password=False)

    def _exec(self, sql: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(sql))

    def _new_name(self) -> str:
        return f"{self.prefix}{next(self._counter)}"

    def create_database(self, template: str | None = None) -> str:
        """A new database (empty, or a copy of ``template``); returns its URL."""
        name = self._new_name()
        self._exec(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url_for(name)

    def _build_template(self, fill: Callable[[Database], object] | None) -> str:
        url = self.create_database()
        database = open_database(url)  # migrates to head
        try:
            if fill is not None:
                fill(database)
        finally:
            database.dispose()  # a template may have no open connection when it is copied
        name = make_url(url).database
        assert name
        self._templates.append(name)
        return name

    def empty_template(self) -> str:
        if self._empty is None:
            self._empty = self._build_template(None)
        return self._empty

    def demo_template(self, fill: Callable[[Database], object]) -> str:
        if self._demo is None:
            self._demo = self._build_template(fill)
        return self._demo

    def clone(self, template: str) -> str:
        return self.create_database(template)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        self._exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        for name in self._templates:
            self._exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.dispose()
