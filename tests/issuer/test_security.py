"""Every route checks the role; every form needs its CSRF token; bad bodies get 4xx JSON."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from issuer.auth import check_every_view_declares_roles
from issuer.web_common import openapi
from tests.issuer.conftest import PASSWORD, Service
from tests.issuer.workflow import register

ROLES = ("admin", "assessor", "registrar")


def _api_operations() -> list[tuple[str, str, tuple[str, ...]]]:
    ops = []
    for path, item in openapi()["paths"].items():
        for method, op in item.items():
            if "x-roles" in op:
                concrete = re.sub(r"\{id\}", "1", path).replace("{purpose}", "revocation")
                ops.append((method, concrete, tuple(op["x-roles"])))
    return ops


@pytest.mark.parametrize(("method", "path", "allowed"), _api_operations(),
                         ids=[f"{m} {p}" for m, p, _ in _api_operations()])
def test_role_matrix(sqlite_svc: Service, method: str, path: str,
                     allowed: tuple[str, ...]) -> None:
    anonymous = sqlite_svc.call(None, method, path, json={})
    assert anonymous.status_code == 401, path
    assert anonymous.get_json()["error"] == "unauthenticated"
    for role in ROLES:
        r = sqlite_svc.call(role, method, path, json={})
        if role in allowed:
            assert r.status_code not in (401, 403), (role, path, r.get_json())
        else:
            assert r.status_code == 403, (role, path)
            assert r.get_json()["error"] == "forbidden"


def test_every_page_declares_roles(sqlite_svc: Service) -> None:
    app = sqlite_svc.app
    assert all(hasattr(view, "_roles") for name, view in app.view_functions.items()
               if name != "static")
    bare = Flask("bare")
    bare.add_url_rule("/oops", "oops", lambda: "no role check")
    with pytest.raises(RuntimeError, match="declares no roles"):
        check_every_view_declares_roles(bare)


def _page_roles(svc: Service, role: str, path: str) -> int:
    client = svc.app.test_client()
    client.get("/login")
    with client.session_transaction() as s:
        token = s["csrf"]
    client.post("/login", data={"username": role, "password": PASSWORD, "csrf_token": token})
    return int(client.get(path).status_code)


def test_pages_refuse_roles(sqlite_svc: Service) -> None:
    assert _page_roles(sqlite_svc, "assessor", "/admin/users") == 403
    assert _page_roles(sqlite_svc, "registrar", "/admin/users") == 403
    assert _page_roles(sqlite_svc, "admin", "/admin/users") == 200
    assert _page_roles(sqlite_svc, "assessor", "/candidates/new") == 403
    assert sqlite_svc.app.test_client().get("/candidates/new").status_code == 401
    assert _page_roles(sqlite_svc, "assessor", "/admin/settings") == 403
    assert _page_roles(sqlite_svc, "registrar", "/admin/settings") == 403


def test_assessor_registration_follows_the_centre_setting(sqlite_svc: Service) -> None:
    """Registration's conditional role: the matrix above runs with the setting at its default
    (off, 403); on, an assessor opens the form and registers; off again, 403 again."""
    from issuer.db import User
    from issuer.service import settings
    from tests.issuer.conftest import store_of

    def switch(on: bool) -> None:
        with store_of(sqlite_svc.app).transaction() as s:
            admin = s.query(User).filter_by(username="admin").one()
            settings.set_enabled(s, admin, settings.ASSESSOR_REGISTRATION, on)

    switch(True)
    assert _page_roles(sqlite_svc, "assessor", "/candidates/new") == 200
    client, token = _logged_in(sqlite_svc, "assessor")
    r = client.post("/candidates", data={"name": "Sok Dara", "nameKm": "សុខ ដារា",
                                         "birthYear": "1990", "nationalId": "010234567",
                                         "csrf_token": token})
    assert r.status_code == 302
    switch(False)
    assert _page_roles(sqlite_svc, "assessor", "/candidates/new") == 403
    assert _page_roles(sqlite_svc, "registrar", "/candidates/new") == 200


def _logged_in(svc: Service, role: str) -> tuple[Any, str]:
    client = svc.app.test_client()
    client.get("/login")
    with client.session_transaction() as s:
        token = str(s["csrf"])
    r = client.post("/login", data={"username": role, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302
    with client.session_transaction() as s:
        token = str(s["csrf"]) if "csrf" in s else token
    client.get("/")
    with client.session_transaction() as s:
        return client, str(s["csrf"])


def test_csrf_is_required_on_every_form_and_session_api_call(sqlite_svc: Service) -> None:
    client = sqlite_svc.app.test_client()
    assert client.post("/login", data={"username": "admin", "password": PASSWORD}).status_code == 400
    client, token = _logged_in(sqlite_svc, "registrar")
    form = {"name": "Sok Dara", "nameKm": "សុខ ដារា", "birthDate": "1988-04-12",
            "nationalId": "010234567"}
    missing = client.post("/candidates", data=form)
    assert missing.status_code == 400 and "ទម្រង់បែបបទផុតកំណត់".encode() in missing.data
    wrong = client.post("/candidates", data={**form, "csrf_token": "x" * 43})
    assert wrong.status_code == 400
    ok = client.post("/candidates", data={**form, "csrf_token": token})
    assert ok.status_code == 302
    # The JSON API used with the session cookie needs the token in a header.
    api = client.post("/api/candidates", json={**form, "nationalId": "020345678"})
    assert api.status_code == 400 and api.get_json()["error"] == "csrf"
    api = client.post("/api/candidates", json={**form, "nationalId": "020345678"},
                      headers={"X-CSRF-Token": token})
    assert api.status_code == 201


def test_wrong_password_and_unknown_token(sqlite_svc: Service) -> None:
    client = sqlite_svc.app.test_client()
    client.get("/login")
    with client.session_transaction() as s:
        token = s["csrf"]
    r = client.post("/login", data={"username": "admin", "password": "wrong password!",
                                    "csrf_token": token})
    assert r.status_code == 401
    r = sqlite_svc.app.test_client().get("/api/candidates",
                                         headers={"Authorization": "Bearer spt_forged"})
    assert r.status_code == 401


@pytest.mark.parametrize(("body", "where"), [
    (None, "$"),
    ({}, "$"),
    ({"name": "A", "nameKm": "ក", "birthDate": "1988-04-12"}, "$"),
    ({"name": "A", "nameKm": "ក", "birthDate": "1988-04-12", "nationalId": "12"}, "$.nationalId"),
    ({"name": "A", "nameKm": "ក", "birthDate": "1988-04-12", "nationalId": "010234567",
      "health": "diabetes"}, "$"),
    ({"name": "A", "nameKm": "ក", "birthDate": "1988-02-30", "nationalId": "010234567"},
     "birthDate"),
    ({"name": 5, "nameKm": "ក", "birthDate": "1988-04-12", "nationalId": "010234567"}, "$.name"),
])
def test_bad_bodies_get_400_json(sqlite_svc: Service, body: Any, where: str) -> None:
    kwargs: dict[str, Any] = {"data": "not json", "content_type": "text/plain"} if body is None \
        else {"json": body}
    r = sqlite_svc.call("registrar", "post", "/api/candidates", **kwargs)
    assert r.status_code == 400
    payload = r.get_json()
    assert payload["error"] == "invalid_body" and payload["message"]
    assert any(p["at"].startswith(where) for p in payload["problems"])


def test_domain_errors_are_4xx(sqlite_svc: Service) -> None:
    c = register(sqlite_svc)
    assert sqlite_svc.call("registrar", "post", "/api/candidates", json={
        "name": "Again", "nameKm": "ម្តងទៀត", "birthDate": "1990-01-01",
        "nationalId": "0102 34567"}).status_code == 409
    r = sqlite_svc.call("assessor", "post", "/api/assessments",
                        json={"candidateId": c["id"], "rubricId": "no-such-rubric"})
    assert r.status_code == 400 and "known:" in r.get_json()["message"]
    assert sqlite_svc.call("assessor", "post", "/api/assessments",
                           json={"candidateId": 999, "rubricId": "masonry-c1"}).status_code == 404
    a = sqlite_svc.call("assessor", "post", "/api/assessments",
                        json={"candidateId": c["id"], "rubricId": "masonry-c1"}).get_json()
    r = sqlite_svc.call("assessor2", "put", f"/api/assessments/{a['id']}/judgments",
                        json={"judgments": []})
    assert r.status_code == 403  # only the assessor who started it
    r = sqlite_svc.call("assessor", "put", f"/api/assessments/{a['id']}/judgments",
                        json={"judgments": [{"criterion": "MAS-WHS/1.1", "result": "met",
                                             "evidence": [{"method": "observation",
                                                           "ref": "sha256:" + "a" * 64,
                                                           "date": a["date"]}]}]})
    assert r.status_code == 400 and "never uploaded" in r.get_json()["message"]
    r = sqlite_svc.call("assessor", "post", f"/api/assessments/{a['id']}/credential",
                        json={"nationalId": "010234567"})
    assert r.status_code == 409 and "nothing to certify" in r.get_json()["message"]
    assert sqlite_svc.call("admin", "get", "/api/credentials/urn:x").status_code == 404
    assert sqlite_svc.call("admin", "delete", "/api/candidates").status_code == 405


def test_evidence_uploads_are_checked(sqlite_svc: Service) -> None:
    import io

    def send(data: bytes, media: str) -> Any:
        return sqlite_svc.call("assessor", "post", "/api/evidence",
                               data={"file": (io.BytesIO(data), "f", media)},
                               content_type="multipart/form-data")

    assert send(b"MZ\x90\x00", "application/x-msdownload").status_code == 400
    assert send(b"not really a png", "image/png").status_code == 400
    assert send(b"", "image/png").status_code == 400
    # Over the request size limit: refused before the body is parsed.
    big = sqlite_svc.call("assessor", "post", "/api/evidence", data=b"\x00" * (27 * 1024 * 1024),
                          content_type="multipart/form-data; boundary=x")
    assert big.status_code == 413 and big.get_json()["error"] == "too_large"
    r = send(b"%PDF-1.7 report", "application/pdf")
    assert r.status_code == 201 and r.get_json()["sha256"] in str(
        list((sqlite_svc.home.root / "uploads").iterdir()))


# -- every route, pages and API alike, against its declared roles ------------------------------

def _concrete(rule: Any) -> str:
    values = {}
    for name, converter in rule._converters.items():
        values[name] = {"IntegerConverter": 1, "DatabaseId": 1, "PathConverter": "index.html"}.get(
            type(converter).__name__, "x")
    return str(rule.build(values)[1])


def _routes() -> list[tuple[str, str, str]]:
    app = _route_app()
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint, method.lower(), _concrete(rule)))
    return out


def _route_app() -> Flask:
    """The app's routes without a home: the same blueprints, as create_app registers them."""
    from issuer import security
    from issuer.api import api, publish
    from issuer.web import web
    from issuer.web_batch import days

    app = Flask("routes")
    app.url_map.converters["int"] = security.DatabaseId
    for blueprint in (api, publish, web, days):
        app.register_blueprint(blueprint)
    return app


def _signed_in(svc: Service, role: str) -> Any:
    """A browser with a live session for the role's user (opened as sign-in opens one)."""
    from sqlalchemy import select

    from issuer.db import User
    from issuer.service import accounts
    from tests.issuer.conftest import store_of

    with store_of(svc.app).transaction() as s:
        user = s.execute(select(User).where(User.username == role)).scalar_one()
        key = accounts.open_session(s, user)
    client = svc.app.test_client()
    with client.session_transaction() as session:
        session["sid"], session["csrf"] = key, "c" * 43
    return client


@pytest.mark.parametrize(("endpoint", "method", "path"), _routes(),
                         ids=[f"{m} {p}" for _, m, p in _routes()])
def test_every_route_checks_its_roles(sqlite_svc: Service, endpoint: str, method: str,
                                      path: str) -> None:
    allowed: tuple[str, ...] = vars(sqlite_svc.app.view_functions[endpoint])["_roles"]
    kwargs: dict[str, Any] = {"data": {"csrf_token": "c" * 43},
                              "headers": {"X-CSRF-Token": "c" * 43}}
    # Public views refuse nobody (the sign-in form's 401 is a wrong password, not a role).
    refusals = (403,) if endpoint == "web.login" else (401, 403)
    anonymous = getattr(sqlite_svc.app.test_client(), method)(path, **kwargs)
    if allowed:
        assert anonymous.status_code == 401, (path, anonymous.status_code)
    else:
        assert anonymous.status_code not in refusals, path
    for role in ROLES:
        r = getattr(_signed_in(sqlite_svc, role), method)(path, **kwargs)
        assert r.status_code < 500, (role, path)
        if not allowed:
            assert r.status_code not in refusals, (role, path, r.status_code)
        elif role in allowed:
            assert r.status_code not in (401, 403), (role, path, r.status_code)
        else:
            assert r.status_code == 403, (role, path, r.status_code)
        if path.startswith("/api/"):  # the bearer token reaches the same check
            t = sqlite_svc.call(role, method, path, json={})
            assert (t.status_code == 403) == (role not in allowed), (role, path, t.status_code)


def test_openapi_declares_every_api_route_with_its_roles(sqlite_svc: Service) -> None:
    def shape(path: str) -> str:
        return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)

    declared = {(method, shape(path)): set(op.get("x-roles", ()))
                for path, item in openapi()["paths"].items() for method, op in item.items()}
    routes = {(method.lower(), shape(rule.rule)): rule.endpoint
              for rule in sqlite_svc.app.url_map.iter_rules() if rule.rule.startswith("/api/")
              for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}}
    assert set(routes) == {k for k in declared if k[1].startswith("/api/")}
    for key, endpoint in routes.items():
        assert set(vars(sqlite_svc.app.view_functions[endpoint])["_roles"]) == declared[key], key
