"""Login throttling: per account and per client address, 429 with Retry-After, audited, and
held in the database so that separate processes share one count."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from issuer.db import AuditEntry, LoginThrottle, User, utcnow
from issuer.service import throttle
from tests.issuer.conftest import PASSPHRASE, PASSWORD, Service, store_of
from tests.issuer.workflow import csrf


def _login(svc: Service, username: str, password: str, address: str = "192.0.2.10") -> Any:
    client = svc.app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf(client)})


def _audited(svc: Service, action: str) -> list[AuditEntry]:
    with store_of(svc.app).read() as s:
        return list(s.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars())


def test_an_account_locks_after_five_failures(sqlite_svc: Service) -> None:
    codes = [_login(sqlite_svc, "registrar", f"wrong password {n}").status_code for n in range(5)]
    assert codes == [401] * 5
    refused = _login(sqlite_svc, "registrar", PASSWORD)  # the right one, too late
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= throttle.LOCKOUT.total_seconds()
    assert "ចូលខុសច្រើនដងពេក" in refused.get_data(as_text=True)
    # Another address cannot open the account either: the lock is the account's.
    assert _login(sqlite_svc, "registrar", PASSWORD, "198.51.100.7").status_code == 429
    # Other accounts are not affected.
    assert _login(sqlite_svc, "assessor", PASSWORD).status_code == 302
    assert len(_audited(sqlite_svc, "login.fail")) == 5
    [lockout] = _audited(sqlite_svc, "login.lockout")
    assert lockout.subject == "account:registrar" and lockout.actor == "client:192.0.2.10"
    # Once the lock has run out, the right password signs in and the count starts afresh.
    with store_of(sqlite_svc.app).transaction() as s:
        s.execute(update(LoginThrottle).values(locked_until=utcnow() - timedelta(seconds=1)))
    assert _login(sqlite_svc, "registrar", PASSWORD).status_code == 302
    assert _login(sqlite_svc, "registrar", "wrong again").status_code == 401


def test_an_admin_reset_lifts_the_lock(sqlite_svc: Service) -> None:
    for n in range(5):
        _login(sqlite_svc, "registrar", f"wrong password {n}", f"203.0.113.{n}")
    assert _login(sqlite_svc, "registrar", PASSWORD).status_code == 429
    with store_of(sqlite_svc.app).read() as s:
        uid = s.execute(select(User.id).where(User.username == "registrar")).scalar_one()
    r = sqlite_svc.call("admin", "post", f"/api/users/{uid}/password-reset", json={})
    assert _login(sqlite_svc, "registrar", r.get_json()["oneTimePassword"]).status_code == 302


def test_a_client_address_locks_after_twenty_failures(sqlite_svc: Service) -> None:
    # Spraying one guess at many names: each account stays under its limit, the address not.
    codes = [_login(sqlite_svc, f"name-{n}", "wrong password").status_code for n in range(20)]
    assert codes == [401] * 20
    r = _login(sqlite_svc, "admin", PASSWORD)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert _login(sqlite_svc, "admin", PASSWORD, "192.0.2.99").status_code == 302
    [lockout] = _audited(sqlite_svc, "login.lockout")
    assert lockout.subject == "client:192.0.2.10"
    # One IPv6 client holds a /64: changing the last bits does not buy more guesses.
    assert throttle.client_key("2001:db8:1:2::1") == throttle.client_key("2001:db8:1:2:ffff::9")
    assert throttle.client_key("::ffff:192.0.2.10") == "192.0.2.10"


def test_a_success_does_not_reset_the_address(sqlite_svc: Service) -> None:
    for n in range(19):
        _login(sqlite_svc, f"name-{n}", "wrong password")
    assert _login(sqlite_svc, "admin", PASSWORD).status_code == 302
    assert _login(sqlite_svc, "name-x", "wrong password").status_code == 401
    assert _login(sqlite_svc, "admin", PASSWORD).status_code == 429


_SCRIPT = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from issuer.app import create_app
    from issuer.home import Home
    home, secret, url, address, usernames = sys.argv[1:6]
    app = create_app(Home(Path(home)), secret=secret, database_url=url)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    client.get("/login")
    with client.session_transaction() as s:
        token = s["csrf"]
    codes = []
    for name in json.loads(usernames):
        r = client.post("/login", data={"username": name, "password": "wrong password!",
                                        "csrf_token": token})
        codes.append(r.status_code)
        if r.status_code == 429:
            assert int(r.headers["Retry-After"]) > 0
    print(json.dumps(codes))
""")


def _two_processes(svc: Service, database_url: str, per_process: list[list[str]],
                   addresses: list[str]) -> list[int]:
    procs = [subprocess.Popen([sys.executable, "-c", _SCRIPT, str(svc.home.root), PASSPHRASE,
                               database_url, address, json.dumps(names)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for names, address in zip(per_process, addresses, strict=True)]
    codes: list[int] = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()[-2000:]
        codes += json.loads(out)
    return codes


def test_two_processes_share_the_account_count(svc: Service, database_url: str) -> None:
    codes = _two_processes(svc, database_url, [["assessor"] * 10] * 2,
                           ["192.0.2.1", "192.0.2.2"])
    # Twenty attempts at once from two processes: exactly five passwords were checked.
    assert Counter(codes) == {401: 5, 429: 15}
    fails = [e for e in _audited(svc, "login.fail") if e.subject == "user:assessor"]
    assert len(fails) == 5
    assert [e.subject for e in _audited(svc, "login.lockout")] == ["account:assessor"]
    assert _login(svc, "assessor", PASSWORD).status_code == 429


def test_two_processes_share_the_address_count(svc: Service, database_url: str) -> None:
    names = [[f"p{p}-name-{n}" for n in range(15)] for p in range(2)]
    codes = _two_processes(svc, database_url, names, ["192.0.2.50", "192.0.2.50"])
    assert Counter(codes) == {401: 20, 429: 10}
    with store_of(svc.app).read() as s:
        row = s.execute(select(LoginThrottle).where(LoginThrottle.scope == "client")).scalar_one()
        assert row.key == "192.0.2.50" and row.failures == 20 and row.locked_until is not None
        assert s.execute(select(func.count()).select_from(LoginThrottle)
                         .where(LoginThrottle.scope == "account")).scalar_one() == 20
