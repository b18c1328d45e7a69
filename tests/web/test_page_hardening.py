"""The phone verifier page against hostile cards and hostile script, in headless Chromium.

A QR code anyone can print (no key: a random signature) naming a real centre and its key must
never put its words on the screen, let alone run them: the page shows a card's claims only once
its signature has verified and its content passed the schema, and builds every line as text.
A card missing fields gets a verdict, never an exception. The page carries a strict
Content-Security-Policy and works under it. And should script ever run in the page's origin,
it cannot make the page trust another root, nor swap the page's code, through the service
worker's cache.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from passport import jws, qr
from passport.b64 import b64u_encode
from passport.card import qr_bitmap
from tests.web.chromium import launched
from tests.web.test_phone_verifier import _served, wait_for
from tests.world import ISSUED, World
from verifier.webapp import config, dist_dir, export

AT = ISSUED + timedelta(days=1)
READY = "window.SkillsPassport && window.SkillsPassport.ready"
# What would show that a card's words reached the screen: its holder, achievement and centre.
CLAIM_TEXT = ["Sok Dara", "សុខ ដារា", "1988", "4567", "Masonry", "ជាងសំណង់", "Bricklayers", "MAS-WHS",
              "National Technical Training Institute", "2026-11-02"]
# Every CSP violation the page reports, and every dialog: from before the page's own script.
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`));
"""


def markup(tag: str) -> str:
    """Text that breaks out of an attribute or element and runs script if parsed as HTML."""
    return f"{tag}\"'><img src=x onerror=\"__pwned=1;alert(1)\">"


def world() -> World:
    return World(key_prefix="skills-passport web hardening")


def token(claims: Any, *, kid: str, key: Any = None, header: dict[str, Any] | None = None) -> str:
    """QR text of a JWS of exactly these claims: signed by `key`, or (None) with 64 random
    bytes for a signature, as anyone without the key can make."""
    payload = json.dumps(claims, ensure_ascii=False).encode()
    if key is not None:
        return qr.encode(jws.sign(payload, key, typ="vc+jwt", cty="vc"))
    head = {"alg": "EdDSA", "kid": kid, "typ": "vc+jwt", "cty": "vc", **(header or {})}
    return qr.encode(f"{b64u_encode(json.dumps(head).encode())}.{b64u_encode(payload)}."
                     f"{b64u_encode(os.urandom(64))}")


def leaves(doc: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every string, number and boolean in a JSON document."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from leaves(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from leaves(v, (*path, i))
    else:
        yield path


def put(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        doc = doc[step]
    doc[path[-1]] = value


def hostile_claims(w: World) -> dict[str, Any]:
    """The world's credential with room for more words: the centre's name, a credential name,
    evidence; each is a claim a renderer might be tempted to show."""
    claims = w.claims()
    claims["name"] = "Certificate"
    claims["issuer"]["name"] = "National Technical Training Institute"
    claims["credentialSubject"]["achievement"]["learningHours"] = 40
    claims["evidence"] = [{"id": "urn:skillpass:evidence:1", "type": ["Evidence"], "name": "Photo of a wall",
                           "description": "sha256$" + "0" * 64}]
    return claims


FORGED = hostile_claims(world())
FIELDS = list(leaves(FORGED))


@dataclass
class Tab:
    """One fresh browser context on the page, and all it reports."""

    page: Any
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def violations(self) -> list[str]:
        found: list[str] = self.page.evaluate("window.__violations")
        return found

    def pwned(self) -> Any:
        return self.page.evaluate("window.__pwned")

    def paste(self, text: str) -> str:
        """Paste QR text and press Verify, as a person does; the verdict's class."""
        self.page.evaluate("() => { const r = document.getElementById('result');"
                           " r.className = ''; r.textContent = ''; }")
        self.page.fill("#text", text)
        self.page.click("#verify")
        verdict: str = wait_for(self.page, "document.getElementById('result').className")
        return verdict

    def result(self) -> str:
        text: str = self.page.locator("#result").inner_text()
        return text

    def clean(self) -> None:
        """Nothing ran, nothing threw, the browser refused nothing."""
        self.page.wait_for_timeout(300)  # an image's error handler, had one been written
        assert self.pwned() is None
        assert self.dialogs == []
        assert self.errors == []
        assert self.violations() == []
        assert [m for m in self.console if "Content Security Policy" in m or "Trusted" in m] == []


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched() as b:
        yield b


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    w = world()
    folder = tmp_path_factory.mktemp("hardened-site")
    export(folder, w.bundle_bytes(), w.root_set().to_json())
    with _served(folder) as url:
        yield url


def open_tab(browser: Any, url: str) -> tuple[Any, Tab]:
    context = browser.new_context()
    context.add_init_script(WATCH)
    tab = Tab(context.new_page())
    tab.page.on("pageerror", lambda e: tab.errors.append(str(e)))
    tab.page.on("console", lambda m: tab.console.append(m.text) if m.type == "error" else None)

    def dialog(d: Any) -> None:
        tab.dialogs.append(d.message)
        d.dismiss()

    tab.page.on("dialog", dialog)
    tab.page.goto(url)
    wait_for(tab.page, READY)
    tab.page.evaluate("ms => window.SkillsPassport.setClock(ms)", AT.timestamp() * 1000)
    tab.page.evaluate("() => window.SkillsPassport.setLanguage('en')")
    return context, tab


@pytest.fixture
def tab(browser: Any, site: str) -> Iterator[Tab]:
    context, opened = open_tab(browser, site)
    try:
        yield opened
    finally:
        context.close()


def assert_no_claims(tab: Tab) -> None:
    """The verdict and its reasons, nothing the card says."""
    assert tab.errors == [], tab.errors  # (an exception leaves no verdict on screen)
    shown = tab.result()
    assert tab.page.locator("#verdict").inner_text() == "NOT VALID"
    assert tab.page.locator("#result li.fail").count() >= 1
    assert "CLAIM" not in shown, shown
    for text in CLAIM_TEXT:
        assert text not in shown, (text, shown)
    # Nothing in the result was parsed as markup: headings, the list, text.
    assert tab.page.locator("#result img, #result svg, #result script, #result iframe").count() == 0


# -- cards no one signed --------------------------------------------------------------------
def test_the_attack_review_card_runs_nothing_and_shows_nothing(tab: Tab, tmp_path: Path) -> None:
    """Markup in the birth year of a card naming the centre and its key, random signature, as a
    photo of the printed QR code: not valid, no claim on screen, no script."""
    w = world()
    claims = w.claims()
    claims["credentialSubject"]["birthYear"] = markup("CLAIM-birthYear")
    png = tmp_path / "lure.png"
    png.write_bytes(qr_bitmap(token(claims, kid=w.issuer_key.kid)).to_png())
    tab.page.set_input_files("#photo", str(png))
    wait_for(tab.page, "document.getElementById('result').className === 'invalid'")
    tab.page.wait_for_timeout(300)
    assert tab.pwned() is None and tab.dialogs == []
    assert tab.page.locator("li.fail[data-code='bad_signature']").count() == 1
    assert_no_claims(tab)
    tab.clean()


@pytest.mark.parametrize("keep", [("@context", "type", "issuer.id"), ()], ids=["naming-the-centre", "all"])
def test_markup_in_every_claim_at_once(tab: Tab, keep: tuple[str, ...]) -> None:
    """Every value of the card is markup (but what makes it look like a credential of a real
    centre, in the first case), signed by no one or by the centre's own key: not valid."""
    w = world()
    claims = copy.deepcopy(FORGED)
    for n, path in enumerate(FIELDS):
        name = ".".join(str(p) for p in path if not isinstance(p, int))
        if not (name in keep and path[-1] in (0, "id")):
            put(claims, path, markup(f"CLAIM{n}"))
    assert claims["issuer"]["id"] == (w.issuer_id if keep else markup(f"CLAIM{FIELDS.index(('issuer', 'id'))}"))
    for key in (None, w.issuer_key):
        assert tab.paste(token(claims, kid=w.issuer_key.kid, key=key)) == "invalid"
        assert_no_claims(tab)
    tab.clean()


def test_markup_in_each_claim_of_a_forged_card(tab: Tab) -> None:
    """One card per claim (each id, name, date, alignment, result, status entry, evidence...),
    that claim markup and the rest genuine, random signature: not valid, nothing of it shown."""
    w = world()
    for n, path in enumerate(FIELDS):
        claims = copy.deepcopy(FORGED)
        put(claims, path, markup(f"CLAIM{n}"))
        assert tab.paste(token(claims, kid=w.issuer_key.kid)) == "invalid", path
        assert_no_claims(tab)
    # The header's words too: the key id, and one no verifier reads.
    for header in ({"kid": markup("CLAIM-kid")}, {"x5u": markup("CLAIM-x5u")}):
        assert tab.paste(token(FORGED, kid=w.issuer_key.kid, header=header)) == "invalid"
        assert_no_claims(tab)
    tab.clean()


# -- cards missing what a card has ----------------------------------------------------------
def _without(path: tuple[Any, ...]) -> dict[str, Any]:
    claims = world().claims()
    doc: Any = claims
    for step in path[:-1]:
        doc = doc[step]
    del doc[path[-1]]
    return claims


MISSING: dict[str, Any] = {
    "bare-subject": {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                     "issuer": {"id": "https://ntti.edu.kh"}, "credentialSubject": {"achievement": {}}},
    "no-alignment": _without(("credentialSubject", "achievement", "alignment")),
    "no-achievement": _without(("credentialSubject", "achievement")),
    "no-name": _without(("credentialSubject", "name")),
    "no-birth-year": _without(("credentialSubject", "birthYear")),
    "no-valid-from": _without(("validFrom",)),
    "no-status": _without(("credentialStatus",)),
    "no-results": _without(("credentialSubject", "result")),
    "subject-is-a-list": {**world().claims(), "credentialSubject": [{"name": "Sok Dara"}]},
    "empty-subject": {**world().claims(), "credentialSubject": {}},
    "empty-object": {},
    "a-list": [],
    "null": None,
    "one-alignment": world().claims(),
}
MISSING["one-alignment"]["credentialSubject"]["achievement"]["alignment"].pop()


@pytest.mark.parametrize("name", list(MISSING))
def test_a_card_missing_fields_gets_a_verdict_not_an_exception(tab: Tab, name: str) -> None:
    """Signed by no one, and signed by the centre's own key (so the signature passes): the
    verdict NOT VALID with its reason, never an exception, never the card's words."""
    w = world()
    for key in (None, w.issuer_key):
        assert tab.paste(token(MISSING[name], kid=w.issuer_key.kid, key=key)) == "invalid"
        assert_no_claims(tab)
        reason = tab.page.locator("#result li.fail").first.inner_text()
        assert re.fullmatch(r"[A-Za-z ]+: .{8,}", reason), reason
    tab.clean()


# -- cards that are genuine -----------------------------------------------------------------
def test_a_genuine_card_shows_its_claims(tab: Tab) -> None:
    w = world()
    assert tab.paste(qr.encode(w.issue())) == "valid"
    shown = tab.result()
    for text in CLAIM_TEXT:
        assert text in shown, (text, shown)
    assert "Born 1988 · National ID ends …4567" in shown
    tab.clean()


def test_a_signed_card_and_a_trust_list_with_markup_show_it_as_text(browser: Any, tmp_path: Path) -> None:
    """A centre's name in the signed trust list, and an achievement's names in a card its key
    signed, may hold any text: shown as written, never run."""
    w = World(key_prefix="skills-passport web hardening", issuer_name=markup("CENTRE-en"),
              issuer_name_km=markup("CENTRE-km"))
    claims = w.claims()
    achievement = claims["credentialSubject"]["achievement"]
    achievement["name"], achievement["nameKm"] = markup("ACH-en"), markup("ACH-km")
    achievement["alignment"][0]["targetName"] = markup("ISCO")
    achievement["alignment"][1]["targetName"] = markup("LEVEL")
    export(tmp_path, w.bundle_bytes(), w.root_set().to_json())
    with _served(tmp_path) as url:
        context, tab = open_tab(browser, url)
        try:
            assert tab.paste(token(claims, kid=w.issuer_key.kid, key=w.issuer_key)) == "valid"
            shown = tab.result()
            for tag in ("CENTRE-en", "CENTRE-km", "ACH-en", "ACH-km"):
                assert markup(tag) in shown, (tag, shown)
            # The level and occupation are read by their codes (CQF 1, ISCO-08 7112) in the
            # page's language; the card's own names for them are not shown at all.
            assert "CQF 1" in shown and markup("LEVEL") not in shown
            assert "Sok Dara" in shown
            centres = tab.page.locator("#centres li").first
            assert markup("CENTRE-en") in centres.text_content()
            tab.page.evaluate("() => window.SkillsPassport.setLanguage('km')")
            assert markup("CENTRE-km") in centres.text_content()
            assert markup("ACH-km") in tab.result()
            tab.page.wait_for_timeout(300)
            assert tab.page.locator("img").count() == 0
            tab.clean()
        finally:
            context.close()


# -- the Content-Security-Policy ------------------------------------------------------------
def policy(text: str) -> dict[str, list[str]]:
    directives = [d.split() for d in text.split(";") if d.strip()]
    return {d[0]: d[1:] for d in directives}


def page_policy(html: str) -> str:
    found = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)
    assert found is not None, "the page has no Content-Security-Policy"
    return found.group(1)


def test_the_page_carries_a_strict_policy() -> None:
    html = (dist_dir() / "index.html").read_text(encoding="utf-8")
    csp = policy(page_policy(html))
    assert csp["default-src"] == ["'none'"]
    # Only the page's own script file; WebAssembly may compile (the QR reader), JS eval may not.
    assert csp["script-src"] == ["'self'", "'wasm-unsafe-eval'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert csp["form-action"] in (["'none'"], ["'self'"])
    assert csp["require-trusted-types-for"] == ["'script'"]
    assert all("'unsafe" not in v and "*" not in v and ":" not in v for vs in csp.values() for v in vs)
    # No inline script or style, no inline handler: the policy would refuse them anyway.
    assert not re.search(r"<script(?![^>]*\bsrc=)|<style|\son[a-z]+=|\sstyle=", html)
    assert re.search(r"<meta charset[^>]*>\s*(<!--.*?-->\s*)?<meta http-equiv=\"Content-Security-Policy\"",
                     html, re.S), "the policy comes first, before anything it governs"


def test_the_page_works_under_its_policy_and_the_policy_holds(tab: Tab, tmp_path: Path) -> None:
    page = tab.page
    assert policy(page.evaluate(
        "document.querySelector('meta[http-equiv=Content-Security-Policy]').content"))["script-src"] == [
        "'self'", "'wasm-unsafe-eval'"]
    w = world()
    # Paste, a photo of a card (the QR reader's WebAssembly), languages, the service worker.
    assert tab.paste(qr.encode(w.issue())) == "valid"
    png = tmp_path / "card.png"
    png.write_bytes(qr_bitmap(qr.encode(w.issue())).to_png())
    page.evaluate("() => { document.getElementById('result').className = ''; }")
    page.set_input_files("#photo", str(png))
    wait_for(page, "document.getElementById('result').className === 'valid'")
    for lang in ("km", "ar", "ja", "en"):
        page.evaluate(f"() => window.SkillsPassport.setLanguage('{lang}')")
    assert wait_for(page, "navigator.serviceWorker.controller !== null")
    assert "Skills Khmer" in page.evaluate("getComputedStyle(document.body).fontFamily")  # style.css
    page.evaluate("() => window.SkillsPassport.sync()")
    tab.clean()

    # What the policy refuses: script from a string in every form, HTML from a string, a new
    # Trusted Types policy (the page's one is made already; no other name is allowed).
    tried = page.evaluate("""() => {
        const tried = {};
        const attempt = (name, f) => { try { f(); tried[name] = 'not refused'; } catch (e) { tried[name] = e.name; } };
        attempt('script', () => { const s = document.createElement('script');
                                  s.textContent = 'window.__ran = 1'; document.body.append(s); });
        attempt('script-src', () => { const s = document.createElement('script');
                                      s.src = 'data:text/javascript,window.__ran=1'; document.body.append(s); });
        attempt('handler', () => { const b = document.createElement('button');
                                   b.setAttribute('onclick', 'window.__ran = 1');
                                   document.body.append(b); b.click(); });
        attempt('timer', () => setTimeout('window.__ran = 1'));
        attempt('html', () => document.body.insertAdjacentHTML('beforeend', '<img src=x onerror="window.__ran=1">'));
        attempt('policy', () => trustedTypes.createPolicy('another', {createHTML: (s) => s}));
        return tried;
    }""")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__ran") is None
    assert tried == dict.fromkeys(["script", "script-src", "handler", "timer", "html", "policy"], "TypeError")
    assert tab.violations(), "the browser reports what it refused"


# -- the pin and the page's code, against script in the page's origin -----------------------
ATTACK = """async ([config, bundle]) => {
    // What an injected script did: its root in the cached config, its bundle in localStorage.
    const cache = await caches.open((await caches.keys())[0]);
    await cache.put(new URL('verifier-config.json', location.href).href,
                    new Response(config, {headers: {'Content-Type': 'application/json'}}));
    localStorage.setItem('trust-bundle', bundle);
}"""
TAMPER = """async (files) => {
    const cache = await caches.open((await caches.keys())[0]);
    for (const [file, body, type] of files)
        await cache.put(new URL(file, location.href).href, new Response(body, {headers: {'Content-Type': type}}));
}"""
CACHED = """async () => { const keys = await caches.keys();
    return navigator.serviceWorker.controller !== null && keys.length > 0
        && (await (await caches.open(keys[0])).keys()).length > 10; }"""


def _verdict(page: Any, card: str) -> str:
    verdict: str = page.evaluate("async ([q, at]) => (await window.SkillsPassport.check(q, at)).verdict",
                                 [card, AT.timestamp() * 1000])
    return verdict


def test_a_root_written_into_the_cache_is_never_trusted(browser: Any, tmp_path: Path) -> None:
    """The attack review's takeover: script in the page puts another root into the cached
    verifier-config.json and that root's bundle into localStorage. After a reload, offline, the
    ministry's card is still valid and the attacker's card (same centre, its own root and key)
    is not."""
    good, evil = world(), World(key_prefix="skills-passport web hardening attacker")
    export(tmp_path, good.bundle_bytes(), good.root_set().to_json())
    genuine, forged = qr.encode(good.issue()), qr.encode(evil.issue())
    with _served(tmp_path) as url:
        context, tab = open_tab(browser, url)
        try:
            page = tab.page
            wait_for(page, CACHED)
            assert (_verdict(page, genuine), _verdict(page, forged)) == ("valid", "invalid")
            page.evaluate(ATTACK, [json.dumps(config(evil.root_set().to_json())),
                                   json.dumps(evil.bundle_document())])
            context.set_offline(True)
            page.reload()
            wait_for(page, f"document.body.dataset.error || ({READY})")
            assert page.evaluate("document.body.dataset.error || null") is None
            assert (_verdict(page, genuine), _verdict(page, forged)) == ("valid", "invalid")
            # The page's own config, as the export wrote it, whatever the cache holds.
            served = page.evaluate("async () => (await fetch('verifier-config.json')).text()")
            assert served == (tmp_path / "verifier-config.json").read_text()
            assert tab.errors == [] and tab.dialogs == []
        finally:
            context.close()


def test_code_written_into_the_cache_never_runs(browser: Any, tmp_path: Path) -> None:
    """Script in the page replaces the cached page and its code: online, the page reloads as
    built; offline, the altered copy is not served either."""
    w = world()
    export(tmp_path, w.bundle_bytes(), w.root_set().to_json())
    altered = [["./", "<!doctype html><script>window.__tampered = 1</script>", "text/html"],
               ["index.html", "<!doctype html><script>window.__tampered = 1</script>", "text/html"],
               ["app.js", "window.__tampered = 1; window.SkillsPassport = {ready: true};", "text/javascript"]]
    with _served(tmp_path) as url:
        context, tab = open_tab(browser, url)
        try:
            page = tab.page
            wait_for(page, CACHED)
            page.evaluate(TAMPER, altered)
            page.reload()
            wait_for(page, f"window.__tampered || ({READY})")
            assert page.evaluate("window.__tampered") is None
            assert _verdict(page, qr.encode(w.issue())) == "valid"
            page.evaluate(TAMPER, altered[2:])
            context.set_offline(True)
            page.reload()
            page.wait_for_timeout(1000)
            # Not the altered copy: either nothing (the page does not start) or the server's
            # own, from the browser's HTTP cache (which only the server's answers fill).
            assert page.evaluate("window.__tampered") is None
            if page.evaluate("window.SkillsPassport && window.SkillsPassport.ready"):
                assert _verdict(page, qr.encode(w.issue())) == "valid"
            context.set_offline(False)
            page.reload()  # back online: the server's copy, cached again
            wait_for(page, READY)
            context.set_offline(True)
            page.reload()
            wait_for(page, READY)
            assert _verdict(page, qr.encode(w.issue())) == "valid"
        finally:
            context.close()
