"""HTTP hardening, one place: response headers, cookie flags, proxies, bounded path ids.

- Every response carries a Content-Security-Policy with `frame-ancestors 'none'`,
  X-Frame-Options, X-Content-Type-Options, Referrer-Policy and Permissions-Policy; HSTS
  when the request came over HTTPS or the operator says the site is HTTPS-only.
- The issuer's pages load scripts, styles, fonts and images from this origin only, and
  fetch from it only. One page runs a script: the assessment form's autosave
  (`static/autosave.js`, no inline script, no eval); Trusted Types with no policy at all,
  since it never writes HTML. Every page works, that one too, without script.
- The phone verifier page under /verify/ (built by others, served as built)
  runs its own scripts and WebAssembly (the QR reader), its service worker and the camera,
  under the policy the built page carries in its <meta> (plus frame-ancestors).
- `SKILLPASS_SECURE_COOKIES=1`: the site is HTTPS-only: the session cookie is `Secure` and
  HSTS is sent on every response. Without it, a request that arrived over HTTPS still gets
  both.
- `SKILLPASS_PROXIES=N`: N reverse proxies stand in front of the service: the client's
  address, scheme and host are taken from their X-Forwarded-For/-Proto/-Host (the throttle
  counts per client address; HTTPS behind a proxy is detected; a download link names the
  public address the browser reached, when the proxy does not pass the Host on). Never set
  it without a proxy: a client could then claim any address.
- Path ids are 1 .. 2^31-1 (every `<int:...>` in a route): a larger one is a 404, never a
  database overflow.
"""

from __future__ import annotations

import html
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map, ValidationError

from passport.errors import UsageError

MAX_ID = 2**31 - 1  # the largest id an INTEGER column holds, on SQLite and PostgreSQL alike
HSTS = "max-age=31536000"

# One script, from this origin, on one page: the assessment form's autosave (static/autosave.js).
# It only reads and writes form fields and posts the form back here (connect-src), and never
# writes HTML, so Trusted Types can refuse every HTML/script sink outright: no policy exists.
PAGES_CSP = ("default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
             "font-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
             "base-uri 'none'; require-trusted-types-for 'script'; trusted-types 'none'")
DOCUMENTS_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
VERIFIER_PREFIX = "/verify/"
# The phone page's own policy, in its <meta> (one text for static hosts and for this server).
_PAGE_POLICY = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">')


class DatabaseId(IntegerConverter):
    """`<int:...>` in every route: 1 .. MAX_ID, at most 10 digits (no 5,000-digit parse)."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)

    def to_python(self, value: str) -> Any:
        if len(value) > len(str(MAX_ID)):
            raise ValidationError()
        return super().to_python(value)


def form_id(value: str | None) -> int | None:
    """A database id typed into a form field, or None if it cannot be one."""
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > len(str(MAX_ID)):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


class _Sessions(SecureCookieSessionInterface):
    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def _flag(name: str) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if value in ("", "0", "no", "false", "off"):
        return False
    if value in ("1", "yes", "true", "on"):
        return True
    raise UsageError(f"{name} is {value!r}: set it to 1 or 0")


def _proxies() -> int:
    value = os.environ.get("SKILLPASS_PROXIES", "0").strip() or "0"
    if not value.isdigit() or int(value) > 10:
        raise UsageError(f"SKILLPASS_PROXIES is {value!r}: the number of reverse proxies in "
                         "front of the service (0 to 10)")
    return int(value)


@cache
def _page_policy(index: Path, mtime: float) -> str:
    del mtime  # part of the cache key: a rebuilt page brings its policy
    found = _PAGE_POLICY.search(index.read_text(encoding="utf-8")) if index.is_file() else None
    return html.unescape(found.group(1)) if found else ""


def verifier_policy(index: Path) -> str:
    """The page's own policy, with what only a header can say: no other site may frame it.
    A page not built (or built without a policy) gets the strictest one: it serves nothing."""
    mtime = index.stat().st_mtime if index.is_file() else 0.0
    policy = _page_policy(index, mtime)
    return f"{policy}; frame-ancestors 'none'" if policy else DOCUMENTS_CSP


def install(app: Flask, verifier_index: Path) -> None:
    """Before any blueprint: the converter must be in place when routes are registered."""
    secure = _flag("SKILLPASS_SECURE_COOKIES")
    proxies = _proxies()
    app.config.update(SESSION_COOKIE_SECURE=secure, SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax")
    app.session_interface = _Sessions()
    app.url_map.converters["int"] = DatabaseId
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies,  # type: ignore[method-assign]
                                x_proto=proxies, x_host=proxies)

    @app.after_request
    def headers(response: Response) -> Response:
        h = response.headers
        verifier = request.path.startswith(VERIFIER_PREFIX)
        if verifier:
            h["Content-Security-Policy"] = verifier_policy(verifier_index)
        elif response.mimetype == "text/html":
            h["Content-Security-Policy"] = PAGES_CSP
        else:
            h["Content-Security-Policy"] = DOCUMENTS_CSP
        h["X-Frame-Options"] = "DENY"
        h["X-Content-Type-Options"] = "nosniff"
        # Same-origin only: the language switch returns to the page it came from.
        h["Referrer-Policy"] = "same-origin"
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        h["Permissions-Policy"] = ("camera=(self), microphone=(), geolocation=()" if verifier
                                   else "camera=(), microphone=(), geolocation=()")
        if secure or request.is_secure:
            h["Strict-Transport-Security"] = HSTS
        if g.get("user") is not None and "Cache-Control" not in h:
            h["Cache-Control"] = "no-store"  # names, ID digits: not for shared caches
        return response
