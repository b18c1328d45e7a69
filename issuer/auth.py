"""Who is asking, and may they: sessions, API tokens, roles, CSRF.

Every view is declared with the roles that may call it (`@roles(...)`) or as public
(`@public`); the app refuses to start with a view that declares neither, so no route can
be added without a role check. Browser forms carry a CSRF token bound to the session; API
clients authenticate with a bearer token and send no cookies, so CSRF does not apply to them.

A browser is signed in by a server-side session (`issuer.service.accounts`): the signed
cookie carries the session's key, and the database decides whether it still opens one. A user
whose password is one-time reaches only the views marked `before_password_change=True` (the
password page, signing out) until they choose their own: pages redirect there, the API
answers 403 `password_change_required`.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, g, redirect, request, session, url_for

from issuer.db import User
from issuer.service import accounts
from issuer.service.errors import Forbidden

F = TypeVar("F", bound=Callable[..., Any])
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def public(view: F) -> F:
    view._roles = ()  # type: ignore[attr-defined]
    return view


def token_in_body(view: F) -> F:
    """Public, and the request's own token is its only authority (a one-time download
    link): no session or API token is read, so no cookie can count, and CSRF (which guards
    what a cookie allows) does not apply."""
    view._roles = ()  # type: ignore[attr-defined]
    view._token_in_body = True  # type: ignore[attr-defined]
    return view


def _token_in_body(app: Flask) -> bool:
    view = app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "_token_in_body", False))


class PasswordChangeRequired(Forbidden):
    """Signed in with a one-time password: nothing but choosing a new one (HTTP 403)."""

    def __init__(self) -> None:
        super().__init__("choose a new password first (POST /api/account/password, or the "
                         "password page)")


def roles(*allowed: str, before_password_change: bool = False,
          when: dict[str, Callable[[], bool]] | None = None) -> Callable[[F], F]:
    """`before_password_change`: also for a browser still on a one-time password.

    `when`: roles let in only while a centre setting allows it (an assessor registering at
    a job fair). `_roles` lists only the roles always let in, so the role-matrix tests, which
    run with every setting at its default, see the others refused."""
    conditional = dict(when or {})
    unknown = (set(allowed) | set(conditional)) - set(accounts.ROLES)
    if unknown or not allowed:
        raise ValueError(f"bad role list {allowed}")

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user: User | None = g.get("user")
            if user is None:
                abort(401)
            if user.role not in allowed and not (
                    user.role in conditional and conditional[user.role]()):
                abort(403)
            if user.must_change_password and not g.get("via_token") \
                    and not before_password_change:
                if request.path.startswith("/api/"):
                    raise PasswordChangeRequired()
                return redirect(url_for("web.change_password"))
            return view(*args, **kwargs)
        wrapper._roles = allowed  # type: ignore[attr-defined]
        wrapper._roles_when = tuple(conditional)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]
    return decorate


def sign_in_browser(key: str) -> None:
    """A fresh cookie for a new session (never the one sent before: no session fixation)."""
    lang = session.get("lang")
    session.clear()
    session["sid"] = key
    if lang:
        session["lang"] = lang


def browser_session_key() -> str | None:
    key = session.get("sid")
    return key if isinstance(key, str) and g.get("user") is not None else None


def csrf_token() -> str:
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def install(app: Flask) -> None:
    @app.before_request
    def identify() -> None:
        g.user = None
        g.via_token = False
        if _token_in_body(app):
            return
        header = request.headers.get("Authorization", "")
        store = app.extensions["skillpass.store"]
        if header.startswith("Bearer "):
            with store.read() as s:
                g.user = accounts.user_for_token(s, header[7:].strip())
            g.via_token = True
            if g.user is None:
                abort(401)
            return
        g.via_token = False
        key = session.get("sid")
        if isinstance(key, str):
            with store.read() as s:
                g.user = accounts.session_user(s, key)
            if g.user is None:
                session.pop("sid")  # signed out, expired, or the account was closed

    @app.before_request
    def check_csrf() -> None:
        if request.method in SAFE_METHODS or g.get("via_token") or _token_in_body(app):
            return
        if g.get("user") is None and request.endpoint != "web.login":
            return  # not signed in: the view's role check answers 401 first
        sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token", "")
        expected = session.get("csrf")
        # Compared as bytes: compare_digest refuses str with non-ASCII characters.
        if not isinstance(expected, str) or not hmac.compare_digest(
                sent.encode("utf-8", "surrogatepass"), expected.encode()):
            abort(400, description="csrf")

    app.jinja_env.globals["csrf_token"] = csrf_token


def check_every_view_declares_roles(app: Flask) -> None:
    for endpoint, view in app.view_functions.items():
        if endpoint != "static" and not hasattr(view, "_roles"):
            raise RuntimeError(f"view {endpoint} declares no roles: add @roles(...) or @public")
