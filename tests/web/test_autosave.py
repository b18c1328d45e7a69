"""The assessment form's autosave in headless Chromium, on a tablet in Khmer: a reload before
any submit loses nothing, the server draft follows the form in the background, and an expired
session keeps the entries on the tablet (and says so) until the assessor signs in again. The
script runs under the issuer's policy without a single violation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from issuer.db import AssessmentRecord
from tests.issuer.conftest import PASSWORD, Service, store_of
from tests.issuer.workflow import register
from tests.web.chromium import issuer_served, launched
from tests.web.test_assessor_day import FORM_STATE, RUBRIC, _signed_in
from tests.web.test_issuer_verify_page import WATCH, _violations

SAVE_EVERY_MS = 20_000  # autosave.js: at most one background save per 20 s


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Service, str]]:
    with issuer_served(tmp_path_factory.mktemp("autosave")) as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched() as b:
        yield b


def _server_draft(svc: Service, assessment_id: int) -> dict[str, Any]:
    with store_of(svc.app).transaction() as s:
        draft = s.get(AssessmentRecord, assessment_id).draft  # type: ignore[union-attr]
        return dict(draft or {})


def _kept(page: Any, assessment_id: int) -> Any:
    return page.evaluate("(key) => localStorage.getItem(key)", f"skillpass.draft.{assessment_id}")


def _sent(page: Any, assessment_id: int) -> None:
    """The background save went through: the copy on the tablet is dropped once the server
    holds the same state."""
    page.wait_for_function("(key) => localStorage.getItem(key) === null",
                           arg=f"skillpass.draft.{assessment_id}")


def test_autosave_keeps_what_the_assessor_entered(served: tuple[Service, str],
                                                  browser: Any) -> None:
    svc, base = served
    candidate = register(svc, national_id="030456789", name="Keo Sina", nameKm="កែវ ស៊ីណា")
    page = _signed_in(browser, base, "assessor")
    context = page.context
    context.add_init_script(WATCH)
    context.clock.install()  # the 20 s between background saves, without waiting 20 s
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.goto(f"{base}/candidates/{candidate['id']}")
    page.click(f"button[name=rubricId][value={RUBRIC}]")
    page.wait_for_url("**/assessments/*")
    url = page.url
    assessment_id = int(url.rsplit("/", 1)[1])
    form = page.locator("form.judging")
    texts = {k: form.get_attribute(f"data-{k}") for k in ("restored", "kept")}
    assert texts["restored"] and "ថេប្លេត" in texts["restored"]  # the page's language: Khmer
    assert page.locator("#autosave-notice").count() == 0  # nothing kept yet: no notice

    radios = sorted(set(page.locator("form.judging input[type=radio]").evaluate_all(
        "els => els.map(e => e.name)")))
    # The first change is sent at once: the server draft follows it.
    page.check(f"input[name='{radios[0]}'][value=met]")
    _sent(page, assessment_id)
    first = radios[0].removeprefix("result:")
    assert _server_draft(svc, assessment_id)["criteria"][first]["result"] == "met"

    # More changes within 20 s stay on the tablet only, until the next background save.
    page.check(f"input[name='{radios[1]}'][value=not_met]")
    page.check(f"input[name='{radios[2]}'][value=not_assessed]")
    page.fill("input[name='date1:FBS-PRP']", "2026-01-15")
    entered = page.evaluate(FORM_STATE)
    kept = _kept(page, assessment_id)
    assert kept is not None and "csrf" not in kept and "Keo" not in kept and "030456789" not in kept
    second = radios[1].removeprefix("result:")
    assert _server_draft(svc, assessment_id)["criteria"][second]["result"] != "not_met"

    # The page is reloaded (or closed and reopened) before any submit: everything is back,
    # with a notice, and what the server lacked is sent to it.
    page.reload()
    assert page.evaluate(FORM_STATE) == entered
    assert page.locator("#autosave-notice").inner_text() == texts["restored"]
    _sent(page, assessment_id)
    draft = _server_draft(svc, assessment_id)
    assert draft["criteria"][second]["result"] == "not_met"
    assert draft["units"]["FBS-PRP"]["date1"] == "2026-01-15"

    # The session expires while the tablet sleeps: the background save is refused, the
    # entries stay on the tablet and the assessor is told so.
    context.clear_cookies()
    page.check(f"input[name='{radios[3]}'][value=met]")
    entered = page.evaluate(FORM_STATE)
    context.clock.fast_forward(SAVE_EVERY_MS + 1000)
    page.wait_for_function("() => document.getElementById('autosave-notice')?.className === 'error'")
    assert page.locator("#autosave-notice").inner_text() == texts["kept"]
    assert _kept(page, assessment_id) is not None
    fourth = radios[3].removeprefix("result:")
    assert _server_draft(svc, assessment_id)["criteria"][fourth]["result"] != "met"

    # Another tablet sees the server's draft: what reached it, not what was kept locally.
    other = _signed_in(browser, base, "assessor")
    other.goto(url)
    assert other.locator(f"input[name='{radios[1]}'][value=not_met]").is_checked()
    assert not other.locator(f"input[name='{radios[3]}'][value=met]").is_checked()
    assert other.locator("#autosave-notice").count() == 0
    other.context.close()

    # Signed in again on this tablet, the form comes back whole and reaches the server.
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "assessor")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button")
    page.wait_for_url(f"{base}/")
    page.goto(url)
    assert page.evaluate(FORM_STATE) == entered
    assert page.locator("#autosave-notice").inner_text() == texts["restored"]
    _sent(page, assessment_id)
    assert _server_draft(svc, assessment_id)["criteria"][fourth]["result"] == "met"

    # A submit the server takes leaves nothing on the tablet, and no notice on the next load.
    page.check(f"input[name='{radios[4]}'][value=met]")
    page.click("button[name=action][value=draft]")
    page.wait_for_url(url)
    assert page.locator("#autosave-notice").count() == 0
    assert _kept(page, assessment_id) is None
    assert _violations(page, console) == []
    context.close()
