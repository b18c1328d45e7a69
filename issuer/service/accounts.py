"""Users, passwords, sign-in, browser sessions and API tokens; and the command line's account.

- Passwords: Argon2id hashes; a new one must pass `issuer.service.passwords`. A password that
  someone other than its holder chose or saw (`skillpass init`'s first admin, an admin's at
  creation or reset) is one-time: the holder must change it at the next sign-in. Only code
  that creates accounts for itself (tests, benchmarks) passes `one_time=False`.
- Sign-in: throttled per account and per client address (`issuer.service.throttle`), audited.
- Sessions: server-side. The browser's cookie carries a random key, the database its SHA-256
  and an expiry (`SESSION_HOURS`). Signing out deletes the row, so a copy of the cookie saved
  before is worthless; a password change, a reset or a deactivation deletes every session of
  the user.
- API tokens: named, listed, expiring (`TOKEN_DAYS` unless told), revocable; stored hashed.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

import nacl.exceptions
import nacl.pwhash
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from issuer import audit
from issuer.db import ApiToken, User, WebSession, as_utc, utcnow
from issuer.service import passwords, throttle
from issuer.service.errors import Conflict, NotFound
from passport.errors import DocumentError, UsageError

if TYPE_CHECKING:
    from issuer.store import Store

ROLES = ("admin", "assessor", "registrar")
USERNAME = re.compile(r"[a-z0-9._-]{3,60}")
# The command line (issue, issue-batch, demo, revoke...) acts as this account. Its name cannot
# be chosen for a person (see USERNAME) and it cannot sign in: it is created inactive, with
# no password, by the migration that moved the command line onto the database, and nothing
# here gives it a password, a token or an active state.
COMMAND_LINE = "@cli"
SESSION_HOURS = 12  # a working day; then sign in again
TOKEN_DAYS = 365
MAX_TOKEN_DAYS = 3650


@cache
def _dummy_hash() -> str:
    # Checked when the username is unknown, so that an unknown name costs the same time as a
    # wrong password and timing does not tell which names exist.
    return nacl.pwhash.argon2id.str(b"no such user").decode("ascii")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def hash_password(password: str, username: str = "") -> str:
    passwords.check(password, username)
    return nacl.pwhash.argon2id.str(password.encode()).decode("ascii")


def _matches(password_hash: str, password: str) -> bool:
    if not password_hash.startswith("$argon2"):
        return False  # an account without a password (the command line's) never signs in
    try:
        return nacl.pwhash.verify(password_hash.encode("ascii"), password.encode())
    except nacl.exceptions.InvalidkeyError:
        return False


def check_password(user: User, password: str) -> bool:
    return _matches(user.password_hash, password)


def _person(session: Session, user_id: int) -> User:
    """A person's account by id: never the command line's, which nobody may manage."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    if user.username == COMMAND_LINE:
        raise Conflict(f"{COMMAND_LINE} is the command line's account: it has no password, "
                       "no token and never signs in")
    return user


def create_user(session: Session, actor: str, username: str, password: str, role: str, *,
                one_time: bool) -> User:
    """`one_time`: the password is known to someone else, so its holder must change it."""
    if not USERNAME.fullmatch(username):
        raise DocumentError("user", [("username", "3 to 60 of a-z, 0-9, '.', '_', '-'")])
    if role not in ROLES:
        raise UsageError(f"role must be one of {', '.join(ROLES)}")
    if session.execute(select(User).where(User.username == username)).scalar_one_or_none():
        raise Conflict(f"user {username!r} exists")
    user = User(username=username, password_hash=hash_password(password, username), role=role,
                active=True, must_change_password=one_time)
    session.add(user)
    session.flush()
    audit.append(session, actor, "user.create", f"user:{username}",
                 {"role": role, "oneTimePassword": one_time})
    return user


def has_people(session: Session) -> bool:
    """Whether anyone (not the command line's account) has an account yet."""
    return session.execute(select(User.id).where(User.username != COMMAND_LINE).limit(1)).first() \
        is not None


def command_line_user(session: Session) -> User:
    user = session.execute(select(User).where(User.username == COMMAND_LINE)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"the database has no {COMMAND_LINE} account: it was not migrated")
    return user


def users(session: Session) -> list[User]:
    """Every person's account (not the command line's), by name."""
    return list(session.execute(select(User).where(User.username != COMMAND_LINE)
                                .order_by(User.username)).scalars())


def user_to_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "role": user.role, "active": user.active,
            "mustChangePassword": user.must_change_password,
            "createdAt": as_utc(user.created_at).isoformat(timespec="seconds")}


# -- signing in and out ------------------------------------------------------------------------

def _checked(store: Store, username: str, password: str, address: str | None) -> User | None:
    """The active user if the password is right, counted against the throttle either way;
    `Throttled` while the account or the address is locked."""
    counters = throttle.keys(username, address)
    with store.transaction() as s:
        numbers = throttle.begin(s, counters, utcnow())
    with store.read() as s:
        user = s.execute(select(User).where(User.username == username)).scalar_one_or_none()
    # Argon2 runs outside any transaction: a slow hash never holds the database's locks.
    right = _matches(user.password_hash if user is not None else _dummy_hash(), password)
    ok = right and user is not None and user.active
    with store.transaction() as s:
        if ok:
            throttle.succeeded(s, counters, utcnow())
        else:
            throttle.failed(s, counters, numbers, utcnow(), f"client:{counters.client}"[:60],
                            username)
    return user if ok else None


def sign_in(store: Store, username: str, password: str, address: str | None
            ) -> tuple[User, str] | None:
    """(user, session key) for the right password of an active account; None otherwise."""
    user = _checked(store, username[:200], password[:passwords.MAX_LENGTH * 4], address)
    if user is None:
        return None
    with store.transaction() as s:
        key = open_session(s, user)
        audit.append(s, user.username, "login", f"user:{user.username}",
                     {"client": throttle.client_key(address)})
    return user, key


def open_session(session: Session, user: User) -> str:
    """A new browser session for `user`; returns the key its cookie carries."""
    now = utcnow()
    session.execute(delete(WebSession).where(WebSession.expires_at < now))  # the expired
    key = secrets.token_urlsafe(32)
    session.add(WebSession(key_hash=_digest(key), user_id=user.id, created_at=now,
                           expires_at=now + timedelta(hours=SESSION_HOURS)))
    return key


def session_user(session: Session, key: str) -> User | None:
    """The active user whose unexpired session the key opens, if any."""
    row = session.get(WebSession, _digest(key))
    if row is None or as_utc(row.expires_at) <= utcnow():
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.active else None


def close_session(session: Session, key: str) -> None:
    row = session.get(WebSession, _digest(key))
    if row is not None:
        user = session.get(User, row.user_id)
        session.delete(row)
        audit.append(session, user.username if user else "?", "logout",
                     f"user:{user.username if user else '?'}")


def _close_all_sessions(session: Session, user: User) -> int:
    result = session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    return int(getattr(result, "rowcount", 0) or 0)


# -- passwords ---------------------------------------------------------------------------------

def change_password(store: Store, user_id: int, current: str, new: str,
                    address: str | None) -> str:
    """The holder changes their own password, proving the current one (throttled as a sign-in
    is). Every session of the user ends; returns a new session key for the browser that
    asked, or raises."""
    with store.read() as s:
        username = _person(s, user_id).username
    passwords.check(new, username, field="newPassword")
    if _checked(store, username, current[:passwords.MAX_LENGTH * 4], address) is None:
        raise DocumentError("password change", [("currentPassword", "not the current password")])
    if new == current:
        raise DocumentError("password change", [("newPassword", "the new password is the "
                                                                 "current one")])
    with store.transaction() as s:
        user = _person(s, user_id)
        user.password_hash = hash_password(new, user.username)
        user.must_change_password = False
        user.password_changed_at = utcnow()
        ended = _close_all_sessions(s, user)
        audit.append(s, user.username, "user.password_change", f"user:{user.username}",
                     {"sessionsEnded": ended})
        return open_session(s, user)


def reset_password(session: Session, actor: str, user_id: int) -> tuple[User, str]:
    """An admin gives the user a new one-time password (shown once): every session ends, any
    lock on the account lifts, and the user must choose a new password at sign-in."""
    user = _person(session, user_id)
    password = passwords.one_time()
    user.password_hash = hash_password(password, user.username)
    user.must_change_password = True
    ended = _close_all_sessions(session, user)
    throttle.clear_account(session, user.username)
    audit.append(session, actor, "user.password_reset", f"user:{user.username}",
                 {"sessionsEnded": ended})
    return user, password


def set_active(session: Session, actor: User, user_id: int, active: bool) -> User:
    """Deactivate (every session ends, every token stops working) or reactivate an account."""
    user = _person(session, user_id)
    if user.id == actor.id and not active:
        raise Conflict("an admin cannot deactivate their own account")
    if user.active == active:
        return user
    user.active = active
    ended = _close_all_sessions(session, user) if not active else 0
    audit.append(session, actor.username, "user.activate" if active else "user.deactivate",
                 f"user:{user.username}", {"sessionsEnded": ended} if not active else {})
    return user


# -- API tokens --------------------------------------------------------------------------------

@dataclass(frozen=True)
class TokenView:
    token: ApiToken
    username: str

    def to_json(self) -> dict[str, Any]:
        t = self.token

        def when(value: datetime | None) -> str | None:
            return as_utc(value).isoformat(timespec="seconds") if value else None

        return {"id": t.id, "name": t.name, "username": self.username,
                "createdAt": when(t.created_at), "expiresAt": when(t.expires_at),
                "revokedAt": when(t.revoked_at) if t.revoked else None,
                "state": token_state(t)}


def token_state(token: ApiToken) -> str:
    if token.revoked:
        return "revoked"
    if token.expires_at is not None and as_utc(token.expires_at) <= utcnow():
        return "expired"
    return "active"


def create_token(session: Session, actor: str, user: User, name: str, *,
                 days: int | None = TOKEN_DAYS) -> str:
    """A new token for `user`, valid `days` (None: until revoked); shown once, stored hashed."""
    if user.username == COMMAND_LINE or not user.active:
        raise Conflict(f"user {user.username!r} is not active: it gets no token")
    if days is not None and not 1 <= days <= MAX_TOKEN_DAYS:
        raise DocumentError("token", [("expiresInDays", f"1 to {MAX_TOKEN_DAYS}")])
    token = "spt_" + secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(days=days) if days is not None else None
    session.add(ApiToken(user_id=user.id, name=name, token_hash=_digest(token), revoked=False,
                         expires_at=expires))
    audit.append(session, actor, "token.create", f"user:{user.username}",
                 {"name": name, "expiresInDays": days})
    return token


def tokens(session: Session) -> list[TokenView]:
    rows = session.execute(select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
                           .order_by(ApiToken.id)).all()
    return [TokenView(token, username) for token, username in rows]


def revoke_token(session: Session, actor: str, token_id: int) -> TokenView:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"no token {token_id}")
    user = session.get(User, token.user_id)
    username = user.username if user else "?"
    if not token.revoked:
        token.revoked, token.revoked_at = True, utcnow()
        audit.append(session, actor, "token.revoke", f"user:{username}",
                     {"token": token.id, "name": token.name})
    return TokenView(token, username)


def user_for_token(session: Session, token: str) -> User | None:
    row = session.execute(select(ApiToken).where(ApiToken.token_hash == _digest(token),
                                                 ApiToken.revoked.is_(False))).scalar_one_or_none()
    if row is None or token_state(row) != "active":
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.active else None

