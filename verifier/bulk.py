"""Verifying many inputs in one run: QR texts, files, folders, CSV columns and passports.

A recruiter screening 200 candidates has a card or a passport per person; one process verifies
them all against one loaded trust bundle (start-up once, not per card). This module turns
what the command line was given into inputs, verifies each, and groups the credentials by
person; `verifier/cli.py` only formats the rows.

- a passport bundle (`passport.json`, schemas/passport-bundle.schema.json): read with the
  bounded JSON reader and checked against its schema; every credential is verified, and the
  holder binding is checked consistent across them and with the passport's holder block
  (names, birth year, last four ID digits; the national-ID hash when the ID is typed);
- a CSV file: the column headed `qr`, `credential` or `file` (any case), else the first
  column whose first cell is QR text or a compact JWS (a file with no header row); a file
  name in it is relative to the CSV's folder;
- a folder: every card, CSV and passport file under it (`FOLDER_SUFFIXES`, and .json files
  that are passports), sorted, hidden ones skipped;
- standard input (`-`): an image, a passport (JSON), or one input per non-empty line.
"""

import io
import os
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from passport import jsonread, qr, scan, schema
from passport.bundle import TrustBundle
from passport.credential import Credential
from passport.errors import (
    AlgorithmNotAllowed,
    CredentialError,
    DocumentError,
    Error,
    InputTooLarge,
    JWSFormatError,
    QRFormatError,
    SchemaError,
    StorageError,
    UsageError,
)
from passport.fileio import read_bytes
from passport.keys import PublicKey
from passport.verify import Verdict, VerificationResult, verify
from verifier.inputs import read_presented

# 200 credentials (the schema's maximum) of a few kilobytes each, as JWS and QR text.
PASSPORT_LIMITS = jsonread.Limits(max_bytes=4 << 20, max_depth=8)
MAX_STDIN_BYTES = 25 << 20
MAX_CSV_BYTES = 64 << 20
CSV_COLUMNS = ("qr", "credential", "file")
FOLDER_SUFFIXES = (".qr.txt", ".txt", ".jwt", ".png", ".jpg", ".jpeg", ".pdf", ".csv")
_JWS_SHAPE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$")


# Plain classes and named tuples, not dataclasses: each dataclass costs ~0.5 ms to create
# (it compiles its methods), and this module loads at every `skillpass verify`.
class Source(NamedTuple):
    """One input: `label` names it in the output (a file, `file.csv:12`, `stdin:3`, the
    first characters of QR text); `value` is what `read_presented` takes, or None when the
    bytes are already read (standard input)."""

    label: str
    value: str | None = None
    data: bytes | None = None


class CredentialRow(NamedTuple):
    """One credential verified: from its own input, or one of a passport's."""

    source: str
    result: VerificationResult | None  # None: the input could not be read
    error: str | None = None
    passport: str | None = None  # the passport file it came from
    holder_problem: str | None = None  # the binding check, when it failed
    reason: str | None = None  # why it could not be read, as a text key (`reason_key`)

    @property
    def valid(self) -> bool:
        return self.result is not None and self.result.valid and self.holder_problem is None

    @property
    def trusted(self) -> bool:
        """Whether its claims (holder, award) may be read as true: a credential whose
        signature verified and whose verdict is not invalid. A revoked or forged one's claims
        are what someone wrote, nothing more."""
        return self.result is not None and self.result.credential is not None \
            and self.result.verdict is not Verdict.INVALID


class Person:
    """Every credential presented for one holder (name, birth year, last four ID digits)."""

    def __init__(self, name: str, name_km: str, birth_year: int, id_last4: str,
                 sources: list[str] | None = None, *, id_checked: bool = False) -> None:
        self.name, self.name_km, self.birth_year, self.id_last4 = \
            name, name_km, birth_year, id_last4
        self.sources: list[str] = sources or []
        self.rows: list[CredentialRow] = []
        self.problems: list[str] = []
        # The typed national ID matched every credential of this person.
        self.id_checked = id_checked
        # The typed national ID is not that of one of this person's credentials.
        self.id_mismatch = False

    @property
    def valid(self) -> int:
        return sum(r.valid for r in self.rows)

    @property
    def all_valid(self) -> bool:
        return not self.problems and all(r.valid for r in self.rows)

    @property
    def trusted(self) -> bool:
        """Whether who this person is rests on at least one credential that verified: a
        person seen only on invalid credentials (or a passport file's unsigned holder block)
        is a claim; so is one whose credentials name someone else (the block's words, then)."""
        return any(r.trusted and not r.holder_problem for r in self.rows)

    @property
    def same_holder(self) -> bool | None:
        """True: every credential verified and names this holder; False: one names another
        (a passport's binding check); None: not known, a credential's claims are untrusted."""
        if any(r.holder_problem for r in self.rows):
            return False
        return True if self.rows and all(r.trusted for r in self.rows) else None

    @property
    def id_matches(self) -> bool:
        """The typed national ID matched every credential, and at least one of them verified:
        an invalid credential alone never makes the ID match."""
        return self.id_checked and self.trusted


class Report:
    def __init__(self) -> None:
        self.rows: list[CredentialRow] = []
        self.people: list[Person] = []

    @property
    def unreadable(self) -> bool:
        return any(r.result is None for r in self.rows)

    @property
    def exit_code(self) -> int:
        """0: everything valid; 1: anything not valid (a warning counts: the verdict is not
        VALID) or a person's binding broken; 2: an input could not be read."""
        if self.unreadable:
            return 2
        return 0 if all(r.valid for r in self.rows) and all(p.all_valid for p in self.people) \
            else 1


# -- inputs ----------------------------------------------------------------------------------


def expand(values: Sequence[str], *, stdin: Callable[[], bytes]) -> Iterator[Source]:
    """The command line's inputs as sources; folders and CSV files open into their rows.
    Errors while expanding (an unreadable CSV) are raised: the list of inputs is unknown."""
    for value in values:
        if value == "-":
            yield from _stdin_sources(stdin())
            continue
        path = Path(value)
        if not qr.is_qr_text(value) and len(value) < 4096 and _is_dir(path):
            for file in sorted(p for p in path.rglob("*") if p.is_file()
                               and not any(part.startswith(".") for part in
                                           p.relative_to(path).parts)):
                if _in_folder(file):
                    yield from _file_sources(file)
        elif not qr.is_qr_text(value) and len(value) < 4096 and _is_file(path):
            yield from _file_sources(path)
        else:
            yield Source(_short(value), value)


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a name too long for the file system: it is a token
        return False


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:
        return False


def _in_folder(path: Path) -> bool:
    """Which files of a folder are inputs: cards and passports, not the trust bundle or the
    root keys that often sit beside them (a .json file is a passport when it says so)."""
    name = path.name.lower()
    if name.endswith(FOLDER_SUFFIXES):
        return True
    if name.endswith(".json"):
        return PASSPORT_MARK in read_bytes(path, limit=PASSPORT_LIMITS.max_bytes)
    return False


def _short(value: str) -> str:
    one_line = " ".join(value.split())
    return one_line if len(one_line) <= 40 else one_line[:37] + "..."


def _file_sources(path: Path) -> Iterator[Source]:
    if path.suffix.lower() == ".csv":
        yield from csv_sources(read_bytes(path, limit=MAX_CSV_BYTES), str(path), path.parent)
    else:
        yield Source(str(path), str(path))


def _stdin_sources(data: bytes) -> Iterator[Source]:
    if scan.looks_like_image(data) or data.lstrip()[:1] == b"{":  # JSON: one document
        yield Source("stdin", data=data)
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError("standard input is neither text nor a PNG/JPEG image") from None
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            yield Source(f"stdin:{n}", line.strip())


def csv_sources(data: bytes, name: str, folder: Path) -> Iterator[Source]:
    """The rows of a CSV's QR column (see the module's notes for how it is found)."""
    import csv  # only for CSV input: a single card's verification starts without it

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise StorageError(name, "a CSV file must be UTF-8 text") from None
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise StorageError(name, f"not a readable CSV file ({exc})") from None
    if not rows:
        raise StorageError(name, "the CSV file is empty")
    header = [c.strip().lower() for c in rows[0]]
    column = next((header.index(c) for c in CSV_COLUMNS if c in header), None)
    first = 1  # the header row is not an input
    if column is None:
        column = next((i for i, cell in enumerate(rows[0]) if _looks_presented(cell)), None)
        if column is None:
            raise StorageError(name, f"line 1: no column headed {' / '.join(CSV_COLUMNS)}, and "
                                     "no cell of the first row is QR text or a compact JWS")
        first = 0  # no header: the first row is an input too
    for n, row in enumerate(rows[first:], first + 1):
        cell = row[column].strip() if column < len(row) else ""
        if not cell:
            continue
        if _looks_presented(cell):
            yield Source(f"{name}:{n}", cell)
        else:  # a file name, relative to the CSV's folder
            yield Source(f"{name}:{n}", str(Path(cell) if os.path.isabs(cell) else folder / cell))


def _looks_presented(cell: str) -> bool:
    cell = cell.strip()
    return qr.is_qr_text(cell) or bool(_JWS_SHAPE.match(cell))


# -- passports -------------------------------------------------------------------------------


PASSPORT_MARK = b'"SkillsPassportBundle"'


def is_passport(data: bytes) -> bool:
    """A JSON object that says it is a passport bundle (then any fault in it is the file's,
    named with its place); other JSON (an unsecured credential, say) is presented to the
    verifier as before, which refuses it as a credential."""
    return data.lstrip()[:1] == b"{" and PASSPORT_MARK in data


def presents_passport(source: Source) -> bool:
    """Whether this input is a passport file (or a passport on standard input)."""
    data = source.data if source.data is not None else _file_bytes(source.value)
    return data is not None and is_passport(data)


def read_passport(data: bytes, where: str) -> dict[str, Any]:
    """A passport bundle, bounded and schema-checked; errors name the problem and line."""
    try:
        doc = jsonread.loads(data, PASSPORT_LIMITS)
    except jsonread.JSONRejected as exc:
        raise StorageError(where, f"not a passport file: {exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:  # jsonread accepted it, so it is UTF-8; kept for the types
        raise StorageError(where, "not UTF-8 text") from None
    schema.check_document("passport-bundle", doc, text=text, source=where)
    assert isinstance(doc, dict)
    return doc


# -- verification ----------------------------------------------------------------------------


class Verifier(NamedTuple):
    """What every input is verified against: a trust bundle or one key, at one time."""

    at: datetime
    trust: TrustBundle | None = None
    key: PublicKey | None = None
    national_id: str | None = None

    def one(self, presented: str) -> VerificationResult:
        if self.key is not None:
            return verify(presented, at=self.at, key=self.key)
        return verify(presented, at=self.at, trust=self.trust)


def run(sources: Sequence[Source] | Iterator[Source], verifier: Verifier, *,
        progress: Callable[[int], None] | None = None) -> Report:
    """Verify every source; an unreadable one becomes a row with its error, never a stop."""
    report = Report()
    people: dict[tuple[str, str, int, str], Person] = {}
    for done, source in enumerate(sources, 1):
        try:
            data = source.data if source.data is not None else _file_bytes(source.value)
            if data is not None and is_passport(data):
                _passport(report, people, source, data, verifier)
            else:
                presented = read_presented(source.value or "-", stdin=data)
                row = CredentialRow(source.label, verifier.one(presented))
                report.rows.append(row)
                _person(people, row, source.label, verifier).rows.append(row)
        except Error as exc:
            report.rows.append(CredentialRow(source.label, None, error=exc.diagnostics(),
                                             reason=reason_key(exc)))
        if progress is not None:
            progress(done)
    report.people = list(people.values())
    return report


def _file_bytes(value: str | None) -> bytes | None:
    """A .json file's bytes (a passport); None for anything `read_presented` reads itself."""
    if value is None or not value.lower().endswith(".json") or qr.is_qr_text(value):
        return None
    return read_bytes(Path(value), limit=PASSPORT_LIMITS.max_bytes)


def _person(people: dict[tuple[str, str, int, str], Person], row: CredentialRow, source: str,
            verifier: Verifier) -> Person:
    cred = row.result.credential if row.result else None
    if cred is None:  # nothing to tell whose it is: a person of its own
        key = ("", "", 0, source)
        return people.setdefault(key, Person("?", "?", 0, "????", [source]))
    h = cred.holder
    key = (h.name, h.name_km, h.birth_year, h.national_id_last4)
    person = people.get(key)
    if person is None:
        person = people[key] = Person(h.name, h.name_km, h.birth_year, h.national_id_last4,
                                      id_checked=verifier.national_id is not None)
    if source not in person.sources:
        person.sources.append(source)
    _check_id(person, cred, verifier)
    return person


def _check_id(person: Person, cred: Credential, verifier: Verifier) -> None:
    if verifier.national_id is not None and not cred.holder.matches_national_id(
            verifier.national_id):
        person.id_checked, person.id_mismatch = False, True
        problem = f"{cred.id}: the national ID typed is not the holder's"
        if problem not in person.problems:
            person.problems.append(problem)


def _passport(report: Report, people: dict[tuple[str, str, int, str], Person], source: Source,
              data: bytes, verifier: Verifier) -> None:
    doc = read_passport(data, source.label)
    block = doc["holder"]
    key = (block["name"], block["nameKm"], block["birthYear"], block["nationalIdLast4"])
    person = people.get(key) or people.setdefault(key, Person(
        *key, id_checked=verifier.national_id is not None))
    person.sources.append(source.label)
    for n, entry in enumerate(doc["credentials"]):
        where = f"{source.label}#credentials[{n}]"
        result = verifier.one(entry["qr"])
        problem = _binding(entry, block, result)
        row = CredentialRow(where, result, passport=source.label, holder_problem=problem)
        report.rows.append(row)
        person.rows.append(row)
        if problem:
            person.problems.append(f"credentials[{n}]: {problem}")
        if result.credential is not None:
            _check_id(person, result.credential, verifier)


def _binding(entry: dict[str, Any], block: dict[str, Any],
             result: VerificationResult) -> str | None:
    """Why this credential is not the passport holder's (None: it is). The signed credential
    decides; the passport's holder block and entry only repeat it, and must agree."""
    cred = result.credential
    if cred is None:
        return None  # unreadable as a credential: the verdict already says why
    if result.jws is not None and result.jws != entry["jws"]:
        return "the QR text and the JWS of this entry are different credentials"
    if cred.id != entry["id"]:
        return f"listed as {entry['id']}, the credential is {cred.id}"
    h = cred.holder
    said = (block["name"], block["nameKm"], block["birthYear"], block["nationalIdLast4"])
    if (h.name, h.name_km, h.birth_year, h.national_id_last4) != said:
        return (f"issued to {h.name} / {h.name_km} ({h.birth_year}, …{h.national_id_last4}), "
                f"not to the passport's {said[0]} / {said[1]} ({said[2]}, …{said[3]})")
    return None


_TOO_LARGE = re.compile(r"\blimit\b|\bis over \d+ bytes")


def reason_key(exc: Error) -> str | None:
    """Why an input could not be read, as the key of its translated text (`code.*` where a
    verifier reason fits); None when no text fits (a file that does not exist: the message
    names it). The English message stays the detail."""
    if isinstance(exc, InputTooLarge):
        return "code.too_large"
    if isinstance(exc, AlgorithmNotAllowed):
        return "code.alg_not_allowed"
    if isinstance(exc, QRFormatError):
        return "code.bad_qr"
    if isinstance(exc, JWSFormatError):
        return "code.bad_jws"
    if isinstance(exc, SchemaError | DocumentError):  # a passport file that breaks its schema
        return "ui.unreadable_file"
    if isinstance(exc, CredentialError):
        return "code.bad_payload"
    if isinstance(exc, StorageError):
        if exc.reason.startswith("not a passport file"):
            return "ui.unreadable_file"
        if exc.reason == "no such file":
            return "ui.no_such_file"
        return "code.too_large" if _TOO_LARGE.search(exc.reason) else None
    if isinstance(exc, UsageError):  # read_presented: too long, or not a credential at all
        return "code.too_large" if _TOO_LARGE.search(str(exc)) else "code.bad_jws"
    return None


def verdict_of(row: CredentialRow) -> str:
    """The row's verdict word: a verifier verdict, `holder-mismatch`, or `unreadable`."""
    if row.result is None:
        return "unreadable"
    if row.holder_problem:
        return "holder-mismatch"
    return row.result.verdict.value

