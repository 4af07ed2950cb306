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

from sqlalchemy import Connection, insert, inspect, select, text
from sqlalchemy.orm import Session

from core.access import Actor, PermissionDenied
from core.fields import mask_id, mask_phone
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


@dataclass(frozen=True)
class ChainReport:
    entries: int              # entries checked (all of them when intact)
    broken_at: int | None     # id of the first entry whose hash does not follow from the chain
    head: str | None          # hash of the newest entry (when intact)

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify_chain(conn: Connection) -> ChainReport:
    """Walk the whole log in id order and recompute every link."""
    previous: str | None = None
    n = 0
    cols = [AuditLog.id, *(getattr(AuditLog, k) for k in CHAINED), AuditLog.chain_hash]
    result = conn.execute(select(*cols).order_by(AuditLog.id),
                          execution_options={"stream_results": True, "yield_per": 5000})
    for row in result.mappings():
        if row["chain_hash"] != link(previous, dict(row)):
            result.close()
            return ChainReport(n, int(row["id"]), None)
        previous = row["chain_hash"]
        n += 1
    return ChainReport(n, None, previous)


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

    @event.listens_for(Session, "do_orm_execute")
    def _no_bulk_rewrite(state) -> None:  # type: ignore[no-untyped-def]
        if (state.is_update or state.is_delete) and getattr(state.statement, "table", None) is not None \
                and getattr(state.statement.table, "name", None) == "audit_log":
            refuse()


_install_append_only_audit()
