"""A job fair's flow on the pages: assessor registration behind the centre's setting, the
birth year only, the worklist, finding a holder by card number, issuing with the last 4
digits after a registration that day, and confirmed status changes. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

from issuer.db import Candidate, IdentityHold, utcnow
from rpl_rubrics import catalogue
from tests.issuer.conftest import PASSWORD, Service, store_of
from tests.issuer.test_field_form import _defaults

RUBRIC = "fnb-service-c1"  # 5 units; FBS-ORD seen on two occasions
WALK_IN = {"name": "Sok Dara", "nameKm": "សុខ ដារា", "birthYear": "1990",
           "nationalId": "010234567"}


class Browser:
    """A signed-in test client that sends the session's CSRF token with every form."""

    def __init__(self, svc: Service, role: str) -> None:
        self.client = svc.app.test_client()
        self.client.get("/login")
        r = self.post("/login", {"username": role, "password": PASSWORD})
        assert r.status_code == 302, role
        self.client.get("/")

    def token(self) -> str:
        with self.client.session_transaction() as s:
            return str(s["csrf"])

    def get(self, path: str) -> Any:
        return self.client.get(path)

    def post(self, path: str, data: dict[str, Any], **kwargs: Any) -> Any:
        return self.client.post(path, data={**data, "csrf_token": self.token()}, **kwargs)


def _allow_assessors(svc: Service, on: bool) -> None:
    admin = Browser(svc, "admin")
    form = {"assessor_registration": "on"} if on else {}
    assert admin.post("/admin/settings", form).status_code == 302
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert ("checked" in page) == on


def _decided(assessor: Browser, candidate_id: str) -> str:
    r = assessor.post("/assessments", {"candidateId": candidate_id, "rubricId": RUBRIC})
    url = str(r.headers["Location"])
    earlier = (datetime.now(UTC).date() - timedelta(days=30)).isoformat()
    r = assessor.post(url, {"allMet": "1", "action": "decide", "date2:FBS-ORD": earlier,
                            **_defaults(RUBRIC)})
    assert r.status_code == 302, r.get_data(as_text=True)[-800:]
    assert 'data-award="full_certificate"' in assessor.get(url).get_data(as_text=True)
    return url


def test_an_assessor_registers_only_when_the_centre_allows_it(svc: Service) -> None:
    assessor = Browser(svc, "assessor")
    assert assessor.get("/candidates/new").status_code == 403
    assert assessor.post("/candidates", WALK_IN).status_code == 403
    assert "/candidates/new" not in assessor.get("/").get_data(as_text=True)
    _allow_assessors(svc, True)
    assert assessor.get("/candidates/new").status_code == 200
    assert "/candidates/new" in assessor.get("/").get_data(as_text=True)
    r = assessor.post("/candidates", WALK_IN)
    assert r.status_code == 302 and "/candidates/" in r.headers["Location"]
    with store_of(svc.app).transaction() as s:
        c = s.query(Candidate).one()
        assert (c.birth_year, c.birth_date) == (1990, None)  # the year only, as asked
    again = assessor.post("/candidates", WALK_IN)  # the same ID card twice: said, not a 500
    assert again.status_code == 409 and "បានចុះឈ្មោះរួចហើយ" in again.get_data(as_text=True)
    _allow_assessors(svc, False)
    assert assessor.get("/candidates/new").status_code == 403
    assert Browser(svc, "registrar").get("/candidates/new").status_code == 200


def test_bad_registration_input_is_named_in_khmer(svc: Service) -> None:
    desk = Browser(svc, "registrar")
    for year in ("1850", "abcd", "3000", ""):
        r = desk.post("/candidates", {**WALK_IN, "birthYear": year})
        page = r.get_data(as_text=True)
        assert r.status_code == 400 and "សូមពិនិត្យ៖ ឆ្នាំកំណើត" in page, (year, page[-800:])
        assert 'value="Sok Dara"' in page  # what was typed stays in the form


def test_issue_with_the_last_4_digits_after_registration_today(svc: Service) -> None:
    _allow_assessors(svc, True)
    assessor = Browser(svc, "assessor")
    candidate_id = assessor.post("/candidates", WALK_IN).headers["Location"].rsplit("/", 1)[1]
    home = assessor.get("/").get_data(as_text=True)
    assert f"/candidates/{candidate_id}" in home  # waiting: registered, no assessment yet
    url = _decided(assessor, candidate_id)
    assert "checkedAtRegistration" in assessor.get(url).get_data(as_text=True)
    assert f"/assessments/{url.rsplit('/', 1)[1]}#issue" in assessor.get("/").get_data(
        as_text=True)  # decided, with the next step linked
    # The last 4 digits without the tick are not the whole number: refused, in Khmer.
    r = assessor.post(url + "/credential", {"nationalId": "4567"})
    assert r.status_code == 400 and "class=\"error\"" in r.get_data(as_text=True)
    wrong = assessor.post(url + "/credential", {"nationalId": "9999", "checkedAtRegistration": "1"})
    assert wrong.status_code == 400
    r = assessor.post(url + "/credential", {"nationalId": "4567", "checkedAtRegistration": "1"})
    assert r.status_code == 302 and "/credentials/" in r.headers["Location"]
    credential_id = r.headers["Location"].rsplit("/", 1)[1]
    home = assessor.get("/").get_data(as_text=True)
    assert credential_id in home  # issued today
    # The card's 12-character number finds its holder, spaced as read aloud or not.
    number = credential_id.rsplit(":", 1)[1]
    for q in (number, number.lower(), f"{number[:4]} {number[4:8]} {number[8:]}"):
        found = assessor.get(f"/?q={q}").get_data(as_text=True)
        assert f"/candidates/{candidate_id}\"" in found, q


def test_the_hold_ends_with_the_day(svc: Service) -> None:
    desk = Browser(svc, "registrar")
    candidate_id = desk.post("/candidates", WALK_IN).headers["Location"].rsplit("/", 1)[1]
    with store_of(svc.app).transaction() as s:
        s.execute(update(IdentityHold).values(expires_at=utcnow() - timedelta(minutes=1)))
    assessor = Browser(svc, "assessor")
    url = _decided(assessor, candidate_id)
    assert "checkedAtRegistration" not in assessor.get(url).get_data(as_text=True)
    r = assessor.post(url + "/credential", {"nationalId": "4567", "checkedAtRegistration": "1"})
    assert r.status_code == 400 and "សូមវាយលេខអត្តសញ្ញាណប័ណ្ណទាំងមូល" in r.get_data(as_text=True)
    with store_of(svc.app).transaction() as s:
        assert s.query(IdentityHold).count() == 0  # the expired number is gone, not kept
    r = assessor.post(url + "/credential", {"nationalId": "010234567"})
    assert r.status_code == 302


def test_status_changes_are_confirmed_and_offered_only_when_they_apply(svc: Service) -> None:
    desk = Browser(svc, "registrar")
    candidate_id = desk.post("/candidates", WALK_IN).headers["Location"].rsplit("/", 1)[1]
    assessor = Browser(svc, "assessor")
    url = _decided(assessor, candidate_id)
    credential_url = assessor.post(url + "/credential", {"nationalId": "010234567"}) \
        .headers["Location"]
    admin = Browser(svc, "admin")

    def offered(who: Browser) -> set[str]:
        page = who.get(credential_url).get_data(as_text=True)
        return {a for a in ("revoke", "suspend", "reinstate") if f"/status/{a}\"" in page}

    assert offered(admin) == {"revoke", "suspend"} and offered(assessor) == {"suspend"}
    assert offered(desk) == set()
    assert desk.get(credential_url + "/status/suspend").status_code == 403
    assert assessor.get(credential_url + "/status/revoke").status_code == 403
    confirm = assessor.get(credential_url + "/status/suspend")
    assert confirm.status_code == 200 and "ផ្អាកលិខិតបញ្ជាក់នេះ?" in confirm.get_data(as_text=True)
    short = assessor.post(credential_url + "/status/suspend", {"reason": "x"})
    assert short.status_code == 400 and "សូមផ្តល់មូលហេតុ" in short.get_data(as_text=True)
    done = assessor.post(credential_url + "/status/suspend", {"reason": "card in doubt"},
                         follow_redirects=True)
    assert "លិខិតបញ្ជាក់ត្រូវបានផ្អាក។" in done.get_data(as_text=True)
    assert offered(admin) == {"revoke", "reinstate"} and offered(assessor) == set()
    # Reinstating is the admin's; asked twice (two tabs), the second says why, in Khmer.
    assert admin.post(credential_url + "/status/reinstate", {"reason": "checked"}).status_code == 302
    twice = admin.post(credential_url + "/status/reinstate", {"reason": "checked"},
                       follow_redirects=True)
    assert "មានតែលិខិតបញ្ជាក់ដែលត្រូវបានផ្អាក" in twice.get_data(as_text=True)
    admin.post(credential_url + "/status/revoke", {"reason": "issued in error"})
    assert offered(admin) == set()
    assert admin.get(credential_url + "/status/suspend").status_code == 302  # back, with why
    assert admin.get(credential_url + "/status/undo").status_code == 404


def test_the_worklist_separates_mine_from_the_centres(svc: Service) -> None:
    desk = Browser(svc, "registrar")
    candidate_id = desk.post("/candidates", WALK_IN).headers["Location"].rsplit("/", 1)[1]
    assessor = Browser(svc, "assessor")
    assert f"/candidates/{candidate_id}\"" not in assessor.get("/").get_data(as_text=True)
    centre = assessor.get("/?scope=centre").get_data(as_text=True)
    assert f"/candidates/{candidate_id}\"" in centre  # the desk registered them, not me
    r = assessor.post("/assessments", {"candidateId": candidate_id, "rubricId": RUBRIC})
    started = r.headers["Location"]
    mine = assessor.get("/").get_data(as_text=True)
    assert f'href="{started.removeprefix("http://localhost")}"' in mine  # in progress
    assert catalogue.get(RUBRIC).title.get("km") in mine
    assert assessor.get("/?scope=nonsense").status_code == 200


def test_the_api_issues_with_the_last_4_digits_too(svc: Service) -> None:
    r = svc.call("registrar", "post", "/api/candidates", json={**WALK_IN, "birthYear": 1990})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["birthYear"] == 1990 and r.get_json()["birthDate"] is None
    missing = svc.call("registrar", "post", "/api/candidates",
                       json={k: v for k, v in WALK_IN.items() if k != "birthYear"})
    assert missing.status_code == 400 and "birthYear" in missing.get_json()["message"]
    assessor = Browser(svc, "assessor")
    url = _decided(assessor, str(r.get_json()["id"]))
    path = url.removeprefix("http://localhost").replace("/assessments/", "/api/assessments/")
    bare = svc.call("assessor", "post", path + "/credential", json={"nationalId": "4567"})
    assert bare.status_code == 400  # 4 digits are not the number without the confirmation
    issued = svc.call("assessor", "post", path + "/credential",
                      json={"nationalId": "4567", "checkedAtRegistration": True})
    assert issued.status_code == 201, issued.get_json()
