"""Backups and restores, verified.

- SQLite: a consistent online copy through SQLite's backup API (readers and writers may go on); the
  backup is itself a LaborBridge database file in rollback-journal mode (one self-contained file).
- PostgreSQL: ``pg_dump`` (custom format) inside a zip with a manifest of row counts taken in the
  very snapshot pg_dump reads (``pg_export_snapshot``); where pg_dump is missing or refuses, an
  app-level export (one JSON-lines file per table, same manifest) read in one REPEATABLE READ
  transaction.
- Restore checks the file first (a file that is not a backup is refused and nothing changes), keeps a
  safety copy of the current data, restores, then verifies integrity, schema revision and the row
  count of every table; a failed verification puts the safety copy back.

Automatic backups (on exit and daily) go to ``LABORBRIDGE_BACKUP_DIR`` (default: the ``backups``
folder in the user data folder) and the newest ``LABORBRIDGE_BACKUP_KEEP`` (default 10) are kept.
"""

from __future__ import annotations

import base64
import datetime as dt
import errno
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    DateTime,
    LargeBinary,
    Table,
    create_engine,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool, StaticPool

from core.access import Actor, require
from core.files import cannot_write, os_error_in
from core.i18n import UserError
from db import anchors, audit
from db.changes import Changes
from db.engine import (
    Database,
    data_dir,
    head_revision,
    known_revisions,
    private_file,
    schema_differences,
    scrub,
    upgrade_schema,
)
from db.models import AuditLog, Base, utcnow

FORMAT = "laborbridge-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PGDUMP_MEMBER = "database.pgdump"
SQLITE_MAGIC = b"SQLite format 3\x00"
ZIP_MAGIC = b"PK\x03\x04"
_CHUNK = 5000


@dataclass
class BackupInfo:
    path: Path
    kind: str                      # sqlite / pg_dump / export
    revision: str
    tables: dict[str, int] = field(default_factory=dict)
    created: str = ""
    audit_head: tuple[int, str] | None = None  # the newest audit entry it holds: (id, chain hash)

    @property
    def total_rows(self) -> int:
        return sum(self.tables.values())

    @property
    def changes(self) -> Changes:
        return Changes.all()  # every row was replaced


def tables() -> list[Table]:
    """Every table of the model, parents before children."""
    return list(Base.metadata.sorted_tables)


def backup_dir() -> Path:
    override = os.environ.get("LABORBRIDGE_BACKUP_DIR")
    return Path(override) if override else data_dir() / "backups"


def keep_count() -> int:
    try:
        return max(1, int(os.environ.get("LABORBRIDGE_BACKUP_KEEP", "10")))
    except ValueError:
        return 10


def _not_a_backup(path: Path, why: str, why_en: str) -> UserError:
    return UserError(f"“{path.name}”不是可用的 LaborBridge 备份（{why}），数据库未作任何改动。",
                     f"'{path.name}' is not a usable LaborBridge backup ({why_en}); nothing was changed.", code=2)


def _sqlite_path(database: Database) -> Path:
    name = make_url(database.url).database
    if not name or name == ":memory:":
        raise UserError("内存数据库无法备份。", "An in-memory database cannot be backed up.", code=2)
    return Path(name)


def _revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def row_counts(conn: Connection) -> dict[str, int]:
    return {t.name: int(conn.scalar(select(func.count()).select_from(t)) or 0) for t in tables()}


def _norm(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def fingerprint(database: Database) -> dict[str, tuple[int, str]]:
    """(row count, sha256 of all rows in key order) per table: equal fingerprints = same data."""
    out: dict[str, tuple[int, str]] = {}
    with database.engine.connect() as conn:
        for t in tables():
            digest = hashlib.sha256()
            n = 0
            cols = sorted(t.columns, key=lambda c: c.name)
            for row in conn.execute(select(*cols).order_by(*t.primary_key.columns)):
                digest.update(json.dumps([_norm(v) for v in row], default=str, ensure_ascii=False).encode())
                n += 1
            out[t.name] = (n, digest.hexdigest())
    return out


def reset_sequences(conn: Connection) -> None:
    """PostgreSQL: move every id sequence past the largest id, after rows were written with explicit
    ids (restore, demo generator); otherwise the next ordinary insert would collide. No-op elsewhere."""
    if conn.dialect.name != "postgresql":
        return
    for t in tables():
        pk = list(t.primary_key.columns)
        if len(pk) == 1 and pk[0].name == "id":
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{t.name}', 'id'), "
                              f"COALESCE((SELECT MAX(id) FROM {t.name}), 1), "
                              f"(SELECT MAX(id) FROM {t.name}) IS NOT NULL)"))


# --- making backups ---------------------------------------------------------------------------------

def _sqlite_backup(database: Database, dest: Path) -> BackupInfo:
    src_path = _sqlite_path(database)
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    private_file(partial)  # personal data: the owner's eyes only
    src = sqlite3.connect(str(src_path), timeout=30)
    dst = sqlite3.connect(str(partial))
    try:
        src.backup(dst)  # all pages in one step: one consistent snapshot, writers may go on
        dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
        dst.commit()
    finally:
        dst.close()
        src.close()
    info = inspect_backup(partial)  # integrity, revision and counts of what was written
    os.replace(partial, dest)
    info.path = dest
    return info


def _pg_args(url: str) -> tuple[list[str], dict[str, str]]:
    u = make_url(url)
    args = []
    if u.host:
        args += ["-h", u.host]
    if u.port:
        args += ["-p", str(u.port)]
    if u.username:
        args += ["-U", u.username]
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    return args + ["-d", str(u.database)], env


def _audit_head(conn: Connection) -> tuple[int, str] | None:
    row = conn.execute(select(AuditLog.id, AuditLog.chain_hash).order_by(AuditLog.id.desc()).limit(1)).first()
    return (int(row[0]), str(row[1])) if row is not None and row[1] else None


def _manifest(kind: str, revision: str, counts: dict[str, int], backend: str,
              audit_head: tuple[int, str] | None = None) -> dict[str, Any]:
    return {"format": FORMAT, "version": FORMAT_VERSION, "kind": kind, "revision": revision, "backend": backend,
            "created": utcnow().isoformat(timespec="seconds"), "tables": counts,
            "audit_head": list(audit_head) if audit_head else None}


def _pg_backup(database: Database, dest: Path, *, use_pg_dump: bool = True) -> BackupInfo:
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    private_file(partial)
    pg_dump = shutil.which("pg_dump") if use_pg_dump else None
    with database.engine.connect() as base_conn:
        conn = base_conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.scalar(text("SELECT pg_export_snapshot()"))
            revision = _revision(conn) or ""
            counts = row_counts(conn)
            head = _audit_head(conn) if revision not in _PRE_CHAIN else None
            kind = "export"
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
                if pg_dump:
                    with tempfile.TemporaryDirectory() as tmp:
                        dump = Path(tmp) / PGDUMP_MEMBER
                        args, env = _pg_args(database.url)
                        proc = subprocess.run([pg_dump, "-Fc", "--no-owner", "--no-privileges",
                                               f"--snapshot={snapshot}", "-f", str(dump), *args],
                                              env=env, capture_output=True, text=True, timeout=3600)
                        if proc.returncode == 0:
                            zf.write(dump, PGDUMP_MEMBER, compress_type=zipfile.ZIP_STORED)
                            kind = "pg_dump"
                if kind == "export":  # no pg_dump, or one that refused (e.g. older than the server)
                    _write_export(conn, zf)
                zf.writestr(MANIFEST, json.dumps(_manifest(kind, revision, counts, "postgresql", head),
                                                 ensure_ascii=False))
    os.replace(partial, dest)
    return BackupInfo(dest, kind, revision, counts, audit_head=head)


def _write_export(conn: Connection, zf: zipfile.ZipFile) -> None:
    for t in tables():
        with zf.open(f"tables/{t.name}.jsonl", "w") as fh:
            cols = [c.name for c in t.columns]
            result = conn.execution_options(stream_results=True).execute(
                select(t).order_by(*t.primary_key.columns))
            for row in result:
                fh.write((json.dumps(dict(zip(cols, (_norm(v) for v in row), strict=True)),
                                     ensure_ascii=False) + "\n").encode("utf-8"))


def _suffix(database: Database) -> str:
    return ".sqlite3" if database.backend == "sqlite" else ".lbbackup"


def _write_backup(database: Database, dest: Path, *, use_pg_dump: bool = True) -> BackupInfo:
    """Write a backup, or nothing: a failure (a full disk, say) leaves no partial file of personal data."""
    if database.backend not in ("sqlite", "postgresql"):
        raise UserError(f"不支持备份 {database.backend} 数据库。", f"Backing up {database.backend} is not supported.",
                        code=2)
    partial = dest.with_name(dest.name + ".partial")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        if database.backend == "sqlite":
            return _sqlite_backup(database, dest)
        return _pg_backup(database, dest, use_pg_dump=use_pg_dump)
    except BaseException as exc:
        for leftover in (partial, partial.with_name(partial.name + "-journal"), partial.with_name(partial.name + "-wal"),
                         partial.with_name(partial.name + "-shm")):
            leftover.unlink(missing_ok=True)  # SQLite's journal of the copy too: nothing left behind
        if isinstance(exc, UserError):
            raise
        if isinstance(exc, sqlite3.Error) and "full" in str(exc).lower():
            raise cannot_write(dest, OSError(errno.ENOSPC, "disk full")) from None
        if isinstance(exc, sqlite3.Error) and "disk i/o" in str(exc).lower():
            raise cannot_write(dest, OSError(errno.EIO, "disk I/O error")) from None
        cause = os_error_in(exc)
        if cause is not None:
            raise cannot_write(dest, cause) from None
        raise


def create_backup(database: Database, actor: Actor, dest: Path | str | None = None, *,
                  use_pg_dump: bool = True) -> BackupInfo:
    """A backup made on the user's request (administrator); audited."""
    require(actor, "backup")
    if dest is None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        dest = backup_dir() / f"{_db_stem(database)}-{stamp}{_suffix(database)}"
    elif not Path(dest).parent.is_dir():
        # A mistyped folder must not quietly become the only place the backup is.
        raise UserError(f"文件夹不存在：{Path(dest).parent}", f"The folder does not exist: {Path(dest).parent}",
                        code=2)
    dest = Path(dest)
    info = _write_backup(database, dest, use_pg_dump=use_pg_dump)
    with database.session() as session:
        audit.record(session, actor, "backup", "database", None, detail=f"{info.kind}: {dest} ({info.total_rows} rows)")
    return info


def _db_stem(database: Database) -> str:
    if database.backend == "sqlite":
        return _sqlite_path(database).stem
    return str(make_url(database.url).database or "database")


def _auto_backups(database: Database, reason: str = "*") -> list[Path]:
    folder = backup_dir()
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{_db_stem(database)}-auto-*-{reason}{_suffix(database)}"))


def auto_backup(database: Database, reason: str = "exit") -> BackupInfo:
    """An automatic backup (on exit, daily). Each reason is its own pool keeping its newest
    ``keep_count()``: quick sessions' exit backups never push out the daily ones of older days."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    dest = backup_dir() / f"{_db_stem(database)}-auto-{stamp}-{reason}{_suffix(database)}"
    info = _write_backup(database, dest)
    for old in _auto_backups(database, reason)[:-keep_count()]:
        old.unlink(missing_ok=True)
    return info


def backup_due(database: Database, now: dt.datetime | None = None) -> bool:
    """True when the newest daily backup is older than a day (or there is none)."""
    existing = _auto_backups(database, "daily")
    if not existing:
        return True
    newest = max(p.stat().st_mtime for p in existing)
    return ((now or dt.datetime.now()).timestamp() - newest) > 24 * 3600


# --- reading and checking backups -------------------------------------------------------------------

def inspect_backup(path: Path | str) -> BackupInfo:
    """What a backup file holds; a clear refusal for anything that is not a LaborBridge backup."""
    path = Path(path)
    if not path.is_file():
        raise _not_a_backup(path, "文件不存在", "no such file")
    with path.open("rb") as fh:
        head = fh.read(16)
    if head == SQLITE_MAGIC:
        return _inspect_sqlite(path)
    if head.startswith(ZIP_MAGIC):
        return _inspect_zip(path)
    raise _not_a_backup(path, "文件格式不符", "unknown file format")


def _inspect_sqlite(path: Path) -> BackupInfo:
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            check = conn.exec_driver_sql("PRAGMA integrity_check").scalar()
            if check != "ok":
                raise _not_a_backup(path, f"文件已损坏：{check}", f"the file is damaged: {check}")
            names = set(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'").scalars())
            if "alembic_version" not in names:
                raise _not_a_backup(path, "不是 LaborBridge 数据库", "not a LaborBridge database")
            revision = _revision(conn) or ""
            _check_revision(path, revision)
            problems = _schema_problems(conn, revision)
            if problems:  # table by table, and no trigger or view of its own
                raise _not_a_backup(path, "数据表结构与 LaborBridge 不符：" + "、".join(problems[:5]),
                                    "its tables do not match LaborBridge's: " + ", ".join(problems[:5]))
            missing = [t.name for t in tables() if t.name not in names]
            counts = {t.name: int(conn.scalar(select(func.count()).select_from(t)) or 0)
                      for t in tables() if t.name in names}
            head = _audit_head(conn) if "audit_log" in names and revision not in _PRE_CHAIN else None
    except sqlite3.DatabaseError as exc:  # pragma: no cover - covered through SQLAlchemy's wrapper
        raise _not_a_backup(path, str(exc), str(exc)) from None
    except UserError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged file shows up as any DB-API error
        raise _not_a_backup(path, "文件已损坏", f"the file is damaged ({str(exc).splitlines()[0]})") from None
    finally:
        engine.dispose()
    if missing and revision == head_revision():
        raise _not_a_backup(path, "缺少数据表：" + "、".join(missing), "missing tables: " + ", ".join(missing))
    return BackupInfo(path, "sqlite", revision, counts, dt.datetime.fromtimestamp(path.stat().st_mtime).isoformat(),
                      head)


def _check_revision(path: Path, revision: str) -> None:
    if revision not in known_revisions():
        raise _not_a_backup(path, f"数据结构版本 {revision or '（无）'} 不是本程序能识别的版本（备份可能来自更新的版本）",
                            f"schema revision {revision or '(none)'} is unknown to this program "
                            "(the backup may come from a newer version)")


def _inspect_zip(path: Path) -> BackupInfo:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if MANIFEST not in names:
                raise _not_a_backup(path, "压缩包中没有备份清单", "the archive has no backup manifest")
            manifest = json.loads(zf.read(MANIFEST))
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                raise _not_a_backup(path, "备份清单格式不符", "the manifest is not a LaborBridge manifest")
            kind = manifest.get("kind")
            if kind == "pg_dump" and PGDUMP_MEMBER not in names:
                raise _not_a_backup(path, "缺少数据库转储", "the database dump is missing")
            if kind == "export":
                missing = [t.name for t in tables() if f"tables/{t.name}.jsonl" not in names]
                if missing:
                    raise _not_a_backup(path, "缺少数据表：" + "、".join(missing), "missing tables: " + ", ".join(missing))
            elif kind != "pg_dump":
                raise _not_a_backup(path, "未知的备份类型", "unknown backup kind")
            bad = zf.testzip()
            if bad is not None:
                raise _not_a_backup(path, f"文件 {bad} 已损坏", f"the member {bad} is damaged")
    except (zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError, OSError):
        raise _not_a_backup(path, "压缩包已损坏", "the archive is damaged") from None
    revision = str(manifest.get("revision") or "")
    _check_revision(path, revision)
    counts = {str(k): int(v) for k, v in dict(manifest.get("tables") or {}).items()}
    head = manifest.get("audit_head")
    anchor = (int(head[0]), str(head[1])) if isinstance(head, list) and len(head) == 2 else None
    return BackupInfo(path, str(kind), revision, counts, str(manifest.get("created") or ""), anchor)


# --- restoring --------------------------------------------------------------------------------------

EXCLUSIVE_WAIT = 3.0  # seconds a restore waits for other connections to finish before it refuses
_PRE_CHAIN = {"0001", "0002", "0003"}  # revisions before the audit log was chained


class ConfirmationNeeded(UserError):
    """The backup would rewind or carries a broken audit log: refused unless the administrator confirms."""


@dataclass
class RestoreReport:
    kind: str
    revision: str
    tables: dict[str, int]
    safety_copy: Path | None
    forced: str | None = None  # what the administrator confirmed, when they did

    @property
    def total_rows(self) -> int:
        return sum(self.tables.values())


def _norm_sql(sql: str | None) -> str:
    return " ".join((sql or "").split())


def foreign_objects(conn: Connection, revision: str) -> list[str]:
    """Triggers, views and rules LaborBridge did not create (a backup must not bring code along)."""
    chained = revision not in _PRE_CHAIN
    if conn.dialect.name == "sqlite":
        ours = {_norm_sql(ddl) for ddl in audit.trigger_ddl("sqlite")} if chained else set()
        rows = conn.exec_driver_sql("SELECT type, name, sql FROM sqlite_master WHERE type IN ('trigger', 'view')")
        return [f"{kind} {name}" for kind, name, sql in rows if _norm_sql(sql) not in ours]
    if conn.dialect.name == "postgresql":
        out = []
        for name, table, function, body in conn.execute(text(
                "SELECT t.tgname, c.relname, p.proname, p.prosrc FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
                "WHERE NOT t.tgisinternal")):
            if not (chained and name in audit.TRIGGERS and table == "audit_log" and function == audit.PG_FUNCTION
                    and body == audit.PG_FUNCTION_BODY):
                out.append(f"trigger {name}")
        out += [f"view {v}" for v in conn.execute(text(
            "SELECT viewname FROM pg_views WHERE schemaname = current_schema()")).scalars()]
        out += [f"rule {r}" for r in conn.execute(text(
            "SELECT rulename FROM pg_rules WHERE schemaname = current_schema()")).scalars()]
        return out
    return []


def _schema_problems(conn: Connection, revision: str) -> list[str]:
    return schema_differences(conn, revision) + foreign_objects(conn, revision)


def _chain(conn: Connection, revision: str) -> audit.ChainReport:
    """The audit chain of ``conn``; a log from before the chain counts its entries only."""
    if revision in _PRE_CHAIN:
        n = int(conn.scalar(select(func.count()).select_from(AuditLog)) or 0)
        return audit.ChainReport(n, None, None)
    return audit.verify_chain(conn)


@dataclass
class LiveChain:
    """The live database's chain before a restore, and the anchors this PC holds for it."""
    report: audit.ChainReport
    hashes: dict[int, str]
    anchors: list[tuple[int, str]]


def _live(conn: Connection, url: str) -> LiveChain:
    revision = _revision(conn) or ""
    report = _chain(conn, revision)
    hashes: dict[int, str] = {}
    if revision not in _PRE_CHAIN:
        stmt = select(AuditLog.id, AuditLog.chain_hash).order_by(AuditLog.id)
        if report.broken_at is not None:
            stmt = stmt.where(AuditLog.id < report.broken_at)
        hashes = {int(i): str(h) for i, h in conn.execute(stmt)}
    return LiveChain(report, hashes, anchors.held(url))


def _agrees(conn: Connection, restored: audit.ChainReport, live: LiveChain) -> bool:
    """Whether the restored chain is the live one, a continuation of it, or ends at or passes through an
    entry this PC anchored: a forged or re-hashed chain of the same length agrees with none of these."""
    if restored.head_id is None or not live.hashes:
        return True  # nothing to compare: an empty log on either side
    if live.hashes.get(restored.head_id) == restored.head:
        return True  # a prefix of the live chain (equal, as it is not shorter)
    newest_id = max(live.hashes)
    if newest_id <= restored.head_id and audit.hash_at(conn, newest_id) == live.hashes[newest_id]:
        return True  # the live chain is a prefix of the restored one
    return any(entry_id <= restored.head_id and audit.hash_at(conn, entry_id) == head
               for entry_id, head in live.anchors)


def _chain_problem(conn: Connection, revision: str, live: LiveChain, force: bool) -> str | None:
    """Why the restored audit log (on ``conn``) needs the administrator's confirmation (None: it does
    not); raises ConfirmationNeeded unless ``force``."""
    restored = _chain(conn, revision)
    if not restored.intact:
        zh = f"备份中的审计日志已被改动（第 {restored.broken_at} 条记录起校验不符）"
        en = f"the backup's audit log was altered (the chain breaks at entry {restored.broken_at})"
    elif restored.entries < live.report.entries:
        missing = live.report.entries - restored.entries
        zh = f"备份中的审计日志比当前数据库少 {missing} 条，恢复会抹去这些记录"
        en = f"the backup's audit log has {missing} entries fewer than the live one; restoring erases them"
    elif revision not in _PRE_CHAIN and not _agrees(conn, restored, live):
        zh = "备份中的审计日志与当前数据库的不一致（既不是其前段，也不符合本机保存的校验码），可能被删改后重新计算过"
        en = ("the backup's audit log does not agree with the live one (it neither starts it nor matches a check "
              "code this PC kept); it may have been edited and re-hashed")
    else:
        return None
    if not force:
        raise ConfirmationNeeded(f"{zh}。如确认恢复，请由管理员确认（命令行加 --force）；数据库未作任何改动。",
                                 f"{en[0].upper()}{en[1:]}. An administrator must confirm the restore "
                                 "(--force on the command line). Nothing was changed.", code=2)
    return en


def _verify(conn: Connection, info: BackupInfo, live: LiveChain, force: bool,
            *, integrity: bool = False) -> str | None:
    """After a restore, before it counts: integrity, schema table by table, no foreign triggers, every
    table's row count as in the backup, and the audit chain. Returns what the administrator confirmed."""
    if integrity:
        check = conn.exec_driver_sql("PRAGMA integrity_check").scalar()
        if check != "ok":
            raise _verify_failed(f"完整性检查未通过：{check}", f"integrity check failed: {check}")
    revision = _revision(conn) or ""
    if revision != info.revision:
        raise _verify_failed(f"结构版本为 {revision}，备份为 {info.revision}",
                             f"schema revision {revision}, the backup has {info.revision}")
    problems = _schema_problems(conn, revision)
    if problems:
        raise _verify_failed("数据表结构与 LaborBridge 不符（" + "、".join(problems[:5]) + "）",
                             "the tables do not match LaborBridge's (" + ", ".join(problems[:5]) + ")")
    counts = row_counts(conn)
    wrong = [f"{name}: {counts.get(name)} ≠ {n}" for name, n in info.tables.items() if counts.get(name) != n]
    if wrong:
        raise _verify_failed("行数不符（" + "；".join(wrong) + "）", "row counts differ (" + "; ".join(wrong) + ")")
    forced = _chain_problem(conn, revision, live, force)
    if revision not in _PRE_CHAIN:
        _reinstate_triggers(conn)
    return forced


def _reinstate_triggers(conn: Connection) -> None:
    """A backup without the append-only triggers gets them back (and an audit entry saying so) before it
    counts as restored."""
    if audit.missing_triggers(conn):
        audit.reinstate_on_open(conn)
        conn.commit()


def _verify_failed(zh: str, en: str) -> UserError:
    return UserError(f"恢复后的校验未通过：{zh}。已还原为恢复前的数据。",
                     f"The restored data failed verification: {en}. The data from before the restore was put back.",
                     code=2)


def _in_use(database: Database, who: list[str] | None = None) -> UserError:
    if who is not None:  # PostgreSQL: the sessions are named
        shown = "；".join(who[:5])
        return UserError(
            f"数据库正被其他程序或其他办公室使用（{shown}），恢复需要独占数据库。请让这些用户退出 LaborBridge "
            "（服务器上可查询 pg_stat_activity），然后重试；数据库未作任何改动。",
            f"The database is in use by another program or office ({shown.replace('；', '; ')}); a restore "
            "needs it alone. Ask them to close LaborBridge (the server lists them in pg_stat_activity) and try "
            "again. Nothing was changed.", code=2)
    path = _sqlite_path(database)
    return UserError(
        f"数据库 {path} 正被其他程序或其他办公室使用（例如正在导入），恢复需要独占数据库。请关闭所有打开它的 "
        "LaborBridge 窗口和命令（Windows：任务管理器中的 LaborBridge；共享文件夹：计算机管理 → 共享文件夹 → 打开的文件），"
        "然后重试；数据库未作任何改动。",
        f"The database {path} is in use by another program or office (an import, for example); a restore "
        "needs it alone. Close every LaborBridge window and command using it (Windows: LaborBridge in the Task "
        "Manager; on a shared folder: Computer Management → Shared Folders → Open Files) and try again. "
        "Nothing was changed.", code=2)


@contextmanager
def _exclusive_sqlite(database: Database) -> Iterator[Connection]:
    """The live SQLite file held exclusively (no other connection may read or write) until the block
    ends, as a SQLAlchemy connection; refuses while any other connection has the file open."""
    database.engine.dispose()  # our own pooled connections first
    raw = sqlite3.connect(str(_sqlite_path(database)), timeout=EXCLUSIVE_WAIT, isolation_level=None,
                          check_same_thread=False)
    try:
        raw.execute("PRAGMA locking_mode=EXCLUSIVE")  # the lock, once taken, is kept until close
        try:
            raw.execute("BEGIN EXCLUSIVE")
            raw.execute("COMMIT")
        except sqlite3.OperationalError:
            raise _in_use(database) from None
        engine = create_engine("sqlite://", creator=lambda: raw, poolclass=StaticPool)
        with engine.connect() as conn:
            yield conn
    finally:
        raw.close()


def _pg_alone(database: Database) -> None:
    """Refuses while any other session is connected to the database (pg_stat_activity)."""
    database.engine.dispose()
    # Only client sessions count: autovacuum workers also sit in pg_stat_activity under this database.
    # A session closed a moment ago (our own pool's, just disposed) can linger while its backend exits,
    # so the list is looked at again for up to two seconds before refusing.
    query = text("SELECT pid, usename, application_name, client_addr FROM pg_stat_activity "
                 "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                 "AND backend_type = 'client backend'")
    with database.engine.connect() as conn:
        deadline = time.monotonic() + 2.0
        rows = conn.execute(query).all()
        while rows and time.monotonic() < deadline:
            time.sleep(0.1)
            conn.rollback()  # pg_stat_activity is a snapshot held for the whole transaction
            rows = conn.execute(query).all()
    database.engine.dispose()
    if rows:
        raise _in_use(database, [f"{addr or 'local'} {user or ''} {app or ''} pid {pid}".replace("  ", " ")
                                 for pid, user, app, addr in rows])


def restore_backup(database: Database, actor: Actor, path: Path | str, *, force: bool = False) -> RestoreReport:
    """Replace the database's data with a backup's, verified; the database object stays usable.

    Takes the database exclusively; refuses a backup whose schema differs from LaborBridge's table by
    table or that carries triggers or views of its own; refuses (unless ``force``) one whose audit log
    is broken or shorter than the live one. Any failure puts the data from before back."""
    require(actor, "backup")
    info = inspect_backup(path)  # refuses anything that is not a backup before touching the data
    if database.backend == "sqlite":
        report = _restore_sqlite(database, info, force)
    elif database.backend == "postgresql" and info.kind == "pg_dump":
        report = _restore_pg_dump(database, info, force)
    else:
        _pg_alone(database)
        report = _restore_rows(database, info, force=force)
    if info.revision != head_revision():
        upgrade_schema(database.engine)
    from db.services import frame_cache
    frame_cache.clear()  # other data under the same address: warm frames must not be patched from it
    with database.session() as session:
        audit.record(session, actor, "restore", "database", None,
                     detail=f"{info.kind}: {info.path.name} ({info.total_rows} rows)"
                     + (f"; confirmed by the administrator: {report.forced}" if report.forced else ""))
    with database.engine.connect() as conn:  # the chain before the restore is no longer this database's
        head = conn.execute(select(AuditLog.id, AuditLog.chain_hash).order_by(AuditLog.id.desc()).limit(1)).first()
    if head is not None:
        anchors.note(database.url, int(head[0]), str(head[1]), replace=True)
    return report


def _copy_out(conn: Connection, dest: Path) -> BackupInfo:
    """A safety copy of the (exclusively held) live SQLite file."""
    raw = conn.connection.dbapi_connection
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = private_file(dest.with_name(dest.name + ".partial"))
    dst = sqlite3.connect(str(partial))
    try:
        raw.backup(dst)  # type: ignore[union-attr]
        dst.execute("PRAGMA journal_mode=DELETE")
        dst.commit()
    finally:
        dst.close()
    os.replace(partial, dest)
    return BackupInfo(dest, "sqlite", "")


def _copy_in(src: Path, conn: Connection) -> None:
    raw = conn.connection.dbapi_connection
    s = sqlite3.connect(str(src), timeout=30)
    try:
        s.backup(raw)  # type: ignore[arg-type]
    finally:
        s.close()


def _restore_sqlite(database: Database, info: BackupInfo, force: bool) -> RestoreReport:
    with _exclusive_sqlite(database) as conn:
        live = _live(conn, database.url)
        if info.kind == "sqlite":  # checked on the file first, so a refusal touches nothing
            _check_backup_chain(info, live, force)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        safety = _copy_out(conn, backup_dir() / f"{_db_stem(database)}-before-restore-{stamp}.sqlite3")
        if info.kind != "sqlite":  # an export zip: row by row in one transaction (rolled back on failure)
            report = _restore_rows_on(conn, info, live, force)
            report.safety_copy = safety.path
            return report
        try:
            _copy_in(info.path, conn)
            forced = _verify(conn, info, live, force, integrity=True)
        except BaseException:
            _copy_in(safety.path, conn)
            raise
    return RestoreReport(info.kind, info.revision, info.tables, safety.path, forced)


def _check_backup_chain(info: BackupInfo, live: LiveChain, force: bool) -> None:
    engine = create_engine(f"sqlite:///{info.path}", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            _chain_problem(conn, info.revision, live, force)
    finally:
        engine.dispose()


def _safety_copy(database: Database) -> BackupInfo:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    return _write_backup(database, backup_dir() / f"{_db_stem(database)}-before-restore-{stamp}{_suffix(database)}")


def _run_pg_restore(database: Database, info: BackupInfo, pg_restore: str) -> None:
    database.engine.dispose()
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(info.path) as zf:
        dump = Path(zf.extract(PGDUMP_MEMBER, tmp))
        args, env = _pg_args(database.url)
        proc = subprocess.run([pg_restore, "--clean", "--if-exists", "--single-transaction", "--no-owner",
                               "--no-privileges", "--exit-on-error", *args, str(dump)],
                              env=env, capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:  # one transaction: nothing was changed
        reason = scrub((proc.stderr.strip().splitlines() or ["?"])[-1])
        raise UserError(f"恢复失败（{reason}），数据库未作任何改动。",
                        f"The restore failed ({reason}); nothing was changed.", code=2)


def _restore_pg_dump(database: Database, info: BackupInfo, force: bool) -> RestoreReport:
    pg_restore = shutil.which("pg_restore")
    if pg_restore is None:
        raise UserError("恢复 PostgreSQL 转储需要 pg_restore 程序（PostgreSQL 客户端），本机未找到；数据库未作任何改动。",
                        "Restoring a PostgreSQL dump needs pg_restore (the PostgreSQL client), which is not "
                        "installed here. Nothing was changed.", code=2)
    _pg_alone(database)
    with database.engine.connect() as conn:
        live = _live(conn, database.url)
    safety = _safety_copy(database)
    _run_pg_restore(database, info, pg_restore)
    try:
        with database.engine.connect() as conn:
            forced = _verify(conn, info, live, force)
    except BaseException:
        database.engine.dispose()
        if safety.kind == "pg_dump":
            _run_pg_restore(database, safety, pg_restore)
        else:
            _restore_rows(database, safety, force=True)
        raise
    return RestoreReport(info.kind, info.revision, info.tables, safety.path, forced)


def _decode(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for col in table.columns:
        value = row.get(col.name)
        if value is not None:
            if isinstance(value, dict) and "$b64" in value:
                value = base64.b64decode(value["$b64"])
            elif isinstance(col.type, DateTime) and isinstance(value, str):
                value = dt.datetime.fromisoformat(value)
            elif isinstance(col.type, Date) and isinstance(value, str):
                value = dt.date.fromisoformat(value)
            elif isinstance(col.type, Boolean):
                value = bool(value)
            elif isinstance(col.type, LargeBinary) and isinstance(value, str):
                value = value.encode()
        out[col.name] = value
    return out


def _source_rows(info: BackupInfo):  # type: ignore[no-untyped-def]
    """Yields (table, list of row dicts) chunks from an export zip or a SQLite backup file."""
    if info.kind == "export":
        with zipfile.ZipFile(info.path) as zf:
            for t in tables():
                chunk: list[dict[str, Any]] = []
                with zf.open(f"tables/{t.name}.jsonl") as fh:
                    for line in fh:
                        chunk.append(_decode(t, json.loads(line)))
                        if len(chunk) >= _CHUNK:
                            yield t, chunk
                            chunk = []
                if chunk:
                    yield t, chunk
    elif info.kind == "sqlite":
        engine = create_engine(f"sqlite:///{info.path}", poolclass=NullPool)
        try:
            with engine.connect() as conn:
                for t in tables():
                    result = conn.execute(select(t).order_by(*t.primary_key.columns))
                    while rows := result.mappings().fetchmany(_CHUNK):
                        yield t, [dict(r) for r in rows]
        finally:
            engine.dispose()
    else:
        raise UserError("该备份是 PostgreSQL 转储，只能恢复到 PostgreSQL 数据库（且需要 pg_restore）。",
                        "This backup is a PostgreSQL dump: it restores only into PostgreSQL (with pg_restore).",
                        code=2)


def _restore_rows(database: Database, info: BackupInfo, *, force: bool = False) -> RestoreReport:
    """Row by row in ONE transaction (see _restore_rows_on); works across backends."""
    with database.engine.connect() as conn:
        live = _live(conn, database.url)
        report = _restore_rows_on(conn, info, live, force)
    return report


def _restore_rows_on(conn: Connection, info: BackupInfo, live: LiveChain, force: bool) -> RestoreReport:
    """Delete everything, insert the backup's rows, check counts and the audit chain: one transaction,
    so any failure leaves the data as it was. The schema must be the same revision as the database's."""
    current = _revision(conn) or ""
    if info.revision != current:
        raise UserError(f"该备份的数据结构版本（{info.revision}）与当前数据库（{current}）不同，无法逐行恢复；"
                        "数据库未作任何改动。",
                        f"The backup's schema revision ({info.revision}) differs from the database's ({current}); "
                        "it cannot be restored row by row. Nothing was changed.", code=2)
    dialect = conn.dialect.name
    if conn.in_transaction():
        conn.commit()
    if dialect == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.begin()
    try:
        if dialect == "postgresql":  # nobody else reads or writes until the new data is in
            names = ", ".join(t.name for t in tables())
            conn.exec_driver_sql(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE NOWAIT")
        for statement in audit.drop_trigger_ddl(dialect):  # the old log goes with the old data
            conn.exec_driver_sql(statement)
        for t in reversed(tables()):
            conn.execute(delete(t))
        for t, chunk in _source_rows(info):
            conn.execute(insert(t), chunk)
        for statement in audit.trigger_ddl(dialect):
            conn.exec_driver_sql(statement)
        reset_sequences(conn)
        counts = row_counts(conn)
        wrong = [f"{name}: {counts.get(name)} ≠ {n}" for name, n in info.tables.items() if counts.get(name) != n]
        if wrong:  # raising here rolls the whole restore back
            raise UserError("恢复后的校验未通过：行数不符（" + "；".join(wrong) + "）。数据库未作任何改动。",
                            "The restored data failed verification: row counts differ (" + "; ".join(wrong)
                            + "). Nothing was changed.", code=2)
        forced = _chain_problem(conn, current, live, force)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return RestoreReport(info.kind, info.revision, info.tables, None, forced)
