"""Opening a database: URL resolution, SQLite pragmas, schema checks and Alembic upgrades."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from platformdirs import user_data_dir
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from core.i18n import UserError
from db import audit as _audit  # noqa: F401 - installs the append-only guard of the audit log

APP_NAME = "LaborBridge"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_MAGIC = b"SQLite format 3\x00"


def data_dir() -> Path:
    override = os.environ.get("LABORBRIDGE_DATA_DIR")
    return Path(override) if override else Path(user_data_dir(APP_NAME, appauthor=False))


def default_url() -> str:
    return f"sqlite:///{data_dir() / 'laborbridge.sqlite3'}"


def resolve_url(url: str | None = None) -> str:
    """--db wins, then LABORBRIDGE_DB, then the SQLite file in the user data folder."""
    return url or os.environ.get("LABORBRIDGE_DB") or default_url()


def display_url(url: str) -> str:
    """The URL with any password hidden, for the status bar and messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    return {s.revision for s in ScriptDirectory.from_config(_alembic_config()).walk_revisions()}


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _cannot_open(url: str, why: str, why_en: str) -> UserError:
    shown = display_url(url)
    return UserError(f"无法打开数据库 {shown}：{why}", f"Cannot open the database {shown}: {why_en}", code=2)


def _check_sqlite_file(url: str, path: Path) -> None:
    if path.is_dir():
        raise _cannot_open(url, "这是一个文件夹，不是数据库文件", "this is a folder, not a database file")
    if path.exists() and path.stat().st_size > 0:
        with path.open("rb") as fh:
            if fh.read(16) != SQLITE_MAGIC:
                raise _cannot_open(url, "该文件不是 LaborBridge 数据库（可能是其他程序的文件）",
                                   "the file is not a LaborBridge database (it may belong to another program)")
    elif not path.parent.exists():
        raise _cannot_open(url, f"文件夹 {path.parent} 不存在", f"the folder {path.parent} does not exist")


def create_db_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise _cannot_open(url, "数据库地址格式无法识别", "the database URL is not recognised") from None
    kwargs: dict[str, object] = {}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            _check_sqlite_file(url, Path(database))
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(parsed, **kwargs)  # type: ignore[arg-type]
    except (NoSuchModuleError, ImportError, ArgumentError) as exc:
        raise _cannot_open(url, f"不支持的数据库类型（{exc}）", f"unsupported database type ({exc})") from None
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _inspect_schema(engine: Engine, url: str) -> str | None:
    """The current Alembic revision, None for an empty database; raises for foreign ones."""
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            if not tables:
                return None
            if "alembic_version" not in tables:
                raise _cannot_open(url, "该数据库属于其他程序（没有 LaborBridge 的数据表版本记录）",
                                   "the database belongs to another program (no LaborBridge schema version)")
            current = MigrationContext.configure(conn).get_current_revision()
    except UserError:
        raise
    except DBAPIError as exc:
        reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
        if "file is not a database" in reason:
            raise _cannot_open(url, "该文件不是 LaborBridge 数据库", "the file is not a LaborBridge database") from None
        raise _cannot_open(url, reason, reason) from None
    except SQLAlchemyError as exc:
        raise _cannot_open(url, str(exc).splitlines()[0], str(exc).splitlines()[0]) from None
    if current is not None and current not in known_revisions():
        raise UserError(
            f"数据库 {display_url(url)} 的结构版本（{current}）比本程序新，请升级 LaborBridge 后再打开；数据库未作任何改动。",
            f"The database {display_url(url)} has a newer schema ({current}) than this program; "
            "upgrade LaborBridge to open it. Nothing was changed.", code=2)
    return current


def upgrade_schema(engine: Engine, revision: str = "head") -> None:
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


@dataclass
class Database:
    url: str
    engine: Engine
    sessionmaker: sessionmaker[Session]

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error.

        A record changed by someone else since it was read (optimistic locking via version_id_col)
        becomes a clear UserError instead of a silent overwrite."""
        try:
            with self.sessionmaker() as session, session.begin():
                yield session
        except StaleDataError:
            raise UserError("该记录在您编辑期间已被其他用户修改，您的更改未保存。请重新打开记录后再改。",
                            "The record was changed by another user while you edited it; your change was not "
                            "saved. Reopen the record and try again.", code=3) from None

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str | None = None, *, migrate: bool = True) -> Database:
    """Open (and upgrade) the database; a UserError with code 2 when it cannot be used."""
    url = resolve_url(url)
    if url == default_url():
        data_dir().mkdir(parents=True, exist_ok=True)
    engine = create_db_engine(url)
    try:
        current = _inspect_schema(engine, url)
        if engine.dialect.name == "sqlite":
            # WAL is a property of the file: set it only once the file is known to be ours.
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        if migrate and current != head_revision():
            upgrade_schema(engine)
    except BaseException:
        engine.dispose()
        raise
    return Database(url, engine, sessionmaker(engine, expire_on_commit=False))
