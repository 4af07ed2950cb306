"""The audit log: who changed, exported or printed what. Personal fields are masked.

The log is append-only and tamper-evident: every entry carries ``chain_hash`` = SHA-256 of the previous
entry's hash and this entry's content, written in the inserting transaction while it holds the chain
(SQLite's writer lock, a PostgreSQL advisory lock), so two offices writing at once cannot fork it.
Database triggers refuse UPDATE, DELETE (and on PostgreSQL TRUNCATE) of entries, raw SQL included.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, insert, inspect, select, text
from sqlalchemy.orm import Session

from core.access import Actor, PermissionDenied
from core.fields import mask_id, mask_phone
from core.i18n import tr
from db.models import AuditLog, utcnow

_MASKERS = {"id_number": mask_id, "phone": mask_phone}
_HIDDEN = {"household_type", "health_cert_expiry", "password_hash"}
CHAINED = ("at", "user_id", "username", "action", "entity", "entity_id", "before", "after", "detail")
_PG_LOCK_KEY = 0x4C424155  # "LBAU": the one advisory lock that serialises appends to the chain


def masked(values: Mapping[str, Any] | None) -> str | None:
    if values is None:
        return None
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in _MASKERS and value:
            out[key] = _MASKERS[key](str(value))
        elif key in _HIDDEN and value is not None:
            out[key] = "***"
        else:
            out[key] = value
    return json.dumps(out, ensure_ascii=False, default=str)


def record(session: Session, actor: Actor, action: str, entity: str | None = None, entity_id: object = None,
           *, before: Mapping[str, Any] | None = None, after: Mapping[str, Any] | None = None,
           detail: str | None = None) -> None:
    """Append one entry in the caller's transaction (so it is written exactly when the change is)."""
    session.add(AuditLog(user_id=actor.user_id, username=actor.username or None, action=action, entity=entity,
                         entity_id=None if entity_id is None else str(entity_id),
                         before=masked(before), after=masked(after), detail=detail))


# --- the hash chain ---------------------------------------------------------------------------------

def _at(value: object) -> str:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    assert isinstance(value, dt.datetime)
    return value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def link(previous: str | None, entry: Mapping[str, Any]) -> str:
    """The hash of ``entry`` chained to the previous entry's hash (None for the first entry)."""
    values = [_at(entry["at"])] + [entry.get(k) for k in CHAINED[1:]]
    payload = json.dumps(values, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{previous or ''}\n{payload}".encode()).hexdigest()


def _now() -> dt.datetime:
    # Whole microseconds, no time zone: what both SQLite and PostgreSQL give back unchanged.
    return utcnow().replace(tzinfo=None)


def take_chain(conn: Connection) -> str | None:
    """Hold the chain for the rest of this transaction and return the hash of its newest entry."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    elif conn.dialect.name == "sqlite":
        # A write statement takes SQLite's single writer lock (and so the newest snapshot) before the
        # head is read; it matches no row, so the append-only trigger never fires.
        conn.exec_driver_sql("UPDATE audit_log SET id = id WHERE 0")
    return conn.scalar(select(AuditLog.chain_hash).order_by(AuditLog.id.desc()).limit(1))


def append(conn: Connection, entries: Iterable[Mapping[str, Any]]) -> None:
    """Core-level append (bulk writers such as the demo generator): chained like ORM entries."""
    head = take_chain(conn)
    rows = []
    for entry in entries:
        row = {k: entry.get(k) for k in CHAINED}
        row["at"] = row["at"] or _now()
        head = row["chain_hash"] = link(head, row)
        rows.append(row)
    for row in rows:  # one statement each: ids must follow the chain's order
        conn.execute(insert(AuditLog), row)


def _chain_new_entries(session: Session, _context: object, _instances: object) -> None:
    new = [obj for obj in session.new if isinstance(obj, AuditLog)]
    if not new:
        return
    new.sort(key=lambda obj: inspect(obj).insert_order or 0)  # the order the ORM inserts them in
    head = take_chain(session.connection())
    for obj in new:
        obj.at = obj.at or _now()
        head = obj.chain_hash = link(head, {k: getattr(obj, k) for k in CHAINED})
    session.info["audit_new"] = new


def _remember_head(session: Session, _context: object) -> None:
    new = session.info.pop("audit_new", None)
    if new:  # ids are known once flushed; the anchor is written when the transaction commits
        newest = max(new, key=lambda obj: obj.id)
        session.info["audit_head"] = (newest.id, newest.chain_hash)


def _anchor_committed(session: Session) -> None:
    from db import anchors
    head = session.info.pop("audit_head", None)
    bind = session.bind
    if head is not None and isinstance(bind, Engine) and anchors.watched(bind):
        anchors.note(str(bind.url), *head)


def _forget_head(session: Session, _previous: object = None) -> None:
    session.info.pop("audit_new", None)
    session.info.pop("audit_head", None)


@dataclass(frozen=True)
class ChainReport:
    entries: int              # entries checked (all of them when intact)
    broken_at: int | None     # id of the first entry whose hash does not follow from the chain
    head: str | None          # hash of the newest entry (when intact)
    head_id: int | None = None                 # id of the newest entry (when intact)
    problems: tuple[str, ...] = ()             # what else is wrong: lost end, missing triggers, anchors

    @property
    def intact(self) -> bool:
        return self.broken_at is None and not self.problems

    def message(self) -> str:
        """The verdict in one or a few sentences, for the CLI and the audit page."""
        if self.broken_at is not None:
            return tr(f"审计日志已被改动：第 {self.broken_at} 条记录起校验不符（此前 {self.entries:,} 条完好）。",
                      f"The audit log was altered: the chain breaks at entry {self.broken_at} "
                      f"({self.entries:,} entries before it are intact).")
        if self.problems:
            return tr("审计日志不可信：", "The audit log cannot be trusted: ") + " ".join(self.problems)
        return tr(f"审计日志完整：{self.entries:,} 条记录逐条校验通过。",
                  f"The audit log is intact: {self.entries:,} entries verified.")


def verify_chain(conn: Connection) -> ChainReport:
    """Walk the whole log in id order and recompute every link."""
    previous: str | None = None
    previous_id: int | None = None
    n = 0
    cols = [AuditLog.id, *(getattr(AuditLog, k) for k in CHAINED), AuditLog.chain_hash]
    result = conn.execute(select(*cols).order_by(AuditLog.id),
                          execution_options={"stream_results": True, "yield_per": 5000})
    for row in result.mappings():
        if row["chain_hash"] != link(previous, dict(row)):
            result.close()
            return ChainReport(n, int(row["id"]), None)
        previous = row["chain_hash"]
        previous_id = int(row["id"])
        n += 1
    return ChainReport(n, None, previous, previous_id)


def hash_at(conn: Connection, entry_id: int) -> str | None:
    return conn.scalar(select(AuditLog.chain_hash).where(AuditLog.id == entry_id))


def check_anchors(conn: Connection, report: ChainReport, anchors: Iterable[tuple[int, str]]) -> list[str]:
    """Where the live chain disagrees with anchors kept outside the database: (entry id, hash) pairs.
    An anchor beyond the newest entry means the chain lost its end; another hash, a rewritten chain."""
    out: list[str] = []
    newest = report.head_id or 0
    for entry_id, expected in sorted(set(anchors), reverse=True):
        if entry_id > newest:
            out.append(tr(f"日志末尾的记录被删除（本机记录的第 {entry_id} 条已不存在，现在最后一条是第 {newest} 条）。",
                          f"Entries at the end were removed (entry {entry_id}, recorded on this PC, is gone; the "
                          f"newest is now {newest})."))
            break
        if hash_at(conn, entry_id) != expected:
            out.append(tr(f"第 {entry_id} 条记录与本机保存的校验码不符，日志被重写过。",
                          f"Entry {entry_id} does not match the check code this PC kept: the log was rewritten."))
            break
    return out


def verify_all(conn: Connection, anchors: Iterable[tuple[int, str]] = ()) -> ChainReport:
    """The chain, its append-only triggers and the anchors this PC holds."""
    report = verify_chain(conn)
    if not report.intact:
        return report
    problems: list[str] = []
    missing = missing_triggers(conn)
    if missing:
        problems.append(tr(f"审计日志的防改触发器缺失（{'、'.join(missing)}），日志可被直接删改。",
                           f"The audit log's append-only triggers are missing ({', '.join(missing)}): it can be "
                           "edited directly."))
    problems += check_anchors(conn, report, anchors)
    if problems:
        return ChainReport(report.entries, None, report.head, report.head_id, tuple(problems))
    return report


def check_code(entry_id: int | None, head: str | None) -> str:
    """The short 审计校验码 printed in a list's footer: the newest entry's id and its hash's first digits."""
    return f"{entry_id or 0}-{(head or '')[:8].upper() or '0'}"


# --- append-only: triggers in the database, and a guard in the ORM -----------------------------------

TRIGGERS = ("audit_log_no_update", "audit_log_no_delete", "audit_log_no_truncate")
PG_FUNCTION = "audit_log_append_only"
PG_FUNCTION_BODY = " BEGIN RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = '42501'; END "


def trigger_ddl(dialect: str) -> list[str]:
    """The statements that make audit_log append-only in the database itself."""
    if dialect == "sqlite":
        return [f"CREATE TRIGGER audit_log_no_{op.lower()} BEFORE {op} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END" for op in ("UPDATE", "DELETE")]
    if dialect == "postgresql":
        return [f"CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql "
                f"AS ${PG_FUNCTION}${PG_FUNCTION_BODY}${PG_FUNCTION}$",
                f"CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW "
                f"EXECUTE FUNCTION {PG_FUNCTION}()",
                f"CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log FOR EACH ROW "
                f"EXECUTE FUNCTION {PG_FUNCTION}()",
                f"CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT "
                f"EXECUTE FUNCTION {PG_FUNCTION}()"]
    return []


def missing_triggers(conn: Connection) -> list[str]:
    """The append-only triggers the database lacks (none on a backend without them)."""
    dialect = conn.dialect.name
    wanted: tuple[str, ...]
    if dialect == "sqlite":
        wanted = ("audit_log_no_update", "audit_log_no_delete")
        have = set(conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'").scalars())
    elif dialect == "postgresql":
        wanted = TRIGGERS
        have = set(conn.execute(text(
            "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relname = 'audit_log' AND NOT t.tgisinternal AND t.tgenabled <> 'D'")).scalars())
    else:
        return []
    return [name for name in wanted if name not in have]


def reinstall_triggers(conn: Connection) -> list[str]:
    """Put back missing append-only triggers (all of them, afresh); returns the names that were missing."""
    missing = missing_triggers(conn)
    if missing:
        for statement in drop_trigger_ddl(conn.dialect.name) + trigger_ddl(conn.dialect.name):
            conn.exec_driver_sql(statement)
    return missing


def reinstate_on_open(conn: Connection) -> list[str]:
    """At every start: missing append-only triggers are put back, and that is itself an audit entry."""
    missing = reinstall_triggers(conn)
    if missing:
        append(conn, [{"username": "system", "action": "audit_triggers_reinstalled", "entity": "audit_log",
                       "detail": ", ".join(missing)}])
    return missing


def drop_trigger_ddl(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return ["DROP TRIGGER IF EXISTS audit_log_no_update", "DROP TRIGGER IF EXISTS audit_log_no_delete"]
    if dialect == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {name} ON audit_log" for name in TRIGGERS]
    return []


def _install_append_only_audit() -> None:
    """The app never rewrites history: ORM updates/deletes of audit entries are refused (the database's
    triggers refuse raw SQL too), and every new entry is chained."""
    from sqlalchemy import event

    def refuse(*_args: object) -> None:
        raise PermissionDenied("审计日志只能追加，不能修改或删除。", "The audit log is append-only.", code=1)

    event.listen(AuditLog, "before_update", refuse)
    event.listen(AuditLog, "before_delete", refuse)
    event.listen(Session, "before_flush", _chain_new_entries)
    event.listen(Session, "after_flush", _remember_head)
    event.listen(Session, "after_commit", _anchor_committed)
    event.listen(Session, "after_soft_rollback", _forget_head)

    @event.listens_for(Session, "do_orm_execute")
    def _no_bulk_rewrite(state) -> None:  # type: ignore[no-untyped-def]
        if (state.is_update or state.is_delete) and getattr(state.statement, "table", None) is not None \
                and getattr(state.statement.table, "name", None) == "audit_log":
            refuse()


_install_append_only_audit()
