"""The phone verifier page as the issuer serves it, with its Content-Security-Policy and the
other headers on, in headless Chromium (Debian's): it loads, verifies pasted text and a card
photo, starts the camera, works offline, and the browser reports no policy violation. The
issuer's own pages render with their stylesheet and font under their stricter policy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.issuer.conftest import Service
from tests.issuer.workflow import browser as signed_in
from tests.issuer.workflow import register
from tests.web.chromium import issuer_served, launched
from tests.web.test_phone_verifier import SHOTS

COURSE = {"id": "forklift-safety", "version": 1, "hours": 40, "isco08": "8344", "cqfLevel": "C1",
          "title": {"en": "Forklift safety", "km": "សុវត្ថិភាពរថយន្តលើកទំនិញ"}}
# Every violation the page meets, whatever reports it (the console too, in case one is missed).
# Playwright's waits are given functions, not strings: a string would be eval'd in the page,
# which the policy rightly refuses.
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
    (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Service, str]]:
    with issuer_served(tmp_path_factory.mktemp("issuer-page")) as served:
        yield served


def _credential(svc: Service) -> tuple[str, str]:
    """A training record issued through the API: its id and QR text."""
    candidate = register(svc)
    r = svc.call("assessor", "post", "/api/trainings", json={
        "candidateId": candidate["id"], "nationalId": "010234567", "course": COURSE,
        "start": "2026-10-05", "end": "2026-10-16"})
    assert r.status_code == 201, r.get_json()
    record = svc.call("admin", "get", f"/api/credentials/{r.get_json()['id']}").get_json()
    return str(record["id"]), str(record["qr"])


def _violations(page: Any, console: list[str]) -> list[str]:
    seen: list[str] = page.evaluate("window.__violations")
    return seen + [m for m in console if "Content Security Policy" in m]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched(["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]) as b:
        yield b


def test_the_phone_page_works_under_its_policy(served: tuple[Service, str], browser: Any,
                                               tmp_path: Path) -> None:
    svc, base = served
    credential_id, qr = _credential(svc)
    registrar, _ = signed_in(svc, "registrar")
    card = registrar.get(f"/credentials/{credential_id}/card.png")
    assert card.status_code == 200
    photo = tmp_path / "card.png"
    photo.write_bytes(card.data)

    context = browser.new_context(viewport={"width": 412, "height": 915},
                                  permissions=["camera"])
    context.add_init_script(WATCH)
    console: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: console.append(m.text))
    response = page.goto(f"{base}/verify/")
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "'unsafe-inline'" not in policy
    assert response.headers["x-frame-options"] == "DENY"
    page.wait_for_function("() => window.SkillsPassport && window.SkillsPassport.ready")
    # The inline stylesheet applied (by its hash): the header's background is the page's blue.
    assert page.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor") \
        == "rgb(15, 61, 94)"
    page.evaluate("() => window.SkillsPassport.setLanguage('en')")

    page.fill("#text", qr)
    page.click("#verify")
    page.wait_for_function("() => document.getElementById('result').className === 'valid'")

    page.evaluate("() => { document.getElementById('result').className = ''; }")
    page.set_input_files("#photo", str(photo))  # the QR reader: WebAssembly under the policy
    page.wait_for_function("() => document.getElementById('result').className === 'valid'")

    page.click("#scan")  # the camera: a fake one, allowed by Permissions-Policy camera=(self)
    page.wait_for_function("() => document.getElementById('video').readyState >= 2")
    page.screenshot(path=str(SHOTS / "issuer-verify-page.png"), full_page=True)

    # Offline after the first visit: the service worker (under the same policy) cached it all.
    page.wait_for_function("""async () => {
        await navigator.serviceWorker.ready;
        const keys = await caches.keys();
        return keys.length > 0 && (await (await caches.open(keys[0])).keys()).length > 10;
    }""")
    context.set_offline(True)
    page.reload()
    page.wait_for_function("() => window.SkillsPassport && window.SkillsPassport.ready")
    page.evaluate("() => window.SkillsPassport.setLanguage('en')")
    page.fill("#text", qr)
    page.click("#verify")
    page.wait_for_function("() => document.getElementById('result').className === 'valid'")
    assert _violations(page, console) == []
    context.close()


def test_the_issuer_pages_render_under_their_policy(served: tuple[Service, str],
                                                    browser: Any) -> None:
    _, base = served
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    context.add_init_script(WATCH)
    console: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: console.append(m.text))
    response = page.goto(f"{base}/login")
    assert "script-src 'self';" in response.headers["content-security-policy"]
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "correct horse battery")
    page.click("form button")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/admin/users")
    # The stylesheet from /static applied, and the Khmer font from /fonts loaded.
    assert page.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor") \
        == "rgb(15, 61, 94)"
    page.wait_for_function("() => document.fonts.check('16px \"Skills Khmer\"', 'ក')")
    assert page.evaluate("document.fonts.status") == "loaded"
    page.screenshot(path=str(SHOTS / "issuer-users-page.png"), full_page=True)
    assert _violations(page, console) == []
    context.close()
