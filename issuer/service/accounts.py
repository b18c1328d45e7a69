"""Users, passwords and API tokens; and the account the command line acts as."""

from __future__ import annotations

import hashlib
import re
import secrets

import nacl.exceptions
import nacl.pwhash
from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer import audit
from issuer.db import ApiToken, User
from issuer.service.errors import Conflict, NotFound
from passport.errors import DocumentError, UsageError

ROLES = ("admin", "assessor", "registrar")
USERNAME = re.compile(r"[a-z0-9._-]{3,60}")
# The command line (issue, issue-batch, demo, revoke...) acts as this account. Its name cannot
# be chosen for a person (see USERNAME) and it cannot sign in: it is created inactive, with
# no password, by the migration that moved the command line onto the database.
COMMAND_LINE = "@cli"


def hash_password(password: str) -> str:
    if len(password) < 10:
        raise UsageError("a password has at least 10 characters")
    return nacl.pwhash.argon2id.str(password.encode()).decode("ascii")


def check_password(user: User, password: str) -> bool:
    if not user.password_hash.startswith("$argon2"):
        return False  # an account without a password (the command line's) never signs in
    try:
        return nacl.pwhash.verify(user.password_hash.encode("ascii"), password.encode())
    except nacl.exceptions.InvalidkeyError:
        return False


def create_user(session: Session, actor: str, username: str, password: str, role: str) -> User:
    if not USERNAME.fullmatch(username):
        raise DocumentError("user", [("username", "3 to 60 of a-z, 0-9, '.', '_', '-'")])
    if role not in ROLES:
        raise UsageError(f"role must be one of {', '.join(ROLES)}")
    if session.execute(select(User).where(User.username == username)).scalar_one_or_none():
        raise Conflict(f"user {username!r} exists")
    user = User(username=username, password_hash=hash_password(password), role=role, active=True)
    session.add(user)
    session.flush()
    audit.append(session, actor, "user.create", f"user:{username}", {"role": role})
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


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.active or not check_password(user, password):
        return None
    return user


def create_token(session: Session, actor: str, user: User, name: str) -> str:
    token = "spt_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=name,
                         token_hash=hashlib.sha256(token.encode()).hexdigest(), revoked=False))
    audit.append(session, actor, "token.create", f"user:{user.username}", {"name": name})
    return token


def user_for_token(session: Session, token: str) -> User | None:
    digest = hashlib.sha256(token.encode()).hexdigest()
    row = session.execute(select(ApiToken).where(ApiToken.token_hash == digest,
                                                 ApiToken.revoked.is_(False))).scalar_one_or_none()
    if row is None:
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.active else None
