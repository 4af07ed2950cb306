"""Opening a database: URL resolution, SQLite pragmas, schema checks and Alembic upgrades."""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from platformdirs import user_data_dir
from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from core.i18n import UserError, tr
from db import anchors, rights
from db import audit as _audit  # also installs the append-only guard of the audit log

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


def database_name(url: str) -> str:
    """What a clerk calls the database: the file name (laborbridge.sqlite3), or host/database for a
    server — never the URL, its driver or its credentials."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url.rsplit("/", 1)[-1] or url
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        return Path(path).name if path and path != ":memory:" else tr("内存数据库", "in-memory database")
    host = parsed.host or "localhost"
    return f"{host}/{parsed.database}" if parsed.database else host


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


def private_file(path: Path) -> Path:
    """Create ``path`` (empty) readable by its owner only, or take read access from others on POSIX.

    Databases, backups and the log hold personal data; a shared PC must not show them to every account."""
    if os.name != "posix":
        return path
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
    except FileExistsError:
        try:
            mode = path.stat().st_mode & 0o777
            if mode & 0o077:
                os.chmod(path, mode & 0o700)
        except OSError:  # not ours to change (another account's file, read-only medium)
            pass
    return path


def log_path() -> Path:
    """The log file of unexpected failures (tracebacks, scrubbed of ID and phone numbers), mode 0600."""
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return private_file(folder / "laborbridge.log")


# --- failures in one sentence, without personal data ----------------------------------------------

_ID_RE = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
_PHONE_RE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def scrub(text: str) -> str:
    """Text for a log or message: ID and mobile numbers masked, PostgreSQL's DETAIL lines (which quote a
    row's values, e.g. a duplicate key) and any SQL parameters dropped."""
    text = re.sub(r"(?m)^(DETAIL|\[parameters):.*$", r"\1: [hidden]", text)
    text = re.sub(r"\[parameters: .*?\]", "[parameters hidden]", text, flags=re.S)
    return _PHONE_RE.sub("[phone]", _ID_RE.sub("[ID]", text))


def _sqlstate(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return str(getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or "")


def failure_cause(exc: BaseException) -> tuple[str, str] | None:
    """The cause of a database or file failure as (中文, English), None when it is not one we know."""
    from sqlalchemy.exc import IntegrityError

    state = _sqlstate(exc)
    text = str(getattr(exc, "orig", None) or exc).lower() if isinstance(exc, DBAPIError) else ""
    number = exc.errno if isinstance(exc, OSError) else None
    if "append-only" in text:
        return ("审计日志只能追加，不能修改或删除", "the audit log is append-only")
    if isinstance(exc, IntegrityError) or state.startswith("23"):
        return ("与其他用户同时保存的记录冲突（例如同一身份证号被同时录入），本次操作未保存，请刷新后重试",
                "it conflicts with a record someone else saved at the same time (e.g. the same ID number); "
                "nothing was saved, refresh and try again")
    if "database is locked" in text or "database table is locked" in text or "busy" in text \
            or state in {"55P03", "40P01", "40001", "57014"}:
        return ("数据库正被其他程序或其他办公室占用（锁定），请稍后重试",
                "the database is locked by another program or office; try again in a moment")
    if "disk is full" in text or "disk full" in text or number == errno.ENOSPC or state == "53100":
        return ("磁盘已满，请腾出空间后重试", "the disk is full; free some space and try again")
    if "readonly" in text or "read-only" in text or number == errno.EROFS or state == "25006":
        return ("数据库或文件夹只读，无法写入", "the database or folder is read-only")
    if "unable to open" in text or number in {errno.EACCES, errno.EPERM} or state in {"42501", "28000", "28P01"}:
        return ("没有访问数据库或文件的权限", "no permission to access the database or file")
    if isinstance(exc, OSError) and exc.strerror:
        return (exc.strerror, exc.strerror)
    return None


def describe_failure(exc: BaseException, logged_to: str | None = None) -> UserError:
    """Any unexpected failure as one sentence naming its cause; never the data that caused it."""
    cause = failure_cause(exc)
    where_zh = f"，详情已写入 {logged_to}" if logged_to else ""
    where_en = f"; details written to {logged_to}" if logged_to else ""
    if cause is not None:
        return UserError(f"操作失败：{cause[0]}{where_zh}。", f"The operation failed: {cause[1]}{where_en}.", code=1)
    name = type(exc).__name__
    return UserError(f"操作失败：意外故障（{name}）{where_zh}。",
                     f"The operation failed: unexpected failure ({name}){where_en}.", code=1)


def log_failure(exc: BaseException) -> str:
    """Append the traceback (scrubbed) to the log; returns where it went."""
    import traceback

    try:
        path = log_path()
        with path.open("a", encoding="utf-8") as fh:
            fh.write(scrub("".join(traceback.format_exception(type(exc), exc, exc.__traceback__))) + "\n")
        return str(path)
    except OSError:
        return ""


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
            if not Path(database).exists():
                private_file(Path(database))  # SQLite's -wal and -shm files take the database file's mode
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
    try:
        # hide_parameters: a failing statement's message must never carry the row's names and ID numbers.
        engine = create_engine(parsed, hide_parameters=True, **kwargs)
    except (NoSuchModuleError, ImportError, ArgumentError) as exc:
        raise _cannot_open(url, f"不支持的数据库类型（{exc}）", f"unsupported database type ({exc})") from None
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "handle_error", _scrub_error)
    rights.install(engine)
    anchors.watch(engine)
    return engine


def _scrub_error(context) -> DBAPIError | None:  # type: ignore[no-untyped-def]
    """PostgreSQL quotes the offending values in an error's DETAIL line (``Key (id_number)=(…) already
    exists``): the error raised carries the message without them, wherever it is printed or logged."""
    exc, orig = context.sqlalchemy_exception, context.original_exception
    if not isinstance(exc, DBAPIError) or orig is None:
        return None
    message = str(orig)
    clean = scrub(message)
    if clean == message:
        return None
    try:
        orig.args = (clean,)
    except (AttributeError, TypeError):  # pragma: no cover - every DB-API error takes new args
        return None
    return type(exc)(exc.statement, exc.params, orig, hide_parameters=True,
                     connection_invalidated=exc.connection_invalidated)


@cache
def expected_schema(revision: str) -> dict[str, frozenset[str]]:
    """Table → column names of a LaborBridge database at ``revision`` (what our migrations build)."""
    if revision == head_revision():
        from db.models import Base
        out = {t.name: frozenset(c.name for c in t.columns) for t in Base.metadata.sorted_tables}
    else:
        scratch = create_engine("sqlite://")
        try:
            upgrade_schema(scratch, revision)
            with scratch.connect() as conn:
                found = inspect(conn).get_multi_columns()
            out = {name: frozenset(c["name"] for c in cols) for (_schema, name), cols in found.items()
                   if name != "alembic_version"}
        finally:
            scratch.dispose()
    out["alembic_version"] = frozenset({"version_num"})
    return out


def schema_differences(conn: Connection, revision: str) -> list[str]:
    """How the tables of ``conn`` differ from LaborBridge's at ``revision``: extra or missing tables,
    extra or missing columns. Empty when they match table by table."""
    expected = expected_schema(revision)
    found = {name: frozenset(c["name"] for c in cols)
             for (_schema, name), cols in inspect(conn).get_multi_columns().items()
             if not name.startswith("sqlite_")}
    out = [f"+{name}" for name in sorted(found.keys() - expected.keys())]
    out += [f"-{name}" for name in sorted(expected.keys() - found.keys())]
    for name in sorted(found.keys() & expected.keys()):
        extra, missing = found[name] - expected[name], expected[name] - found[name]
        out += [f"+{name}.{c}" for c in sorted(extra)] + [f"-{name}.{c}" for c in sorted(missing)]
    return out


def _foreign(url: str, differences: list[str]) -> UserError:
    shown = "、".join(differences[:5]) + ("…" if len(differences) > 5 else "")
    return _cannot_open(url, f"数据表结构与 LaborBridge 不符（{shown}），可能属于其他程序；数据库未作任何改动",
                        f"its tables do not match LaborBridge's ({shown.replace('、', ', ')}); it may belong to "
                        "another program. Nothing was changed")


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
            if current is None:
                raise _foreign(url, sorted(tables - {"alembic_version"}))
            if current in known_revisions():
                differences = schema_differences(conn, current)
                if differences:
                    raise _foreign(url, differences)
            elif not tables & set(expected_schema(head_revision())) - {"alembic_version"}:
                # An unknown revision and none of our tables: another program's, not a newer LaborBridge.
                raise _foreign(url, [f"+{name}" for name in sorted(tables - {"alembic_version"})])
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
            live = Path(make_url(url).database or "")
            for path in (live, live.with_name(live.name + "-wal"), live.with_name(live.name + "-shm")):
                if path.name and path.is_file():
                    private_file(path)  # a database made before files were private
            # WAL is a property of the file: set it only once the file is known to be ours.
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        if migrate and current != head_revision():
            upgrade_schema(engine)
        if migrate:
            with engine.begin() as conn:
                _audit.reinstate_on_open(conn)  # someone who dropped them finds them back, and logged
    except BaseException:
        engine.dispose()
        raise
    return Database(url, engine, sessionmaker(engine, expire_on_commit=False))
