"""Pages for a day's work at once: import a job fair's CSV file, print a day's cards.

Import: the file is checked and previewed (every problem of every row, in the reader's
language) and nothing is issued; one confirm then issues the good rows through the same code
as `skillpass issue-batch` (issuer.batch). The preview page carries the file back with an
HMAC of it, so the confirm needs no file kept on one server's disk (several processes on
several hosts serve one centre); the confirm checks the file again against the database all
the same, as time has passed and another person may have issued meanwhile.

Printing: A4 sheets of 10 cards with cut marks from a day's or a selection's credentials;
revoked and suspended ones are named with the reason and left out, the rest are printed.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from flask import Blueprint, Response, g, render_template, request
from sqlalchemy import select

from issuer import batch
from issuer.auth import roles
from issuer.db import Candidate, CredentialRecord
from issuer.installation import Installation
from issuer.service import credentials, worklist
from issuer.web import Page, t
from issuer.web_common import centre, store, transaction
from passport.bitmap import PackedBitmap
from passport.card import render
from passport.errors import DocumentError

days = Blueprint("days", __name__)

MAX_IMPORT_BYTES = 2 * 1024 * 1024  # a job fair of several thousand rows
MAX_IMPORT_ROWS = 5000
MAX_PRINT = 1000  # cards in one PDF: 100 A4 pages, made in a few seconds


class BadImport(DocumentError):
    """The upload cannot be read as a job fair's file at all (HTTP 400, with the reason)."""



@days.errorhandler(BadImport)
def bad_import(exc: BadImport) -> tuple[str, int]:
    """Its problems are already in the reader's language: shown as the page's message."""
    return render_template("error.html", code=400,
                           message="; ".join(message for _, message in exc.problems)), 400

def _digest(text: bytes) -> str:
    # Binds the previewed file to the person who previewed it: a confirm sends back exactly
    # what this server read, and only that person's session can send it.
    key = hmac.new(centre().home.secret(), b"import preview", hashlib.sha256).digest()
    return hmac.new(key, str(g.user.id).encode() + b"\0" + text, hashlib.sha256).hexdigest()


def _problem_text(p: batch.Problem) -> str:
    template = t(f"import.problem.{p.code}")
    if template == f"import.problem.{p.code}":
        return p.message
    try:
        return template.format(**dict(p.args))
    except (KeyError, IndexError, ValueError):  # a translation naming a value it lacks
        return p.message


def _upload() -> tuple[bytes, str]:
    """The uploaded file's bytes and name, within the limits; else a 400 naming the problem."""
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        raise BadImport("upload", [("file", t("import.no_file"))])
    data = sent.stream.read(MAX_IMPORT_BYTES + 1)
    name = os.path.basename(sent.filename)[:80]
    if len(data) > MAX_IMPORT_BYTES:
        raise BadImport(name, [("file", t("import.too_big").format(limit=MAX_IMPORT_BYTES))])
    return data, name


def _canonical(data: bytes, name: str) -> bytes:
    """The file as the preview shows it and the confirm sends it back: UTF-8 without a byte
    order mark, every line ending LF. A browser submits a textarea's line ends as CRLF, so the
    preview's digest is of this form, not of the bytes as uploaded."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadImport(name, [("file", t("import.not_utf8"))]) from None
    return text.replace("\r\n", "\n").replace("\r", "\n").encode()


def _check_size(data: bytes, name: str) -> None:
    """`data` is `_canonical`: every line ends in LF."""
    if data.count(b"\n") > MAX_IMPORT_ROWS + 1:
        raise BadImport(name, [("file", t("import.too_many_rows").format(limit=MAX_IMPORT_ROWS))])


@contextmanager
def _as_file(data: bytes) -> Iterator[Path]:
    """The bytes in a private temporary file for the length of one request: the batch code
    streams files. Removed whatever happens."""
    fd, name = tempfile.mkstemp(prefix="skillpass-import-", suffix=".csv")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def _review(data: bytes, name: str) -> batch.Review:
    _check_size(data, name)
    with _as_file(data) as path:
        try:
            return batch.review_rows(_installation(), path, keep=True)
        except DocumentError as exc:  # the header, or a record the csv module refuses
            raise BadImport(name, exc.problems) from None


def _installation() -> Installation:
    """The web's centre and store, as the batch code takes them: the one store, the one
    status-list allocator of this centre."""
    return Installation(centre().home, store(), centre())


@days.get("/import")
@roles("registrar", "admin")
def import_page() -> Page:
    return render_template("import.html", review=None, problems=[], csv_text=None, name="",
                           max_rows=MAX_IMPORT_ROWS)


@days.post("/import")
@roles("registrar", "admin")
def import_preview() -> Page:
    """Check the file and show every problem and every good row; issue nothing."""
    data, name = _upload()
    data = _canonical(data, name)
    review = _review(data, name)
    problems = [(p.line, p.column, _problem_text(p)) for p in review.problems]
    bad = {p.line for p in review.problems}
    good = [r for r in review.previews if r.line not in bad]
    return render_template("import.html", review=review, problems=problems, good=good,
                           csv_text=data.decode(), digest=_digest(data), name=name,
                           max_rows=MAX_IMPORT_ROWS)


def _good_rows_only(data: bytes, bad: set[int]) -> bytes:
    """The file with every bad row blanked (a blank row is skipped), each row on its own line
    as before, so the good rows keep their line numbers in what is recorded."""
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    before = 0  # the line the previous record ended on
    for record in reader:
        if reader.line_num in bad:
            # Empty lines, as many as the record spanned: the batch reader skips them whatever
            # the bad row's number of fields was, and the rows after keep their line numbers.
            out.write("\n" * (reader.line_num - before))
        else:
            writer.writerow(record)
        before = reader.line_num
    return out.getvalue().encode()


@days.post("/import/issue")
@roles("registrar", "admin")
def import_issue() -> Page:
    """Issue the good rows of a previewed file, checked again now."""
    text = request.form.get("csv", "")
    name = os.path.basename(request.form.get("name", ""))[:80] or "upload.csv"
    data = _canonical(text.encode(), name)
    if len(data) > MAX_IMPORT_BYTES or not hmac.compare_digest(
            _digest(data).encode(), request.form.get("digest", "").encode("utf-8", "replace")):
        raise BadImport(name, [("file", t("import.altered"))])
    review = _review(data, name)
    good_data = _good_rows_only(data, {p.line for p in review.problems})
    counts = {"issued": 0, "already": 0, "no_award": 0, "withheld": 0}
    ids: list[str] = []

    def count(outcome: batch._Outcome) -> None:
        if outcome.record is None:
            counts["no_award"] += 1
        elif outcome.withheld:
            counts["withheld"] += 1
        else:
            counts["issued" if outcome.new else "already"] += 1
            ids.append(credentials.parsed_jws(outcome.record[0]).id)

    with _as_file(good_data) as path:
        try:
            batch.issue_rows(_installation(), path, at=datetime.now(UTC), on_outcome=count,
                             actor_id=g.user.id, label=f"web import {name}")
        except DocumentError as exc:
            # Changed since the preview (another person issued a row, for one): nothing of
            # the refused check was issued; the page says what and where.
            raise BadImport(name, exc.problems) from None
    return render_template("import_done.html", counts=counts, ids=ids, name=name)


# -- printing ---------------------------------------------------------------------------------

def _day(value: str | None) -> date:
    if not value:
        return datetime.now(UTC).astimezone(worklist.CENTRE_TIME).date()
    try:
        day = date.fromisoformat(value[:10])
        # The centre's midnight in UTC must exist too (not before year 1 or after 9999).
        datetime.combine(day, time(), tzinfo=worklist.CENTRE_TIME).astimezone(UTC)
    except (ValueError, OverflowError):
        raise BadImport("day", [("day", t("print.bad_day").format(value=value[:20]))]) from None
    return day


def _local_time(stored: datetime) -> str:
    """A stored time (UTC; SQLite gives it back without a zone) as the centre's clock reads."""
    aware = stored if stored.tzinfo else stored.replace(tzinfo=UTC)
    return aware.astimezone(worklist.CENTRE_TIME).strftime("%H:%M")


def _refusal(record: CredentialRecord) -> str:
    state = t("revoked") if record.revoked else t("suspended")
    reason = f" ({record.status_reason})" if record.status_reason else ""
    return f"{t('print.refused')}: {state}{reason}"


@days.get("/print")
@roles("registrar", "admin")
def print_day() -> Page:
    """A day's credentials, each printable one ticked; the refused ones say why."""
    day = _day(request.args.get("day"))
    # The centre's day (Cambodia time), as the worklist's "today"; stored times are UTC.
    start = datetime.combine(day, time(), tzinfo=worklist.CENTRE_TIME).astimezone(UTC)
    with transaction() as s:
        rows = s.execute(select(CredentialRecord, Candidate)
                         .join(Candidate, Candidate.id == CredentialRecord.candidate_id)
                         .where(CredentialRecord.issued_at >= start,
                                CredentialRecord.issued_at < start + timedelta(days=1))
                         .order_by(CredentialRecord.issued_at, CredentialRecord.id)
                         .limit(MAX_PRINT + 1)).all()
    listed = [(r, c, _refusal(r) if r.revoked or r.suspended else "", _local_time(r.issued_at))
              for r, c in rows]
    return render_template("print.html", day=day, listed=listed[:MAX_PRINT],
                           more=len(listed) > MAX_PRINT, limit=MAX_PRINT)


@days.get("/print/sheet.pdf")
@roles("registrar", "admin")
def print_sheet() -> Page:
    """A4 sheets of the chosen credentials (`id`, repeated): one id reprints one card."""
    from passport.printing import PdfWriter, SheetWriter

    wanted = list(dict.fromkeys(request.args.getlist("id")))
    if not wanted:
        raise BadImport("print", [("id", t("print.none_chosen"))])
    if len(wanted) > MAX_PRINT:
        raise BadImport("print", [("id", t("print.too_many").format(limit=MAX_PRINT))])
    with transaction() as s:
        found = {r.id: r for r in s.execute(select(CredentialRecord).where(
            CredentialRecord.id.in_([w[:40] for w in wanted]))).scalars()}
    refused = [(w, t("print.unknown")) for w in wanted if w not in found]
    refused += [(r.id, _refusal(r)) for r in found.values() if r.revoked or r.suspended]
    printable = [found[w] for w in wanted if w in found and not (found[w].revoked
                                                                 or found[w].suspended)]
    if not printable:
        return render_template("print_refused.html", refused=refused), 409  # type: ignore[return-value]
    face_of = centre().card_face_maker()
    buf = io.BytesIO()
    with PdfWriter(buf) as pdf:
        sheet = SheetWriter(pdf)
        for record in printable:
            card: PackedBitmap = render(face_of(credentials.parsed(record), record.qr))
            sheet.add(card)
        sheet.close()
    headers = {"Content-Disposition": 'inline; filename="cards.pdf"'}
    if refused:  # the page that linked here listed them; the count reaches scripts too
        headers["X-Refused"] = str(len(refused))
    return Response(buf.getvalue(), mimetype="application/pdf", headers=headers)
