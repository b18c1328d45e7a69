"""The web import of a job fair's CSV file and day printing: preview first, every problem of
every row in the reader's language, one confirm through the batch code; sheets read back."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

from sqlalchemy import func, select

from bench.batch_csv import results_csv
from issuer.db import CredentialRecord
from passport.scan import qr_texts
from tests.issuer.conftest import Service, store_of
from tests.issuer.workflow import browser


def _table(rows: int) -> list[list[str]]:
    return list(csv.reader(io.StringIO(results_csv(rows, datetime.now(UTC).date()))))


def _bytes(table: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(table)
    return out.getvalue().encode()


def _credentials(svc: Service) -> int:
    with store_of(svc.app).read() as s:
        return int(s.execute(select(func.count()).select_from(CredentialRecord)).scalar_one())


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, name
    return found.group(1)


def test_preview_lists_every_problem_then_one_confirm_issues_the_good_rows(
        sqlite_svc: Service) -> None:
    client, token = browser(sqlite_svc, "registrar")
    client.get("/lang/km")
    table = _table(6)
    table[2][2] = "nineteen-ninety"  # row 3: two problems in one row
    table[2][10] = "not-a-hash"
    table[4][4] = "no-such-rubric"  # row 5
    r = client.post("/import", data={"csrf_token": token,
                                     "file": (io.BytesIO(_bytes(table)), "fair.csv")},
                    content_type="multipart/form-data")
    page = r.get_data(as_text=True)
    assert r.status_code == 200, page[-800:]
    assert "birth_year" in page and "evidence_sha256" in page and "rubric" in page
    assert "មិនមែនជាឆ្នាំទេ" in page and "មិនស្គាល់តារាងវាយតម្លៃ" in page  # in the reader's language
    assert _credentials(sqlite_svc) == 0  # the preview issued nothing
    digest = _hidden(page, "digest")
    text = _bytes(table).decode()
    # An altered file is refused, not issued.
    forged = client.post("/import/issue", data={"csrf_token": token, "name": "fair.csv",
                                                "digest": digest, "csv": text + "x"},
                         content_type="multipart/form-data")
    assert forged.status_code == 400 and _credentials(sqlite_svc) == 0
    r = client.post("/import/issue", data={"csrf_token": token, "name": "fair.csv",
                                           "digest": digest, "csv": text},
                    content_type="multipart/form-data")
    assert r.status_code == 200, r.get_data(as_text=True)[-800:]
    issued = _credentials(sqlite_svc)
    assert 0 < issued <= 4
    # The same confirm again issues nothing twice.
    client.post("/import/issue", data={"csrf_token": token, "name": "fair.csv",
                                       "digest": digest, "csv": text},
                content_type="multipart/form-data")
    assert _credentials(sqlite_svc) == issued


def test_bad_files_get_a_400_page_naming_the_problem(sqlite_svc: Service) -> None:
    client, token = browser(sqlite_svc, "registrar")
    for data, words in ((b"\xff\xfe not utf-8", "UTF-8"), (b"name,colour\nx,y\n", "missing"),
                        (b"", "")):
        r = client.post("/import", data={"csrf_token": token,
                                         "file": (io.BytesIO(data), "bad.csv")},
                        content_type="multipart/form-data")
        assert r.status_code == 400, r.status_code
        assert words in r.get_data(as_text=True)
    no_csrf = client.post("/import", data={"file": (io.BytesIO(b"x"), "a.csv")},
                          content_type="multipart/form-data")
    assert no_csrf.status_code == 400
    assert browser(sqlite_svc, "assessor")[0].get("/import").status_code == 403


def test_a_day_prints_on_sheets_of_ten_and_refused_cards_say_why(sqlite_svc: Service) -> None:
    client, token = browser(sqlite_svc, "registrar")
    data = _bytes(_table(12))
    page = client.post("/import", data={"csrf_token": token,
                                        "file": (io.BytesIO(data), "fair.csv")},
                       content_type="multipart/form-data").get_data(as_text=True)
    client.post("/import/issue", data={"csrf_token": token, "name": "fair.csv",
                                       "digest": _hidden(page, "digest"), "csv": data.decode()},
                content_type="multipart/form-data")
    with store_of(sqlite_svc.app).transaction() as s:
        records = list(s.execute(select(CredentialRecord)).scalars())
        revoked = records[0]
        revoked.revoked, revoked.status_reason = True, "issued in error"
        ids = [r.id for r in records]
        qrs = {r.id: r.qr for r in records}
    assert len(ids) >= 11
    listing = client.get("/print").get_data(as_text=True)
    assert "issued in error" in listing and listing.count('type="checkbox"') == len(ids) - 1
    r = client.get("/print/sheet.pdf", query_string={"id": ids})
    assert r.status_code == 200 and r.headers["X-Refused"] == "1"
    read = qr_texts(r.data)
    assert sorted(read) == sorted(qrs[i] for i in ids[1:])  # every card, on 2 A4 pages
    single = client.get("/print/sheet.pdf", query_string={"id": ids[1]})
    assert qr_texts(single.data) == [qrs[ids[1]]]
    refused = client.get("/print/sheet.pdf", query_string={"id": ids[0]})
    assert refused.status_code == 409 and "issued in error" in refused.get_data(as_text=True)
    assert client.get("/print", query_string={"day": "not-a-day"}).status_code == 400


def test_a_file_with_lf_line_ends_and_a_bom_is_confirmed_as_a_browser_sends_it_back(
        sqlite_svc: Service) -> None:
    """Saved on Linux or macOS (LF), or as "CSV UTF-8" (a byte order mark): the preview's
    textarea comes back from a browser with CRLF line ends and no mark, and still issues."""
    client, token = browser(sqlite_svc, "registrar")
    uploaded = b"\xef\xbb\xbf" + _bytes(_table(2)).replace(b"\r\n", b"\n")
    r = client.post("/import", data={"csrf_token": token,
                                     "file": (io.BytesIO(uploaded), "fair.csv")},
                    content_type="multipart/form-data")
    page = r.get_data(as_text=True)
    assert r.status_code == 200, page[-800:]
    sent_back = uploaded.decode("utf-8-sig").replace("\n", "\r\n")
    r = client.post("/import/issue", data={"csrf_token": token, "name": "fair.csv",
                                           "digest": _hidden(page, "digest"), "csv": sent_back},
                    content_type="multipart/form-data")
    assert r.status_code == 200, r.get_data(as_text=True)[-800:]
    assert _credentials(sqlite_svc) > 0
    # Issued by the import: on the worklist as issued today, not as waiting for an assessment.
    from issuer.db import User
    from issuer.service import worklist

    with store_of(sqlite_svc.app).read() as s:
        admin = s.query(User).filter_by(username="admin").one()
        work = worklist.build(s, admin, mine=False, now=datetime.now(UTC))
        assert work.issued and not work.waiting


def test_a_row_with_the_wrong_number_of_fields_does_not_stop_the_good_ones(
        sqlite_svc: Service) -> None:
    """The preview offers the good rows; the confirm issues them, whatever the bad row holds."""
    client, token = browser(sqlite_svc, "registrar")
    text = _bytes(_table(3)).decode().replace("\r\n", "\n")
    lines = text.split("\n")
    lines.insert(2, 'junk,"two\nlines"')  # a bad row, quoted across two lines
    lines.insert(5, "x")  # and one of a single field
    uploaded = "\n".join(lines).encode()
    r = client.post("/import", data={"csrf_token": token,
                                     "file": (io.BytesIO(uploaded), "fair.csv")},
                    content_type="multipart/form-data")
    page = r.get_data(as_text=True)
    assert r.status_code == 200, page[-800:]
    r = client.post("/import/issue", data={"csrf_token": token, "name": "fair.csv",
                                           "digest": _hidden(page, "digest"),
                                           "csv": uploaded.decode()},
                    content_type="multipart/form-data")
    assert r.status_code == 200, r.get_data(as_text=True)[-800:]
    assert _credentials(sqlite_svc) > 0


def test_a_day_that_has_no_midnight_is_a_400(sqlite_svc: Service) -> None:
    client, _ = browser(sqlite_svc, "registrar")
    for day in ("0001-01-01", "2026-02-30", "x"):
        assert client.get(f"/print?day={day}").status_code == 400, day
    assert client.get("/print?day=9999-12-31").status_code == 200
