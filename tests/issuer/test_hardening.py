"""No request answers 500: huge ids, deep JSON, bad forms; every response carries the
security headers; the session cookie is Secure behind HTTPS."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from issuer import security
from issuer.app import create_app
from issuer.db import LoginThrottle
from issuer.home import Home
from tests.issuer.conftest import PASSPHRASE, PASSWORD, Service, store_of
from tests.issuer.workflow import browser, csrf, register

HUGE = "99999999999999999999999"
TEMPLATES = Path(__file__).resolve().parents[2] / "issuer" / "templates"


@pytest.fixture
def errors_logged(caplog: pytest.LogCaptureFixture) -> Iterator[list[logging.LogRecord]]:
    """Whatever the app logged as an unexpected error (what a 500 logs) during the test."""
    caplog.set_level(logging.ERROR, logger="skillpass.issuer")
    records: list[logging.LogRecord] = []
    yield records
    records += [r for r in caplog.records if r.name == "skillpass.issuer"]
    assert not records, [r.getMessage() for r in records]


@pytest.mark.parametrize(("role", "method", "path"), [
    ("admin", "get", f"/api/candidates/{HUGE}"),
    ("admin", "get", f"/api/candidates/{HUGE}/passport"),
    ("admin", "get", f"/api/assessments/{HUGE}"),
    ("assessor", "put", f"/api/assessments/{HUGE}/judgments"),
    ("assessor", "post", f"/api/assessments/{HUGE}/decision"),
    ("assessor", "post", f"/api/assessments/{HUGE}/credential"),
    ("admin", "post", f"/api/users/{HUGE}/deactivate"),
    ("admin", "post", f"/api/tokens/{HUGE}/revoke"),
    ("admin", "get", "/api/candidates/2147483648"),  # one past the largest INTEGER
    ("admin", "get", "/api/candidates/0"),
    ("admin", "get", "/api/candidates/" + "9" * 5000),
    ("admin", "get", f"/status/revocation/{HUGE}"),
    ("admin", "get", "/status/revocation/-1"),
])
def test_huge_ids_are_404(sqlite_svc: Service, errors_logged: list[Any], role: str, method: str,
                          path: str) -> None:
    r = sqlite_svc.call(role, method, path, json={"judgments": [], "nationalId": "010234567"})
    assert r.status_code == 404, (path, r.status_code)
    assert r.get_json()["error"] == "not_found"


def test_huge_ids_in_pages_and_forms(sqlite_svc: Service, errors_logged: list[Any]) -> None:
    admin, _ = browser(sqlite_svc, "admin")
    for path in (f"/candidates/{HUGE}", f"/assessments/{HUGE}", f"/candidates/{HUGE}/booklet.pdf"):
        assert admin.get(path).status_code == 404, path
    assessor, token = browser(sqlite_svc, "assessor")
    for value in (HUGE, "-1", "0", "1e9", "١٢", "9" * 5000, ""):
        r = assessor.post("/assessments", data={"candidateId": value, "rubricId": "masonry-c1",
                                                "csrf_token": token})
        assert r.status_code == 404, value
        r = assessor.post("/trainings", data={"candidateId": value, "hours": "40",
                                              "csrf_token": token})
        assert r.status_code == 404, value
    candidate = register(sqlite_svc)
    r = assessor.post("/trainings", data={"candidateId": str(candidate["id"]), "hours": HUGE,
                                          "csrf_token": token})
    assert r.status_code == 400


def _deep(n: int) -> str:
    return "[" * n + "]" * n


@pytest.mark.parametrize(("data", "named"), [
    (_deep(5000), "nested deeper than 16"),
    ('{"a":' * 5000 + "1" + "}" * 5000, "nested deeper than 16"),
    ('{"name": ' + "9" * 5000 + "}", "more than 20 digits"),
    ('{"name": "a", "name": "b"}', "appears twice"),
    ('{"name": NaN}', "NaN"),
    (b'{"name": "\xff"}', "not UTF-8"),
    ("{", "not JSON"),
    ('"' + "x" * (1024 * 1024) + '"', "the limit is 1048576"),
])
def test_bad_json_bodies_name_the_limit(sqlite_svc: Service, errors_logged: list[Any],
                                        data: str | bytes, named: str) -> None:
    r = sqlite_svc.call("registrar", "post", "/api/candidates", data=data,
                        content_type="application/json")
    assert r.status_code == 400
    assert r.get_json()["error"] == "invalid_body" and named in r.get_json()["problems"][0]["message"]


def test_numbers_beyond_a_database_integer_in_bodies(svc: Service,
                                                     errors_logged: list[Any]) -> None:
    candidate = register(svc)
    for value in (2**31, 2**63, 10**19, -(2**63) - 1):
        r = svc.call("assessor", "post", "/api/assessments",
                     json={"candidateId": value, "rubricId": "masonry-c1"})
        message = r.get_json()["message"]
        assert r.status_code == 400 and ("maximum" in message or "minimum" in message), value
        r = svc.call("assessor", "post", "/api/trainings", json={
            "candidateId": candidate["id"], "nationalId": "010234567", "start": "2026-01-01",
            "end": "2026-01-02", "course": {"id": "c", "version": value, "hours": value,
                                            "isco08": "8344", "cqfLevel": "C1",
                                            "title": {"en": "x", "km": "x"}}})
        assert r.status_code == 400, (value, r.get_json())


# -- headers --------------------------------------------------------------------------------

def _check_headers(r: Any, where: str) -> None:
    h = r.headers
    csp = h.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp, where
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, where
    assert h["X-Frame-Options"] == "DENY", where
    assert h["X-Content-Type-Options"] == "nosniff", where
    assert h["Referrer-Policy"] == "same-origin", where
    assert "Strict-Transport-Security" not in h, where  # plain HTTP, not declared HTTPS-only


def test_every_kind_of_response_carries_the_headers(sqlite_svc: Service) -> None:
    admin, _ = browser(sqlite_svc, "admin")
    anonymous = sqlite_svc.app.test_client()
    cases = {
        "sign-in page": anonymous.get("/login"),
        "page": admin.get("/admin/users"),
        "page redirect": anonymous.get("/"),
        "error page": admin.get("/candidates/12345"),
        "refused page": anonymous.get("/admin/users"),
        "stylesheet": anonymous.get("/static/issuer.css"),
        "font": anonymous.get("/fonts/khmer.ttf"),
        "API": sqlite_svc.call("admin", "get", "/api/users"),
        "API error": sqlite_svc.call("admin", "get", "/api/candidates/12345"),
        "API unauthenticated": anonymous.get("/api/users"),
        "API method": sqlite_svc.call("admin", "delete", "/api/users"),
        "OpenAPI": anonymous.get("/openapi.json"),
        "keys": anonymous.get("/.well-known/jwks.json"),
        "status list": anonymous.get("/status/revocation/1"),
        "trust bundle": anonymous.get("/trust-bundle.json"),
        "JSON-LD context": anonymous.get("/contexts/skills-passport/v1"),
        "verifier page": anonymous.get("/verify/"),
        "verifier redirect": anonymous.get("/verify"),
        "verifier script": anonymous.get("/verify/app.js"),
        "service worker": anonymous.get("/verify/sw.js"),
        "verifier config": anonymous.get("/verify/verifier-config.json"),
        "verifier missing file": anonymous.get("/verify/nothing-here.js"),
        "not found": anonymous.get("/no/such/path"),
    }
    for where, r in cases.items():
        r.close()  # a file sent as a stream (the stylesheet) is closed here
        assert r.status_code < 500, where
        _check_headers(r, where)
    pages = cases["page"].headers["Content-Security-Policy"]
    # The pages run scripts from this origin only (the assessment form's autosave), never
    # inline or eval'd ones, and every HTML sink is refused by Trusted Types.
    assert pages == security.PAGES_CSP and "default-src 'none'" in pages
    assert "script-src 'self';" in pages and "unsafe" not in pages
    assert "require-trusted-types-for 'script'; trusted-types 'none'" in pages
    assert cases["API"].headers["Content-Security-Policy"] == security.DOCUMENTS_CSP
    assert cases["page"].headers["Cache-Control"] == "no-store"
    verifier = cases["verifier page"].headers["Content-Security-Policy"]
    assert "script-src 'self' 'wasm-unsafe-eval'" in verifier and "frame-ancestors 'none'" in verifier
    assert cases["service worker"].headers["Content-Security-Policy"] == verifier
    assert "camera=(self)" in cases["verifier page"].headers["Permissions-Policy"]
    assert "camera=()" in cases["page"].headers["Permissions-Policy"]


def test_the_verifier_page_has_no_inline_script_or_style(sqlite_svc: Service) -> None:
    """Its policy allows none: every style and script is a file of the page's own origin."""
    page = sqlite_svc.app.test_client().get("/verify/")
    assert page.status_code == 200
    assert not re.search(rb"<style|\sstyle=|<script(?![^>]*\bsrc=)|\son[a-z]+=", page.data, re.I)
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]


@pytest.mark.parametrize("template", sorted(TEMPLATES.glob("*.html")), ids=lambda p: p.name)
def test_templates_have_no_inline_script_or_style(template: Path) -> None:
    """The only script is a file of this origin, on the assessment page, deferred; the rest
    of every page is plain HTML with no handler, no style attribute, no javascript: URL."""
    text = template.read_text()
    autosave = ("""<script src="{{ url_for('static', filename='autosave.js') }}" defer>"""
                "</script>")
    assert text.count(autosave) == (template.name == "assessment.html")
    text = text.replace(autosave, "")
    assert not re.search(r"<script|<style|\sstyle=|\son[a-z]+=|javascript:", text, re.I)


def _secure_app(home: Home, tmp_path: Path) -> Any:
    return create_app(home, secret=PASSPHRASE, database_url=f"sqlite:///{tmp_path / 'x.db'}",
                      testing=True)


def test_secure_cookies_and_hsts_when_declared(home: Home, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKILLPASS_SECURE_COOKIES", "1")
    app = _secure_app(home, tmp_path)
    try:
        r = app.test_client().get("/login")
        assert "Secure" in r.headers["Set-Cookie"] and "HttpOnly" in r.headers["Set-Cookie"]
        assert "SameSite=Lax" in r.headers["Set-Cookie"]
        assert r.headers["Strict-Transport-Security"] == security.HSTS
    finally:
        store_of(app).close()


def test_https_behind_a_proxy_is_detected(home: Home, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKILLPASS_PROXIES", "1")
    app = _secure_app(home, tmp_path)
    try:
        client = app.test_client()
        r = client.get("/login", headers={"X-Forwarded-Proto": "https",
                                          "X-Forwarded-For": "198.51.100.4"})
        assert "Secure" in r.headers["Set-Cookie"]
        assert r.headers["Strict-Transport-Security"] == security.HSTS
        plain_client = app.test_client()
        plain = plain_client.get("/login")
        assert "Secure" not in plain.headers["Set-Cookie"]
        # The throttle counts the client's address, not the proxy's.
        r = plain_client.post("/login", data={"username": "nobody", "password": "wrong password!",
                                              "csrf_token": csrf(plain_client)},
                              headers={"X-Forwarded-For": "198.51.100.4"})
        assert r.status_code == 401
        with store_of(app).read() as s:
            keys = s.execute(select(LoginThrottle.key).where(LoginThrottle.scope == "client"))
            assert keys.scalars().all() == ["198.51.100.4"]
    finally:
        store_of(app).close()


@pytest.mark.parametrize(("name", "value"), [("SKILLPASS_SECURE_COOKIES", "maybe"),
                                             ("SKILLPASS_PROXIES", "lots")])
def test_bad_settings_stop_the_start(home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     name: str, value: str) -> None:
    from passport.errors import UsageError

    monkeypatch.setenv(name, value)
    with pytest.raises(UsageError, match=name):
        _secure_app(home, tmp_path)


def test_signing_in_still_works_with_the_headers(sqlite_svc: Service) -> None:
    client, _ = browser(sqlite_svc, "admin", PASSWORD)
    page = client.get("/admin/users")
    assert page.status_code == 200
    assert b'href="/static/issuer.css"' in page.data
    css = client.get("/static/issuer.css")
    assert css.status_code == 200 and b"../fonts/khmer.ttf" in css.data
    css.close()


@pytest.mark.parametrize("username", ["\x00admin", "admin\x00", "a" * 10_000, "ក" * 100, ""])
def test_odd_usernames_at_sign_in(svc: Service, errors_logged: list[Any], username: str) -> None:
    client = svc.app.test_client()
    r = client.post("/login", data={"username": username, "password": "x\x00y",
                                    "csrf_token": csrf(client)})
    assert r.status_code in (400, 401), r.status_code


def test_a_csrf_token_of_any_text_is_a_400(sqlite_svc: Service, errors_logged: list[Any]) -> None:
    client, _ = browser(sqlite_svc, "registrar")
    for sent in ("ក" * 43, "\x00", "x" * 10_000):
        r = client.post("/candidates", data={"name": "A", "csrf_token": sent})
        assert r.status_code == 400 and "ទម្រង់បែបបទផុតកំណត់".encode() in r.data  # in Khmer
        r = client.post("/api/candidates", json={}, headers={"X-CSRF-Token": sent.encode(
            "utf-8").decode("latin-1")})
        assert r.status_code == 400 and r.get_json()["error"] == "csrf"
