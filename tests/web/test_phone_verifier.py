"""The phone verifier page in headless Chromium (Debian's package), offline, in 3 languages.

It must give the same verdict and reason codes as the Python verifier on the shared cases (and
refuse the bundles Python refuses, for the same reason), read a card photo from an upload, show
a verdict within 300 ms of the QR being decoded, and show how old each centre's data is.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from passport.bundle import CentreFreshness, bundle_document
from passport.card import CardFace, render
from passport.credential import Credential, StatusPurpose
from passport.jws import parse
from passport.qr import decode
from passport.trust import issuer_entry, key_entry, sign_trust_list, trust_list_document
from tests.conftest import CHECK_AT
from tests.web.chromium import launched
from tests.world import World, rotated_root_bundles
from verifier.webapp import export

REPO = Path(__file__).resolve().parents[2]
CASES = json.loads((REPO / "tests" / "vectors" / "verifier" / "cases.json").read_text())
SHARED = {"root": {"rootKeys": CASES["rootKeys"]}, "bundle": CASES["bundle"]}
JUDGED = [c for c in CASES["cases"] if "refused" not in c]
REFUSED = [c for c in CASES["cases"] if "refused" in c]
SHOTS = REPO / "test-output" / "web"


def wait_for(page: Any, expression: str, seconds: float = 30) -> Any:
    """Evaluate `expression` in the page until it is truthy; its value.

    What page.wait_for_function does, except that wait_for_function evaluates its predicate
    with eval() from the page's own timers, which the page's Content-Security-Policy refuses;
    page.evaluate goes through the debugger protocol, which the policy does not govern."""
    from playwright.sync_api import Error

    deadline, last = time.monotonic() + seconds, ""
    while time.monotonic() < deadline:
        try:
            value = page.evaluate(expression)
        except Error as exc:  # a navigation under way: the context is being replaced
            last = str(exc).splitlines()[0]
        else:
            if value:
                return value
        time.sleep(0.05)
    raise TimeoutError(f"{expression!r} is still falsy after {seconds} s {last}".strip())


# Every asset the service worker caches at install is in its cache (more than ten files).
SW_CACHED = """async () => {
    await navigator.serviceWorker.ready;
    const keys = await caches.keys();
    return keys.length > 0 && (await (await caches.open(keys[0])).keys()).length > 10;
}"""


def offline_after_first_visit(context: Any, page: Any, ready: str) -> None:
    """The page as a phone has it after one visit: cached by its service worker, then the
    network cut and the page opened again (`ready`: the expression that says it is up)."""
    wait_for(page, SW_CACHED)
    context.set_offline(True)
    page.reload()
    wait_for(page, ready)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def _served(folder: Path) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("verifier-site")
    export(folder, json.dumps(CASES["bundle"]).encode(), {"rootKeys": CASES["rootKeys"]})
    with _served(folder) as url:
        yield url


@pytest.fixture(scope="module")
def page(site: str) -> Iterator[Any]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with launched() as browser:
        context = browser.new_context(viewport={"width": 412, "height": 915}, device_scale_factor=1)
        page = context.new_page()
        page.goto(site)
        wait_for(page, "window.SkillsPassport && window.SkillsPassport.ready")
        offline_after_first_visit(context, page, "window.SkillsPassport && window.SkillsPassport.ready")
        yield page


def _use(page: Any, trust: dict[str, Any]) -> str | None:
    """Load a trust world (pinned root and bundle) into the page: None, or why it is refused."""
    refused: str | None = page.evaluate(
        "([bundle, root]) => window.SkillsPassport.useTrust(bundle, root)",
        [trust["bundle"], trust["root"]])
    return refused


def _trust_of(case: dict[str, Any]) -> dict[str, Any]:
    return CASES["trusts"][case["trust"]] if "trust" in case else SHARED


def _codes(page: Any, qr: str, at: str) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(
        """async ([qr, at]) => {
            const r = await window.SkillsPassport.check(qr, Date.parse(at));
            return {verdict: r.verdict,
                    checks: Object.fromEntries(r.checks.map(c => [c.check, [c.status, c.code]]))};
        }""", [qr, at])
    return result


@pytest.mark.parametrize("case", JUDGED, ids=[c["name"] for c in JUDGED])
def test_same_answers_as_python_while_offline(page: Any, case: dict[str, Any]) -> None:
    assert _use(page, _trust_of(case)) is None
    result = _codes(page, case["qr"], case["at"])
    assert result["verdict"] == case["verdict"]
    assert result["checks"] == case["checks"]


@pytest.mark.parametrize("case", REFUSED, ids=[c["name"] for c in REFUSED])
def test_refuses_the_bundles_python_refuses(page: Any, case: dict[str, Any]) -> None:
    assert _use(page, SHARED) is None
    assert _use(page, _trust_of(case)) == case["refused"]
    # The trust held before stays: the shared world's valid card is still valid.
    valid = next(c for c in JUDGED if c["name"] == "valid")
    assert _codes(page, valid["qr"], valid["at"])["verdict"] == "valid"


def _card_png(tmp_path: Path, name: str) -> Path:
    case = next(c for c in CASES["cases"] if c["name"] == name)
    credential = Credential.from_payload(parse(decode(case["qr"])).payload)
    face = CardFace.from_credential(credential, case["qr"], ("Institute", "វិទ្យាស្ថាន"))
    path = tmp_path / f"{name}.png"
    path.write_bytes(render(face).to_png())
    return path


@pytest.mark.parametrize(("name", "verdict", "code"), [
    ("valid", "valid", None), ("revoked", "invalid", "revoked"), ("tampered", "invalid", "bad_signature")])
def test_card_photo_upload(page: Any, tmp_path: Path, name: str, verdict: str,
                           code: str | None) -> None:
    at = next(c for c in CASES["cases"] if c["name"] == name)["at"]
    assert _use(page, SHARED) is None
    page.evaluate("at => window.SkillsPassport.setClock(Date.parse(at))", at)
    page.evaluate("() => window.SkillsPassport.setLanguage('en')")
    page.evaluate("() => { document.getElementById('result').className = ''; }")
    page.set_input_files("#photo", str(_card_png(tmp_path, name)))
    wait_for(page, f"document.getElementById('result').className === '{verdict}'")
    if code:
        assert page.locator(f"li.fail[data-code='{code}']").count() == 1
    page.screenshot(path=str(SHOTS / f"upload-{name}.png"), full_page=True)
    # From the decoded QR text to the verdict on screen.
    assert page.evaluate("window.SkillsPassport.lastVerifyMs") < 300


@pytest.mark.parametrize(("lang", "verdict_text", "direction"), [
    ("ja", "有効", "ltr"), ("ar", "صالحة", "rtl"), ("km", "មានសុពលភាព", "ltr")])
def test_languages_and_direction(page: Any, lang: str, verdict_text: str, direction: str) -> None:
    case = CASES["cases"][0]
    assert _use(page, SHARED) is None
    page.evaluate("at => window.SkillsPassport.setClock(Date.parse(at))", case["at"])
    page.evaluate(f"() => window.SkillsPassport.setLanguage('{lang}')")
    page.evaluate("qr => window.SkillsPassport.check(qr)", case["qr"])
    # The verdict, then the date of the status data it rests on.
    assert page.locator("#verdict").inner_text().split(" · ")[0] == verdict_text
    assert page.evaluate("document.documentElement.dir") == direction
    if lang == "ja":
        assert "特定技能" in page.locator("#result").inner_text()  # SSW note for recruiters
        # Said of RPL certificates that verify, never of a revoked one.
        revoked = next(c for c in CASES["cases"] if c["name"] == "revoked")
        page.evaluate("at => window.SkillsPassport.setClock(Date.parse(at))", revoked["at"])
        page.evaluate("qr => window.SkillsPassport.check(qr)", revoked["qr"])
        wait_for(page, "document.getElementById('result').className === 'invalid'")
        assert "特定技能" not in page.locator("#result").inner_text()
        page.evaluate("at => window.SkillsPassport.setClock(Date.parse(at))", case["at"])
        page.evaluate("qr => window.SkillsPassport.check(qr)", case["qr"])
    # Buttons too use the page's fonts: the Khmer one travels with the page.
    assert "Skills Khmer" in page.evaluate("getComputedStyle(document.getElementById('sync')).fontFamily")
    page.screenshot(path=str(SHOTS / f"result-{lang}.png"), full_page=True)


def test_bundle_age_is_shown(page: Any) -> None:
    assert _use(page, SHARED) is None
    page.evaluate("() => window.SkillsPassport.setLanguage('en')")
    synced = datetime.fromisoformat(CASES["bundle"]["syncedAt"].replace("Z", "+00:00"))
    page.evaluate("ms => window.SkillsPassport.setClock(ms)",
                  (synced + timedelta(days=3, hours=2)).timestamp() * 1000)
    assert page.locator("#age").inner_text() == "Trust data synced: 3 days ago"


# -- how old each centre's data is -------------------------------------------------------------
ISSUED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SEEN_AT = ISSUED + timedelta(days=3)
CENTRES = {  # id: (English name, Khmer name, its status lists from; None: the bundle has none)
    "https://ntti.edu.kh": ("National Technical Training Institute",
                            "វិទ្យាស្ថានជាតិបណ្តុះបណ្តាលបច្ចេកទេស", ISSUED),
    "https://btb-ptc.edu.kh": ("Battambang Provincial Training Centre",
                               "មជ្ឈមណ្ឌលបណ្តុះបណ្តាលខេត្តបាត់ដំបង", ISSUED - timedelta(days=20)),
    "https://srp-ptc.edu.kh": ("Siem Reap Provincial Training Centre",
                               "មជ្ឈមណ្ឌលបណ្តុះបណ្តាលខេត្តសៀមរាប", None),
}


def _national_bundle() -> dict[str, Any]:
    """A national bundle of three centres: one current (the authority says as of when),
    one whose lists have expired (their age comes from the lists), one with no lists."""
    worlds = [World(key_prefix=f"skills-passport web centre {n}", issuer_id=cid, issuer_name=en,
                    issuer_name_km=km, status_from=start or ISSUED)
              for n, (cid, (en, km, start)) in enumerate(CENTRES.items())]
    root = worlds[0].root
    doc = trust_list_document(
        version=1, issued=ISSUED - timedelta(days=60), expires=ISSUED + timedelta(days=365),
        root_keys=[root.public],
        issuers=[issuer_entry(issuer_id=w.issuer_id, name=w.issuer_name, name_km=w.issuer_name_km,
                              keys=[key_entry(w.issuer_key.public, *w.key_window)],
                              accreditations=w.accreditations) for w in worlds])
    lists = [s for w, (_, _, start) in zip(worlds, CENTRES.values(), strict=True) if start
             for s in w.status_lists()]
    centres = {"https://ntti.edu.kh": CentreFreshness(ISSUED),
               "https://srp-ptc.edu.kh": CentreFreshness(None, "no status list received")}
    return {"root": {"rootKeys": [root.public.jwk()]},
            "bundle": bundle_document(sign_trust_list(doc, [root]), lists, SEEN_AT,
                                      centres=centres)}


def _centre_rows(page: Any) -> list[tuple[str, str, str]]:
    rows: list[list[str]] = page.eval_on_selector_all(
        "#centres li", "lis => lis.map(li => [li.dataset.centre, li.className, li.innerText])")
    return [(centre, state, text) for centre, state, text in rows]


def test_each_centres_data_age_is_shown_on_a_phone(page: Any) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.evaluate("ms => window.SkillsPassport.setClock(ms)", SEEN_AT.timestamp() * 1000)
    page.evaluate("() => window.SkillsPassport.setLanguage('en')")
    try:
        assert _use(page, _national_bundle()) is None
        # The missing and the stale first, marked; then the current.
        assert _centre_rows(page) == [
            ("https://srp-ptc.edu.kh", "missing",
             "✕ Siem Reap Provincial Training Centre · no status data"),
            ("https://btb-ptc.edu.kh", "stale",
             "⚠ Battambang Provincial Training Centre · 23 days ago · out of date"),
            ("https://ntti.edu.kh", "current",
             "✓ National Technical Training Institute · 3 days ago")]
        assert page.locator("#centres summary").inner_text() == "Status data by centre: 3 · ⚠ 2"
        assert page.evaluate("document.getElementById('centres').open")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(SHOTS / "centres-en-390.png"), full_page=True)
        page.evaluate("() => window.SkillsPassport.setLanguage('km')")
        names = [text for _, _, text in _centre_rows(page)]
        for (_, km, _), text in zip([CENTRES[c] for c, _, _ in _centre_rows(page)], names,
                                    strict=True):
            assert km in text
        assert "ផុតកំណត់" in names[1]
        page.screenshot(path=str(SHOTS / "centres-km-390.png"), full_page=True)
    finally:
        page.set_viewport_size({"width": 412, "height": 915})
        assert _use(page, SHARED) is None


def test_status_unknown_says_as_of_when(page: Any) -> None:
    case = next(c for c in JUDGED if c["name"] == "status-unknown-as-of")
    assert _use(page, _trust_of(case)) is None
    page.evaluate("() => window.SkillsPassport.setLanguage('en')")
    page.evaluate("([qr, at]) => window.SkillsPassport.check(qr, Date.parse(at))",
                  [case["qr"], case["at"]])
    as_of = CASES["trusts"][case["trust"]]["bundle"]["centres"][0]["statusAsOf"][:10]
    assert page.locator("li.warn[data-code='status_unknown']").inner_text().endswith(
        f"(as of {as_of})")


@pytest.mark.parametrize(("threshold", "loads"), [(2, True), (3, False)])
def test_the_page_pins_the_threshold_its_config_names(page: Any, tmp_path: Path, threshold: int,
                                                       loads: bool) -> None:
    """Two officials signed a list saying two must sign: a page pinned at 3 of 3 refuses it."""
    trust = CASES["trusts"]["threshold-lowered"]
    export(tmp_path, json.dumps(trust["bundle"]).encode(), {**trust["root"], "threshold": threshold})
    assert json.loads((tmp_path / "verifier-config.json").read_text())["threshold"] == threshold
    context = page.context.browser.new_context()
    try:
        with _served(tmp_path) as url:
            fresh = context.new_page()
            fresh.goto(url)
            wait_for(fresh, "document.body.dataset.error || "
                            "(window.SkillsPassport && window.SkillsPassport.ready)")
            error = fresh.evaluate("document.body.dataset.error || null")
    finally:
        context.close()
    if loads:
        assert error is None
    else:
        assert error == "trust list: not signed by a trusted root: 3 of its keys must sign, 2 did"


# -- no rollback: an older bundle never replaces a newer one ----------------------------------
class _NoStore(_Quiet):
    """Never from the browser's HTTP cache: each load of the page sees the file as it is now."""

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


def _rollback_bundles() -> tuple[World, dict[str, Any], dict[str, bytes]]:
    """NEW: trust list version 2, status lists of 3 November, the card (index 7) revoked that
    day. Older: the same trust list with the lists of 2 November, before the revocation; and
    trust list version 1 with NEW's lists."""
    world = World(key_prefix="skills-passport web rollback", version=2,
                  status_from=ISSUED + timedelta(days=1), revoked={1: {7}})
    bundles = {"new": world.bundle_bytes()}
    world.version = 1
    bundles["older-trust-list"] = world.bundle_bytes()
    world.version, world.status_from, world.revoked = 2, ISSUED, {}
    bundles["older-status-lists"] = world.bundle_bytes()
    return world, world.root_set().to_json(), bundles


def test_the_page_refuses_an_older_bundle_and_keeps_what_it_had(page: Any, tmp_path: Path) -> None:
    world, root, bundles = _rollback_bundles()
    export(tmp_path, bundles["new"], root)
    card, at = qr_text(world), (ISSUED + timedelta(days=2)).isoformat()
    revocation = world.status_url(StatusPurpose.REVOCATION)
    refusals = {
        "older-trust-list": "trust list version 1 is older than the version 2 this verifier has "
                            "seen already",
        "older-status-lists": f"status list {revocation} of 2026-11-02T09:00:00Z is older than "
                              "the one of 2026-11-03T09:00:00Z this verifier holds"}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             partial(_NoStore, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    context = page.context.browser.new_context()
    try:
        tab = context.new_page()

        def start() -> str | None:
            tab.goto(f"http://127.0.0.1:{server.server_address[1]}/")
            wait_for(tab, "document.body.dataset.error || "
                          "(window.SkillsPassport && window.SkillsPassport.ready)")
            error: str | None = tab.evaluate("document.body.dataset.error || null")
            if error is None:
                tab.evaluate("() => window.SkillsPassport.setLanguage('en')")
            return error

        def verdict() -> tuple[str, str]:
            result: dict[str, Any] = _codes(tab, card, at)
            return result["verdict"], result["checks"]["status"][1]

        assert start() is None and verdict() == ("invalid", "revoked")
        # "Update trust data" fetches each older bundle: refused, why shown, NEW kept.
        for name, why in refusals.items():
            (tmp_path / "trust-bundle.json").write_bytes(bundles[name])
            tab.evaluate("() => window.SkillsPassport.sync()")
            shown = tab.locator("#refused")
            assert shown.is_visible(), name
            assert shown.inner_text().startswith("older trust data refused; the newer data stays: ")
            assert why in shown.inner_text() and "rollback refused" in shown.inner_text()
            assert verdict() == ("invalid", "revoked"), name
        tab.evaluate("() => window.SkillsPassport.setLanguage('km')")
        assert tab.locator("#refused").inner_text().startswith(
            "បានបដិសេធទិន្នន័យទុកចិត្តចាស់ជាង")
        (tmp_path / "trust-bundle.json").write_bytes(bundles["new"])  # the same again: taken
        tab.evaluate("() => window.SkillsPassport.sync()")
        assert not tab.locator("#refused").is_visible()
        memory = tab.evaluate("localStorage.getItem('trust-memory')")
        # The Python verifier's state file format: the list's root, to chain the next from.
        assert json.loads(memory)["roots"][f"1 of {world.root.kid}"] == {
            "trustList": 2, "trustRoot": world.root_set().to_json(),
            "trustListDigest": hashlib.sha256(
                world.signed_trust_list()["payload"].encode()).hexdigest(),
            "statusLists": {world.status_url(p): "2026-11-03T09:00:00Z" for p in StatusPurpose}}

        # On start: an older copy put back into the page's storage is refused (and said so);
        # the page takes the newer bundle it is served instead.
        tab.evaluate("b => localStorage.setItem('trust-bundle', b)",
                     bundles["older-status-lists"].decode())
        assert start() is None and verdict() == ("invalid", "revoked")
        assert (f"status list {revocation} of 2026-11-02T09:00:00Z is older than the one of "
                "2026-11-03T09:00:00Z this verifier has seen already") in tab.locator(
                    "#refused").inner_text()
        # On start with nothing stored and an older bundle served: refused, nothing verified.
        tab.evaluate("() => localStorage.removeItem('trust-bundle')")
        (tmp_path / "trust-bundle.json").write_bytes(bundles["older-status-lists"])
        error = start()
        assert error is not None and "has seen already (rollback refused" in error
        assert tab.evaluate("window.SkillsPassport.ready") is False
        # A damaged memory is an error, never reset.
        (tmp_path / "trust-bundle.json").write_bytes(bundles["new"])
        tab.evaluate("() => localStorage.setItem('trust-memory', '{')")
        error = start()
        assert error is not None and "trust memory is damaged" in error
        assert tab.evaluate("localStorage.getItem('trust-memory')") == "{"
        tab.screenshot(path=str(SHOTS / "rollback-refused.png"), full_page=True)
    finally:
        context.close()
        server.shutdown()
        server.server_close()


def test_root_keys_a_rotation_left_behind_sign_nothing_more_for_the_page(
        page: Any, tmp_path: Path) -> None:
    """The page pinned to the old root follows a rotation; then a list the old root's keys
    sign (stolen, or kept) is refused on "Update trust data", and the new root's next list,
    with no history, is taken: it chains from the list the page remembers."""
    world = World(key_prefix="skills-passport web rotation")
    bundles = rotated_root_bundles(world)
    export(tmp_path, bundles["rotated"], world.root_set().to_json())
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             partial(_NoStore, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    context = page.context.browser.new_context()
    try:
        tab = context.new_page()
        tab.goto(f"http://127.0.0.1:{server.server_address[1]}/")
        wait_for(tab, "document.body.dataset.error || "
                      "(window.SkillsPassport && window.SkillsPassport.ready)")
        assert tab.evaluate("document.body.dataset.error || null") is None
        tab.evaluate("() => window.SkillsPassport.setLanguage('en')")
        card, at = qr_text(world), CHECK_AT.isoformat()
        assert _codes(tab, card, at)["verdict"] == "valid"
        (tmp_path / "trust-bundle.json").write_bytes(bundles["thief"])
        tab.evaluate("() => window.SkillsPassport.sync()")
        assert "not signed by a trusted root: 2 of its keys must sign, 1 did" in tab.locator(
            "#refused").inner_text()
        memory = json.loads(tab.evaluate("localStorage.getItem('trust-memory')"))
        assert [seen["trustList"] for seen in memory["roots"].values()] == [5]
        (tmp_path / "trust-bundle.json").write_bytes(bundles["next"])
        tab.evaluate("() => window.SkillsPassport.sync()")
        assert not tab.locator("#refused").is_visible()
        memory = json.loads(tab.evaluate("localStorage.getItem('trust-memory')"))
        assert [seen["trustList"] for seen in memory["roots"].values()] == [6]
        assert _codes(tab, card, at)["verdict"] == "valid"
    finally:
        context.close()
        server.shutdown()
        server.server_close()


def qr_text(world: World) -> str:
    from passport.qr import encode

    return encode(world.issue())


def test_an_expired_trust_list_says_when_it_expired(page: Any) -> None:
    case = next(c for c in JUDGED if c["name"] == "trust-list-expired")
    assert _use(page, _trust_of(case)) is None
    for lang, expired_on in (("en", "expired on"), ("km", "ផុតកំណត់នៅ")):
        page.evaluate(f"() => window.SkillsPassport.setLanguage('{lang}')")
        page.evaluate("([qr, at]) => window.SkillsPassport.check(qr, Date.parse(at))",
                      [case["qr"], case["at"]])
        assert page.locator("li.warn[data-code='trust_list_expired']").inner_text().endswith(
            f"({expired_on} 2025-10-01)")
    assert _use(page, SHARED) is None


@pytest.mark.parametrize("lang", ["km", "en", "ja"])
def test_units_show_code_and_title_in_the_language(page: Any, lang: str) -> None:
    """Each unit a card lists reads "CODE title": Khmer and English from the rubric, Japanese
    from the unit title translations."""
    from rpl_rubrics import catalogue
    from tools import unit_titles

    case = CASES["cases"][0]  # the full masonry certificate
    assert _use(page, SHARED) is None
    page.evaluate("at => window.SkillsPassport.setClock(Date.parse(at))", case["at"])
    page.evaluate(f"() => window.SkillsPassport.setLanguage('{lang}')")
    page.evaluate("qr => window.SkillsPassport.check(qr)", case["qr"])
    wait_for(page, "document.getElementById('units')")
    shown = page.locator("#units li").all_inner_texts()
    units = catalogue.get("masonry-c1").units
    table = unit_titles.translations()
    assert shown == [f"{u.code} " + {"km": u.title.km, "en": u.title.en, **table[u.title.en]}[lang]
                     for u in units]
    page.evaluate("() => window.SkillsPassport.setLanguage('km')")  # the page's default again
