"""Actions the signed-in role may not use are disabled, with a tooltip naming the roles that may.

The services check the same permissions (core/access.py); this only spares the user a form filled in
for nothing."""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from core.access import Actor, roles_with
from core.i18n import tr
from core.vocab import role_label

_DENIED = "lb_denied_permission"  # dynamic property: the permission this role lacks


def who_may(permission: str) -> str:
    """The tooltip of a control the role may not use: "Only bureau administrator, bureau staff may do this"."""
    names = [role_label(role) for role in roles_with(permission)]
    return tr(f"仅{'、'.join(names)}可以操作", f"Only {', '.join(n.lower() for n in names)} may do this")


def gate(actor: Actor, permission: str, *controls: QWidget | QAction) -> bool:
    """Disable the controls (with the "only … may" tooltip) when the actor lacks the permission.

    Returns whether the actor holds it. Later enabling must go through ``set_enabled``."""
    allowed = actor.can(permission)
    if not allowed:
        for control in controls:
            control.setProperty(_DENIED, permission)
            control.setEnabled(False)
            control.setToolTip(who_may(permission))
    return allowed


def set_enabled(control: QWidget | QAction, enabled: bool) -> None:
    """Enable or disable for the moment's state (a selection, a running task), never past the role's rights."""
    control.setEnabled(enabled and not control.property(_DENIED))
