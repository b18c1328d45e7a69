"""Who is asking, and may they: sessions, API tokens, roles, CSRF.

Every view is declared with the roles that may call it (`@roles(...)`) or as public
(`@public`); the app refuses to start with a view that declares neither, so no route can
be added without a role check. Browser forms carry a CSRF token bound to the session; API
clients authenticate with a bearer token and send no cookies, so CSRF does not apply to them.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, g, request, session

from issuer.db import User
from issuer.service import accounts

F = TypeVar("F", bound=Callable[..., Any])
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def public(view: F) -> F:
    view._roles = ()  # type: ignore[attr-defined]
    return view


def roles(*allowed: str) -> Callable[[F], F]:
    unknown = set(allowed) - set(accounts.ROLES)
    if unknown or not allowed:
        raise ValueError(f"bad role list {allowed}")

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user: User | None = g.get("user")
            if user is None:
                abort(401)
            if user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)
        wrapper._roles = allowed  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]
    return decorate


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
        user_id = session.get("user_id")
        if isinstance(user_id, int):
            with store.read() as s:
                user = s.get(User, user_id)
                g.user = user if user is not None and user.active else None

    @app.before_request
    def check_csrf() -> None:
        if request.method in SAFE_METHODS or g.get("via_token"):
            return
        if g.get("user") is None and request.endpoint != "web.login":
            return  # not signed in: the view's role check answers 401 first
        sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token", "")
        expected = session.get("csrf")
        if not isinstance(expected, str) or not hmac.compare_digest(sent, expected):
            abort(400, description="csrf")

    app.jinja_env.globals["csrf_token"] = csrf_token


def check_every_view_declares_roles(app: Flask) -> None:
    for endpoint, view in app.view_functions.items():
        if endpoint != "static" and not hasattr(view, "_roles"):
            raise RuntimeError(f"view {endpoint} declares no roles: add @roles(...) or @public")
