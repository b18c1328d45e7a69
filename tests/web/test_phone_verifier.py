"""The phone verifier page in headless Chromium (Debian's package), offline, in 3 languages.

It must give the same verdict and reason codes as the Python verifier on the shared cases,
read a card photo from an upload, and show a verdict within 300 ms of the QR being decoded.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from passport.card import CardFace, render
from passport.credential import Credential
from passport.jws import parse
from passport.qr import decode
from verifier.webapp import export

REPO = Path(__file__).resolve().parents[2]
CASES = json.loads((REPO / "tests" / "vectors" / "verifier" / "cases.json").read_text())
SHOTS = REPO / "test-output" / "web"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("verifier-site")
    export(folder, json.dumps(CASES["bundle"]).encode(), {"rootKeys": CASES["rootKeys"]})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def page(site: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: 'make test' installs it")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        context = browser.new_context(viewport={"width": 412, "height": 915}, device_scale_factor=1)
        page = context.new_page()
        page.goto(site)
        page.wait_for_function("window.SkillsPassport && window.SkillsPassport.ready")
        # Wait until the service worker has cached every asset, then cut the network.
        page.wait_for_function("""async () => {
            const reg = await navigator.serviceWorker.ready;
            const keys = await caches.keys();
            return keys.length > 0 && (await (await caches.open(keys[0])).keys()).length > 10;
        }""")
        context.set_offline(True)
        page.reload()
        page.wait_for_function("window.SkillsPassport && window.SkillsPassport.ready")
        yield page
        browser.close()


def _codes(page: Any, qr: str, at: str) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(
        """async ([qr, at]) => {
            const r = await window.SkillsPassport.check(qr, Date.parse(at));
            return {verdict: r.verdict,
                    checks: Object.fromEntries(r.checks.map(c => [c.check, [c.status, c.code]]))};
        }""", [qr, at])
    return result


@pytest.mark.parametrize("case", CASES["cases"], ids=[c["name"] for c in CASES["cases"]])
def test_same_answers_as_python_while_offline(page: Any, case: dict[str, Any]) -> None:
    result = _codes(page, case["qr"], case["at"])
    assert result["verdict"] == case["verdict"]
    assert result["checks"] == case["checks"]


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
    page.evaluate("at => window.SkillsPassport.setClock(Date.parse(at))", at)
    page.evaluate("() => window.SkillsPassport.setLanguage('en')")
    page.evaluate("() => { document.getElementById('result').className = ''; }")
    page.set_input_files("#photo", str(_card_png(tmp_path, name)))
    page.wait_for_function(f"document.getElementById('result').className === '{verdict}'")
    if code:
        assert page.locator(f"li.fail[data-code='{code}']").count() == 1
    page.screenshot(path=str(SHOTS / f"upload-{name}.png"), full_page=True)
    # From the decoded QR text to the verdict on screen.
    assert page.evaluate("window.SkillsPassport.lastVerifyMs") < 300


@pytest.mark.parametrize(("lang", "verdict_text", "direction"), [
    ("ja", "有効", "ltr"), ("ar", "صالحة", "rtl"), ("km", "មានសុពលភាព", "ltr")])
def test_languages_and_direction(page: Any, lang: str, verdict_text: str, direction: str) -> None:
    case = CASES["cases"][0]
    page.evaluate("at => window.SkillsPassport.setClock(Date.parse(at))", case["at"])
    page.evaluate(f"() => window.SkillsPassport.setLanguage('{lang}')")
    page.evaluate("qr => window.SkillsPassport.check(qr)", case["qr"])
    assert page.locator("#verdict").inner_text() == verdict_text
    assert page.evaluate("document.documentElement.dir") == direction
    if lang == "ja":
        assert "特定技能" in page.locator("#result").inner_text()  # SSW note for recruiters
    page.screenshot(path=str(SHOTS / f"result-{lang}.png"), full_page=True)


def test_bundle_age_is_shown(page: Any) -> None:
    page.evaluate("() => window.SkillsPassport.setLanguage('en')")
    synced = datetime.fromisoformat(CASES["bundle"]["syncedAt"].replace("Z", "+00:00"))
    assert "Trust data synced" in page.locator("#age").inner_text()
    assert synced.year == 2026
