"""`skillpass issue-batch RESULTS.csv`: a day of job-fair assessments in one go.

Each CSV row is one candidate's assessment against a bundled rubric, written as exceptions:
every criterion is met on the assessment date (and any extra `occasions`) with the rubric's
required evidence, except the criteria listed in `not_met` / `not_assessed`. The candidate's
evidence (photos, forms, reports) is referred to by one content hash, `evidence_sha256`.

Every row is checked before anything is issued, against the file and against the centre's
database (a national ID already registered must name the same person); all bad rows are
reported with their line numbers. Then the file is read a second time and issued in chunks,
one transaction per chunk, through the same service as the web: each row's candidate is
found or created by national ID, and each credential is recorded with the content hash of
its row (`request_key`). A re-run after an interruption finds the rows already issued and
writes their files again from the database, so nothing is issued twice. Rows stream: the
memory used does not grow with the number of rows.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from issuer.centre import normalize_national_id
from issuer.db import User
from issuer.installation import Installation
from issuer.service import accounts, candidates, credentials, issuance
from issuer.service.errors import Forbidden
from passport.bitmap import PackedBitmap
from passport.card import render
from passport.credential import HolderInput, Kind
from passport.errors import DocumentError, Error, StorageError
from passport.fileio import read_bytes, write_atomic
from passport.printing import PdfWriter, SheetWriter
from rpl_rubrics import catalogue
from rpl_rubrics.assessment import Assessment
from rpl_rubrics.credentials import request_for
from rpl_rubrics.engine import Award, Decision, decide
from rpl_rubrics.requests import input_key

COLUMNS = ("name", "name_km", "birth_year", "national_id", "rubric", "assessment_date",
           "assessor_id", "assessor_name", "not_met", "not_assessed", "evidence_sha256",
           "occasions")
REQUIRED = frozenset((*COLUMNS[:8], "evidence_sha256"))
MAX_CSV_BYTES = 20 * 1024 * 1024
CHUNK = 100  # rows per transaction: short enough that the web service never waits long
SHEET = "sheet.pdf"


@dataclass(frozen=True)
class Row:
    line: int
    key: str  # content hash of the row's assessment: the same row is the same key
    stem: str
    decision: Decision
    # The same row's key under each earlier version of its rubric: a file issued before a
    # rubric's text changed is found again, never certified twice.
    earlier_keys: tuple[str, ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.key, *self.earlier_keys)


@dataclass(frozen=True)
class Problem:
    """One problem of one row: where (line, column) and what, as a code a page translates.

    `message` is the English text the command line prints; `code` and `args` let the web
    import say the same in the reader's language (issuer/i18n, keys "import.problem.CODE").
    """

    line: int
    message: str
    column: str = ""
    code: str = "invalid"
    args: tuple[tuple[str, str], ...] = ()

    def text(self) -> str:
        return f"{self.column}: {self.message}" if self.column else self.message


MAX_FIELD_CHARS = 1000  # far above any name, list of criteria or dates a row needs


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "candidate"


def _assessment_doc(row: dict[str, str], line: int) -> tuple[dict[str, Any] | None,
                                                         list[Problem]]:
    """The assessment document a row stands for, and every problem found in its fields.

    A bad field is replaced by a harmless stand-in so that the schema still checks all the
    others: a person fixing the file sees every problem of the row at once, not one per run.
    The document is only to be used when the list is empty.
    """
    problems: list[Problem] = []
    for column, value in row.items():
        if len(value) > MAX_FIELD_CHARS:
            problems.append(Problem(line, f"{len(value)} characters, the limit is "
                                          f"{MAX_FIELD_CHARS}", column, "too_long",
                                    (("limit", str(MAX_FIELD_CHARS)),)))
            row = {**row, column: ""}
    rubric_id = row["rubric"].strip()
    try:
        rubric = catalogue.get(rubric_id)
        known_rubric = True
    except Error:
        problems.append(Problem(line, f"no bundled rubric {rubric_id[:80]!r}", "rubric",
                                "rubric_unknown", (("value", rubric_id[:80]),)))
        # Any rubric stands in, so that the other columns are still checked.
        rubric, known_rubric = next(iter(catalogue.bundled().values())), False
    text_year = row["birth_year"].strip()
    if text_year.isascii() and text_year.isdigit() and len(text_year) <= 4:
        birth_year = int(text_year)
    else:
        problems.append(Problem(line, f"{text_year[:20]!r} is not a year", "birth_year",
                                "not_a_year", (("value", text_year[:20]),)))
        birth_year = 1990
    evidence = row["evidence_sha256"].strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", evidence):
        problems.append(Problem(line, "must be the 64-hex SHA-256 of the candidate's evidence",
                                "evidence_sha256", "not_a_hash"))
        evidence = "0" * 64
    keys = {c.key for u in rubric.units for c in u.criteria}
    not_met = set(row.get("not_met", "").split())
    not_assessed = set(row.get("not_assessed", "").split())
    for column, listed in (("not_met", not_met), ("not_assessed", not_assessed)):
        unknown = sorted(listed - keys)
        if unknown and known_rubric:
            names = ", ".join(unknown)[:200]
            problems.append(Problem(line, f"no criterion {names} in {rubric.id}", column,
                                    "criterion_unknown", (("value", names),
                                                          ("rubric", rubric.id))))
        listed &= keys
    both = sorted(not_met & not_assessed)
    if both:
        problems.append(Problem(line, f"{', '.join(both)[:200]} is both not met and not "
                                      "assessed", "not_met/not_assessed", "criterion_twice",
                                (("value", ", ".join(both)[:200]),)))
        not_met -= not_assessed
    dates = [row["assessment_date"].strip(), *row.get("occasions", "").split()]
    judgments: list[dict[str, Any]] = []
    for unit in rubric.units:
        for c in unit.criteria:
            if c.key in not_assessed:
                judgments.append({"criterion": c.key, "result": "not_assessed", "evidence": []})
                continue
            methods = sorted(c.required) or [sorted(c.accepted)[0]]
            judgments.append({
                "criterion": c.key, "result": "not_met" if c.key in not_met else "met",
                "evidence": [{"method": m.value, "ref": f"sha256:{evidence}", "date": d}
                             for m in methods for d in dates]})
    return {
        "type": "RplAssessment",
        "candidate": {"name": row["name"].strip(), "nameKm": row["name_km"].strip(),
                      "birthYear": birth_year, "nationalId": row["national_id"].strip()},
        "rubric": {"id": rubric.id, "version": rubric.version, "sha256": rubric.sha256},
        "assessor": {"id": row["assessor_id"].strip(), "name": row["assessor_name"].strip()},
        "date": dates[0], "judgments": judgments,
    }, problems


def _open(path: Path) -> csv.DictReader[str]:
    data = read_bytes(path, limit=MAX_CSV_BYTES)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(str(path), [("file", f"is not UTF-8 ({exc.reason})")]) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        raise DocumentError(str(path), [("line 1", f"not CSV ({exc})")]) from None
    missing = sorted(REQUIRED - set(header))
    unknown = sorted(set(header) - set(COLUMNS))
    twice = sorted({h for h in header if header.count(h) > 1})
    problems = [("line 1", f"missing column(s): {', '.join(missing)}")] if missing else []
    if unknown:
        problems.append(("line 1", f"unknown column(s): {', '.join(unknown)}"))
    if twice:
        problems.append(("line 1", f"column(s) named twice: {', '.join(twice)}"))
    if problems:
        raise DocumentError(str(path), problems)
    return reader


# Where the assessment built from a row puts each column: its schema's messages name a JSON
# path in that document, which a person editing the CSV file has never seen.
_COLUMN_OF = {"$.candidate.name": "name", "$.candidate.nameKm": "name_km",
              "$.candidate.birthYear": "birth_year", "$.candidate.nationalId": "national_id",
              "$.date": "assessment_date", "$.assessor.id": "assessor_id",
              "$.assessor.name": "assessor_name", "$.judgments": "occasions"}


def _column(where: str) -> str:
    if where == "date":  # a date that is no calendar date: in either column
        return "assessment_date/occasions"
    path = where.partition(" at ")[2] or where
    for prefix, column in _COLUMN_OF.items():
        if path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "["):
            return column
    return where


def parse_rows(path: Path) -> Iterator[Row | Problem]:
    """Each row decided, or the problems of the row, in file order; blank rows are skipped."""
    reader = _open(path)
    records = iter(reader)
    while True:
        try:
            record = next(records)
        except StopIteration:
            return
        except csv.Error as exc:  # a field over the csv module's limit, for one
            raise DocumentError(str(path), [(f"line {reader.line_num}", f"not CSV ({exc})")]) \
                from None
        line = reader.line_num
        if None in record or any(v is None for v in record.values()):
            yield Problem(line, "wrong number of fields", "", "field_count")
            continue
        fields = {k: v for k, v in record.items() if k is not None}
        if not any(v.strip() for v in fields.values()):
            continue
        doc, problems = _assessment_doc(fields, line)
        try:
            text_doc = json.dumps(doc, ensure_ascii=False, sort_keys=True)
            assessment = Assessment.from_text(text_doc, f"line {line}")
        except DocumentError as exc:
            problems += [Problem(line, msg, _column(where), "schema", (("detail", msg),))
                         for where, msg in exc.problems]
        if problems:
            yield from problems
            continue
        try:
            decision = decide(catalogue.get(assessment.rubric_id, assessment.rubric_version), assessment)
        except DocumentError as exc:
            for where, msg in exc.problems:
                yield Problem(line, msg, _column(where), "schema", (("detail", msg),))
            continue
        except Error as exc:  # anything else the engine refuses: reported with the others
            yield Problem(line, str(exc), "", "schema", (("detail", str(exc)),))
            continue
        assert doc is not None
        key = input_key(doc)
        earlier = tuple(input_key({**doc, "rubric": {"id": r.id, "version": r.version,
                                                      "sha256": r.sha256}})
                        for r in catalogue.every_version()
                        if r.id == doc["rubric"]["id"] and r.version != doc["rubric"]["version"])
        yield Row(line, key, f"{_slug(fields['name'])}-{key[:10]}", decision, earlier)


@dataclass(frozen=True)
class Preview:
    """A row that can be issued, as the import page lists it before anything is issued."""

    line: int
    name: str
    name_km: str
    rubric: str
    award: str  # the engine's decision: "certificate", "statement_of_attainment", "no_award"


@dataclass(frozen=True)
class Review:
    rows: int  # rows to issue
    problems: list[Problem]  # every problem of every row, by line
    previews: list[Preview]  # kept only when asked for (the web import's bounded files)
    last_line: int


def review_rows(installation: Installation, path: Path, *, keep: bool = False) -> Review:
    """Every row checked, against the file and the database; every problem, by line.

    What is kept per row is a few strings, so a file of any allowed size is checked in little
    memory (`keep` adds one short preview per row: for the web import's bounded files only).
    The command line and the web import both check through here, and `issue_rows` checks
    again, so nothing is issued from a file that changed after its preview.
    """
    centre = installation.centre
    now = datetime.now(UTC)
    centre.signing_key(now)  # the whole file: no list installed, suspended, no key may sign
    entry = centre.entry()
    problems: list[Problem] = []
    previews: list[Preview] = []
    seen: dict[tuple[str, str], int] = {}
    people: dict[str, tuple[int, HolderInput]] = {}  # national ID -> first line, holder
    awards: dict[str, list[tuple[int, str, date, tuple[str, ...]]]] = {}  # ID -> line, rubric, date, keys
    rows = 0
    last_line = 1
    for item in parse_rows(path):
        if isinstance(item, Problem):
            problems.append(item)
            last_line = item.line
            continue
        last_line = item.line
        holder = item.decision.assessment.candidate
        national = normalize_national_id(holder.national_id)
        identity = (national, item.decision.rubric.id)
        if identity in seen:
            problems.append(Problem(item.line, f"same candidate and rubric as line "
                                               f"{seen[identity]}", "national_id/rubric",
                                    "duplicate", (("other", str(seen[identity])),)))
            continue
        seen[identity] = item.line
        first_line, first = people.setdefault(national, (item.line, holder))
        if not candidates.same_person(first, holder):
            problems.append(Problem(item.line, f"national ID …{national[-4:]} names "
                                               f"{first.name} ({first.birth_year}) on line "
                                               f"{first_line}", "national_id", "other_person",
                                    (("last4", national[-4:]), ("name", first.name),
                                     ("other", str(first_line)))))
            continue
        rubric = item.decision.rubric
        if item.decision.award is not Award.NO_AWARD and entry is not None \
                and not entry.accredited_for(Kind.RPL, rubric.isco08):
            problems.append(Problem(item.line, f"this centre is not accredited to certify rpl "
                                               f"in ISCO-08 {rubric.isco08} ({rubric.id})",
                                    "rubric", "not_accredited",
                                    (("isco", rubric.isco08), ("rubric", rubric.id))))
            continue
        rows += 1
        if keep:
            previews.append(Preview(item.line, holder.name, holder.name_km, rubric.id,
                                    item.decision.award.value))
        if item.decision.award is not Award.NO_AWARD:
            awards.setdefault(national, []).append((item.line, item.decision.rubric.achievement_id,
                                                    item.decision.assessment.date, item.keys))
    with installation.store.read() as s:
        for national, (line, holder) in people.items():
            found = candidates.find(s, installation.centre, national)
            if found is None:
                continue
            problem = candidates.mismatch(found, holder)
            if problem:
                problems.append(Problem(line, f"candidate: {problem}", "national_id",
                                        "registered_differs", (("detail", problem),)))
                continue
            for row_line, achievement, assessed, keys in awards.get(national, []):
                if credentials.by_request_keys(s, keys) is None:
                    twice = issuance.certified_before(s, found, achievement, assessed)
                    if twice:
                        problems.append(Problem(row_line, twice, "rubric", "certified_before",
                                                (("detail", twice),)))
    problems.sort(key=lambda p: p.line)
    return Review(rows, problems, previews, last_line)


def check_rows(installation: Installation, path: Path) -> int:
    """The number of rows to issue; or one DocumentError listing every problem of every row."""
    found = review_rows(installation, path)
    if found.problems:
        raise DocumentError(str(path), [(f"line {p.line}", p.text()) for p in found.problems])
    if not found.rows:
        raise DocumentError(str(path), [(f"line {found.last_line}", "no rows to issue")])
    return found.rows


class Progress:
    def __init__(self, total: int, out: TextIO | None = None, label: str = "Issuing") -> None:
        self.total, self.label, self.done = total, label, 0
        self.out = out if out is not None else sys.stderr

    def step(self) -> None:
        self.done += 1
        width = 30
        percent = 100 * self.done // max(1, self.total)
        if percent == 100 * (self.done - 1) // max(1, self.total) and self.done != self.total:
            return  # redraw once per percent, not once per row
        if not self.out.isatty():  # a log file: a line per tenth, not a redrawn bar
            if percent // 10 != 100 * (self.done - 1) // max(1, self.total) // 10 \
                    or self.done == self.total:
                self.out.write(f"{self.label}: {self.done}/{self.total} ({percent}%)\n")
                self.out.flush()
            return
        filled = width * self.done // max(1, self.total)
        self.out.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] "
                       f"{self.done}/{self.total} ({percent}%)")
        if self.done == self.total:
            self.out.write("\n")
        self.out.flush()


@dataclass(frozen=True)
class BatchReport:
    issued: int
    already: int  # issued before (a re-run), printed again
    no_award: int
    withheld: int  # issued before and since revoked or suspended: not printed again
    cards: int
    sheet: Path | None


@dataclass(frozen=True)
class _Outcome:
    row: Row
    record: tuple[str, str] | None  # (compact JWS, QR text) of the row's credential
    new: bool
    withheld: str = ""  # "revoked" or "suspended": issued before, and not to be printed


def _issue_chunk(installation: Installation, label: str, chunk: list[Row],
                 at: datetime, actor_id: int | None) -> list[_Outcome]:
    """One transaction: each row's candidate, and the credential of each awarded row."""
    centre = installation.centre
    outcomes: list[_Outcome] = []
    with installation.store.transaction() as s:
        # The command line's account signs nothing in, so it is never "active"; a person's is.
        actor = accounts.command_line_user(s) if actor_id is None else s.get(User, actor_id)
        if actor is None or (actor_id is not None and not actor.active):
            raise Forbidden("the account importing the file no longer exists or is inactive")
        for row in chunk:
            holder = row.decision.assessment.candidate
            earlier = credentials.by_request_keys(s, row.keys)
            if earlier is not None:
                withheld = "revoked" if earlier.revoked else \
                    "suspended" if earlier.suspended else ""
                outcomes.append(_Outcome(row, (earlier.jws, earlier.qr), False, withheld))
                continue
            where = f"{label}: line {row.line}"
            candidate = candidates.find_or_create(s, centre, actor, holder, source=where)
            if row.decision.award is Award.NO_AWARD:
                outcomes.append(_Outcome(row, None, new=False))
                continue
            twice = issuance.certified_before(s, candidate, row.decision.rubric.achievement_id,
                                              row.decision.assessment.date)
            if twice:  # checked before the batch began: another process issued it since
                raise DocumentError(where, [("rubric", twice)])
            issued = issuance.issue_credential(s, centre, actor, candidate,
                                               request_for(row.decision, issued=at),
                                               request_key=row.key)
            outcomes.append(_Outcome(row, (issued.record.jws, issued.record.qr), new=True))
    return outcomes


class _Sheet:
    """The batch's print sheet, streamed page by page into a temporary file in `out`.

    Opened at the first card; renamed to sheet.pdf only when the batch ends well, so an
    interrupted batch leaves no half-written sheet behind (a re-run writes it whole).
    """

    def __init__(self, out: Path) -> None:
        self.out = out
        self.cards = 0
        self._tmp: Path | None = None
        self._fh: BinaryIO | None = None
        self._pdf: PdfWriter | None = None
        self._sheet: SheetWriter | None = None

    def add(self, card: PackedBitmap) -> None:
        try:
            if self._sheet is None:
                fd, name = tempfile.mkstemp(dir=self.out, prefix=f".{SHEET}.")
                self._tmp, self._fh = Path(name), os.fdopen(fd, "wb")
                self._pdf = PdfWriter(self._fh)
                self._sheet = SheetWriter(self._pdf)
            self._sheet.add(card)
        except OSError as exc:  # a full disk, for one
            raise StorageError(str(self.out / SHEET), exc.strerror or str(exc)) from None
        self.cards += 1

    def finish(self) -> Path | None:
        if self._sheet is None or self._pdf is None or self._fh is None or self._tmp is None:
            return None
        target = self.out / SHEET
        try:
            self._sheet.close()
            self._pdf.close()
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
            os.chmod(self._tmp, 0o644)  # like the other outputs, not mkstemp's 0600
            os.replace(self._tmp, target)
        except OSError as exc:
            raise StorageError(str(target), exc.strerror or str(exc)) from None
        self._tmp = None
        return target

    def discard(self) -> None:
        if self._fh is not None:
            self._fh.close()
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)


def issue_rows(installation: Installation, source: Path, *, at: datetime,
               on_outcome: Callable[[_Outcome], None], actor_id: int | None = None,
               label: str | None = None, chunk: int = CHUNK) -> int:
    """Issue every row of a file `check_rows` accepted, in chunks of one transaction each.

    The one issuing path of a CSV file, for `skillpass issue-batch` (the command line's
    account) and the web import (the signed-in person's account) alike. `on_outcome` sees
    each row after its chunk committed. Returns the number of rows."""
    rows = check_rows(installation, source)  # refuses the whole file before anything is issued
    name = label or str(source)

    def flush(pending: list[Row]) -> None:
        for outcome in _issue_chunk(installation, name, pending, at, actor_id):
            on_outcome(outcome)

    pending: list[Row] = []
    for item in parse_rows(source):
        if isinstance(item, Problem):  # every row was checked: the file changed under us
            raise DocumentError(name, [(f"line {item.line}", item.text())])
        pending.append(item)
        if len(pending) >= chunk:
            flush(pending)
            pending = []
    if pending:
        flush(pending)
    return rows


def issue_batch(installation: Installation, source: Path, out: Path, *, at: datetime,
                progress: Callable[[int], Progress] = Progress, chunk: int = CHUNK) -> BatchReport:
    rows = check_rows(installation, source)  # refuses the whole file before anything is issued
    try:
        out.mkdir(parents=True, exist_ok=True)
        for stale in out.glob(f".{SHEET}.*"):  # a sheet a killed run left half-written
            stale.unlink()
    except OSError as exc:
        raise StorageError(str(out), exc.strerror or str(exc)) from None
    face_of = installation.centre.card_face_maker()
    bar = progress(rows)
    counts = {"issued": 0, "already": 0, "no_award": 0, "withheld": 0}
    sheet = _Sheet(out)

    def written(outcome: _Outcome) -> None:
        # Files are written only after the chunk's transaction committed.
        row = outcome.row
        write_atomic(out / "decisions" / f"{row.stem}.json",
                     json.dumps(row.decision.to_json(), ensure_ascii=False,
                                indent=1).encode(), durable=False)
        if outcome.record is None:
            counts["no_award"] += 1
        elif outcome.withheld:
            counts["withheld"] += 1  # its files stay as they were; no card is printed
        else:
            counts["issued" if outcome.new else "already"] += 1
            compact, text = outcome.record
            card = render(face_of(credentials.parsed_jws(compact), text))
            for suffix, data in ((".jwt", compact.encode() + b"\n"),
                                 (".qr.txt", text.encode() + b"\n"), (".png", card.to_png())):
                write_atomic(out / f"{row.stem}{suffix}", data, durable=False)
            sheet.add(card)
        bar.step()

    try:
        issue_rows(installation, source, at=at, on_outcome=written, chunk=chunk)
        sheet_file = sheet.finish()
    except BaseException:
        sheet.discard()
        raise
    return BatchReport(counts["issued"], counts["already"], counts["no_award"],
                       counts["withheld"], sheet.cards, sheet_file)
