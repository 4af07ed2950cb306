"""Users, passwords and login.

Passwords are hashed with Argon2id (memory-hard). Five wrong passwords in a row lock an account for
15 minutes. A database that has no user yet is open (the SYSTEM actor) until its first administrator
is created; from then on every GUI start and every CLI command acts as a named user.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.access import ALL_ROLES, SYSTEM, Actor, require, take_unconfirmed
from core.fields import free_text
from core.i18n import UserError, tr
from core.vocab import ROLE_LABELS
from db import audit
from db.engine import Database
from db.models import School, User, utcnow

LOCK_AFTER_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 8
_USERNAME_RE = re.compile(r"^[\w.@-]{2,50}$")

_hasher = PasswordHasher()
# Verified against when the user does not exist, so an unknown name costs the same time as a known one.
_DUMMY_HASH = _hasher.hash("laborbridge-no-such-user")


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    display_name: str
    role: str
    school_id: int | None
    school_name: str | None
    active: bool
    locked: bool
    must_change_password: bool

    @property
    def role_label(self) -> str:
        return tr(*ROLE_LABELS[self.role])


@dataclass(frozen=True)
class LoginResult:
    actor: Actor
    must_change_password: bool
    display_name: str


def _bad_credentials() -> UserError:
    # Same sentence for an unknown user and a wrong password: the message must not confirm a name.
    return UserError("用户名或密码错误。", "Wrong user name or password.", code=1)


def _actor(user: User) -> Actor:
    return Actor(user.id, user.username, user.role, user.school_id)


def _info(user: User) -> UserInfo:
    locked = user.locked_until is not None and user.locked_until > utcnow()
    return UserInfo(user.id, user.username, user.display_name or "", user.role, user.school_id,
                    user.school.name if user.school else None, bool(user.active), locked,
                    bool(user.must_change_password))


def check_password_policy(password: str, username: str = "") -> None:
    """At least 8 characters with a letter and a digit, and not the user name."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符。",
                        f"The password needs at least {MIN_PASSWORD_LENGTH} characters.", code=1)
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        raise UserError("密码需同时包含字母和数字。", "The password needs both letters and digits.", code=1)
    if username and password.lower() == username.lower():
        raise UserError("密码不能与用户名相同。", "The password must differ from the user name.", code=1)


def _check_username(username: str) -> str:
    username = (username or "").strip()
    if not _USERNAME_RE.match(username):
        raise UserError("用户名需为 2–50 个字母、数字、汉字或 . _ - @，不能含空格。",
                        "A user name is 2–50 letters, digits, . _ - or @, without spaces.", code=1)
    return username


def _check_role(session: Session, role: str, school_id: int | None) -> int | None:
    if role not in ALL_ROLES:
        raise UserError(f"未知的角色“{role}”。", f"Unknown role '{role}'.", code=1)
    if role == "school":
        if school_id is None or session.get(School, school_id) is None:
            raise UserError("培训学校用户必须指定所属学校。", "A school user needs the school they belong to.", code=1)
        return school_id
    return None  # only school staff are bound to a school


def has_users(database: Database) -> bool:
    with database.session() as session:
        return session.scalar(select(User.id).limit(1)) is not None


def _hash(password: str) -> str:
    return _hasher.hash(password)


def _add_user(session: Session, actor: Actor, username: str, password: str, role: str,
              school_id: int | None, display_name: str, must_change: bool) -> User:
    username = _check_username(username)
    check_password_policy(password, username)
    school_id = _check_role(session, role, school_id)
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())) is not None:
        raise UserError(f"用户名“{username}”已被使用。", f"The user name '{username}' is taken.", code=1)
    user = User(username=username, display_name=free_text(display_name)[:64], role=role,
                school_id=school_id, password_hash=_hash(password), must_change_password=must_change,
                failed_logins=0, active=True)
    session.add(user)
    session.flush()
    audit.record(session, actor, "create", "user", user.id,
                 after={"username": username, "role": role, "school_id": school_id,
                        "display_name": user.display_name, "must_change_password": must_change})
    return user


def create_first_admin(database: Database, username: str, password: str, display_name: str = "") -> Actor:
    """The administrator of a database that has no user yet; refused once any user exists."""
    try:
        with database.session() as session:
            if session.scalar(select(User.id).limit(1)) is not None:
                raise UserError("此数据库已有用户，首个管理员只能在空数据库中创建。",
                                "This database already has users; the first administrator is created only once.",
                                code=1)
            user = _add_user(session, SYSTEM, username, password, "admin", None, display_name, False)
            actor = _actor(user)
    except IntegrityError:
        raise UserError("此数据库已有用户。", "This database already has users.", code=1) from None
    return actor


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return bool(_hasher.verify(password_hash or _DUMMY_HASH, password or ""))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def login(database: Database, username: str, password: str) -> LoginResult:
    """Check a password; counts failures, locks after repeated ones, audits success and failure.

    A wrong password gets the same sentence after the same work (one Argon2 verification) whether the
    name is unknown, disabled, locked or fine, so no answer tells which names exist. Only the right
    password learns that its account is disabled or locked."""
    username = (username or "").strip()
    now = utcnow()
    take_unconfirmed()  # a new sign-in: nothing of a previous session is still to be confirmed
    with database.session() as session:
        user = session.scalar(select(User).where(func.lower(User.username) == username.lower()))
        ok = _verify(user.password_hash if user is not None else None, password)
        failure: UserError = _bad_credentials()
        if user is None:
            # Not the typed name: a password typed into the user-name field must not be stored.
            audit.record(session, Actor(None, "", "officer"), "login_failed", "user", None,
                         detail="unknown user")
        elif not user.active:
            audit.record(session, _actor(user), "login_failed", "user", user.id, detail="inactive")
            if ok:
                failure = UserError("该账户已停用，请联系管理员。", "This account is disabled; ask the administrator.",
                                    code=1)
        elif user.locked_until is not None and user.locked_until > now:
            audit.record(session, _actor(user), "login_failed", "user", user.id, detail="locked")
            if ok:
                minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
                failure = UserError(f"密码错误次数过多，账户已锁定，请 {minutes} 分钟后再试或联系管理员解锁。",
                                    f"Too many wrong passwords: the account is locked; try again in {minutes} "
                                    "minutes or ask the administrator to unlock it.", code=1)
        elif ok:
            changes: dict[str, object] = {"failed_logins": 0, "locked_until": None}
            if _hasher.check_needs_rehash(user.password_hash):
                changes["password_hash"] = _hash(password)
            session.execute(update(User).where(User.id == user.id).values(**changes))
            audit.record(session, _actor(user), "login", "user", user.id)
            return LoginResult(_actor(user), bool(user.must_change_password), user.display_name or "")
        else:
            # Counted in SQL so two offices failing at once both count. The lock is not announced to
            # a wrong password: an unknown name would never be "locked", so that would confirm the name.
            failures = (user.failed_logins or 0) + 1
            values: dict[str, object] = {"failed_logins": User.failed_logins + 1}
            if failures >= LOCK_AFTER_FAILURES:
                values["locked_until"] = now + dt.timedelta(minutes=LOCK_MINUTES)
                values["failed_logins"] = 0
            session.execute(update(User).where(User.id == user.id).values(**values))
            audit.record(session, _actor(user), "login_failed", "user", user.id,
                         detail="locked" if failures >= LOCK_AFTER_FAILURES else "wrong password")
    # The failure was committed above (the count must survive); only now is the caller told.
    raise failure


def actor_for(database: Database, username: str | None, password: str | None, *,
              allow_must_change: bool = False) -> Actor:
    """The Actor for a CLI call: SYSTEM while the database has no user, else a checked login. An
    account that must change its password is refused unless the call is that change."""
    if not username:
        if not has_users(database):
            return SYSTEM
        raise UserError("此数据库已设置用户，请用 --user 指定用户名（密码在提示时输入或放在 LABORBRIDGE_PASSWORD）。",
                        "This database has users: name one with --user (the password is prompted for or taken "
                        "from LABORBRIDGE_PASSWORD).", code=1)
    if not has_users(database):
        raise UserError("此数据库还没有任何用户，请先创建管理员（或不带 --user 运行）。",
                        "This database has no user yet: create the administrator first (or run without --user).",
                        code=1)
    result = login(database, username, password or "")
    if result.must_change_password and not allow_must_change:
        name = result.actor.username
        raise UserError(f"账户 {name} 须先修改密码：请运行 main.py --user {name} users passwd（新密码放在 "
                        "LABORBRIDGE_NEW_PASSWORD 或在提示时输入），然后再执行其他命令。",
                        f"The account {name} must change its password first: run main.py --user {name} users "
                        "passwd (the new password from LABORBRIDGE_NEW_PASSWORD or a prompt), then other commands.",
                        code=2)
    return result.actor


def logout(database: Database, actor: Actor) -> None:
    take_unconfirmed()  # signing out is allowed to an account that has just lost its rights
    if actor.user_id is None:
        return
    with database.session() as session:
        audit.record(session, actor, "logout", "user", actor.user_id)


def _load(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise UserError("找不到该用户。", "No such user.", code=1)
    return user


def change_password(database: Database, actor: Actor, old_password: str, new_password: str) -> None:
    """The signed-in user changes their own password (also clears must-change)."""
    if actor.user_id is None:
        raise UserError("系统身份没有密码。", "The system identity has no password.", code=1)
    with database.session() as session:
        user = _load(session, actor.user_id)
        try:
            _hasher.verify(user.password_hash, old_password or "")
        except (VerificationError, InvalidHashError):
            raise UserError("当前密码不正确。", "The current password is wrong.", code=1) from None
        check_password_policy(new_password, user.username)
        if new_password == old_password:
            raise UserError("新密码不能与当前密码相同。", "The new password must differ from the current one.", code=1)
        user.password_hash = _hash(new_password)
        user.must_change_password = False
        audit.record(session, actor, "password_change", "user", user.id)


def list_users(database: Database, actor: Actor) -> list[UserInfo]:
    require(actor, "users.manage")
    with database.session() as session:
        return [_info(u) for u in session.scalars(select(User).order_by(User.username))]


def list_schools(database: Database) -> list[tuple[int, str]]:
    with database.session() as session:
        return [(i, n) for i, n in session.execute(select(School.id, School.name).order_by(School.name))]


def create_user(database: Database, actor: Actor, username: str, password: str, role: str, *,
                school_id: int | None = None, display_name: str = "", must_change_password: bool = True) -> UserInfo:
    """A new account (administrator only); by default it must choose its own password at first login."""
    require(actor, "users.manage")
    try:
        with database.session() as session:
            return _info(_add_user(session, actor, username, password, role, school_id, display_name,
                                   must_change_password))
    except IntegrityError:
        raise UserError(f"用户名“{username}”已被使用。", f"The user name '{username}' is taken.", code=1) from None


def _active_admins(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(User)
                              .where(User.role == "admin", User.active.is_(True))) or 0)


def update_user(database: Database, actor: Actor, user_id: int, *, role: str | None = None,
                school_id: int | None = None, display_name: str | None = None,
                active: bool | None = None) -> UserInfo:
    """Change role, school, name or active flag; the last active administrator cannot be removed."""
    require(actor, "users.manage")
    with database.session() as session:
        user = _load(session, user_id)
        before = {"role": user.role, "school_id": user.school_id, "display_name": user.display_name,
                  "active": user.active}
        new_role = role or user.role
        new_school = _check_role(session, new_role, school_id if school_id is not None else user.school_id)
        new_active = user.active if active is None else bool(active)
        if user.role == "admin" and user.active and (new_role != "admin" or not new_active) \
                and _active_admins(session) <= 1:
            raise UserError("不能停用或降级最后一位管理员。", "The last administrator cannot be disabled or demoted.",
                            code=1)
        if user.id == actor.user_id and not new_active:
            raise UserError("不能停用自己的账户。", "You cannot disable your own account.", code=1)
        user.role, user.school_id, user.active = new_role, new_school, new_active
        if display_name is not None:
            user.display_name = free_text(display_name)[:64]
        after = {"role": user.role, "school_id": user.school_id, "display_name": user.display_name,
                 "active": user.active}
        audit.record(session, actor, "update", "user", user.id, before=before, after=after)
        session.flush()
        return _info(user)


def reset_password(database: Database, actor: Actor, user_id: int, new_password: str) -> None:
    """An administrator sets a temporary password; the user must change it at next login. Unlocks."""
    require(actor, "users.manage")
    with database.session() as session:
        user = _load(session, user_id)
        check_password_policy(new_password, user.username)
        user.password_hash = _hash(new_password)
        user.must_change_password = True
        user.failed_logins = 0
        user.locked_until = None
        audit.record(session, actor, "password_reset", "user", user.id)


def unlock_user(database: Database, actor: Actor, user_id: int) -> None:
    require(actor, "users.manage")
    with database.session() as session:
        user = _load(session, user_id)
        user.failed_logins = 0
        user.locked_until = None
        audit.record(session, actor, "unlock", "user", user.id)


def generate_password() -> str:
    """A readable random password that meets the policy (no 0/O/1/l confusion)."""
    letters = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ"
    digits = "23456789"
    body = "".join(secrets.choice(letters) for _ in range(6))
    return f"{body[:3]}-{body[3:]}-{''.join(secrets.choice(digits) for _ in range(4))}"


DEMO_ACCOUNTS = (("admin", "admin", "演示管理员"), ("staff", "staff", "演示局工作人员"),
                 ("school", "school", "演示培训学校"), ("officer", "officer", "演示经办人"))


def create_demo_accounts(database: Database, actor: Actor) -> list[tuple[str, str, str]]:
    """One account per role with a random password each, to be changed at first GUI login.

    Returns (username, role, password) for the accounts created; names already taken are left alone.
    The school account belongs to the first school (by name) of the database.
    """
    created: list[tuple[str, str, str]] = []
    with database.session() as session:
        if actor.user_id is not None or session.scalar(select(User.id).limit(1)) is not None:
            require(actor, "users.manage")
        school_id = session.scalar(select(School.id).order_by(School.id).limit(1))
        for username, role, name in DEMO_ACCOUNTS:
            if role == "school" and school_id is None:
                continue
            if session.scalar(select(User.id).where(User.username == username)) is not None:
                continue
            password = generate_password()
            _add_user(session, actor, username, password, role, school_id if role == "school" else None,
                      name, True)
            created.append((username, role, password))
    return created
