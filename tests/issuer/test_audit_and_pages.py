"""The audit chain shows tampering; the pages carry the whole workflow, in Khmer and English."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

import issuer
from issuer.home import Home
from rpl_rubrics import catalogue
from tests.issuer.conftest import PASSPHRASE, PASSWORD, Service, store_of
from tests.issuer.workflow import PNG, register

Cli = Callable[..., tuple[int, str, str]]


def test_audit_verify_detects_edits_and_removals(sqlite_svc: Service, cli: Cli,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    register(sqlite_svc)
    register(sqlite_svc, national_id="020345678", name="Chan Sophea", nameKm="ចាន់ សុភា")
    monkeypatch.setenv("SKILLPASS_HOME", str(sqlite_svc.home.root))
    monkeypatch.setenv("DATABASE_URL", str(store_of(sqlite_svc.app).engine.url))
    code, out, _ = cli("audit", "verify")
    assert code == 0 and "intact" in out
    engine = store_of(sqlite_svc.app).engine
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3"))
    code, out, _ = cli("audit", "verify")
    assert code == 1 and "entry 3: content was altered" in out
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)"))
        conn.execute(text("UPDATE audit_log SET actor = 'test' WHERE seq = 3"))
    code, out, _ = cli("audit", "verify")
    assert code == 1 and "entries were removed from the end" in out


def _browser(svc: Service, role: str) -> tuple[object, Callable[[], str]]:
    client = svc.app.test_client()
    client.get("/login")

    def token() -> str:
        with client.session_transaction() as s:
            return str(s["csrf"])

    r = client.post("/login", data={"username": role, "password": PASSWORD, "csrf_token": token()})
    assert r.status_code == 302
    client.get("/")
    return client, token


def test_pages_walk_the_workflow(sqlite_svc: Service) -> None:
    registrar, rtoken = _browser(sqlite_svc, "registrar")
    page = registrar.get("/candidates/new")  # type: ignore[attr-defined]
    assert "ចុះឈ្មោះបេក្ខជន" in page.get_data(as_text=True)  # Khmer by default
    r = registrar.post("/candidates", data={  # type: ignore[attr-defined]
        "name": "Sok Dara", "nameKm": "សុខ ដារា", "birthDate": "1988-04-12",
        "nationalId": "010234567", "province": "Battambang", "languages": "km th",
        "csrf_token": rtoken()})
    assert r.status_code == 302
    candidate_url = r.headers["Location"]
    bad = registrar.post("/candidates", data={"name": "", "nameKm": "", "birthDate": "x",  # type: ignore[attr-defined]
                                              "nationalId": "1", "csrf_token": rtoken()})
    assert bad.status_code == 400 and "class=\"error\"" in bad.get_data(as_text=True)

    assessor, atoken = _browser(sqlite_svc, "assessor")
    r = assessor.post("/assessments", data={"candidateId": candidate_url.rsplit("/", 1)[1],  # type: ignore[attr-defined]
                                            "rubricId": "forklift-warehouse-c1",
                                            "csrf_token": atoken()})
    assert r.status_code == 302
    assessment_url = r.headers["Location"]
    rubric = catalogue.get("forklift-warehouse-c1")
    form: dict[str, object] = {"csrf_token": atoken(),
                               "evidence": [(io.BytesIO(PNG), "a.png", "image/png"),
                                            (io.BytesIO(PNG + b"2"), "b.png", "image/png")]}
    for c in (c for u in rubric.units for c in u.criteria):
        form[f"result:{c.key}"] = "met"
        form[f"method:{c.key}"] = [m.value for m in c.required] or [sorted(c.accepted)[0].value]
    r = assessor.post(assessment_url, data=form, content_type="multipart/form-data")  # type: ignore[attr-defined]
    assert r.status_code == 302, r.get_data(as_text=True)[-600:]
    page = assessor.get(assessment_url).get_data(as_text=True)  # type: ignore[attr-defined]
    km = json.loads((Path(issuer.__file__).parent / "i18n" / "km.json").read_text("utf-8"))
    assert km["award.statement_of_attainment"] in page or km["award.full_certificate"] in page
    r = assessor.post(assessment_url + "/credential",  # type: ignore[attr-defined]
                      data={"nationalId": "010234567", "csrf_token": atoken()})
    assert r.status_code == 302 and "/credentials/" in r.headers["Location"]
    credential_url = r.headers["Location"]

    card = registrar.get(credential_url + "/card.png")  # type: ignore[attr-defined]
    assert card.status_code == 200 and card.data.startswith(b"\x89PNG")
    booklet = registrar.get(candidate_url + "/booklet.pdf")  # type: ignore[attr-defined]
    assert booklet.status_code == 200 and booklet.data.startswith(b"%PDF")
    assert assessor.get(credential_url + "/card.png").status_code == 403  # type: ignore[attr-defined]

    admin, mtoken = _browser(sqlite_svc, "admin")
    r = admin.post(credential_url + "/status/revoke", data={  # type: ignore[attr-defined]
        "reason": "issued in error", "csrf_token": mtoken()})
    assert r.status_code == 302
    page = admin.get(credential_url).get_data(as_text=True)  # type: ignore[attr-defined]
    assert "issued in error" in page
    assert registrar.get(credential_url + "/card.png").status_code == 409  # type: ignore[attr-defined]

    english = admin.get("/lang/en", headers={"Referer": "http://localhost/"})  # type: ignore[attr-defined]
    assert english.status_code == 302
    assert "Issued today" in admin.get("/").get_data(as_text=True)  # type: ignore[attr-defined]


def test_init_creates_the_first_admin_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           cli: Cli) -> None:
    monkeypatch.setenv("SKILLPASS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SKILLPASS_PASSPHRASE", PASSPHRASE)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    code, out, _ = cli("init", "--demo")
    password = re.search(r"one-time password: (\S+)", out)
    assert code == 0 and password
    code, out, _ = cli("init")
    assert code == 0 and "one-time password" not in out
    from issuer.app import create_app

    app = create_app(Home(tmp_path / "home"), secret=PASSPHRASE, testing=True)
    client = app.test_client()
    client.get("/login")
    with client.session_transaction() as s:
        token = s["csrf"]
    r = client.post("/login", data={"username": "admin", "password": password.group(1),
                                    "csrf_token": token})
    # The password init printed is one-time: the first admin must choose their own first.
    assert r.status_code == 302 and r.headers["Location"].endswith("/account/password")
    assert client.get("/admin/users").headers["Location"].endswith("/account/password")
    store_of(app).close()


def test_pages_ship_their_khmer_font(sqlite_svc: Service) -> None:
    client = sqlite_svc.app.test_client()
    font = client.get("/fonts/khmer.ttf")
    assert font.status_code == 200 and font.mimetype == "font/ttf" and len(font.data) > 100_000
    assert b"/fonts/khmer.ttf" in client.get("/login").data


def test_pages_list_candidates_who_came_with_a_batch(sqlite_svc: Service) -> None:
    # A batch row gives a birth year, never the full date: every page must do with the year.
    from issuer.service import accounts, candidates
    from passport.credential import HolderInput
    from tests.issuer.conftest import store_of

    with store_of(sqlite_svc.app).transaction() as s:
        found = candidates.find_or_create(
            s, sqlite_svc.app.extensions["skillpass.centre"], accounts.command_line_user(s),
            HolderInput("Mao Sreyneang", "ម៉ៅ ស្រីនាង", 1993, "070123456"), source="fair.csv")
        candidate_id = found.id
    admin, _ = _browser(sqlite_svc, "admin")
    for path in ("/?q=Mao", "/?q=3456", f"/candidates/{candidate_id}"):
        page = admin.get(path)  # type: ignore[attr-defined]
        assert page.status_code == 200, path
        assert "1993" in page.get_data(as_text=True)
