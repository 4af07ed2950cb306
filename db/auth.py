"""Who may do what. Every service in db/ takes the acting user and checks here, so a hidden button
is never the only guard. (Users, passwords and login live in db/users.py.)"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select

from db.i18n import UserError

ALL_ROLES = frozenset({"admin", "staff", "school", "officer"})

# permission -> roles that hold it
PERMISSIONS: dict[str, frozenset[str]] = {
    "registry.read": ALL_ROLES,
    "registry.write": frozenset({"admin", "staff", "school"}),   # trainees, cohorts, certificates
    "employer.write": frozenset({"admin", "staff"}),             # employers and vacancies
    "matching.run": frozenset({"admin", "staff"}),
    "model.train": frozenset({"admin", "staff"}),
    "batch.write": frozenset({"admin", "staff"}),                # plan, confirm, lifecycle, follow-up
    "print": frozenset({"admin", "staff", "officer"}),
    "print.full_id": frozenset({"admin", "officer"}),
    "export": frozenset({"admin", "staff", "school"}),
    "stats.read": ALL_ROLES,
    "audit.read": frozenset({"admin"}),
    "users.manage": frozenset({"admin"}),
    "backup": frozenset({"admin"}),
}

ROLE_LABELS = {"admin": ("局管理员", "Bureau administrator"), "staff": ("局工作人员", "Bureau staff"),
               "school": ("培训学校", "School staff"), "officer": ("经办/审核", "Officer")}


@dataclass(frozen=True)
class Actor:
    """The user on whose behalf a service runs."""
    user_id: int | None
    username: str
    role: str
    school_id: int | None = None

    def can(self, permission: str) -> bool:
        return self.role in PERMISSIONS.get(permission, frozenset())


# Used by the CLI and the GUI while a database has no user yet (open until its admin exists).
SYSTEM = Actor(None, "system", "admin")


class PermissionDenied(UserError):
    pass


def require(actor: Actor, permission: str) -> None:
    if not actor.can(permission):
        raise PermissionDenied(f"当前用户（{actor.username}）没有此操作的权限。",
                               f"The current user ({actor.username}) is not allowed to do this.", code=1)


def scope_trainees(actor: Actor, stmt: Select, trainee_table) -> Select:  # type: ignore[no-untyped-def]
    """School staff see only their own school's trainees."""
    if actor.role == "school":
        return stmt.where(trainee_table.c.school_id == actor.school_id)
    return stmt


def _install_append_only_audit() -> None:
    """The app never rewrites history: ORM updates/deletes of audit entries are refused."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from db.models import AuditLog

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
