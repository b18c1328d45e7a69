"""One-time download links: made on the credential page and printed on the booklet, redeemed
once by the holder's phone page (POST /passport/download), on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pypdfium2
import pytest
import zxingcpp
from flask.testing import FlaskClient
from sqlalchemy import inspect, select, text

from issuer import migrate
from issuer.db import AuditEntry, DownloadLink, User, as_utc, make_engine
from issuer.service import credentials, downloads, status, throttle
from issuer.service.errors import Conflict, Gone
from passport import qr, schema
from passport.bundle import TrustBundle
from passport.credential import Credential
from passport.jws import parse
from passport.printing import A5, BookletEntry, HolderLink, booklet_pages
from passport.verify import verify
from tests.conftest import suite_world
from tests.homes import accredited_home
from tests.issuer.conftest import PASSWORD, Service, make_service, store_of
from tests.issuer.workflow import assess, browser, register
from tests.web.chromium import issuer_served, launched
from tests.web.test_phone_verifier import wait_for

DOWNLOAD = "/passport/download"
Cli = Callable[..., tuple[int, str, str]]
LINK = re.compile(r"https?://[^\s\"<>#]+/verify/holder\.html#get=([A-Za-z0-9_-]+)")
# The address a browser reached the demo at: not the centre's id (which no DNS answers).
SERVED_AT = "http://127.0.0.1:8765"


def _issue(svc: Service, candidate_id: int, rubric_id: str = "crop-harvest-c1",
           national_id: str = "010234567") -> dict[str, Any]:
    a = assess(svc, candidate_id, rubric_id)
    decided = svc.call("assessor", "post", f"/api/assessments/{a['id']}/decision")
    assert decided.status_code == 200, decided.get_json()
    r = svc.call("assessor", "post", f"/api/assessments/{a['id']}/credential",
                 json={"nationalId": national_id})
    assert r.status_code == 201, r.get_json()
    return dict(r.get_json())


def _training(svc: Service, candidate_id: int, national_id: str = "010234567") -> dict[str, Any]:
    body = {"candidateId": candidate_id, "nationalId": national_id,
            "course": {"id": "forklift-safety", "version": 1, "hours": 40, "isco08": "8344",
                       "cqfLevel": "C1", "title": {"en": "Forklift safety",
                                                   "km": "សុវត្ថិភាពរថយន្តលើកទំនិញ"}},
            "start": "2026-10-05", "end": "2026-10-16"}
    r = svc.call("assessor", "post", "/api/trainings", json=body)
    assert r.status_code == 201, r.get_json()
    return dict(r.get_json())


def _trust(svc: Service) -> TrustBundle:
    r = svc.call(None, "get", "/trust-bundle.json")
    assert r.status_code == 200
    return TrustBundle.from_json(r.data, roots=svc.home.root_keys())


def _user(svc: Service, username: str) -> User:
    with store_of(svc.app).read() as s:
        user: User = s.execute(select(User).where(User.username == username)).scalar_one()
    return user


def _link(svc: Service, credential_ids: list[str], now: datetime | None = None
          ) -> downloads.Link:
    """A link made as the credential page makes one, by the registrar."""
    user = _user(svc, "registrar")
    with store_of(svc.app).transaction() as s:
        first = credentials.get(s, credential_ids[0])
        return downloads.create(s, user, first.candidate_id, credential_ids,
                                now or datetime.now(UTC))


def _redeem(client: FlaskClient, token: str) -> Any:
    """The holder page's call: fetch("../passport/download", {method: "POST", headers:
    {"Content-Type": "application/json"}, body: JSON.stringify({token})})."""
    path = urljoin("http://localhost/verify/holder.html", "../passport/download")
    assert path == "http://localhost" + DOWNLOAD
    return client.post(DOWNLOAD, data=json.dumps({"token": token}),
                       headers={"Content-Type": "application/json"})


def _actions(svc: Service) -> list[str]:
    with store_of(svc.app).read() as s:
        return list(s.execute(select(AuditEntry.action).order_by(AuditEntry.seq)).scalars())


def _row(svc: Service, token: str) -> DownloadLink:
    digest = hashlib.sha256(token.encode()).hexdigest()
    with store_of(svc.app).read() as s:
        row: DownloadLink = s.execute(select(DownloadLink).where(
            DownloadLink.token_hash == digest)).scalar_one()
    return row


def test_the_credential_page_makes_a_link_for_the_print_roles(sqlite_svc: Service) -> None:
    svc = sqlite_svc
    candidate = register(svc)
    credential = _issue(svc, candidate["id"])
    page_url = f"/credentials/{credential['id']}"
    form_url = page_url + "/download-link"

    registrar, token = browser(svc, "registrar")
    page = registrar.get(page_url).get_data(as_text=True)
    assert form_url in page and "#get=" not in page
    assert registrar.post(form_url).status_code == 400  # no CSRF token
    assert registrar.post(form_url, data={"csrf_token": "x" * 43}).status_code == 400
    assert _actions(svc).count("download.create") == 0

    name = svc.app.config["SESSION_COOKIE_NAME"]
    signed_in = registrar.get_cookie(name)
    assert signed_in is not None
    registrar.set_cookie(name, signed_in.value, domain="127.0.0.1")
    shown = registrar.post(form_url, data={"csrf_token": token}, base_url=SERVED_AT)
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    html = shown.get_data(as_text=True)
    found = LINK.search(html)
    assert found is not None, html[-1500:]
    link = found.group(0)
    # The server this request reached answers the phone page's POST: the link names it.
    assert link.startswith(SERVED_AT + "/verify/holder.html#get="), link
    assert "<svg" in html.split("download", 1)[1]  # the link's QR, drawn on the page
    assert _page_qr_texts(html) == [link]
    expires = (datetime.now(UTC) + downloads.LIFETIME).date().isoformat()
    assert expires in html

    # Only the token's hash is kept; the link covers this one credential.
    row = _row(svc, found.group(1))
    assert row.credential_ids == [credential["id"]] and row.used_at is None
    assert as_utc(row.expires_at) - as_utc(row.created_at) == downloads.LIFETIME
    with store_of(svc.app).read() as s:
        dumped = json.dumps([list(r) for r in s.execute(text("SELECT * FROM download_links"))],
                            default=str)
    assert found.group(1) not in dumped
    assert _actions(svc).count("download.create") == 1

    assessor, atoken = browser(svc, "assessor")
    assert form_url not in assessor.get(page_url).get_data(as_text=True)
    assert assessor.post(form_url, data={"csrf_token": atoken}).status_code == 403
    anonymous = svc.app.test_client()
    assert anonymous.post(form_url).status_code in (400, 401)  # CSRF or sign-in: never a link
    assert _actions(svc).count("download.create") == 1

    # A suspended credential is not handed out: no form, and a post is refused.
    assert svc.call("admin", "post", f"/api/credentials/{credential['id']}/suspend",
                    json={"reason": "checking a complaint"}).status_code == 200
    assert form_url not in registrar.get(page_url).get_data(as_text=True)
    refused = registrar.post(form_url, data={"csrf_token": token})
    assert refused.status_code == 302 and _actions(svc).count("download.create") == 1


def _page_qr_texts(html: str) -> list[str]:
    """The texts of the download link's QR drawn on the credential page (segno's inline
    SVG: one path of horizontal runs, in modules)."""
    from PIL import Image, ImageDraw

    section = html.split('class="download"', 1)[1]
    svg = section[section.index("<svg"):section.index("</svg>")]
    width = re.search(r'width="(\d+)"', svg)
    scale = re.search(r'scale\((\d+)\)', svg)
    path = re.search(r' d="([^"]+)"', svg)
    assert width is not None and scale is not None and path is not None
    modules, px = int(width.group(1)) // int(scale.group(1)), 8
    image = Image.new("L", (modules * px, modules * px), 255)
    draw = ImageDraw.Draw(image)
    x = y = 0.0
    for op, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path.group(1)):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            draw.rectangle([x * px, (y - 0.5) * px, (x + float(a)) * px - 1,
                            (y + 0.5) * px - 1], fill=0)
            x += float(a)
    return [b.text for b in zxingcpp.read_barcodes(image)]


def test_a_link_opens_once_with_a_bundle_that_verifies(svc: Service) -> None:
    candidate = register(svc)
    credential = _issue(svc, candidate["id"])
    link = _link(svc, [credential["id"]])
    assert link.url("https://centre.example/") == \
        f"https://centre.example/verify/holder.html#get={link.token}"
    assert len(link.token) >= 22  # 128 random bits, base64url

    phone = svc.app.test_client()
    r = _redeem(phone, link.token)
    assert r.status_code == 200, r.get_json()
    assert r.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in r.headers
    bundle = r.get_json()
    schema.check("passport-bundle", bundle, what="passport bundle")
    assert [c["id"] for c in bundle["credentials"]] == [credential["id"]]
    later, trust = datetime.now(UTC) + timedelta(seconds=5), _trust(svc)
    for c in bundle["credentials"]:
        assert verify(c["jws"], at=later, trust=trust).valid
        assert verify(c["qr"], at=later, trust=trust).valid
    assert bundle["holder"]["nationalIdLast4"] == "4567"

    again = _redeem(svc.app.test_client(), link.token)
    assert again.status_code == 410
    assert again.get_json() == {"error": "gone", "message": downloads.GONE}
    unknown = _redeem(phone, "A" * 22)
    assert unknown.status_code == 410 and unknown.get_json() == again.get_json()
    assert _row(svc, link.token).used_at is not None
    assert _actions(svc).count("download.redeem") == 1
    chain = svc.call("admin", "get", "/api/audit").get_json()
    assert chain["intact"]


def test_an_expired_link_is_refused(svc: Service) -> None:
    candidate = register(svc)
    credential = _issue(svc, candidate["id"])
    made = datetime.now(UTC) - timedelta(days=31)
    old = _link(svc, [credential["id"]], now=made)
    r = _redeem(svc.app.test_client(), old.token)
    assert r.status_code == 410 and r.get_json()["message"] == downloads.GONE
    assert _row(svc, old.token).used_at is None

    fresh = _link(svc, [credential["id"]])
    store = store_of(svc.app)
    with pytest.raises(Gone, match="already used or has expired"):
        downloads.fetch(store, fresh.token, "198.51.100.7", fresh.expires_at)
    bundle = downloads.fetch(store, fresh.token, "198.51.100.7",
                             fresh.expires_at - timedelta(seconds=1))
    assert bundle["credentials"][0]["id"] == credential["id"]


def test_revoked_credentials_are_left_out_and_a_link_to_none_is_refused(svc: Service) -> None:
    candidate = register(svc)
    kept = _issue(svc, candidate["id"])
    revoked = _training(svc, candidate["id"])
    user = _user(svc, "registrar")
    with store_of(svc.app).transaction() as s:
        both = downloads.for_candidate(s, user, candidate["id"], datetime.now(UTC))
    only_revoked = _link(svc, [revoked["id"]])
    assert set(both.credential_ids) == {kept["id"], revoked["id"]}
    assert svc.call("admin", "post", f"/api/credentials/{revoked['id']}/revoke",
                    json={"reason": "issued in error"}).status_code == 200

    r = _redeem(svc.app.test_client(), both.token)
    assert r.status_code == 200
    assert [c["id"] for c in r.get_json()["credentials"]] == [kept["id"]]

    refused = _redeem(svc.app.test_client(), only_revoked.token)
    assert refused.status_code == 410
    assert refused.get_json() == {"error": "nothing_valid",
                                   "message": downloads.NOTHING_VALID}
    assert _row(svc, only_revoked.token).used_at is None  # nothing was handed out
    with store_of(svc.app).transaction() as s, pytest.raises(Conflict, match="revoked"):
        downloads.for_credential(s, user, revoked["id"], datetime.now(UTC))


def test_the_holder_page_opened_from_a_link_keeps_the_credentials_once(tmp_path: Path) -> None:
    """The returnee opens the centre's link on a 390x844 phone: the holder page takes the token
    out of the address, downloads once, verifies and keeps the credentials; the same link
    opened again says it was used, and the credentials stay."""
    with issuer_served(tmp_path) as (svc, base), launched() as chromium:
        candidate = register(svc)
        credential = _training(svc, candidate["id"])
        token = _link(svc, [credential["id"]]).token
        context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
        try:
            page = context.new_page()
            console: list[str] = []
            page.on("console", lambda m: console.append(m.text))
            assert page.goto(f"{base}/verify/holder.html#get={token}").status == 200
            wait_for(page, "window.SkillsPassportHolder && window.SkillsPassportHolder.ready")
            held = page.evaluate("window.SkillsPassportHolder.held()")
            assert held == [{"id": credential["id"], "verdict": "valid"}]
            assert "#" not in page.url  # the token is not left in the address or history
            again = context.new_page()
            again.goto(f"{base}/verify/holder.html#get={token}")
            wait_for(again, "window.SkillsPassportHolder && window.SkillsPassportHolder.ready")
            assert again.locator("#notice p.bad").count() == 1
            assert again.evaluate("window.SkillsPassportHolder.held()") == held
            assert not [m for m in console if "Content Security Policy" in m], console
        finally:
            context.close()


def test_the_holder_page_says_when_its_network_is_throttled(tmp_path: Path) -> None:
    """A phone on a network that tried too many links that did not open is told to try
    later, not that it is offline; a genuine link still opens there."""
    with issuer_served(tmp_path) as (svc, base), launched() as chromium:
        candidate = register(svc)
        token = _link(svc, [_training(svc, candidate["id"])["id"]]).token
        guesser = svc.app.test_client()
        guesser.environ_base["REMOTE_ADDR"] = "127.0.0.1"
        for k in range(throttle.DOWNLOAD_FAILURES):
            assert _redeem(guesser, f"{k:022d}").status_code == 410
        context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
        try:
            page = context.new_page()
            page.goto(f"{base}/verify/holder.html")
            wait_for(page, "window.SkillsPassportHolder && window.SkillsPassportHolder.ready")
            page.evaluate("() => window.SkillsPassportHolder.setLanguage('en')")
            page.evaluate("t => window.SkillsPassportHolder.download(t)", f"{99:022d}")
            said = page.locator("#notice p[data-code='try_later']")
            assert "try again later" in said.inner_text() and "15 minutes" in said.inner_text()
            # The holder's own link still opens from that network.
            assert page.evaluate("t => window.SkillsPassportHolder.download(t)", token) == ["added"]
        finally:
            context.close()


@pytest.mark.parametrize(("body", "content_type"), [
    (b"", "application/json"),
    (b"{not json", "application/json"),
    (b'{"token": "abc"}', "text/plain"),
    (b"[]", "application/json"),
    (b"{}", "application/json"),
    (b'{"token": 5}', "application/json"),
    (b'{"token": null}', "application/json"),
    (b'{"token": ""}', "application/json"),
    (b'{"token": "x", "more": 1}', "application/json"),
    (b'{"token": "' + b"x" * 5000 + b'"}', "application/json"),
    (b"[" * 100 + b"]" * 100, "application/json"),
    (b'{"token": "\\ud800"}', "application/json"),
    (b"\xff\xfe", "application/json"),
])
def test_a_malformed_body_is_a_400_naming_the_problem(sqlite_svc: Service, body: bytes,
                                                      content_type: str) -> None:
    r = sqlite_svc.app.test_client().post(DOWNLOAD, data=body, content_type=content_type)
    assert r.status_code == 400, r.get_data(as_text=True)[:300]
    payload = r.get_json()
    assert payload["error"] == "invalid_body" and payload["message"]


def test_odd_tokens_and_methods_are_never_a_500(sqlite_svc: Service) -> None:
    client = sqlite_svc.app.test_client()
    for token in ("x", "é" * 30, "a b c d e f g h i j k", "\x00" * 20, "A" * 200):
        r = client.post(DOWNLOAD, json={"token": token})
        assert r.status_code == 410 and r.get_json()["error"] == "gone", token
    huge = client.post(DOWNLOAD, data=b'{"token": "' + b"A" * (2 << 20) + b'"}',
                       content_type="application/json")
    assert huge.status_code in (400, 413) and huge.get_json()["error"] in ("invalid_body",
                                                                          "too_large")
    assert client.get(DOWNLOAD).status_code == 405


def test_a_signed_in_browser_redeems_without_csrf_or_its_session(sqlite_svc: Service) -> None:
    """The token is the authority: a phone that also holds a staff session needs no CSRF
    token, and a bad bearer header changes nothing."""
    svc = sqlite_svc
    candidate = register(svc)
    credential = _issue(svc, candidate["id"])
    staff, _ = browser(svc, "assessor")
    r = _redeem(staff, _link(svc, [credential["id"]]).token)
    assert r.status_code == 200 and "Set-Cookie" not in r.headers
    bearer = svc.app.test_client()
    bearer.environ_base["HTTP_AUTHORIZATION"] = "Bearer not-a-token"
    assert _redeem(bearer, _link(svc, [credential["id"]]).token).status_code == 200


def test_failed_links_are_throttled_per_address(sqlite_svc: Service) -> None:
    svc = sqlite_svc
    candidate = register(svc)
    credential = _issue(svc, candidate["id"])
    guesser = svc.app.test_client()
    guesser.environ_base["REMOTE_ADDR"] = "203.0.113.5"
    for k in range(throttle.DOWNLOAD_FAILURES):
        assert _redeem(guesser, f"{k:022d}").status_code == 410
    locked = _redeem(guesser, f"{99:022d}")
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert "download links" in locked.get_json()["message"]
    assert _actions(svc).count("download.lockout") == 1
    # A holder behind the same address (a centre's Wi-Fi) still opens a genuine link: the
    # count slows guessing; it never shuts out a token that opens.
    good = _link(svc, [credential["id"]])
    assert _redeem(guesser, good.token).status_code == 200
    assert _redeem(guesser, good.token).status_code == 429  # used now: a refusal, counted
    # Another address is not locked, and the same address still signs in (its own count).
    other = svc.app.test_client()
    other.environ_base["REMOTE_ADDR"] = "203.0.113.6"
    assert _redeem(other, good.token).status_code == 410
    staff = svc.app.test_client()
    staff.environ_base["REMOTE_ADDR"] = "203.0.113.5"
    staff.get("/login")
    with staff.session_transaction() as s:
        csrf = str(s["csrf"])
    signed_in = staff.post("/login", data={"username": "registrar",
                                           "password": "correct horse battery",
                                           "csrf_token": csrf})
    assert signed_in.status_code == 302


def test_two_phones_at_once_get_exactly_one_bundle(svc: Service) -> None:
    candidate = register(svc)
    credential = _issue(svc, candidate["id"])
    for _ in range(3):
        token = _link(svc, [credential["id"]]).token
        barrier = threading.Barrier(2)
        codes: list[int] = []
        errors: list[BaseException] = []

        def phone(address: str, token: str = token, barrier: threading.Barrier = barrier,
                  codes: list[int] = codes, errors: list[BaseException] = errors) -> None:
            try:
                client = svc.app.test_client()
                client.environ_base["REMOTE_ADDR"] = address
                barrier.wait(timeout=30)
                codes.append(_redeem(client, token).status_code)
            except BaseException as exc:  # re-raised below, in the test's thread
                errors.append(exc)

        threads = [threading.Thread(target=phone, args=(f"192.0.2.{n}",)) for n in (1, 2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not errors, errors
        assert sorted(codes) == [200, 410]
    assert _actions(svc).count("download.redeem") == 3


def test_a_revocation_under_way_is_waited_for_and_its_credential_never_handed_out(
        svc: Service) -> None:
    """A phone redeems while the credential's revocation is made but not yet committed: the
    answer waits for it and leaves the credential out; the audit log never shows a
    credential handed out after its revocation."""
    candidate = register(svc)
    credential = _issue(svc, candidate["id"])
    link = _link(svc, [credential["id"]])
    started, answers = threading.Event(), list[Any]()

    def phone() -> None:
        started.set()
        answers.append(_redeem(svc.app.test_client(), link.token))

    centre, admin = svc.app.extensions["skillpass.centre"], _user(svc, "admin")
    thread = threading.Thread(target=phone)
    with store_of(svc.app).transaction() as s:
        status.change(s, centre, admin, credential["id"], "revoke", "issued in error")
        thread.start()
        assert started.wait(10)
        time.sleep(1.0)  # the phone's request reaches the database meanwhile
    thread.join(60)
    assert len(answers) == 1
    assert answers[0].status_code == 410, answers[0].get_json()
    assert answers[0].get_json()["message"] == downloads.NOTHING_VALID
    assert _row(svc, link.token).used_at is None


def test_the_booklet_carries_a_link_only_when_printed_with_one(sqlite_svc: Service) -> None:
    """GET gives the booklet without a link and writes nothing (reloads and previews make
    no links); the candidate page's form (POST, CSRF, print roles) prints one with a fresh
    link to its credentials, naming the address the browser reached."""
    svc = sqlite_svc
    candidate = register(svc)
    first = _issue(svc, candidate["id"])
    second = _training(svc, candidate["id"])
    url = f"/candidates/{candidate['id']}/booklet.pdf"
    registrar, token = browser(svc, "registrar")
    for _ in range(3):
        plain = registrar.get(url)
        assert plain.status_code == 200 and plain.data.startswith(b"%PDF")
        assert _cover_links(plain.data) == []
    assert _actions(svc).count("download.create") == 0

    page = registrar.get(f"/candidates/{candidate['id']}").get_data(as_text=True)
    assert f'method="post" action="{url}"' in page
    assert registrar.post(url).status_code == 400  # no CSRF token
    assert _actions(svc).count("download.create") == 0
    r = registrar.post(url, data={"csrf_token": token})
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    assert r.headers["Cache-Control"] == "no-store"
    links = _cover_links(r.data)
    assert len(links) == 1
    assert links[0].group(0).startswith("http://localhost/verify/holder.html#get=")
    row = _row(svc, links[0].group(1))
    assert sorted(row.credential_ids) == sorted([first["id"], second["id"]])
    got = _redeem(svc.app.test_client(), links[0].group(1))
    assert got.status_code == 200
    assert sorted(c["id"] for c in got.get_json()["credentials"]) == sorted(row.credential_ids)
    again = registrar.post(url, data={"csrf_token": token})
    assert again.status_code == 200 and _actions(svc).count("download.create") == 2

    assessor, atoken = browser(svc, "assessor")
    assert f'action="{url}"' not in assessor.get(f"/candidates/{candidate['id']}").get_data(
        as_text=True)
    assert assessor.post(url, data={"csrf_token": atoken}).status_code == 403
    assert _actions(svc).count("download.create") == 2


def _cover_links(data: bytes) -> list[re.Match[str]]:
    document = pypdfium2.PdfDocument(data)
    try:
        cover = document[0].render(scale=300 / 72, grayscale=True).to_pil()
    finally:
        document.close()
    texts = [b.text for b in zxingcpp.read_barcodes(cover)]
    return [m for m in (LINK.fullmatch(t) for t in texts) if m is not None]


def test_the_command_line_booklet_carries_a_link_too(sqlite_svc: Service, cli: Cli,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    svc = sqlite_svc
    candidate = register(svc)
    credential = _issue(svc, candidate["id"])
    monkeypatch.setenv("SKILLPASS_HOME", str(svc.home.root))
    monkeypatch.setenv("DATABASE_URL", str(store_of(svc.app).engine.url))
    code, out, err = cli("booklet", credential["id"], "--out", str(tmp_path / "p.pdf"))
    assert code == 0, err
    assert "one-time download link" in out and "#get=" not in out
    links = _cover_links((tmp_path / "p.pdf").read_bytes())
    assert len(links) == 1
    assert _row(svc, links[0].group(1)).credential_ids == [credential["id"]]
    with store_of(svc.app).read() as s:
        maker = s.execute(select(User.username).join(
            DownloadLink, DownloadLink.created_by == User.id)).scalar_one()
    assert maker == "@cli"
    assert _redeem(svc.app.test_client(), links[0].group(1)).status_code == 200
    code, out, err = cli("booklet", credential["id"], "--no-link", "--out",
                         str(tmp_path / "q.pdf"))
    assert code == 0 and not _cover_links((tmp_path / "q.pdf").read_bytes()), err


def test_a_booklet_with_a_long_list_keeps_the_link_on_a_page_of_its_own() -> None:
    world = suite_world()
    compact = world.issue(credential_id="urn:skillpass:cred:LINK00000001")
    entry = BookletEntry(Credential.from_payload(parse(compact).payload), qr.encode(compact),
                         ("Centre", "មជ្ឈមណ្ឌល"), {})
    url = "https://centre.example/verify/holder.html#get=" + "A" * 22
    link = HolderLink(url, date(2026, 12, 22))
    for count, pages in ((1, 2), (14, 16)):
        printed = booklet_pages([entry] * count, printed=date(2026, 11, 22), link=link)
        assert len(printed) == pages
        holder = printed[0] if count == 1 else printed[1]
        found = [b.text for b in zxingcpp.read_barcodes(holder.to_image())]
        assert found == [url] and holder.width == A5[0]


def test_the_candidate_page_offers_the_passport_file(sqlite_svc: Service) -> None:
    svc = sqlite_svc
    candidate = register(svc)
    credential = _issue(svc, candidate["id"])
    url = f"/candidates/{candidate['id']}/passport.json"
    for role in ("registrar", "assessor", "admin"):
        client, _ = browser(svc, role)
        assert url in client.get(f"/candidates/{candidate['id']}").get_data(as_text=True)
        r = client.get(url)
        assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
        doc = json.loads(r.data)
        assert [c["id"] for c in doc["credentials"]] == [credential["id"]]
        assert doc == {**svc.call(role, "get", f"/api/candidates/{candidate['id']}/passport")
                       .get_json(), "created": doc["created"]}
    assert svc.app.test_client().get(url).status_code == 401
    nobody = register(svc, national_id="020345678", name="Chan Sophea", nameKm="ចាន់ សុភា")
    client, _ = browser(svc, "registrar")
    assert client.get(f"/candidates/{nobody['id']}/passport.json").status_code == 404


def test_the_upgrade_from_0007_adds_the_links_table(database_url: str) -> None:
    from alembic import command

    engine = make_engine(database_url)
    config = migrate._config()
    try:
        with engine.connect() as connection, connection.begin():
            config.attributes["connection"] = connection
            command.upgrade(config, "0007")
            assert not inspect(connection).has_table("download_links")
        migrate.upgrade(engine)
        with engine.connect() as connection:
            found = inspect(connection)
            columns = {c["name"] for c in found.get_columns("download_links")}
            assert columns == {"id", "token_hash", "candidate_id", "credential_ids", "created_by",
                               "created_at", "expires_at", "used_at"}
            unique = [u["column_names"] for u in found.get_unique_constraints("download_links")]
            indexed = [i["column_names"] for i in found.get_indexes("download_links")
                       if i.get("unique")]
            assert ["token_hash"] in unique + indexed
        with engine.connect() as connection, connection.begin():
            config.attributes["connection"] = connection
            command.downgrade(config, "0007")
            assert not inspect(connection).has_table("download_links")
    finally:
        engine.dispose()


def test_prints_that_cannot_succeed_are_not_offered_and_say_why(sqlite_svc: Service) -> None:
    """A candidate whose credentials are revoked or suspended is offered no card, booklet,
    sheet (nor, once all are revoked, passport file); asked anyway, the refusal says what the
    command line says, in the reader's language."""
    svc = sqlite_svc
    candidate = register(svc)
    revoked = _issue(svc, candidate["id"])
    suspended = _training(svc, candidate["id"])
    assert svc.call("admin", "post", f"/api/credentials/{revoked['id']}/revoke",
                    json={"reason": "issued to the wrong person"}).status_code == 200
    assert svc.call("admin", "post", f"/api/credentials/{suspended['id']}/suspend",
                    json={"reason": "checking a complaint"}).status_code == 200
    base = f"/candidates/{candidate['id']}"
    registrar, token = browser(svc, "registrar")
    page = registrar.get(base).get_data(as_text=True)
    for offered in ("/card.png", "/booklet.pdf", "/sheet.pdf"):
        assert offered not in page, offered
    assert base + "/passport.json" in page  # a suspended credential is still in the file
    shown = registrar.get(f"/credentials/{revoked['id']}").get_data(as_text=True)
    assert "card.png" not in shown

    registrar.get("/login?lang=km")
    card = registrar.get(f"/credentials/{revoked['id']}/card.png")
    assert card.status_code == 409
    text = card.get_data(as_text=True)
    assert "មិនបោះពុម្ព៖ លិខិតបញ្ជាក់នេះត្រូវបានដកហូត (issued to the wrong person)" in text
    assert "not printed" not in text
    for path in ("/booklet.pdf", "/sheet.pdf"):
        refused = registrar.get(base + path)
        assert refused.status_code == 409
        assert "លិខិតបញ្ជាក់ទាំងអស់របស់បេក្ខជននេះត្រូវបានដកហូត ឬផ្អាក" in refused.get_data(
            as_text=True)
    posted = registrar.post(base + "/booklet.pdf", data={"csrf_token": token})
    assert posted.status_code == 409 and _actions(svc).count("download.create") == 0

    registrar.get("/login?lang=en")
    card = registrar.get(f"/credentials/{suspended['id']}/card.png")
    text = card.get_data(as_text=True)
    assert card.status_code == 409
    assert text.count("not printed: the credential is suspended (checking a complaint)") == 1
    assert "not printed: every credential of this candidate is revoked or suspended" in \
        registrar.get(base + "/sheet.pdf").get_data(as_text=True)

    assert svc.call("admin", "post", f"/api/credentials/{suspended['id']}/revoke",
                    json={"reason": "the course was not held"}).status_code == 200
    assert base + "/passport.json" not in registrar.get(base).get_data(as_text=True)
    refused = registrar.get(base + "/passport.json")
    assert refused.status_code == 409
    assert "no passport file: every credential of this candidate is revoked" in \
        refused.get_data(as_text=True)
    registrar.get("/login?lang=km")
    assert "គ្មានឯកសារលិខិតឆ្លងដែន" in registrar.get(base + "/passport.json").get_data(
        as_text=True)


def test_behind_a_proxy_the_link_names_the_public_address(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """With SKILLPASS_PROXIES set, the address the proxy reports (X-Forwarded-Proto/-Host)
    is the one the browser reached: the link names it, not the proxy's upstream."""
    monkeypatch.setenv("SKILLPASS_PROXIES", "1")
    svc = make_service(accredited_home(tmp_path / "home", "test passphrase"),
                       f"sqlite:///{tmp_path / 'issuer.db'}")
    try:
        credential = _training(svc, register(svc)["id"])
        registrar, token = browser(svc, "registrar")
        shown = registrar.post(f"/credentials/{credential['id']}/download-link",
                               data={"csrf_token": token},
                               headers={"X-Forwarded-Proto": "https",
                                        "X-Forwarded-Host": "centre.example.kh",
                                        "X-Forwarded-For": "198.51.100.4"})
        assert shown.status_code == 200
        found = LINK.search(shown.get_data(as_text=True))
        assert found is not None
        assert found.group(0).startswith("https://centre.example.kh/verify/holder.html#get=")
    finally:
        store_of(svc.app).close()


def test_the_link_on_a_tablet_wraps_and_names_the_address_served(tmp_path: Path) -> None:
    """A registrar on an 800 px tablet makes a link: the page does not scroll sideways (the
    long address wraps), and the link names the address the tablet reached the service at."""
    with issuer_served(tmp_path) as (svc, served), launched() as chromium:
        # A name as long as a centre's public one, with no hyphen a line could break at;
        # the browser resolves *.localhost to this machine.
        base = served.replace("127.0.0.1", "nttidemocentre.skillpass.localhost")
        candidate = register(svc)
        credential = _training(svc, candidate["id"])
        context = chromium.new_context(viewport={"width": 800, "height": 1280})
        try:
            page = context.new_page()
            page.goto(f"{base}/login")
            page.fill("input[name=username]", "registrar")
            page.fill("input[name=password]", PASSWORD)
            page.click("form button")
            page.wait_for_url(f"{base}/")
            page.goto(f"{base}/credentials/{credential['id']}")
            page.click("form[action$='/download-link'] button")
            page.wait_for_selector("section.download code")
            link = page.inner_text("section.download code")
            assert link.startswith(f"{base}/verify/holder.html#get="), link
            width = page.evaluate("[document.documentElement.scrollWidth, "
                                  "document.documentElement.clientWidth]")
            assert width[0] <= width[1], width
        finally:
            context.close()
