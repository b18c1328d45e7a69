"""The phone verifier as a recruiter uses it: a 390x844 phone, offline, in their language.

A passport file gives one summary per person (how many credentials are valid, whether they all
name the same person, whether the typed national ID is theirs); a refused credential never
reads as true; every check, date and label is in the page's language.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from passport.credential import Credential, HolderInput
from passport.holder_bundle import passport_bundle
from passport.jws import parse
from passport.qr import encode
from tests.web.chromium import CHROMIUM, FLAGS, launched
from tests.web.test_phone_verifier import SHOTS, _served, offline_after_first_visit, wait_for
from tests.world import ISSUED, World
from verifier.i18n import fill
from verifier.webapp import export

REPO = Path(__file__).resolve().parents[2]
LANGS = ["km", "en", "th", "ja", "ko", "ms", "ar"]
TABLES: dict[str, dict[str, str]] = {
    lang: json.loads((REPO / "verifier" / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))
    for lang in LANGS}
AT = ISSUED + timedelta(days=1)  # the status lists are of ISSUED: current for a week
OTHER = ("Chan Sophea", "ចាន់ សុភា", 1992, "020345678")
NATIONAL_ID = "010234567"  # Sok Dara's, the world's holder


def t(lang: str, key: str) -> str:
    """What the page shows for a key: the language's text, else the English one."""
    return TABLES[lang].get(key) or TABLES["en"].get(key) or ""


def _world() -> World:
    # Index 9 revoked and index 12 suspended on the lists of ISSUED.
    return World(key_prefix="skills-passport web recruiter", revoked={1: {9}}, suspended={1: {12}})


WORLD = _world()


def _issued(index: int, number: int, **overrides: Any) -> tuple[Credential, str, str]:
    jws = WORLD.issue(index=index, credential_id=f"urn:skillpass:cred:RECRUIT{number:05d}", **overrides)
    return Credential.from_payload(parse(jws).payload), jws, encode(jws)


def _other_holder(index: int, number: int) -> tuple[Credential, str, str]:
    return _issued(index, number, holder=HolderInput(*OTHER))


VALID = [_issued(7, 1), _issued(8, 2)]
REVOKED = _issued(9, 3)
SUSPENDED = _issued(12, 6)
FORGED = encode(WORLD.issue(WORLD.key("stranger"), index=11,
                            credential_id="urn:skillpass:cred:RECRUIT00005"))


def _passport(entries: list[tuple[Credential, str, str]]) -> dict[str, Any]:
    return passport_bundle(entries, ISSUED + timedelta(hours=2))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    folder = tmp_path_factory.mktemp("recruiter-site")
    export(folder, WORLD.bundle_bytes(), WORLD.root_set().to_json())
    with _served(folder) as url:
        yield folder, url


@pytest.fixture(scope="module")
def page(site: tuple[Path, str]) -> Iterator[Any]:
    _, url = site
    SHOTS.mkdir(parents=True, exist_ok=True)
    with launched() as browser:
        context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
        tab = context.new_page()
        tab.goto(url)
        wait_for(tab, "window.SkillsPassport && window.SkillsPassport.ready")
        offline_after_first_visit(context, tab, "window.SkillsPassport && window.SkillsPassport.ready")
        tab.evaluate("ms => window.SkillsPassport.setClock(ms)", AT.timestamp() * 1000)
        yield tab


@pytest.fixture(autouse=True)
def fresh(page: Any) -> Iterator[None]:
    """Each test starts in English with nothing checked and no national ID typed."""
    page.evaluate("() => window.SkillsPassport.clear()")
    page.fill("#nid", "")
    page.evaluate("() => window.SkillsPassport.setLanguage('en')")
    yield


def _lang(page: Any, lang: str) -> None:
    page.evaluate("lang => window.SkillsPassport.setLanguage(lang)", lang)


def _check(page: Any, qr: str) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(
        "async qr => { const r = await window.SkillsPassport.check(qr); "
        "return {verdict: r.verdict, codes: Object.fromEntries(r.checks.map(c => [c.check, c.code]))}; }", qr)
    return result


def _upload(page: Any, tmp_path: Path, doc: dict[str, Any]) -> dict[str, Any]:
    page.evaluate("() => window.SkillsPassport.clear()")  # so that the summary awaited is this file's
    path = tmp_path / "passport.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    page.set_input_files("#passport", str(path))
    wait_for(page, "document.querySelectorAll('#people .person').length > 0")
    summary: dict[str, Any] = page.evaluate("() => window.SkillsPassport.summary()")
    return summary


def test_a_passport_file_gives_one_summary_per_person(page: Any, tmp_path: Path) -> None:
    summary = _upload(page, tmp_path, _passport(VALID))
    assert [(p["name"], p["valid"], p["total"], p["sameHolder"]) for p in summary["people"]] == [
        ("Sok Dara", 2, 2, True)]
    assert [c["verdict"] for c in summary["credentials"]] == ["valid", "valid"]
    person = page.locator("#people .person")
    assert person.count() == 1
    text = person.inner_text()
    assert t("en", "label.valid_count").format(valid=2, total=2) in text
    assert t("en", "label.same_holder") in text and "សុខ ដារា" in text
    # Each credential below: its verdict line, the rest collapsed.
    items = page.locator("#set-list details.item")
    assert items.count() == 2
    assert not any(page.eval_on_selector_all("#set-list details.item", "ds => ds.map(d => d.open)"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator("#set").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "passport-summary-en-390x844.png"))
    # The typed national ID is checked against each credential's salted hash.
    page.fill("#nid", "0102 34567")
    wait_for(page, "document.querySelector('#people .id-ok') !== null")
    assert page.locator("#people .id-ok").inner_text() == t("en", "label.id_matches")
    page.fill("#nid", "010234568")
    wait_for(page, "document.querySelector('#people .id-bad') !== null")
    assert page.locator("#people .id-bad").inner_text() == t("en", "label.id_mismatch")
    assert page.evaluate("() => window.SkillsPassport.summary()")["people"][0]["idMatches"] is False
    _lang(page, "km")
    assert t("km", "label.id_mismatch") in page.locator("#people").inner_text()
    page.screenshot(path=str(SHOTS / "passport-summary-km-390.png"), full_page=True)
    _lang(page, "ar")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SHOTS / "passport-summary-ar-390.png"), full_page=True)


def test_a_passport_pasted_as_text_is_read_too(page: Any) -> None:
    page.fill("#text", json.dumps(_passport(VALID[:1]), ensure_ascii=False))
    page.click("#verify")
    wait_for(page, "document.querySelectorAll('#people .person').length === 1")
    assert t("en", "label.valid_count").format(valid=1, total=1) in page.locator("#people").inner_text()


def test_a_passport_naming_two_people_is_flagged(page: Any, tmp_path: Path) -> None:
    doc = _passport(VALID)
    other = _other_holder(10, 4)
    doc["credentials"][1] = {"id": other[0].id, "jws": other[1], "qr": other[2]}
    summary = _upload(page, tmp_path, doc)
    [person] = summary["people"]
    assert (person["valid"], person["total"], person["sameHolder"]) == (1, 2, False)
    assert "issued to Chan Sophea" in person["problems"][0]
    assert summary["credentials"][1]["verdict"] == "valid"  # genuine, but not this holder's
    assert t("en", "label.holder_mismatch") in page.locator("#people .mismatch").inner_text()
    assert page.locator("#people .person.bad").count() == 1
    # The holder block must be the credentials' own.
    doc = _passport(VALID)
    doc["holder"]["birthYear"] = 1989
    summary = _upload(page, tmp_path, doc)
    assert summary["people"][0]["sameHolder"] is False
    assert summary["people"][0]["valid"] == 0


@pytest.mark.parametrize(("change", "why"), [
    (lambda d: d.update(version=2), "version is not 1"),
    (lambda d: d.update(credentials=[]), "credentials is not a list of 1 to 200"),
    (lambda d: d["credentials"][0].pop("jws"), "credentials[0].jws is not a compact JWS"),
    (lambda d: d["holder"].update(extra=1), 'holder: unexpected member "extra"'),
])
def test_a_file_that_is_not_a_passport_is_named_so(page: Any, change: Any, why: str) -> None:
    doc = copy.deepcopy(_passport(VALID[:1]))
    change(doc)
    summary = page.evaluate("text => window.SkillsPassport.checkPassport(text)", json.dumps(doc))
    assert summary["error"] == f"not a passport file: {why}"
    assert page.locator("#result .message").inner_text() == t("en", "ui.unreadable_file")
    assert why in page.locator("#result .detail").inner_text()


def test_qr_texts_one_after_another_add_to_the_set(page: Any) -> None:
    assert _check(page, VALID[0][2])["verdict"] == "valid"
    # One card: read as always, at the top, with no summary.
    assert page.locator("#verdict").count() == 1 and page.locator("#people .person").count() == 0
    _check(page, VALID[1][2])
    _check(page, _other_holder(10, 4)[2])
    _check(page, VALID[1][2])  # the same card again: not counted twice
    summary = page.evaluate("() => window.SkillsPassport.summary()")
    assert [(p["name"], p["valid"], p["total"]) for p in summary["people"]] == [
        ("Sok Dara", 2, 2), ("Chan Sophea", 1, 1)]
    assert page.locator("#set-list details.item").count() == 3
    page.click("#clear")
    assert page.evaluate("() => window.SkillsPassport.summary()")["credentials"] == []
    assert not page.locator("#set").is_visible()


@pytest.mark.parametrize("lang", LANGS)
def test_the_result_is_explained_in_each_language(page: Any, lang: str) -> None:
    _lang(page, lang)
    _check(page, VALID[0][2])
    shown = page.locator("#result").inner_text()
    assert page.locator("#result .occupation").inner_text() == \
        f"{t(lang, 'label.occupation')}: {t(lang, 'isco.7112')} (ISCO-08 7112)"
    explain = t(lang, "cqf.explain").replace("{n}", "1")
    assert page.locator("#result .cqf").inner_text() == explain
    if lang != "en":  # translated, not the English text
        assert explain != t("en", "cqf.explain").replace("{n}", "1")
        assert t(lang, "isco.7112") != t("en", "isco.7112")
    day = ISSUED.date().isoformat()
    assert page.locator("#verdict").inner_text() == \
        f"{t(lang, 'verdict.valid')} · {t(lang, 'label.status_as_of')} {day}"
    field = page.locator("#result .field")
    if lang in ("ja", "ko"):
        assert TABLES[lang]["field.7112"] and TABLES[lang]["label.field"]
        assert field.inner_text() == f"{t(lang, 'label.field')}: {t(lang, 'field.7112')}"
        assert page.locator("#result .note .overseas").inner_text() == t(lang, "note.overseas")
    else:
        assert field.count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, shown
    if lang in ("ja", "ar"):
        page.screenshot(path=str(SHOTS / f"recruiter-result-{lang}-390.png"), full_page=True)


def test_a_tampered_qr_in_japanese_says_nothing_in_english(page: Any) -> None:
    qr = VALID[0][2]
    tampered = qr[:60] + ("A" if qr[60] != "A" else "B") + qr[61:]
    _lang(page, "ja")
    result = _check(page, tampered)
    assert result["verdict"] == "invalid"
    text = page.locator("#result").inner_text()
    assert page.locator("#result [lang='en']").count() == 0
    failed = page.locator("#result li.fail")
    assert failed.count() == 1
    code = failed.get_attribute("data-code")
    check = failed.evaluate("li => li.closest('ul').children.length")  # the checks shown
    assert check >= 1 and failed.inner_text().endswith(t("ja", f"code.{code}"))
    english = {v for k, v in TABLES["en"].items() if k.startswith(("code.", "check.")) and v}
    assert not [e for e in english if e in text]


def test_a_forged_card_shows_no_claims(page: Any) -> None:
    result = _check(page, FORGED)
    assert result["verdict"] == "invalid" and result["codes"]["signature"] == "unknown_key"
    text = page.locator("#result").inner_text()
    assert "Sok Dara" not in text and "សុខ ដារា" not in text
    assert page.locator("#result details.untrusted").count() == 0


@pytest.mark.parametrize(("card", "code"), [(REVOKED, "revoked"), (SUSPENDED, "suspended")])
def test_a_revoked_card_shows_its_claims_only_as_not_verified(
        page: Any, card: tuple[Credential, str, str], code: str) -> None:
    result = _check(page, card[2])
    assert result["verdict"] == "invalid" and result["codes"]["status"] == code
    box = page.locator("#result details.untrusted")
    assert box.count() == 1 and not box.evaluate("d => d.open")
    assert box.locator("summary").inner_text() == t("en", "label.untrusted")
    # The name is inside the collapsed box only, never in the result's own lines.
    outside = page.evaluate("""() => [...document.getElementById('result').children]
        .filter(e => !e.matches('details.untrusted')).map(e => e.innerText).join('\\n')""")
    assert "Sok Dara" not in outside
    assert "Sok Dara" in box.evaluate("d => d.textContent")
    # No valid colours on a refused credential's claims.
    assert "21, 128, 61" not in box.evaluate("d => getComputedStyle(d).borderColor")
    day = ISSUED.date().isoformat()
    assert page.locator(f"li.fail[data-code='{code}']").inner_text() == \
        f"{t('en', 'check.status')}: {t('en', f'code.{code}')} (on or before {day})"
    _lang(page, "km")
    assert page.locator(f"li.fail[data-code='{code}']").inner_text().endswith(
        f"({fill(t('km', 'label.on_or_before'), date=day)})")
    page.screenshot(path=str(SHOTS / f"{code}-untrusted-km-390.png"), full_page=True)


def test_no_camera_says_so(page: Any) -> None:
    page.click("#scan")
    wait_for(page, "!document.getElementById('notice').hidden")
    assert page.locator("#notice").inner_text() == t("en", "ui.no_camera")
    assert page.locator("#notice").get_attribute("role") == "status"
    _lang(page, "th")
    assert page.locator("#notice").inner_text() == t("th", "ui.no_camera")


def test_update_offline_says_the_stored_data_is_used(page: Any) -> None:
    page.click("#sync")
    wait_for(page, "!document.getElementById('sync-status').hidden")
    assert page.locator("#sync-status").inner_text() == t("en", "ui.sync_offline")
    assert page.locator("#sync-status").get_attribute("role") == "status"
    assert not page.locator("#refused").is_visible()
    _lang(page, "ar")
    assert page.locator("#sync-status").inner_text() == t("ar", "ui.sync_offline")


def test_the_language_picker_names_each_language_in_its_own_words(page: Any) -> None:
    options = page.eval_on_selector_all("#lang option", "os => os.map(o => [o.value, o.textContent])")
    assert options == [[lang, TABLES[lang]["language"]] for lang in LANGS]
    assert dict(options)["ja"] == "日本語" and dict(options)["km"] == "ខ្មែរ"


def _fresh_tab(browser: Any, url: str, **options: Any) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, **options)
    tab = context.new_page()
    tab.goto(url)
    wait_for(tab, "window.SkillsPassport && window.SkillsPassport.ready")
    tab.evaluate("() => window.SkillsPassport.setLanguage('en')")
    tab.evaluate("ms => window.SkillsPassport.setClock(ms)", AT.timestamp() * 1000)
    return context, tab


def test_update_online_says_done_or_why_not(page: Any, site: tuple[Path, str]) -> None:
    folder, url = site
    context, tab = _fresh_tab(page.context.browser, url)
    bundle = (folder / "trust-bundle.json").read_bytes()
    try:
        tab.click("#sync")
        wait_for(tab, "!document.getElementById('sync-status').hidden")
        assert tab.locator("#sync-status").inner_text() == t("en", "ui.sync_done")
        # What is on screen is verified again with the data just taken: a revocation since shows.
        assert _check(tab, VALID[0][2])["verdict"] == "valid"
        later = _world()
        later.revoked, later.status_from = {1: {7, 9}}, ISSUED + timedelta(hours=1)
        (folder / "trust-bundle.json").write_bytes(later.bundle_bytes())
        tab.click("#sync")
        wait_for(tab, "document.getElementById('result').className === 'invalid'")
        assert tab.locator("#result li.fail[data-code='revoked']").count() == 1
        # A bundle the page cannot take: the alert says so, then why (the engine's words,
        # marked as English); the stored data stays.
        (folder / "trust-bundle.json").write_text("{}")
        tab.evaluate("() => window.SkillsPassport.setLanguage('ms')")
        tab.click("#sync")
        wait_for(tab, "!document.getElementById('refused').hidden")
        assert tab.locator("#refused").inner_text().startswith(t("ms", "ui.sync_failed") + ": ")
        assert tab.locator("#refused").get_attribute("role") == "alert"
        assert tab.locator("#refused span[lang='en']").count() == 1
        assert not tab.locator("#sync-status").is_visible()
        assert _check(tab, VALID[1][2])["verdict"] == "valid"  # the data taken before stays
    finally:
        (folder / "trust-bundle.json").write_bytes(bundle)
        context.close()


def test_a_camera_not_allowed_says_so(page: Any, site: tuple[Path, str]) -> None:
    """A phone with a camera (Chromium's fake one) whose user has not allowed it."""
    _, url = site
    browser = page.context.browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True, args=[*FLAGS, "--use-fake-device-for-media-stream"])
    try:
        _, tab = _fresh_tab(browser, url)
        assert tab.evaluate("navigator.mediaDevices.enumerateDevices()"
                            ".then(ds => ds.some(d => d.kind === 'videoinput'))")
        tab.click("#scan")
        wait_for(tab, "!document.getElementById('notice').hidden")
        assert tab.locator("#notice").inner_text() == t("en", "ui.camera_denied")
        _lang(tab, "ko")
        assert tab.locator("#notice").inner_text() == t("ko", "ui.camera_denied")
    finally:
        browser.close()


# -- every shared case: a refused credential's claims never read as true ----------------------
CASES = json.loads((REPO / "tests" / "vectors" / "verifier" / "cases.json").read_text())
REFUSED_CARDS = [c for c in CASES["cases"] if "refused" not in c and c["verdict"] == "invalid"]


def _holder_of(text: str) -> tuple[str, ...]:
    """The names a signed, well-formed card's claims give its holder; none when they cannot
    be read."""
    from passport.errors import Error
    from passport.qr import decode

    try:
        subject = json.loads(parse(decode(text)).payload)["credentialSubject"]
        return (str(subject["name"]), str(subject["nameKm"]))
    except (Error, KeyError, TypeError, ValueError):
        return ()


@pytest.mark.parametrize("case", REFUSED_CARDS, ids=[c["name"] for c in REFUSED_CARDS])
def test_no_refused_card_shows_its_claims_as_true(page: Any, case: dict[str, Any]) -> None:
    """Signed by a key of the trust data and well formed (revoked, a compromised key, not
    accredited...): the claims only in the collapsed box marked as not verified. Otherwise
    (forged, damaged): no claims at all."""
    trust = CASES["trusts"][case["trust"]] if "trust" in case else {
        "root": {"rootKeys": CASES["rootKeys"]}, "bundle": CASES["bundle"]}
    try:
        assert page.evaluate("([b, r]) => window.SkillsPassport.useTrust(b, r)",
                             [trust["bundle"], trust["root"]]) is None
        page.evaluate("([qr, at]) => window.SkillsPassport.check(qr, Date.parse(at))",
                      [case["qr"], case["at"]])
        signed = case["checks"]["signature"][0] == "pass" and case["checks"]["schema"][0] == "pass"
        outside = page.evaluate("""() => [...document.getElementById('result').children]
            .filter(e => !e.matches('details.untrusted')).map(e => e.textContent).join('\\n')""")
        assert page.locator("#verdict").inner_text().startswith(t("en", "verdict.invalid"))
        assert page.locator("#result details.untrusted").count() == (1 if signed else 0)
        holder = _holder_of(case["qr"]) if signed else ()
        for claim in (*holder, "Sok Dara", "សុខ ដារា", t("en", "label.units"), t("en", "label.born")):
            assert claim not in outside, (claim, outside)
        if signed:
            assert not page.evaluate("document.querySelector('#result details.untrusted').open")
            boxed = page.locator("#result details.untrusted").evaluate("d => d.textContent")
            assert holder and all(name in boxed for name in holder)
    finally:
        page.evaluate("([b, r]) => window.SkillsPassport.useTrust(b, r)",
                      [WORLD.bundle_document(), WORLD.root_set().to_json()])


def test_a_passport_of_forged_credentials_never_says_the_same_person(page: Any,
                                                                    tmp_path: Path) -> None:
    """No credential of the file verifies: who they name is nobody's word, so the page does
    not say they all name the passport's holder (as `skillpass verify` does not)."""
    doc = _passport(VALID[:1])
    jws = WORLD.issue(WORLD.key("stranger"), index=11, credential_id="urn:skillpass:cred:RECRUIT00005")
    doc["credentials"] = [{"id": "urn:skillpass:cred:RECRUIT00005", "jws": jws, "qr": encode(jws)}]
    summary = _upload(page, tmp_path, doc)
    [person] = summary["people"]
    assert (person["valid"], person["total"], person["sameHolder"]) == (0, 1, None)
    assert page.locator("#people .same").count() == 0
    assert page.locator("#people .person.bad").count() == 1
