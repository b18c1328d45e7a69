"""Every page an assessor, registrar or admin can open reads in Khmer: no English left over.

The pages are found from the app's url_map (every GET rule), so a new page is covered without
editing this file; each is opened by each role, with the ids of a candidate, an assessment and
a credential seeded through the pages themselves. The rendered DOM's text nodes, and the
attributes a reader sees (placeholder, title, alt, aria-label, a button's value), are scanned
for runs of Latin letters. What may stay Latin is short and listed in ALLOWED with its reason.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

from issuer.service import credentials
from rpl_rubrics import catalogue
from tests.issuer.conftest import PASSWORD, Service
from tests.issuer.workflow import PNG

# Acronyms and brands a Khmer reader meets as they are (the frameworks' own names, file
# formats); nothing else in Latin letters belongs in a Khmer page.
# "English" is the language switch, which names the other language in that language.
# "km"/"th" are language codes, the example a registrar types.
ALLOWED = {"ISCO", "CQF", "RPL", "TVET", "QR", "PDF", "PNG", "CSV", "API", "ID", "PTO", "ESD",
           "English", "km", "th"}
# Codes, not words: unit codes (MAS-WHS), rubric and course ids (masonry-c1), key ids, URLs and
# any token with a digit in it (1F, urn:uuid:…, C1), and a command to type (skillpass trust …).
# Removed before the scan.
CODE = re.compile(r"skillpass(?: [a-z-]+)+|\S*\d\S*|\b[A-Z]+(?:-[A-Z0-9]+)+\b|\b[a-z0-9]+(?:-[a-z0-9]+)+\b|https?://\S+")
LATIN = re.compile(r"[A-Za-z]{2,}")
SHOWN_ATTRIBUTES = ("placeholder", "title", "alt", "aria-label")
# People's, accounts' and tokens' names are data: the seeded ones and the fixture's.
NAMES = ("Sok Dara", "second assessor", " token", "admin", "assessor", "registrar", "test")


class _Text(HTMLParser):
    """The texts of a page that a reader sees."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._hidden = 0

    # <code> holds data a reader copies, not words (a key id is 12 random letters and digits,
    # sometimes letters only): not read as language.
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "svg", "code"):
            self._hidden += 1
        values = dict(attrs)
        self.found += [v for k, v in attrs if k in SHOWN_ATTRIBUTES and v]
        if tag in ("input", "button") and values.get("type") in ("submit", "button", "reset"):
            self.found.append(values.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "svg", "code"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.found.append(data)


def english_left(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    out = []
    for text in parser.found:
        for name in NAMES:
            text = text.replace(name, " ")
        text = CODE.sub(" ", text)
        out += [w for w in LATIN.findall(text) if w not in ALLOWED]
    return out


def _browser(svc: Service, role: str) -> tuple[Any, Callable[[], str]]:
    client = svc.app.test_client()
    client.get("/login?lang=km")

    def token() -> str:
        with client.session_transaction() as s:
            return str(s["csrf"])

    r = client.post("/login", data={"username": role, "password": PASSWORD, "csrf_token": token()})
    assert r.status_code == 302
    client.get("/")  # signing in starts a new session: this page gives it its CSRF token
    return client, token


def _seed(svc: Service) -> dict[str, str]:
    """A candidate, a decided-and-issued assessment with a reason, and its credential."""
    registrar, rtoken = _browser(svc, "registrar")
    r = registrar.post("/candidates", data={
        "name": "Sok Dara", "nameKm": "សុខ ដារា", "birthDate": "1988-04-12",
        "nationalId": "010234567", "province": "បាត់ដំបង", "occupationAbroad": "ជាងឥដ្ឋ",
        "languages": "km th", "csrf_token": rtoken()})
    assert r.status_code == 302
    candidate_id = r.headers["Location"].rsplit("/", 1)[1]
    assessor, atoken = _browser(svc, "assessor")
    r = assessor.post("/assessments", data={"candidateId": candidate_id,
                                            "rubricId": "forklift-warehouse-c1",
                                            "csrf_token": atoken()})
    assessment_url = r.headers["Location"]
    rubric = catalogue.get("forklift-warehouse-c1")
    form: dict[str, object] = {"csrf_token": atoken(),
                               "evidence": [(io.BytesIO(PNG), "a.png", "image/png"),
                                            (io.BytesIO(PNG + b"2"), "b.png", "image/png")]}
    first = rubric.units[0].criteria[0]
    for c in (c for u in rubric.units for c in u.criteria):
        # One critical criterion not met: a statement of attainment, with a reason to show.
        form[f"result:{c.key}"] = "not_met" if c is first else "met"
        form[f"method:{c.key}"] = [m.value for m in c.required] or [sorted(c.accepted)[0].value]
    assert assessor.post(assessment_url, data=form,
                         content_type="multipart/form-data").status_code == 302
    refused = assessor.post(assessment_url + "/credential",
                            data={"nationalId": "999999999", "csrf_token": atoken()})
    assert refused.status_code == 400 and not english_left(refused.get_data(as_text=True))
    r = assessor.post(assessment_url + "/credential",
                      data={"nationalId": "010234567", "csrf_token": atoken()})
    assert r.status_code == 302
    credential_id = r.headers["Location"].rsplit("/", 1)[1]
    with svc.app.extensions["skillpass.store"].transaction() as s:
        kid = str(credentials.get(s, credential_id).kid)
    return {"candidate_id": candidate_id, "assessment_id": assessment_url.rsplit("/", 1)[1],
            "credential_id": credential_id, "kid": kid, "code": "km", "purpose": "revocation",
            "number": "1", "name": "index.html", "token_id": "1", "user_id": "1",
            "action": "suspend"}


def test_every_page_reads_in_khmer_for_every_role(sqlite_svc: Service) -> None:
    ids = _seed(sqlite_svc)
    app = sqlite_svc.app
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static":
            continue
        url = rule.rule
        for name in rule.arguments:
            for converter in ("", "int:", "path:"):
                url = url.replace(f"<{converter}{name}>", ids[name])
        urls.append(url)
    urls += ["/no-such-page", "/candidates/999999"]  # the 404 pages read in Khmer too
    pages = 0
    problems = []
    for role in ("admin", "assessor", "registrar", None):
        client = _browser(sqlite_svc, role)[0] if role else app.test_client()
        if role is None:
            client.get("/login?lang=km")
        for url in urls:
            if url.startswith(("/lang/", "/verify")):
                # The switch itself leaves Khmer; the phone verifier is its own page, which
                # picks the reader's language in the browser (tests/web cover it).
                continue
            r = client.get(url, headers={"Accept": "text/html"})
            if r.mimetype != "text/html" or 300 <= r.status_code < 400:
                continue  # files, the JSON API and redirects: not pages anyone reads
            pages += 1
            left = english_left(r.get_data(as_text=True))
            if left:
                problems.append(f"{role or 'anonymous'} {url} ({r.status_code}): {sorted(set(left))}")
    assert pages >= 20
    assert not problems, "\n".join(problems)


def test_the_scan_finds_english() -> None:
    assert english_left("<p>ស្ថានភាព: decided</p>") == ["decided"]
    assert english_left('<input placeholder="Search">') == ["Search"]
    assert english_left("<p>MAS-WHS masonry-c1 ISCO-08 7112 Sok Dara</p>") == []
    assert english_left("<script>var x = 'hidden';</script>") == []
