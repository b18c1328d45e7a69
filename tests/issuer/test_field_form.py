"""The assessor's form in the field: shortcuts, occasions, a draft that survives every error,
problems beside their criterion in the page's language, and a reassessment's earlier result."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient

from issuer.db import AssessmentRecord
from rpl_rubrics import catalogue
from tests.issuer.conftest import Service, store_of
from tests.issuer.workflow import browser, register

RUBRIC = "fnb-service-c1"  # 5 units, one of them (FBS-ORD) to be seen on two occasions


def _start(svc: Service, client: FlaskClient, token: str, candidate_id: int) -> str:
    r = client.post("/assessments", data={"candidateId": str(candidate_id), "rubricId": RUBRIC,
                                          "csrf_token": token})
    assert r.status_code == 302
    return str(r.headers["Location"])


def _checked(page: str) -> dict[str, set[str]]:
    """Every checked radio and checkbox of the form, by field name."""
    out: dict[str, set[str]] = {}
    for tag in re.findall(r"<input [^>]*>", page):
        if " checked" in tag:
            name = re.search(r'name="([^"]+)"', tag)
            value = re.search(r'value="([^"]*)"', tag)
            assert name and value
            out.setdefault(name.group(1), set()).add(value.group(1))
    return out


def _values(page: str, prefix: str) -> dict[str, str]:
    return {n: v for n, v in re.findall(r'name="(' + prefix + r'[^"]*)" value="([^"]*)"', page)}


def test_a_problem_keeps_every_judgment_and_speaks_khmer(svc: Service) -> None:
    candidate = register(svc)
    client, token = browser(svc, "assessor")
    url = _start(svc, client, token, candidate["id"])
    rubric = catalogue.get(RUBRIC)
    keys = [c.key for u in rubric.units for c in u.criteria]
    earlier = (datetime.now(UTC).date() - timedelta(days=20)).isoformat()
    form: dict[str, Any] = {"csrf_token": token, "action": "decide",
                            f"date2:{rubric.units[2].code}": earlier}
    results = ["met", "not_met", "not_assessed"]
    for i, key in enumerate(keys):
        form[f"result:{key}"] = results[i % 3]
        form[f"method:{key}"] = ["oral_questioning"]  # not the required method for most
    first = keys[0]
    form[f"method:{first}"] = []  # judged met with nothing ticked
    r = client.post(url, data=form)
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    kept = _checked(page)
    for i, key in enumerate(keys):  # 100 % of the judgments entered are on the page again
        assert kept[f"result:{key}"] == {results[i % 3]}, key
        if key != first:
            assert kept[f"method:{key}"] == {"oral_questioning"}
    assert f"method:{first}" not in kept
    assert _values(page, "date2:")[f"date2:{rubric.units[2].code}"] == earlier
    # Beside the criterion, in Khmer, naming what to tick (no developer dump).
    block = page[page.index(f'name="result:{first}"'):]
    block = block[:block.index('<div class="criterion')]
    assert "សូមធីកភស្តុតាងដែលត្រូវការ" in block and "judgments[" not in page
    # The draft is on the server: a tablet that slept reopens the same form.
    again = client.get(url).get_data(as_text=True)
    assert _checked(again) == kept

    # Fixed: the methods the rubric requires, ticked; the same form decides.
    for key in keys:
        c = rubric.criterion(key)
        assert c is not None
        form[f"method:{key}"] = sorted(m.value for m in c.required) or ["observation"]
    r = client.post(url, data=form)
    assert r.status_code == 302, r.get_data(as_text=True)[-800:]
    assert 'data-award="' in client.get(url).get_data(as_text=True)


def test_all_met_needs_the_second_occasion_then_gives_a_full_certificate(
        sqlite_svc: Service) -> None:
    candidate = register(sqlite_svc, national_id="030456789", name="Keo Sina", nameKm="កែវ ស៊ីណា")
    client, token = browser(sqlite_svc, "assessor")
    url = _start(sqlite_svc, client, token, candidate["id"])
    r = client.post(url, data={"csrf_token": token, "allMet": "1", "action": "decide"})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "ត្រូវតែឃើញនៅ 2 ថ្ងៃផ្សេងគ្នា" in page and _checked(page)["allMet"] == {"1"}

    earlier = (datetime.now(UTC).date() - timedelta(days=30)).isoformat()
    r = client.post(url, data={"csrf_token": token, "allMet": "1", "action": "decide",
                               "date2:FBS-ORD": earlier,
                               **_defaults(RUBRIC)})
    assert r.status_code == 302, r.get_data(as_text=True)[-800:]
    assert 'data-award="full_certificate"' in client.get(url).get_data(as_text=True)
    r = client.post(url + "/credential", data={"nationalId": "030456789", "csrf_token": token})
    assert r.status_code == 302 and "/credentials/" in r.headers["Location"]


def _defaults(rubric_id: str) -> dict[str, list[str]]:
    """The methods the page ticks before anyone touches it."""
    rubric = catalogue.get(rubric_id)
    return {f"method:{c.key}": sorted(m.value for m in c.required) or [min(c.accepted).value]
            for u in rubric.units for c in u.criteria}


def test_draft_files_and_a_reassessment(sqlite_svc: Service) -> None:
    candidate = register(sqlite_svc, national_id="040567891", name="Lim Bora", nameKm="លឹម បូរ៉ា")
    client, token = browser(sqlite_svc, "assessor")
    url = _start(sqlite_svc, client, token, candidate["id"])
    png = b"\x89PNG\r\n\x1a\n" + b"\x01" * 64
    r = client.post(url, data={"csrf_token": token, "action": "draft", "unit:FBS-HYG": "all_met",
                               "file:FBS-HYG/1.1": (io.BytesIO(png), "hands.png", "image/png"),
                               "evidence": (io.BytesIO(b"not a pdf"), "x.pdf",
                                            "application/pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 400  # the refused file is named; the rest is kept
    page = r.get_data(as_text=True)
    assert "x.pdf" in page and _checked(page)["unit:FBS-HYG"] == {"all_met"}
    assert "image/png" in page  # the uploaded photo is listed back
    with store_of(sqlite_svc.app).transaction() as s:
        record = s.get(AssessmentRecord, int(url.rsplit("/", 1)[1]))
        assert record is not None and record.draft is not None
        assert record.state == "open" and record.judgments == []
        assert len(record.draft["criteria"]["FBS-HYG/1.1"]["files"]) == 1

    # Decided with one unit short: a statement of attainment, and the gap shown next time.
    form: dict[str, Any] = {"csrf_token": token, "action": "decide", "allMet": "1",
                            "date2:FBS-ORD": (datetime.now(UTC).date()
                                              - timedelta(days=3)).isoformat(),
                            **_defaults(RUBRIC), "result:FBS-COM/1.1": "not_met"}
    assert client.post(url, data=form).status_code == 302
    assert 'data-award="statement_of_attainment"' in client.get(url).get_data(as_text=True)
    second = _start(sqlite_svc, client, token, candidate["id"])
    page = client.get(second).get_data(as_text=True)
    assert "ការវាយតម្លៃលើកមុន" in page and "មិនទាន់មានសមត្ថភាព" in page


def test_another_assessor_cannot_write_the_draft(sqlite_svc: Service) -> None:
    candidate = register(sqlite_svc, national_id="050678912", name="Mao Dina", nameKm="ម៉ៅ ឌីណា")
    client, token = browser(sqlite_svc, "assessor")
    url = _start(sqlite_svc, client, token, candidate["id"])
    other, other_token = browser(sqlite_svc, "assessor2")
    assert other.post(url, data={"csrf_token": other_token, "action": "draft"}).status_code == 403
    bad = client.post(url, data={"csrf_token": token, "result:FBS-HYG/1.1": "maybe",
                                 "date1:FBS-PRP": "2026-13-45", "action": "decide"})
    assert bad.status_code == 400
    assert "សូមជ្រើសរើស" in bad.get_data(as_text=True)
    assert "មិនមែនជាកាលបរិច្ឆេទត្រឹមត្រូវទេ" in bad.get_data(as_text=True)
