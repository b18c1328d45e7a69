"""The issuer web service: `create_app()` for `skillpass serve` and gunicorn alike.

    gunicorn --preload -w 4 -b 0.0.0.0:8080 'issuer.app:create_app()'

runs the same code as several processes against PostgreSQL (set DATABASE_URL). A home that
cannot be opened (a wrong passphrase, no database, a bad setting) stops the start with one
line naming the problem and exit status 3, which gunicorn takes as "do not retry"; with
`--preload` that happens once, before any worker starts.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import sys
from typing import Any

from flask import Flask, Response, jsonify, render_template, request, session
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from issuer import auth, security
from issuer.home import Home, home_path
from issuer.installation import Installation
from issuer.service.errors import (
    Busy,
    Conflict,
    Forbidden,
    Gone,
    NotFound,
    NotPrinted,
    Throttled,
)
from passport.errors import DocumentError, Error

MAX_REQUEST_BYTES = 26 * 1024 * 1024
log = logging.getLogger("skillpass.issuer")


STARTUP_FAILED = 3  # gunicorn's "worker failed to boot": the arbiter stops, no retry loop


def create_app(home: Home | None = None, *, secret: str | None = None,
               database_url: str | None = None, testing: bool = False) -> Flask:
    """The app on `home`. Called without one, as a WSGI server's entry point (gunicorn
    'issuer.app:create_app()', the home from SKILLPASS_HOME), a home that cannot be opened
    ends the process with one line on standard error and STARTUP_FAILED instead of a
    traceback; callers that pass a home (`skillpass serve`, tests) get the error itself."""
    try:
        return _create(home, secret=secret, database_url=database_url, testing=testing)
    except (Error, SQLAlchemyError, OSError) as exc:
        if home is not None or testing:
            raise
        detail = exc.diagnostics() if isinstance(exc, Error) else \
            f"{exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        print(f"skillpass issuer: cannot start: {' '.join(detail.split())}", file=sys.stderr,
              flush=True)
        raise SystemExit(STARTUP_FAILED) from None


def _create(home: Home | None, *, secret: str | None, database_url: str | None,
            testing: bool) -> Flask:
    from issuer.api import api, publish, verifier_dist
    from issuer.web import web
    from issuer.web_batch import MAX_IMPORT_BYTES, days

    opened = Installation.open(home or Home(home_path()), secret=secret,
                               database_url=database_url)
    try:
        installation = opened.home.secret()
        app = Flask(__name__)
        app.config.update(
            SECRET_KEY=hmac.new(installation, b"flask sessions", hashlib.sha256).digest(),
            MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES, TESTING=testing, JSON_SORT_KEYS=False,
            # The import's confirm form carries the previewed file back as one field.
            MAX_FORM_MEMORY_SIZE=2 * MAX_IMPORT_BYTES)
        security.install(app, verifier_dist() / "index.html")
    except BaseException:
        opened.close()
        raise
    app.extensions["skillpass.store"] = opened.store
    app.extensions["skillpass.centre"] = opened.centre
    auth.install(app)
    app.register_blueprint(api)
    app.register_blueprint(publish)
    app.register_blueprint(web)
    app.register_blueprint(days)
    _errors(app)
    auth.check_every_view_declares_roles(app)
    # Connections opened while starting (migrations, publication) are not handed to forked
    # workers (gunicorn --preload): each process opens its own on first use.
    opened.store.engine.dispose()
    return app


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/status/", "/.well-known/", "/passport/")) or \
        request.accept_mimetypes.best == "application/json"


def _error(status: int, code: str, message: str, problems: list[Any] | None = None,
           text: str | None = None) -> tuple[Response | str, int]:
    """The refusal as JSON, or as a page in the reader's language: `text` when the refusal
    brings its own words, else the status's."""
    if _wants_json():
        payload: dict[str, Any] = {"error": code, "message": message}
        if problems:
            payload["problems"] = problems
        return jsonify(payload), status
    # A page in the reader's language, never Werkzeug's English one. The service's own words
    # (which record, which rule) are English: shown beneath, to a reader of English only.
    from issuer.web import t

    key = "http.csrf" if code == "csrf" else f"http.{status}"
    english = session.get("lang", "km") == "en"
    if text is None:
        text = t(key) if key != t(key) else t("error")
    return render_template("error.html", code=status, message=text,
                           detail=message if english and message != text else None), status


def _errors(app: Flask) -> None:
    @app.errorhandler(DocumentError)
    def document(exc: DocumentError) -> tuple[Response | str, int]:
        return _error(400, "invalid_body", str(exc),
                      [{"at": where, "message": msg} for where, msg in exc.problems])

    @app.errorhandler(NotFound)
    def not_found(exc: NotFound) -> tuple[Response | str, int]:
        return _error(404, "not_found", str(exc))

    @app.errorhandler(Gone)
    def gone(exc: Gone) -> tuple[Response | str, int]:
        return _error(410, exc.code, str(exc))

    @app.errorhandler(Conflict)
    def conflict(exc: Conflict) -> tuple[Response | str, int]:
        if isinstance(exc, NotPrinted):
            from issuer.web import t

            return _error(409, "conflict", str(exc), text=t(exc.key, **exc.params))
        return _error(409, "conflict", str(exc))

    @app.errorhandler(auth.PasswordChangeRequired)
    def password_first(exc: auth.PasswordChangeRequired) -> tuple[Response | str, int]:
        return _error(403, "password_change_required", str(exc))

    @app.errorhandler(Forbidden)
    def forbidden(exc: Forbidden) -> tuple[Response | str, int]:
        return _error(403, "forbidden", str(exc))

    @app.errorhandler(Throttled)
    def throttled(exc: Throttled) -> tuple[Response | str, int, dict[str, str]]:
        body, status = _error(429, "throttled", str(exc))
        return body, status, {"Retry-After": str(exc.retry_after)}

    @app.errorhandler(Busy)
    def busy(exc: Busy) -> tuple[Response | str, int]:
        return _error(503, "busy", "the database is busy; try again")

    @app.errorhandler(Error)
    def passport_error(exc: Error) -> tuple[Response | str, int]:
        return _error(400, "invalid", exc.diagnostics())

    @app.errorhandler(HTTPException)
    def http(exc: HTTPException) -> tuple[Response | str, int]:
        names = {400: "bad_request", 401: "unauthenticated", 403: "forbidden",
                 404: "not_found", 405: "method_not_allowed", 413: "too_large",
                 414: "too_large", 431: "too_large"}
        status = exc.code or 500
        message = "CSRF token missing or wrong; reload the page" if exc.description == "csrf" \
            else exc.description or exc.name
        return _error(status, "csrf" if exc.description == "csrf" else names.get(status, "error"),
                      message)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[Response | str, int]:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return _error(500, "internal", "internal error; it has been logged")
