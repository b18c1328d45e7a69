"""Accounts: the password rule, sessions that end, one-time passwords, resets, deactivation,
API tokens."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from issuer.db import ApiToken, AuditEntry, User, WebSession, utcnow
from issuer.service import accounts, passwords
from passport.errors import DocumentError
from tests.issuer.conftest import PASSWORD, Service, store_of
from tests.issuer.workflow import browser, csrf

NEW_PASSWORD = "plough river lantern 42"


@pytest.mark.parametrize("password", [
    "aaaaaaaaaa", "password12", "1234567890", " " * 10,  # the issue's: all under 12 characters
    "aaaaaaaaaaaa", " " * 12, "ក" * 12,  # one character repeated
    "qwertyuiopas", "123456789012", "password1234", "Password1234", "qwerty123456",
    "iloveyou2026", "1qaz2wsx3edc", "passwordpassword", "abcabcabcabc",
    "admin-admin-admin", "x" * 129,
])
def test_the_password_rule_refuses(password: str) -> None:
    found = passwords.problems(password, "admin")
    assert found, password
    with pytest.raises(DocumentError, match="password"):
        accounts.hash_password(password, "admin")


@pytest.mark.parametrize("password", [
    PASSWORD, NEW_PASSWORD, "ស្រឡាញ់ខ្មែរជានិច្ច", "Battambang-bricks-1988", "x7Gk2mQp9vLr",
    passwords.one_time(),
])
def test_the_password_rule_accepts(password: str) -> None:
    assert passwords.problems(password, "assessor") == []


def test_the_common_list_is_the_shipped_one() -> None:
    # The list zxcvbn ships: 30,000 entries; the rule compares case and spaces aside.
    assert len(passwords._common()) == 30_000
    assert "sonyericsson" in passwords._common()
    assert passwords.problems("SonyEricsson") == ["this password is on a list of common passwords"]
    assert passwords.problems("sony ericsson") == ["this password is on a list of common passwords"]


def _home_status(client: object) -> int:
    return int(client.get("/candidates/new").status_code)  # type: ignore[attr-defined]


def test_logout_ends_the_session_for_every_copy_of_the_cookie(sqlite_svc: Service) -> None:
    client, token = browser(sqlite_svc, "registrar")
    assert _home_status(client) == 200
    saved = client.get_cookie("session")
    assert saved is not None
    r = client.post("/logout", data={"csrf_token": token})
    assert r.status_code == 302
    thief = sqlite_svc.app.test_client()
    thief.set_cookie("session", saved.value)
    assert _home_status(thief) == 401  # the saved cookie opens nothing any more
    assert thief.get("/").headers["Location"].endswith("/login")
    with store_of(sqlite_svc.app).read() as s:
        assert s.execute(select(WebSession)).first() is None
        actions = s.execute(select(AuditEntry.action)).scalars().all()
    assert "login" in actions and "logout" in actions


def test_a_password_change_ends_every_other_session(sqlite_svc: Service) -> None:
    tablet, token = browser(sqlite_svc, "assessor")
    phone, _ = browser(sqlite_svc, "assessor")
    saved = tablet.get_cookie("session")
    assert saved is not None
    r = tablet.post("/account/password", data={
        "currentPassword": PASSWORD, "newPassword": NEW_PASSWORD, "repeatPassword": NEW_PASSWORD,
        "csrf_token": token})
    assert r.status_code == 302, r.get_data(as_text=True)
    assert tablet.get("/assessments/1").status_code == 404  # still signed in: a new session
    assert phone.get("/assessments/1").status_code == 401  # the other browser is out
    thief = sqlite_svc.app.test_client()
    thief.set_cookie("session", saved.value)
    assert thief.get("/assessments/1").status_code == 401  # the cookie before the change too
    browser(sqlite_svc, "assessor", PASSWORD, expect=401)
    browser(sqlite_svc, "assessor", NEW_PASSWORD)


def test_a_password_change_is_refused_with_reasons(sqlite_svc: Service) -> None:
    client, token = browser(sqlite_svc, "registrar")

    def change(current: str, new: str, repeat: str | None = None) -> str:
        r = client.post("/account/password", data={
            "currentPassword": current, "newPassword": new,
            "repeatPassword": new if repeat is None else repeat, "csrf_token": token})
        assert r.status_code == 400
        return r.get_data(as_text=True)

    assert "at least 12 characters" in change(PASSWORD, "short")
    assert "list of common passwords" in change(PASSWORD, "sonyericsson")
    assert "differ" in change(PASSWORD, NEW_PASSWORD, "something else entirely")
    assert "not the current password" in change("wrong password here", NEW_PASSWORD)
    assert "is the current one" in change(PASSWORD, PASSWORD)
    r = sqlite_svc.call("registrar", "post", "/api/account/password",
                        json={"currentPassword": PASSWORD, "newPassword": "aaaaaaaaaaaa"})
    assert r.status_code == 400 and r.get_json()["problems"][0]["at"] == "newPassword"
    r = sqlite_svc.call("registrar", "post", "/api/account/password",
                        json={"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD})
    assert r.status_code == 200
    browser(sqlite_svc, "registrar", NEW_PASSWORD)


def test_a_one_time_password_must_be_changed_first(sqlite_svc: Service) -> None:
    r = sqlite_svc.call("admin", "post", "/api/users", json={"username": "sokha",
                                                             "role": "assessor"})
    assert r.status_code == 201 and r.get_json()["mustChangePassword"] is True
    one_time = r.get_json()["oneTimePassword"]
    client = sqlite_svc.app.test_client()
    client.get("/login")
    r = client.post("/login", data={"username": "sokha", "password": one_time,
                                    "csrf_token": csrf(client)})
    assert r.status_code == 302 and r.headers["Location"].endswith("/account/password")
    token = csrf(client)
    # Every page but the password page sends the user there; the API refuses.
    for path in ("/", "/assessments/1", "/candidates/1"):
        r = client.get(path)
        assert r.status_code == 302 and r.headers["Location"].endswith("/account/password"), path
    r = client.get("/api/candidates")
    assert r.status_code == 403 and r.get_json()["error"] == "password_change_required"
    r = client.post("/api/assessments", json={"candidateId": 1, "rubricId": "masonry-c1"},
                    headers={"X-CSRF-Token": token})
    assert r.status_code == 403 and r.get_json()["error"] == "password_change_required"
    assert client.get("/account/password").status_code == 200
    r = client.post("/account/password", data={
        "currentPassword": one_time, "newPassword": NEW_PASSWORD, "repeatPassword": NEW_PASSWORD,
        "csrf_token": token})
    assert r.status_code == 302
    assert client.get("/assessments/1").status_code == 404  # now the pages open
    assert client.get("/api/candidates").status_code == 200
    browser(sqlite_svc, "sokha", one_time, expect=401)


def test_an_admin_chosen_password_is_one_time_too(sqlite_svc: Service) -> None:
    r = sqlite_svc.call("admin", "post", "/api/users", json={
        "username": "dara", "role": "registrar", "password": "chosen by the admin 7"})
    assert r.status_code == 201 and "oneTimePassword" not in r.get_json()
    client, _ = browser(sqlite_svc, "dara", "chosen by the admin 7")
    assert client.get("/candidates/new").headers["Location"].endswith("/account/password")
    r = sqlite_svc.call("admin", "post", "/api/users", json={
        "username": "weak", "role": "registrar", "password": "P@ssw0rd2024"})
    assert r.status_code == 400 and "too easy to guess" in r.get_json()["message"]


def _user_id(svc: Service, username: str) -> int:
    with store_of(svc.app).read() as s:
        return int(s.execute(select(User.id).where(User.username == username)).scalar_one())


def test_an_admin_resets_a_password(sqlite_svc: Service) -> None:
    client, _ = browser(sqlite_svc, "registrar")
    uid = _user_id(sqlite_svc, "registrar")
    r = sqlite_svc.call("admin", "post", f"/api/users/{uid}/password-reset", json={})
    assert r.status_code == 200
    one_time = r.get_json()["oneTimePassword"]
    assert client.get("/candidates/new").status_code == 401  # the old session ended
    browser(sqlite_svc, "registrar", PASSWORD, expect=401)
    fresh, _ = browser(sqlite_svc, "registrar", one_time)
    assert fresh.get("/candidates/new").headers["Location"].endswith("/account/password")
    # On the page: the one-time password is shown once, and never cached.
    admin, token = browser(sqlite_svc, "admin")
    page = admin.post(f"/admin/users/{uid}/password-reset", data={"csrf_token": token})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "registrar:" in page.get_data(as_text=True)


def test_deactivation_ends_sessions_and_tokens(sqlite_svc: Service) -> None:
    client, _ = browser(sqlite_svc, "assessor")
    uid = _user_id(sqlite_svc, "assessor")
    assert sqlite_svc.call("assessor", "get", "/api/candidates").status_code == 200
    r = sqlite_svc.call("admin", "post", f"/api/users/{uid}/deactivate", json={})
    assert r.status_code == 200 and r.get_json()["active"] is False
    assert client.get("/assessments/1").status_code == 401
    assert sqlite_svc.call("assessor", "get", "/api/candidates").status_code == 401
    browser(sqlite_svc, "assessor", expect=401)
    r = sqlite_svc.call("admin", "post", f"/api/users/{uid}/activate", json={})
    assert r.status_code == 200 and r.get_json()["active"] is True
    assert sqlite_svc.call("assessor", "get", "/api/candidates").status_code == 200
    admin_id = _user_id(sqlite_svc, "admin")
    r = sqlite_svc.call("admin", "post", f"/api/users/{admin_id}/deactivate", json={})
    assert r.status_code == 409  # an admin cannot lock themselves out
    listed = {u["username"] for u in sqlite_svc.call("admin", "get", "/api/users").get_json()}
    assert {"admin", "assessor", "registrar", "assessor2"} <= listed
    assert accounts.COMMAND_LINE not in listed


def test_the_command_line_account_never_signs_in(sqlite_svc: Service) -> None:
    cli_id = _user_id(sqlite_svc, accounts.COMMAND_LINE)
    for action in ("password-reset", "activate", "deactivate"):
        r = sqlite_svc.call("admin", "post", f"/api/users/{cli_id}/{action}", json={})
        assert r.status_code == 409, action
    r = sqlite_svc.call("admin", "post", "/api/tokens",
                        json={"username": accounts.COMMAND_LINE, "name": "x"})
    assert r.status_code == 409
    with store_of(sqlite_svc.app).read() as s:
        cli = s.get(User, cli_id)
        assert cli is not None and not cli.active and not cli.password_hash.startswith("$argon2")
    browser(sqlite_svc, accounts.COMMAND_LINE, "", expect=401)


def test_tokens_are_named_listed_expiring_and_revocable(sqlite_svc: Service) -> None:
    r = sqlite_svc.call("admin", "post", "/api/tokens",
                        json={"username": "registrar", "name": "job fair laptop",
                              "expiresInDays": 30})
    assert r.status_code == 201
    token = r.get_json()["token"]
    r = sqlite_svc.call("admin", "post", "/api/tokens",
                        json={"username": "registrar", "name": "kiosk", "expiresInDays": None})
    assert r.status_code == 201
    listed = {t["name"]: t for t in sqlite_svc.call("admin", "get", "/api/tokens").get_json()}
    laptop = listed["job fair laptop"]
    assert laptop["username"] == "registrar" and laptop["state"] == "active"
    assert laptop["expiresAt"][:10] == (utcnow() + timedelta(days=30)).date().isoformat()
    assert listed["kiosk"]["expiresAt"] is None
    assert listed["registrar token"]["expiresAt"] is not None  # the default: a year
    assert "token_hash" not in laptop and token not in str(listed)

    def status(t: str) -> int:
        return int(sqlite_svc.app.test_client().get(
            "/api/candidates", headers={"Authorization": f"Bearer {t}"}).status_code)

    assert status(token) == 200
    r = sqlite_svc.call("admin", "post", f"/api/tokens/{laptop['id']}/revoke", json={})
    assert r.status_code == 200 and r.get_json()["state"] == "revoked"
    assert status(token) == 401
    # Expired: the database's clock decides.
    with store_of(sqlite_svc.app).transaction() as s:
        s.execute(update(ApiToken).where(ApiToken.name == "registrar token")
                  .values(expires_at=utcnow() - timedelta(seconds=1)))
    assert status(sqlite_svc.tokens["registrar"]) == 401
    states = {t["name"]: t["state"] for t in sqlite_svc.call("admin", "get", "/api/tokens").get_json()}
    assert states["registrar token"] == "expired" and states["job fair laptop"] == "revoked"
    for days in (0, 3651, "7"):
        r = sqlite_svc.call("admin", "post", "/api/tokens",
                            json={"username": "registrar", "name": "x", "expiresInDays": days})
        assert r.status_code == 400, days


def test_admin_pages_for_users_and_tokens(sqlite_svc: Service) -> None:
    admin, token = browser(sqlite_svc, "admin")
    page = admin.post("/admin/users", data={"username": "chenda", "role": "registrar",
                                            "csrf_token": token})
    assert page.status_code == 200
    shown = page.get_data(as_text=True)
    found = re.search(r"chenda: [^<]* (\S+)</p>", shown)
    assert found is not None
    one_time = found.group(1)
    browser(sqlite_svc, "chenda", one_time)
    uid = _user_id(sqlite_svc, "chenda")
    page = admin.post("/admin/tokens", data={"name": "scanner", "userId": str(uid), "days": "7",
                                             "csrf_token": token})
    assert page.status_code == 200 and "spt_" in page.get_data(as_text=True)
    listing = admin.get("/admin/tokens").get_data(as_text=True)
    assert "scanner" in listing and "spt_" not in listing
    with store_of(sqlite_svc.app).read() as s:
        token_id = s.execute(select(ApiToken.id).where(ApiToken.name == "scanner")).scalar_one()
    assert admin.post(f"/admin/tokens/{token_id}/revoke",
                      data={"csrf_token": token}).status_code == 302
    assert admin.post(f"/admin/users/{uid}/active",
                      data={"active": "0", "csrf_token": token}).status_code == 302
    browser(sqlite_svc, "chenda", one_time, expect=401)
    page = admin.post("/admin/tokens", data={"name": "x", "userId": "99999999999999999999",
                                             "days": "7", "csrf_token": token})
    assert page.status_code == 400 and "no record" in page.get_data(as_text=True)


def test_the_upgrade_flags_the_password_init_printed(database_url: str) -> None:
    """A home from before: its first admin still has the one-time password `skillpass init`
    printed (the audit log says @cli created it); the admin it created chose their own."""
    from alembic import command
    from sqlalchemy import text

    from issuer import migrate
    from issuer.db import make_engine

    engine = make_engine(database_url)
    config = migrate._config()
    with engine.connect() as connection, connection.begin():
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
        for n, (actor, name) in enumerate([("@cli", "admin"), ("admin", "sokha")], start=1):
            connection.execute(text(
                "INSERT INTO users (username, password_hash, role, active, created_at) "
                "VALUES (:u, 'x', 'admin', :t, CURRENT_TIMESTAMP)"), {"u": name, "t": True})
            connection.execute(text(
                "INSERT INTO audit_log (seq, at, actor, action, subject, details, prev_hash, hash) "
                "VALUES (:n, 'now', :a, 'user.create', :s, '{}', 'p', :h)"),
                {"n": n, "a": actor, "s": f"user:{name}", "h": f"h{n}"})
    migrate.upgrade(engine)
    with engine.connect() as connection:
        flags: dict[str, bool] = dict(connection.execute(text(
            "SELECT username, must_change_password FROM users WHERE username != '@cli'")).all())
    engine.dispose()
    assert flags == {"admin": True, "sokha": False}
