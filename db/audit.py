"""The audit log: who changed, exported or printed what. Personal fields are masked."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from core.access import Actor, PermissionDenied
from core.fields import mask_id, mask_phone
from db.models import AuditLog

_MASKERS = {"id_number": mask_id, "phone": mask_phone}
_HIDDEN = {"household_type", "health_cert_expiry", "password_hash"}


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
    session.add(AuditLog(user_id=actor.user_id, username=actor.username, action=action, entity=entity,
                         entity_id=None if entity_id is None else str(entity_id),
                         before=masked(before), after=masked(after), detail=detail))


def _install_append_only_audit() -> None:
    """The app never rewrites history: ORM updates/deletes of audit entries are refused."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    def refuse(*_args: object) -> None:
        raise PermissionDenied("审计日志只能追加，不能修改或删除。", "The audit log is append-only.", code=1)

    event.listen(AuditLog, "before_update", refuse)
    event.listen(AuditLog, "before_delete", refuse)

    @event.listens_for(Session, "do_orm_execute")
    def _no_bulk_rewrite(state) -> None:  # type: ignore[no-untyped-def]
        if (state.is_update or state.is_delete) and getattr(state.statement, "table", None) is not None \
                and getattr(state.statement.table, "name", None) == "audit_log":
            refuse()


_install_append_only_audit()
