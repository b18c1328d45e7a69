"""`skillpass issue-batch RESULTS.csv`: a day of job-fair assessments in one go.

Each CSV row is one candidate's assessment against a bundled rubric, written as exceptions:
every criterion is met on the assessment date (and any extra `occasions`) with the rubric's
required evidence, except the criteria listed in `not_met` / `not_assessed`. The candidate's
evidence (photos, forms, reports) is referred to by one content hash, `evidence_sha256`.

Every row is checked before anything is issued; all bad rows are reported with their line
numbers. Issuance is recorded in a ledger before any signature is made: the claims of each
credential (with its status index) are written and synced first, so a re-run after an
interruption re-signs exactly the same claims (Ed25519 signatures are deterministic) and
never issues a second credential for a row.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from issuer.home import Home
from passport import qr
from passport.card import CardFace, render
from passport.errors import DocumentError, Error, StorageError
from passport.fileio import read_bytes, write_atomic
from passport.keys import PrivateKey
from passport.printing import pdf, sheet_pages
from passport.signing import issue
from rpl_rubrics import catalogue
from rpl_rubrics.assessment import Assessment
from rpl_rubrics.credentials import request_for
from rpl_rubrics.engine import Award, Decision, decide

COLUMNS = ("name", "name_km", "birth_year", "national_id", "rubric", "assessment_date",
           "assessor_id", "assessor_name", "not_met", "not_assessed", "evidence_sha256",
           "occasions")
REQUIRED = frozenset((*COLUMNS[:8], "evidence_sha256"))
MAX_CSV_BYTES = 20 * 1024 * 1024
LEDGER = "ledger.jsonl"


@dataclass(frozen=True)
class Row:
    line: int
    key: str  # content hash of the row's assessment: the same row is the same key
    stem: str
    decision: Decision


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "candidate"


def _assessment_doc(row: dict[str, str], line: int) -> dict[str, Any]:
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


def read_rows(path: Path) -> list[Row]:
    """Parse and decide every row, or raise one DocumentError listing every bad row."""
    data = read_bytes(path, limit=MAX_CSV_BYTES)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(str(path), [("file", f"is not UTF-8 ({exc.reason})")]) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = sorted(REQUIRED - set(header))
    unknown = sorted(set(header) - set(COLUMNS))
    if missing or unknown:
        header_problems = [("line 1", f"missing column(s): {', '.join(missing)}")] if missing else []
        if unknown:
            header_problems.append(("line 1", f"unknown column(s): {', '.join(unknown)}"))
        raise DocumentError(str(path), header_problems)
    rows: list[Row] = []
    problems: list[tuple[str, str]] = []
    seen: dict[tuple[str, str], int] = {}
    line = 1
    for record in reader:
        line = reader.line_num
        if None in record or any(v is None for v in record.values()):
            problems.append((f"line {line}", "wrong number of fields"))
            continue
        fields = {k: v for k, v in record.items() if k is not None}
        if not any(v.strip() for v in fields.values()):
            continue
        try:
            doc = _assessment_doc(fields, line)
            text_doc = json.dumps(doc, ensure_ascii=False, sort_keys=True)
            assessment = Assessment.from_text(text_doc, f"line {line}")
            decision = decide(catalogue.get(assessment.rubric_id), assessment)
        except DocumentError as exc:
            problems += [(f"line {line}", f"{where}: {msg}") for where, msg in exc.problems]
            continue
        except Error as exc:  # an unknown rubric, for one: report it with the others
            problems.append((f"line {line}", str(exc)))
            continue
        identity = ("".join(fields["national_id"].split()).upper(), decision.rubric.id)
        if identity in seen:
            problems.append((f"line {line}", f"same candidate and rubric as line {seen[identity]}"))
            continue
        seen[identity] = line
        key = hashlib.sha256(text_doc.encode()).hexdigest()
        rows.append(Row(line, key, f"{_slug(fields['name'])}-{key[:10]}", decision))
    if problems:
        raise DocumentError(str(path), problems)
    if not rows:
        raise DocumentError(str(path), [(f"line {line}", "no rows to issue")])
    return rows


def _load_ledger(path: Path) -> dict[str, dict[str, Any]]:
    if not path.exists():
        return {}
    ledger = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    for n, raw in enumerate(lines, 1):
        try:
            record = json.loads(raw)
            ledger[record["key"]] = record
        except (json.JSONDecodeError, KeyError, TypeError):
            # Only a last line cut short by a crash may be unreadable: nothing was signed yet.
            if n != len(lines):
                raise StorageError(str(path), f"line {n} is corrupt") from None
    return ledger


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
        filled = width * self.done // max(1, self.total)
        self.out.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] "
                       f"{self.done}/{self.total} ({percent}%)")
        if self.done == self.total:
            self.out.write("\n")
        self.out.flush()


@dataclass(frozen=True)
class BatchReport:
    issued: int
    already: int
    no_award: int
    files: list[Path]


def issue_batch(home: Home, key: PrivateKey, source: Path, out: Path, *, at: datetime,
                progress: Callable[[int], Progress] = Progress) -> BatchReport:
    rows = read_rows(source)  # refuses the whole file before anything is issued
    out.mkdir(parents=True, exist_ok=True)
    ledger_path = out / LEDGER
    ledger = _load_ledger(ledger_path)
    awarded = [r for r in rows if r.decision.award is not Award.NO_AWARD]
    new = [r for r in awarded if r.key not in ledger]
    if new:
        indexes = home.allocate_indexes(len(new))
        lines = []
        for row, index in zip(new, indexes, strict=True):
            request = request_for(row.decision, issued=at)
            claims = home.claims(holder=request.holder, achievement=request.achievement,
                                 results=request.results, at=at, index=index)
            record: dict[str, Any] = {"key": row.key, "stem": row.stem, "line": row.line,
                                      "claims": claims}
            ledger[row.key] = record
            lines.append(json.dumps(record, ensure_ascii=False))
        existing = ledger_path.read_bytes() if ledger_path.exists() else b""
        if existing and not existing.endswith(b"\n"):
            existing = existing[: existing.rfind(b"\n") + 1]
        write_atomic(ledger_path, existing + ("\n".join(lines) + "\n").encode())
    profile = home.profile()
    bar = progress(len(rows))
    cards, files = [], []
    for row in rows:
        decision_file = out / "decisions" / f"{row.stem}.json"
        write_atomic(decision_file, json.dumps(row.decision.to_json(), ensure_ascii=False,
                                               indent=1).encode(), durable=False)
        files.append(decision_file)
        issued = ledger.get(row.key)
        if issued is not None:
            credential, compact = issue(issued["claims"], key)
            text = qr.encode(compact)
            card = render(CardFace.from_credential(credential, text,
                                                   (profile.name, profile.name_km)))
            for suffix, data in ((".jwt", compact.encode() + b"\n"),
                                 (".qr.txt", text.encode() + b"\n"), (".png", card.to_png())):
                write_atomic(out / f"{row.stem}{suffix}", data, durable=False)
                files.append(out / f"{row.stem}{suffix}")
            cards.append(card)
        bar.step()
    if cards:
        write_atomic(out / "sheet.pdf", pdf(sheet_pages(cards)))
        files.append(out / "sheet.pdf")
    home.publish(key, at)
    return BatchReport(len(new), len(awarded) - len(new), len(rows) - len(awarded), files)
