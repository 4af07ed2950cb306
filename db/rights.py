"""Rights re-read at every action: the transaction a service opens after ``core.access.require``
first confirms, with one primary-key read, that the acting account is still enabled and still holds the
role (and school) it acts with. A disabled or demoted account is signed out on its next action."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine, event, select

from core.access import Actor, SignedOut, take_unconfirmed
from db.models import User


def signed_out_disabled() -> SignedOut:
    return SignedOut("您的账户已被管理员停用，已退出登录。",
                     "Your account was disabled by the administrator; you have been signed out.", code=1)


def signed_out_changed() -> SignedOut:
    return SignedOut("您的账户角色已被管理员更改，已退出登录，请重新登录。",
                     "Your account's role was changed by the administrator; you have been signed out. "
                     "Please sign in again.", code=1)


def confirm(conn: Connection, actor: Actor) -> None:
    """Raises SignedOut unless ``actor`` is still an enabled account with the same role and school."""
    row = conn.execute(select(User.active, User.role, User.school_id, User.username)
                       .where(User.id == actor.user_id)).first()
    # Another name under the same id: the database was restored to a time before this account.
    if row is None or not row.active or row.username != actor.username:
        raise signed_out_disabled()
    if row.role != actor.role or (actor.role == "school" and row.school_id != actor.school_id):
        raise signed_out_changed()


_listeners: list[Callable[[SignedOut], object]] = []


def on_signed_out(listener: Callable[[SignedOut], object]) -> Callable[[], None]:
    """Call ``listener`` (from the thread that found out) whenever an action is refused because its
    account was disabled or demoted; returns the function that removes it again."""
    _listeners.append(listener)

    def remove() -> None:
        if listener in _listeners:
            _listeners.remove(listener)
    return remove


def _on_begin(conn: Connection) -> None:
    actor = take_unconfirmed()
    if actor is None:
        return
    try:
        confirm(conn, actor)
    except SignedOut as exc:
        exc.actor = actor
        for listener in list(_listeners):
            try:
                listener(exc)
            except Exception:  # noqa: BLE001 - a window already gone must not replace the sentence
                if listener in _listeners:
                    _listeners.remove(listener)
        raise


def install(engine: Engine) -> None:
    """Only the engines of opened databases (not a backup being inspected) confirm rights."""
    event.listen(engine, "begin", _on_begin)
