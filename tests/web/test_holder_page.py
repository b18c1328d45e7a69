"""The holder's passport page (holder.html) on a 390x844 phone in headless Chromium, offline.

A returnee adds credentials three ways (a QR text, a photo of the card, a passport file), the
page verifies each with the verifier's code and keeps the ones that verify, shows a card's QR
full-screen (read back from the screen by a real decoder), and shares a chosen few as a
passport file or a sequence of QR codes, sending nothing anywhere on its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from passport import schema
from passport.bundle import TrustBundle
from passport.card import CardFace, render
from passport.credential import Credential
from passport.jws import parse
from passport.qr import decode
from passport.scan import qr_text
from passport.trust import RootSet
from passport.verify import verify
from tests.web.chromium import launched
from tests.web.test_phone_verifier import (
    CASES,
    SHOTS,
    _served,
    offline_after_first_visit,
    wait_for,
)
from verifier.i18n import table as _table
from verifier.webapp import export

CASE = {c["name"]: c for c in CASES["cases"]}
AT = CASE["valid"]["at"]
# Three credentials of one returnee: two certificates and a statement of attainment.
MINE = ("valid", "statement-of-attainment", "valid-on-list-3")
PHONE = {"width": 390, "height": 844}
READY = "window.SkillsPassportHolder && window.SkillsPassportHolder.ready"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("holder-site")
    export(folder, json.dumps(CASES["bundle"]).encode(), {"rootKeys": CASES["rootKeys"]})
    with _served(folder) as url:
        yield url


@pytest.fixture()
def phone(site: str) -> Iterator[tuple[Any, Any]]:
    """A fresh phone (nothing stored) that opened the page once online, then lost the network."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    with launched() as browser:
        context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                      has_touch=True, accept_downloads=True)
        page = context.new_page()
        page.goto(site + "holder.html")
        wait_for(page, READY)
        offline_after_first_visit(context, page, READY)
        page.evaluate("at => window.SkillsPassportHolder.setClock(Date.parse(at))", AT)
        yield context, page


def _held(page: Any) -> list[dict[str, Any]]:
    held: list[dict[str, Any]] = page.evaluate("window.SkillsPassportHolder.held()")
    return held


def _card_png(tmp_path: Path, name: str) -> Path:
    qr = CASE[name]["qr"]
    credential = Credential.from_payload(parse(decode(qr)).payload)
    face = CardFace.from_credential(credential, qr, ("Institute", "វិទ្យាស្ថាន"))
    path = tmp_path / f"{name}.png"
    path.write_bytes(render(face).to_png())
    return path


def _passport_file(tmp_path: Path, names: tuple[str, ...]) -> Path:
    doc = {"type": "SkillsPassportBundle", "version": 1,
           "holder": _holder(CASE[names[0]]["qr"]),
           "credentials": [{"id": _credential(CASE[n]["qr"]).id, "jws": decode(CASE[n]["qr"]),
                            "qr": CASE[n]["qr"]} for n in names],
           "created": "2026-11-05T12:00:00Z"}
    path = tmp_path / "passport.json"
    path.write_text(json.dumps(doc))
    return path


def _credential(qr: str) -> Credential:
    return Credential.from_payload(parse(decode(qr)).payload)


def _holder(qr: str) -> dict[str, Any]:
    h = _credential(qr).holder
    return {"name": h.name, "nameKm": h.name_km, "birthYear": h.birth_year,
            "nationalIdLast4": h.national_id_last4}


def _screen_qr(page: Any, tmp_path: Path, name: str) -> str:
    """What a recruiter's scanner reads off the phone's screen: the canvas, as pixels."""
    shot = tmp_path / f"{name}.png"
    page.locator("#qr").screenshot(path=str(shot))
    return qr_text(shot.read_bytes())


def test_the_three_credentials_are_one_returnees() -> None:
    assert len({json.dumps(_holder(CASE[n]["qr"])) for n in MINE}) == 1


def test_import_three_ways_show_select_share(phone: tuple[Any, Any], tmp_path: Path) -> None:
    context, page = phone
    requests: list[tuple[str, str]] = []
    page.on("request", lambda r: requests.append((r.method, r.url)))
    page.evaluate("() => window.SkillsPassportHolder.setLanguage('km')")
    assert page.locator("#empty").is_visible()
    page.screenshot(path=str(SHOTS / "holder-empty-km.png"))

    # 1. The QR text a scan of the card gives.
    assert page.evaluate("qr => window.SkillsPassportHolder.importText(qr)",
                         CASE["valid"]["qr"]) == ["added"]
    # 2. A photo of the statement of attainment's card.
    page.set_input_files("#photo", str(_card_png(tmp_path, "statement-of-attainment")))
    wait_for(page, "window.SkillsPassportHolder.held().length === 2")
    # 3. A passport file: one certificate is new, the other already there.
    page.set_input_files("#file", str(_passport_file(tmp_path, ("valid-on-list-3", "valid"))))
    wait_for(page, "window.SkillsPassportHolder.held().length === 3")
    assert page.locator("#notice p.good").count() == 1
    held = _held(page)
    assert [h["verdict"] for h in held] == ["valid", "valid", "valid"]
    assert page.locator("article.card.valid").count() == 3
    page.screenshot(path=str(SHOTS / "holder-cards-km.png"))

    # Kept on the phone: a reload, still offline, shows the same three.
    page.reload()
    wait_for(page, "window.SkillsPassportHolder && window.SkillsPassportHolder.ready")
    page.evaluate("at => window.SkillsPassportHolder.setClock(Date.parse(at))", AT)
    page.evaluate("() => window.SkillsPassportHolder.verifyWallet()")
    assert [h["id"] for h in _held(page)] == [h["id"] for h in held]

    # One card's QR, full-screen: the scanner reads the credential itself.
    page.locator("article.card").nth(0).locator("button.show").click()
    assert page.locator("#qrview").is_visible()
    assert _screen_qr(page, tmp_path, "shown") == CASE["valid"]["qr"]
    page.screenshot(path=str(SHOTS / "holder-qr-km.png"))
    page.locator("#qr-close").click()
    assert not page.locator("#qrview").is_visible()

    # Choose: not the third. Share as a QR sequence, then as a file.
    page.locator("article.card").nth(2).locator("input.pick").uncheck()
    page.locator("#share-qr").click()
    seen = [_screen_qr(page, tmp_path, "first")]
    page.locator("#qr-next").click()
    seen.append(_screen_qr(page, tmp_path, "second"))
    assert seen == [CASE["valid"]["qr"], CASE["statement-of-attainment"]["qr"]]
    assert "2" in page.locator("#qrcaption").inner_text()
    page.locator("#qr-close").click()
    with page.expect_download() as download:
        page.locator("#share-file").click()
    shared = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    schema.check("passport-bundle", shared, what="passport bundle")
    assert [c["qr"] for c in shared["credentials"]] == seen
    trust = TrustBundle.from_json(json.dumps(CASES["bundle"]).encode(),
                                  roots=RootSet.from_json({"rootKeys": CASES["rootKeys"]}))
    at = datetime.fromisoformat(AT)
    assert all(verify(c["jws"], at=at, trust=trust).valid for c in shared["credentials"])
    assert shared["holder"] == _holder(CASE["valid"]["qr"])

    # Nothing left the phone: every request was the page reading its own files.
    assert all(method == "GET" for method, _ in requests), requests
    assert not any("SP2" in url or "eyJ" in url for _, url in requests)

    # The recruiter's verifier page (offline too) reads what was shared: the file, then the
    # QR codes scanned one after another; one person, both credentials valid.
    desk = context.new_page()
    desk.goto(page.url.replace("holder.html", ""))
    wait_for(desk, "window.SkillsPassport && window.SkillsPassport.ready")
    desk.evaluate("at => window.SkillsPassport.setClock(Date.parse(at))", AT)
    desk.set_input_files("#passport", download.value.path())
    summary = wait_for(desk, "(() => { const s = window.SkillsPassport.summary(); "
                             "return s.people.length ? s : null; })()")
    assert [(p["valid"], p["total"], p["sameHolder"]) for p in summary["people"]] == [(2, 2, True)]
    desk.evaluate("() => window.SkillsPassport.clear()")
    for qr in seen:
        desk.evaluate("qr => window.SkillsPassport.check(qr)", qr)
    summary = desk.evaluate("window.SkillsPassport.summary()")
    assert [(p["valid"], p["total"]) for p in summary["people"]] == [(2, 2)]


@pytest.mark.parametrize(("name", "code"), [
    ("tampered", "bad_signature"), ("revoked", "revoked"), ("unknown-issuer", "unknown_issuer")])
def test_a_credential_that_does_not_verify_is_not_kept(phone: tuple[Any, Any], name: str,
                                                       code: str) -> None:
    _, page = phone
    page.evaluate("() => window.SkillsPassportHolder.setLanguage('en')")
    assert page.evaluate("qr => window.SkillsPassportHolder.importText(qr)",
                         CASE[name]["qr"]) == ["refused"]
    assert _held(page) == []
    assert page.locator(f"#notice p.bad[data-code='{code}']").count() == 1


@pytest.mark.parametrize("content", [
    b"not json", b"{}", b'{"type": "SkillsPassportBundle", "version": 1}', b"[" * 100 + b"]" * 100,
    b"\xff\xfe", b" " * (3 << 20)])
def test_a_bad_passport_file_is_refused_with_a_message(phone: tuple[Any, Any], tmp_path: Path,
                                                       content: bytes) -> None:
    _, page = phone
    page.evaluate("() => window.SkillsPassportHolder.setLanguage('en')")
    path = tmp_path / "passport.json"
    path.write_bytes(content)
    page.set_input_files("#file", str(path))
    wait_for(page, "document.querySelector('#notice p.bad')")
    assert "not a passport" in page.locator("#notice").inner_text()
    assert _held(page) == []


def test_a_file_whose_qr_and_jws_disagree_is_refused(phone: tuple[Any, Any], tmp_path: Path) -> None:
    _, page = phone
    path = _passport_file(tmp_path, ("valid",))
    doc = json.loads(path.read_text())
    doc["credentials"][0]["jws"] = decode(CASE["statement-of-attainment"]["qr"])
    path.write_text(json.dumps(doc))
    page.set_input_files("#file", str(path))
    wait_for(page, "document.querySelector('#notice p.bad')")
    assert _held(page) == []


def test_no_camera_is_said(phone: tuple[Any, Any]) -> None:
    _, page = phone
    page.evaluate("() => window.SkillsPassportHolder.setLanguage('en')")
    page.locator("#add").evaluate("d => { d.open = true; }")
    page.locator("#scan").click()
    wait_for(page, "document.querySelector('#notice p.bad')")
    assert "camera" in page.locator("#notice").inner_text().lower()


def test_a_download_link_offline_says_so(phone: tuple[Any, Any]) -> None:
    _, page = phone
    page.evaluate("() => window.SkillsPassportHolder.setLanguage('en')")
    page.evaluate("() => window.SkillsPassportHolder.download('https://centre.example/verify/holder.html#get=abcdefghijklmnopqrstuv')")
    assert "No connection" in page.locator("#notice").inner_text()
    assert _held(page) == []


def test_language_picker_names_languages(phone: tuple[Any, Any]) -> None:
    _, page = phone
    names = page.locator("#lang option").all_inner_texts()
    assert names == ["ខ្មែរ", "English", "ไทย", "日本語", "한국어", "Bahasa Melayu", "العربية"]


def test_a_selection_of_two_people_is_not_shared_as_one_passport(phone: tuple[Any, Any]) -> None:
    _, page = phone
    page.evaluate("() => window.SkillsPassportHolder.setLanguage('en')")
    for name in ("valid", "training-record"):  # two people's credentials on one family phone
        assert page.evaluate("qr => window.SkillsPassportHolder.importText(qr)",
                             CASE[name]["qr"]) == ["added"]
    assert page.evaluate("() => window.SkillsPassportHolder.shareFile()") is None
    assert "same person" in page.locator("#notice").inner_text()
    # Nor as a sequence of QR codes: what is shown as one passport names one person.
    assert page.evaluate("() => window.SkillsPassportHolder.shareQr()") is False
    assert not page.locator("#qrview").is_visible()
    assert "same person" in page.locator("#notice").inner_text()


def test_a_link_opened_while_the_page_is_open_is_taken_too(phone: tuple[Any, Any]) -> None:
    _, page = phone
    page.evaluate("() => window.SkillsPassportHolder.setLanguage('en')")
    page.evaluate("() => { location.hash = '#get=abcdefghijklmnopqrstuv'; }")
    wait_for(page, "document.querySelector('#notice p.bad')")
    assert "No connection" in page.locator("#notice").inner_text()  # offline: said so
    assert "#" not in page.url  # the token is out of the address
    page.evaluate("() => { location.hash = '#get=<script>'; }")
    wait_for(page, "document.querySelector('#notice').innerText.includes('not a download link')")


def test_what_is_not_a_link_or_has_no_qr_is_named(phone: tuple[Any, Any], tmp_path: Path) -> None:
    _, page = phone
    page.evaluate("() => window.SkillsPassportHolder.setLanguage('en')")
    page.evaluate("() => window.SkillsPassportHolder.download('hello')")
    assert "not a download link" in page.locator("#notice").inner_text()
    blank = tmp_path / "blank.png"
    Image.new("L", (400, 300), 255).save(blank)
    page.set_input_files("#photo", str(blank))
    wait_for(page, "document.querySelector('#notice').innerText.includes('No QR code found')")
    # The notice is said again in the language chosen after it.
    page.evaluate("() => window.SkillsPassportHolder.setLanguage('km')")
    assert page.locator("#notice").inner_text() == _table("km")["ui.no_qr_found"]


def test_dates_read_left_to_right_in_arabic(phone: tuple[Any, Any]) -> None:
    _, page = phone
    page.evaluate("() => window.SkillsPassportHolder.setLanguage('ar')")
    page.evaluate("qr => window.SkillsPassportHolder.importText(qr)", CASE["valid"]["qr"])
    assert page.evaluate("document.documentElement.dir") == "rtl"
    dates = page.locator("article.card bdi[dir='ltr']").all_inner_texts()
    assert dates and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in dates)


def _reopened(page: Any) -> None:
    page.reload()
    wait_for(page, "window.SkillsPassportHolder && window.SkillsPassportHolder.ready")
    page.evaluate("at => window.SkillsPassportHolder.setClock(Date.parse(at))", AT)


def _stored(page: Any) -> dict[str, str]:
    stored: dict[str, str] = page.evaluate("() => Object.fromEntries(Object.entries(localStorage))")
    return stored


def test_a_damaged_store_is_said_and_never_written_over(phone: tuple[Any, Any]) -> None:
    _, page = phone
    page.evaluate("() => window.SkillsPassportHolder.setLanguage('en')")
    page.evaluate("() => localStorage.setItem('passport-credentials', '{not json')")
    _reopened(page)
    assert "damaged" in page.locator("#notice").inner_text()
    assert page.evaluate("qr => window.SkillsPassportHolder.importText(qr)",
                         CASE["valid"]["qr"]) == ["added"]
    stored = _stored(page)
    assert [e["id"] for e in json.loads(stored["passport-credentials"])] == \
        [_credential(CASE["valid"]["qr"]).id]
    aside = [v for k, v in stored.items() if k.startswith("passport-credentials-damaged-")]
    assert aside == ["{not json"]


def test_stored_entries_that_cannot_be_read_are_kept(phone: tuple[Any, Any]) -> None:
    _, page = phone
    page.evaluate("() => window.SkillsPassportHolder.setLanguage('en')")
    odd = [{"id": "urn:skillpass:cred:OLD", "qr": CASE["statement-of-attainment"]["qr"]}, 7]
    page.evaluate("t => localStorage.setItem('passport-credentials', t)", json.dumps(odd))
    _reopened(page)
    assert "damaged" in page.locator("#notice").inner_text() and _held(page) == []
    page.evaluate("qr => window.SkillsPassportHolder.importText(qr)", CASE["valid"]["qr"])
    kept = json.loads(_stored(page)["passport-credentials"])
    assert kept[0]["id"] == _credential(CASE["valid"]["qr"]).id and kept[1:] == odd


def test_a_full_storage_is_said_and_the_credential_stays_shown(phone: tuple[Any, Any]) -> None:
    _, page = phone
    page.evaluate("() => window.SkillsPassportHolder.setLanguage('en')")
    page.evaluate("""() => { let i = 0;
        for (const size of [1 << 20, 1 << 10, 1])
          try { for (;;) localStorage.setItem('fill' + i++, 'x'.repeat(size)); } catch { } }""")
    assert page.evaluate("qr => window.SkillsPassportHolder.importText(qr)",
                         CASE["valid"]["qr"]) == ["added"]
    assert page.locator("#notice [data-code=storage_full]").is_visible()
    assert _held(page) == [{"id": _credential(CASE["valid"]["qr"]).id, "verdict": "valid"}]
    assert "passport-credentials" not in _stored(page)


@pytest.mark.parametrize("fragment", ["#get=<img src=x onerror=alert(1)>", "#get=" + "A" * 300,
                                      "#get=AAAA"])
def test_a_garbled_link_is_said_and_taken_out_of_the_address(phone: tuple[Any, Any], site: str,
                                                             fragment: str) -> None:
    _, page = phone
    page.evaluate("() => localStorage.setItem('lang', 'en')")
    page.goto("about:blank")
    page.goto(site + "holder.html" + fragment)
    wait_for(page, "window.SkillsPassportHolder && window.SkillsPassportHolder.ready")
    assert "#" not in page.url
    assert "not a download link" in page.locator("#notice p.bad").inner_text()


def test_damaged_trust_memory_still_shows_the_cards(phone: tuple[Any, Any]) -> None:
    _, page = phone
    page.evaluate("() => window.SkillsPassportHolder.setLanguage('en')")
    page.evaluate("qr => window.SkillsPassportHolder.importText(qr)", CASE["valid"]["qr"])
    page.evaluate("() => localStorage.setItem('trust-memory', '{damaged')")
    _reopened(page)
    assert page.locator("#refused").is_visible()
    assert page.locator("article.card").count() == 1
    assert "not checked" in page.locator("article.card .verdict").inner_text()
    page.locator("article.card button.show").click()
    assert page.locator("#qrview").is_visible()  # the recruiter can still scan and check it
