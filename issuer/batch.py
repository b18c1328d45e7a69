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
from issuer.installation import Installation
from issuer.service import accounts, candidates, credentials, issuance
from passport.bitmap import PackedBitmap
from passport.card import CardFace, render
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


@dataclass(frozen=True)
class Problem:
    line: int
    message: str


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "candidate"


def _assessment_doc(row: dict[str, str]) -> dict[str, Any]:
    rubric = catalogue.get(row["rubric"].strip())
    try:
        birth_year = int(row["birth_year"])
    except ValueError:
        raise DocumentError("row", [("birth_year", f"{row['birth_year']!r} is not a year")]) from None
    evidence = row["evidence_sha256"].strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", evidence):
        raise DocumentError("row", [("evidence_sha256", "must be the 64-hex SHA-256 of the "
                                                        "candidate's evidence")])
    not_met = set(row.get("not_met", "").split())
    not_assessed = set(row.get("not_assessed", "").split())
    unknown = sorted((not_met | not_assessed) - {c.key for u in rubric.units for c in u.criteria})
    if unknown:
        raise DocumentError("row", [("not_met/not_assessed",
                                     f"no criterion {', '.join(unknown)} in {rubric.id}")])
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
    }


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
            yield Problem(line, "wrong number of fields")
            continue
        fields = {k: v for k, v in record.items() if k is not None}
        if not any(v.strip() for v in fields.values()):
            continue
        try:
            doc = _assessment_doc(fields)
            text_doc = json.dumps(doc, ensure_ascii=False, sort_keys=True)
            assessment = Assessment.from_text(text_doc, f"line {line}")
            decision = decide(catalogue.get(assessment.rubric_id, assessment.rubric_version), assessment)
        except DocumentError as exc:
            for where, msg in exc.problems:
                yield Problem(line, f"{_column(where)}: {msg}")
            continue
        except Error as exc:  # an unknown rubric, for one: report it with the others
            yield Problem(line, str(exc))
            continue
        key = input_key(doc)
        yield Row(line, key, f"{_slug(fields['name'])}-{key[:10]}", decision)


def check_rows(installation: Installation, path: Path) -> int:
    """Every row checked, against the file and the database; one DocumentError lists all.

    Returns the number of rows to issue. What is kept per row is a few strings, so a file of
    any allowed size is checked in little memory.
    """
    centre = installation.centre
    now = datetime.now(UTC)
    centre.signing_key(now)  # the whole file: no list installed, suspended, no key may sign
    entry = centre.entry()
    problems: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    people: dict[str, tuple[int, HolderInput]] = {}  # national ID -> first line, holder
    awards: dict[str, list[tuple[int, str, date, str]]] = {}  # ID -> line, rubric, date, key
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
            problems.append(Problem(item.line, f"same candidate and rubric as line {seen[identity]}"))
            continue
        seen[identity] = item.line
        first_line, first = people.setdefault(national, (item.line, holder))
        if not candidates.same_person(first, holder):
            problems.append(Problem(item.line, f"national ID …{national[-4:]} names "
                                               f"{first.name} ({first.birth_year}) on line "
                                               f"{first_line}"))
            continue
        rubric = item.decision.rubric
        if item.decision.award is not Award.NO_AWARD and entry is not None \
                and not entry.accredited_for(Kind.RPL, rubric.isco08):
            problems.append(Problem(item.line, f"this centre is not accredited to certify rpl "
                                               f"in ISCO-08 {rubric.isco08} ({rubric.id})"))
            continue
        rows += 1
        if item.decision.award is not Award.NO_AWARD:
            awards.setdefault(national, []).append((item.line, item.decision.rubric.achievement_id,
                                                    item.decision.assessment.date, item.key))
    with installation.store.read() as s:
        for national, (line, holder) in people.items():
            found = candidates.find(s, installation.centre, national)
            if found is None:
                continue
            problem = candidates.mismatch(found, holder)
            if problem:
                problems.append(Problem(line, f"candidate: {problem}"))
                continue
            for row_line, achievement, assessed, key in awards.get(national, []):
                if credentials.by_request_key(s, key) is None:
                    twice = issuance.certified_before(s, found, achievement, assessed)
                    if twice:
                        problems.append(Problem(row_line, twice))
    if problems:
        problems.sort(key=lambda p: p.line)
        raise DocumentError(str(path), [(f"line {p.line}", p.message) for p in problems])
    if not rows:
        raise DocumentError(str(path), [(f"line {last_line}", "no rows to issue")])
    return rows


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


def _issue_chunk(installation: Installation, source: Path, chunk: list[Row],
                 at: datetime) -> list[_Outcome]:
    """One transaction: each row's candidate, and the credential of each awarded row."""
    centre = installation.centre
    outcomes: list[_Outcome] = []
    with installation.store.transaction() as s:
        actor = accounts.command_line_user(s)
        for row in chunk:
            holder = row.decision.assessment.candidate
            earlier = credentials.by_request_key(s, row.key)
            if earlier is not None:
                withheld = "revoked" if earlier.revoked else \
                    "suspended" if earlier.suspended else ""
                outcomes.append(_Outcome(row, (earlier.jws, earlier.qr), False, withheld))
                continue
            where = f"{source}: line {row.line}"
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


def issue_batch(installation: Installation, source: Path, out: Path, *, at: datetime,
                progress: Callable[[int], Progress] = Progress, chunk: int = CHUNK) -> BatchReport:
    rows = check_rows(installation, source)  # refuses the whole file before anything is issued
    try:
        out.mkdir(parents=True, exist_ok=True)
        for stale in out.glob(f".{SHEET}.*"):  # a sheet a killed run left half-written
            stale.unlink()
    except OSError as exc:
        raise StorageError(str(out), exc.strerror or str(exc)) from None
    issuer_names = (installation.centre.profile.name, installation.centre.profile.name_km)
    bar = progress(rows)
    counts = {"issued": 0, "already": 0, "no_award": 0, "withheld": 0}
    sheet = _Sheet(out)

    def flush(pending: list[Row]) -> None:
        # Files are written only after the chunk's transaction committed.
        for outcome in _issue_chunk(installation, source, pending, at):
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
                card = render(CardFace.from_credential(credentials.parsed_jws(compact), text,
                                                       issuer_names))
                for suffix, data in ((".jwt", compact.encode() + b"\n"),
                                     (".qr.txt", text.encode() + b"\n"), (".png", card.to_png())):
                    write_atomic(out / f"{row.stem}{suffix}", data, durable=False)
                sheet.add(card)
            bar.step()

    try:
        pending: list[Row] = []
        for item in parse_rows(source):
            if isinstance(item, Problem):  # every row was checked: the file changed under us
                raise DocumentError(str(source), [(f"line {item.line}", item.message)])
            pending.append(item)
            if len(pending) >= chunk:
                flush(pending)
                pending = []
        if pending:
            flush(pending)
        written = sheet.finish()
    except BaseException:
        sheet.discard()
        raise
    return BatchReport(counts["issued"], counts["already"], counts["no_award"],
                       counts["withheld"], sheet.cards, written)
