"""Who may do what, and who may see which trainee. Every service takes the acting user and checks
here, so a hidden button is never the only guard. (Users, passwords and login: db/services/users.py.)"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from core.i18n import UserError
from core.vocab import ROLE_LABELS

ALL_ROLES = frozenset(ROLE_LABELS)

# permission -> roles that hold it
PERMISSIONS: dict[str, frozenset[str]] = {
    "registry.read": ALL_ROLES,
    "registry.write": frozenset({"admin", "staff", "school"}),   # trainees, cohorts, certificates
    "employer.write": frozenset({"admin", "staff"}),             # employers and vacancies
    "matching.run": frozenset({"admin", "staff"}),
    "model.train": frozenset({"admin", "staff"}),
    "batch.write": frozenset({"admin", "staff"}),                # plan, confirm, lifecycle, follow-up
    # place someone an eligibility rule refuses (破例加入), with a reason that is printed and audited
    "placement.override": frozenset({"admin", "staff"}),
    "print": frozenset({"admin", "staff", "officer"}),
    "print.full_id": frozenset({"admin", "officer"}),
    "export": frozenset({"admin", "staff", "school"}),
    "stats.read": ALL_ROLES,
    "audit.read": frozenset({"admin"}),
    "users.manage": frozenset({"admin"}),
    "backup": frozenset({"admin"}),
    "settings.write": frozenset({"admin"}),                      # bureau-wide settings
    "demo.load": frozenset({"admin", "staff"}),                  # 载入演示数据 (an empty database only)
    "households.read": frozenset({"admin", "staff", "officer"}),  # school accounts see no household data
    "households.write": frozenset({"admin", "staff"}),           # monitoring exports, work tables
}


@dataclass(frozen=True)
class Actor:
    """The user on whose behalf a service runs."""
    user_id: int | None
    username: str
    role: str
    school_id: int | None = None

    def can(self, permission: str) -> bool:
        return self.role in PERMISSIONS.get(permission, frozenset())


# Only for the first start of a database that has no user yet (open until its administrator exists).
SYSTEM = Actor(None, "system", "admin")


class PermissionDenied(UserError):
    pass


class SignedOut(UserError):
    """The account was disabled or its role changed since it signed in: the session ends."""
    actor: Actor | None = None  # whose session it is (set by db/rights.py)


# The actor whose rights the next database transaction of this thread confirms (db/rights.py): an
# account disabled or demoted since it signed in is stopped on its next action, not at its next login.
_unconfirmed: ContextVar[Actor | None] = ContextVar("unconfirmed_actor", default=None)


def require(actor: Actor, permission: str) -> None:
    if not actor.can(permission):
        raise PermissionDenied(f"当前用户（{actor.username}）没有此操作的权限。",
                               f"The current user ({actor.username}) is not allowed to do this.", code=1)
    if actor.user_id is not None:
        _unconfirmed.set(actor)


def take_unconfirmed() -> Actor | None:
    """The actor a service just checked in memory, still to be confirmed against the database (once)."""
    actor = _unconfirmed.get()
    if actor is not None:
        _unconfirmed.set(None)
    return actor


def roles_with(permission: str) -> list[str]:
    """The roles that hold a permission, in the order of ROLE_LABELS (for "only … may" tooltips)."""
    holders = PERMISSIONS.get(permission, frozenset())
    return [role for role in ROLE_LABELS if role in holders]


def school_scope(actor: Actor) -> int | None:
    """The school an actor is confined to, or None when the actor sees the whole county."""
    return actor.school_id if actor.role == "school" else None


def sees_trainee(actor: Actor, school_id: int | None) -> bool:
    """Whether the actor may see (and, with the permission, change) a trainee of that school."""
    scope = school_scope(actor)
    return scope is None or school_id == scope


def check_sees_trainee(actor: Actor, school_id: int | None) -> None:
    if not sees_trainee(actor, school_id):
        raise PermissionDenied("该学员属于其他培训学校，学校账号不能修改", "This trainee belongs to another school")
