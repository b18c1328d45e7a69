"""An assessor's day in headless Chromium, on a tablet (800x1280), in Khmer: a walk-in the
assessor registers (the centre allows it) to an issued full certificate in at most 8 taps for
a 5-unit rubric judged all met, the worklist, and a validation error that keeps every
judgment entered. Everything here is plain HTML forms under the issuer's policy; the
assessment page's one script (autosave, tests/web/test_autosave.py) only adds to them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from issuer.db import User
from issuer.service import settings
from tests.issuer.conftest import PASSWORD, Service, store_of
from tests.web.chromium import issuer_served, launched
from tests.web.test_phone_verifier import SHOTS

TABLET = {"width": 800, "height": 1280}
RUBRIC = "fnb-service-c1"  # 5 units; FBS-ORD must be seen on two occasions
# Every checked box and radio, and every typed value, of the judging form: what "kept" means.
FORM_STATE = """() => Array.from(document.querySelectorAll('form.judging input'))
    .filter(e => e.type !== 'hidden' && e.type !== 'file')
    .map(e => (e.type === 'radio' || e.type === 'checkbox')
        ? (e.checked ? `${e.name}=${e.value}` : null) : `${e.name}:${e.value}`)
    .filter(x => x !== null).sort()"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Service, str]]:
    with issuer_served(tmp_path_factory.mktemp("assessor-day")) as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched() as b:
        yield b


class Taps:
    """Clicks through one counter, so the test states how many taps the flow costs."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, page: Any, selector: str) -> None:
        self.count += 1
        page.click(selector)


def _signed_in(browser: Any, base: str, username: str) -> Any:
    context = browser.new_context(viewport=TABLET, locale="km-KH")
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button")
    page.wait_for_url(f"{base}/")
    assert page.locator("html").get_attribute("lang") == "km"  # Khmer is the default
    return page


def test_registration_to_full_certificate_in_at_most_8_taps(served: tuple[Service, str],
                                                            browser: Any) -> None:
    """A job fair without a registration desk: the centre lets assessors register, and the
    assessor who checked the ID card at registration issues with its last 4 digits."""
    svc, base = served
    SHOTS.mkdir(parents=True, exist_ok=True)
    with store_of(svc.app).transaction() as s:
        admin = s.query(User).filter_by(username="admin").one()
        settings.set_enabled(s, admin, settings.ASSESSOR_REGISTRATION, True)
    assessor = _signed_in(browser, base, "assessor")
    tap = Taps()
    # The assessor's home page is the worklist; registering a walk-in starts from it.
    assessor.goto(f"{base}/candidates/new")  # the form stays open all day: the count starts here
    assessor.fill("input[name=nameKm]", "សុខ ដារា")
    assessor.fill("input[name=name]", "Sok Dara")
    assessor.fill("input[name=birthYear]", "1990")
    assessor.fill("input[name=nationalId]", "010234567")
    tap(assessor, "form[action$='/candidates'] button")
    assessor.wait_for_url("**/candidates/*")
    tap(assessor, f"button[name=rubricId][value={RUBRIC}]")
    assessor.wait_for_url("**/assessments/*")
    assessor.screenshot(path=str(SHOTS / "assessor-form-km.png"), full_page=True)
    tap(assessor, "input[name=allMet]")
    earlier = (datetime.now(UTC).date() - timedelta(days=14)).isoformat()
    assessor.fill("input[name='date2:FBS-ORD']", earlier)
    tap(assessor, "button[name=action][value=decide]")
    assert assessor.locator("#decision").get_attribute("data-award") == "full_certificate"
    # Identity was checked at registration today: the last 4 digits, not the whole number.
    tap(assessor, "input[name=checkedAtRegistration]")
    assessor.fill("form#issue input[name=nationalId]", "4567")
    tap(assessor, "form#issue button")
    assessor.wait_for_url("**/credentials/*")
    assert assessor.locator(".qr svg").count() == 1
    assert tap.count <= 8, tap.count
    # The worklist after the day's first certificate: waiting, in progress, decided, issued.
    from tests.issuer.workflow import register

    register(svc, national_id="050678912", name="Chan Sophea", nameKm="ចាន់ សុភា")
    started = register(svc, national_id="060789123", name="Keo Sina", nameKm="កែវ ស៊ីណា")
    assessor.goto(f"{base}/candidates/{started['id']}")
    assessor.click(f"button[name=rubricId][value={RUBRIC}]")  # in progress
    assessor.wait_for_url("**/assessments/*")
    assessor.goto(f"{base}/?scope=centre")
    assert assessor.locator("#in-progress a").count() >= 1
    assert assessor.locator("#issued a").count() >= 1
    assert assessor.locator("#waiting a").count() >= 1
    assessor.screenshot(path=str(SHOTS / "assessor-worklist-km.png"), full_page=True)
    assessor.context.close()


def test_a_validation_error_keeps_every_judgment(served: tuple[Service, str],
                                                 browser: Any) -> None:
    svc, base = served
    from tests.issuer.workflow import register

    candidate = register(svc, national_id="020345678", name="Chan Sophea", nameKm="ចាន់ សុភា")
    page = _signed_in(browser, base, "assessor")
    page.goto(f"{base}/candidates/{candidate['id']}")
    page.click(f"button[name=rubricId][value={RUBRIC}]")
    page.wait_for_url("**/assessments/*")
    radios = page.locator("form.judging input[type=radio]")
    names = sorted(set(radios.evaluate_all("els => els.map(e => e.name)")))
    choices = ("met", "not_met", "not_assessed")
    for i, name in enumerate(names):  # a mix of every answer, criterion by criterion
        page.check(f"input[name='{name}'][value={choices[i % 3]}]")
    first = names[0].removeprefix("result:")
    page.check(f"input[name='{names[0]}'][value=met]")
    page.locator(f"input[name='method:{first}']").evaluate_all(
        "els => els.forEach(e => { e.checked = false; })")
    page.fill("input[name='date1:FBS-PRP']", "2020-01-01")  # older than 3 years: not current
    before = page.evaluate(FORM_STATE)
    page.click("button[name=action][value=decide]")
    page.wait_for_selector("#problems")
    after = page.evaluate(FORM_STATE)
    assert after == before  # 100 % of what was entered, judgments, methods and dates
    assert page.locator(".criterion.has-error .error").count() >= 1
    assert "សូមធីកភស្តុតាងដែលត្រូវការ" in page.locator(".criterion.has-error").first.inner_text()
    page.screenshot(path=str(SHOTS / "assessor-form-error-km.png"), full_page=True)
    page.reload()  # the tablet slept: the server kept the draft
    assert page.evaluate(FORM_STATE) == before
    page.context.close()
