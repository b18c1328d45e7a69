"""`skillpass verify`: offline verification from the command line."""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from passport import jsonread
from passport.bundle import TrustBundle
from passport.credential import Kind, StatusPurpose
from passport.errors import Error, KeyFileError, UsageError
from passport.fileio import read_bytes, write_atomic
from passport.jws import JWK_LIMITS
from passport.keys import PublicKey
from passport.verify import (
    Check,
    CheckResult,
    Code,
    Outcome,
    Verdict,
    VerificationResult,
    verify,
)
from verifier import bulk
from verifier.i18n import LANGUAGES, fill, has, own, t
from verifier.inputs import read_presented
from verifier.trust import load_bundle
from verifier.units import unit_line

EXIT_VALID, EXIT_INVALID = 0, 1


def register_verify(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("verify", help="verify credentials offline (QR text, files, folders, "
                                      "CSV, passports, or -)")
    p.add_argument("input", nargs="+",
                   help="QR text, a compact JWS, a .jwt/.qr.txt file, a PNG/JPEG photo of a "
                        "card, a PDF (booklet page), a passport (passport.json), a CSV file "
                        "(column qr, credential or file), a folder, or - for stdin (one input "
                        "per line)")
    p.add_argument("--trust", metavar="BUNDLE", help="trust bundle (default: the home's)")
    p.add_argument("--root", metavar="FILE", help="root key file to check the bundle against")
    p.add_argument("--jwk", metavar="FILE",
                   help="verify against this one public key (JWK or verification method)")
    p.add_argument("--at", metavar="TIME", help="verify as of this UTC time (default: now)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--lang", choices=LANGUAGES, default="en",
                   help="language of the summary and of the table (csv and json stay in "
                        "English, json with a message in the language)")
    p.add_argument("--format", choices=("table", "csv", "json"),
                   help="one row per input and per person (the default for several inputs "
                        "or a passport: table)")
    p.add_argument("--out", metavar="FILE", help="write the rows to FILE instead of stdout")
    p.add_argument("--national-id", metavar="ID",
                   help="the holder's national ID number, typed from the ID card: checked "
                        "against every credential's salted hash")
    p.set_defaults(func=run_verify)


def register_verifier(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("verifier", help="the offline phone verifier page")
    vsub = p.add_subparsers(dest="verifier_command", required=True)
    exp = vsub.add_parser("export", help="write the page, its data and the trust bundle to DIR")
    exp.add_argument("dir")
    exp.add_argument("--trust", metavar="BUNDLE", help="trust bundle (default: the home's)")
    exp.add_argument("--root", metavar="FILE", help="root keys to pin (default: the home's)")
    exp.set_defaults(func=run_export)


def run_export(args: argparse.Namespace) -> int:
    from verifier.trust import bundle_path, load_bundle_bytes, pinned_roots
    from verifier.webapp import export

    roots = pinned_roots(args.root)
    path = bundle_path(args.trust)
    data = read_bytes(path, limit=64 << 20)
    # Never export a bundle that does not verify, or that is older than one this home has seen.
    load_bundle_bytes(data, args.root)
    files = export(Path(args.dir), data, roots.to_json())
    print(f"{args.dir}: {len(files)} files; serve the folder over HTTPS (or localhost)")
    return EXIT_VALID


def register_trust(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("trust", help="sync or show the trust bundle this verifier carries")
    tsub = p.add_subparsers(dest="trust_command", required=True)
    sync = tsub.add_parser("sync", help="fetch a newer trust bundle; the old one stays if "
                                        "anything is wrong")
    sync.add_argument("url")
    sync.add_argument("--root", metavar="FILE", help="the national root to pin (first time)")
    sync.set_defaults(func=run_sync)
    install = tsub.add_parser("install", help="install a trust list (or bundle) the national "
                                              "authority signed, from a file")
    install.add_argument("file", help="trust-list.json, or a trust bundle")
    install.add_argument("--root", metavar="FILE",
                         help="the national root to pin (first time): the authority's "
                              "root-keys.json")
    install.set_defaults(func=run_install)
    show = tsub.add_parser("show", help="age, version and issuers of the trust bundle")
    show.add_argument("--trust", metavar="BUNDLE")
    show.add_argument("--root", metavar="FILE")
    show.set_defaults(func=run_show)


def run_sync(args: argparse.Namespace) -> int:
    from verifier.trust import sync

    bundle = sync(args.url, args.root)
    print(f"Trust bundle updated: trust list version {bundle.trust_list.version}, "
          f"{len(bundle.status_lists)} status list(s), synced {bundle.synced_at:%Y-%m-%d %H:%M} UTC")
    return EXIT_VALID


def run_install(args: argparse.Namespace) -> int:
    from verifier.trust import centre_standing, install

    bundle = install(Path(args.file), args.root)
    print(f"Trust list version {bundle.trust_list.version} installed "
          f"({len(bundle.trust_list.issuers)} accredited centre(s); expires "
          f"{bundle.trust_list.expires:%Y-%m-%d}).")
    standing = centre_standing(bundle)
    if standing:
        print(f"warning: {standing}", file=sys.stderr)
    return EXIT_VALID


def run_show(args: argparse.Namespace) -> int:
    from verifier.trust import load_bundle

    bundle = load_bundle(args.trust, args.root)
    now = datetime.now(UTC)
    age = now - bundle.synced_at
    expiry = f"EXPIRED on {bundle.trust_list.expires:%Y-%m-%d}: sync the trust bundle" \
        if now >= bundle.trust_list.expires else f"expires {bundle.trust_list.expires:%Y-%m-%d}"
    print(f"Trust list version {bundle.trust_list.version}, synced {bundle.synced_at:%Y-%m-%d} "
          f"({age.days} day(s) ago); {expiry}")
    print(f"Root: {bundle.trust_list.root.threshold} of {len(bundle.trust_list.root.keys)} "
          "officials sign each trust list")
    for issuer in bundle.trust_list.issuers.values():
        kinds = ", ".join(f"{k.value}: {' '.join(sorted(v))}" for k, v in issuer.accreditations.items())
        print(f"  {issuer.name} / {issuer.name_km}  <{issuer.id}>  [{issuer.state.value}]  "
              f"{len(issuer.keys)} key(s); {kinds}")
        for key in issuer.keys:
            note = f", record of {key.record.entries} credential(s)" if key.record else ""
            print(f"    key {key.key.kid}: {key.state_at(now).value}{note}")
        lists = [s for s in bundle.status_lists.values() if s.issuer == issuer.id]
        known = bundle.centres.get(issuer.id)
        as_of = min((s.valid_from for s in lists), default=None) if known is None \
            else known.status_as_of
        freshness = f"as of {as_of:%Y-%m-%d %H:%M} UTC ({(now - as_of).days} day(s) old)" \
            if as_of else "none in this bundle"
        problem = f" - {known.problem}" if known and known.problem else ""
        print(f"    status lists: {len(lists)}, {freshness}{problem}")
    for status in bundle.status_lists.values():
        print(f"  status {status.purpose.value}: {status.url}, valid until {status.valid_until:%Y-%m-%d}")
    return EXIT_VALID


def _load_jwk(path: str) -> PublicKey:
    try:
        doc = jsonread.loads(read_bytes(Path(path), limit=64 * 1024), JWK_LIMITS)
    except jsonread.JSONRejected as exc:
        raise KeyFileError(f"{path}: {exc}") from None
    if isinstance(doc, dict) and "publicKeyJwk" in doc:
        doc = doc["publicKeyJwk"]  # a W3C verification method
    return PublicKey.from_jwk(doc)


def _at(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC)
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--at {text!r} is not an ISO 8601 time") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


class UnreadableInput(Error):
    """An input that could not be read, said in the recruiter's language with the English
    detail after (the command line prints it as any error, exit status 2)."""

    def __init__(self, lang: str, key: str, detail: str) -> None:
        super().__init__(_reason_text(lang, key, detail))


@contextmanager
def _reading(lang: str) -> Iterator[None]:
    """Errors of reading the inputs, with their reason translated where a text fits."""
    try:
        yield
    except Error as exc:
        key = bulk.reason_key(exc)
        if key is None:
            raise
        raise UnreadableInput(lang, key, exc.diagnostics()) from None


def _reason_text(lang: str, key: str, detail: str) -> str:
    return _detail(t(lang, key), detail)


def run_verify(args: argparse.Namespace) -> int:
    stdin_data: list[bytes] = []

    def stdin() -> bytes:
        if not stdin_data:  # read once: `-` given twice is the same input
            stdin_data.append(sys.stdin.buffer.read(bulk.MAX_STDIN_BYTES))
        return stdin_data[0]

    with _reading(args.lang):
        sources = list(bulk.expand(args.input, stdin=stdin))
    if not sources:
        raise UsageError("no input: the folders, CSV files or standard input given were empty")
    at = _at(args.at)
    if args.jwk and args.trust:
        raise UsageError("give either --jwk or --trust, not both")
    with _reading(args.lang):
        single = len(sources) == 1 and not (args.format or args.out or args.national_id) \
            and not bulk.presents_passport(sources[0])
    key = _load_jwk(args.jwk) if args.jwk else None
    trust = None if key is not None else load_bundle(args.trust, args.root)
    if not single:
        verifier = bulk.Verifier(at=at, key=key, trust=trust, national_id=args.national_id)
        report = bulk.run(sources, verifier, progress=_progress(len(sources)))
        for row in report.rows:
            if row.error:  # said where a person reads it too, whatever the output format
                text = _reason_text(args.lang, row.reason, row.error) if row.reason else row.error
                print(f"skillpass: {text}", file=sys.stderr)
        fmt = args.format or ("json" if args.json else "table")
        text = printable(render_table(report, args.lang, trust)) if fmt == "table" else \
            {"csv": render_csv, "json": render_json}[fmt](report, args.lang, trust)
        if args.out:
            write_atomic(Path(args.out), text.encode("utf-8"), durable=False)
        else:
            sys.stdout.write(text)
        return report.exit_code
    # One credential: the full summary.
    source = sources[0]
    with _reading(args.lang):
        presented = read_presented(source.value or "-", stdin=source.data)
    result = verify(presented, at=at, key=key, trust=trust)
    if args.json:
        doc = result.to_json()
        # An invalid credential's content is what someone wrote: a script must not take it
        # as true either.
        doc["claimsTrusted"] = result.verdict is not Verdict.INVALID
        print(json.dumps(doc, ensure_ascii=False, indent=1))
    else:
        print(printable(render_text(result, args.lang, trust)))
    return EXIT_VALID if result.valid else EXIT_INVALID


# What a terminal would act on rather than show: control characters (an escape sequence, the
# 8-bit CSI) and the bidirectional overrides and isolates that reorder what follows them.
# The bidirectional ones are replaced one by one, not in the expression's character class:
# compiling that class with them costs every start ~0.4 ms.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def printable(text: str) -> str:
    """Text for a person's terminal: names and words from a credential or a passport file
    (anyone's, for a forged one or a holder block) never move the cursor, retitle the window
    or reorder the line; each such character shows as U+FFFD."""
    text = _CONTROLS.sub("\ufffd", text)
    for c in _BIDI:
        if c in text:
            text = text.replace(c, "\ufffd")
    return text


def _progress(total: int) -> Callable[[int], None] | None:
    """A bar on stderr for a long run, only when a person watches it (a terminal)."""
    if total < 50 or not sys.stderr.isatty():
        return None
    last = [0.0]

    def show(done: int) -> None:
        now = time.monotonic()
        if done < total and now - last[0] < 0.1:
            return
        last[0] = now
        filled = done * 30 // total
        sys.stderr.write(f"\r[{'#' * filled}{' ' * (30 - filled)}] {done}/{total}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()
    return show


_COLUMNS = ("row", "source", "verdict", "holder", "holder_km", "birth_year", "id_last4",
            "credential", "award", "issuer", "problems", "claims_trusted")


def _credential_cells(row: bulk.CredentialRow, trust: TrustBundle | None = None) -> dict[str, str]:
    """A credential's row, machine-readable: English words and codes. An invalid
    credential's holder and award are what it claims; `claims_trusted` says so."""
    result = row.result
    cred = result.credential if result else None
    problems = [row.error] if row.error else []
    if row.holder_problem:
        problems.append(row.holder_problem)
    if result is not None:  # as the table says them, in English
        on_or_before = status_dates(result, trust)[1]
        problems += [f"{c.check.value}: {_check_detail(c, result, 'en', on_or_before)}"
                     for c in result.checks if c.outcome in (Outcome.FAIL, Outcome.WARN)]
    return {
        "row": "credential", "source": row.source, "verdict": bulk.verdict_of(row),
        "holder": cred.holder.name if cred else "", "holder_km": cred.holder.name_km if cred else "",
        "birth_year": str(cred.holder.birth_year) if cred else "",
        "id_last4": cred.holder.national_id_last4 if cred else "",
        "credential": cred.id if cred else "",
        "award": f"{cred.achievement.name} ({cred.achievement.level.name})" if cred else "",
        "issuer": result.issuer_name[0] if result and result.issuer_name else "",
        "problems": "; ".join(problems),
        "claims_trusted": "true" if row.trusted else "false",
    }


def _person_cells(person: bulk.Person) -> dict[str, str]:
    id_note = "national ID matches" if person.id_matches else ""
    return {
        "row": "person", "source": " ".join(person.sources),
        "verdict": "valid" if person.all_valid else "not-valid",
        "holder": person.name, "holder_km": person.name_km,
        "birth_year": str(person.birth_year) if person.birth_year else "",
        "id_last4": person.id_last4, "credential": f"{person.valid} of {len(person.rows)} valid",
        "award": id_note, "issuer": "", "problems": "; ".join(person.problems),
        "claims_trusted": "true" if person.trusted else "false",
    }


def _all_cells(report: bulk.Report, trust: TrustBundle | None) -> list[dict[str, str]]:
    return [_credential_cells(r, trust) for r in report.rows] + \
        [_person_cells(p) for p in report.people]


def _cell(value: str) -> str:
    """A cell a spreadsheet shows as text: one starting as a formula would (=, +, -, @, a tab
    or a carriage return; a name in a passport file can be anything) gets a ' before it."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") and value != "-" \
        else value


def render_csv(report: bulk.Report, lang: str = "en", trust: TrustBundle | None = None) -> str:
    """CSV for a spreadsheet or a script: English column names and words whatever `lang`;
    no cell is a formula (see `_cell`)."""
    import csv  # only for `--format csv`: a single card's verification starts without it

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: _cell(v) for k, v in row.items()} for row in _all_cells(report, trust))
    return out.getvalue()


def render_json(report: bulk.Report, lang: str = "en", trust: TrustBundle | None = None) -> str:
    """JSON for a script: English keys, words and codes; `message` says the same in `lang`."""
    cells: list[dict[str, Any]] = []
    for row in report.rows:
        cell: dict[str, Any] = _credential_cells(row, trust)
        del cell["row"], cell["claims_trusted"]
        cell["claimsTrusted"] = row.trusted
        if row.reason:
            cell["reason"] = row.reason.split(".", 1)[1]
        cell["message"] = " / ".join([_verdict_word(row, lang), *_row_problems(row, lang)])
        cell["checks"] = [] if row.result is None else row.result.to_json()["checks"]
        cells.append(cell)
    people: list[dict[str, Any]] = []
    for person in report.people:
        doc: dict[str, Any] = {k: v for k, v in _person_cells(person).items()
                               if k not in ("row", "claims_trusted")}
        doc["claimsTrusted"] = person.trusted
        doc["message"] = "; ".join(_person_summary(person, lang))
        people.append(doc)
    doc = {"credentials": cells, "people": people, "exitCode": report.exit_code}
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def _verdict_word(row: bulk.CredentialRow, lang: str) -> str:
    """A row's verdict in `lang`: an input that could not be read says so; another holder's
    credential is NOT VALID; the reason follows on its own line."""
    if row.result is None:
        return t(lang, "label.unreadable")
    if row.holder_problem is None:
        return t(lang, f"verdict.{row.result.verdict.value}")
    return t(lang, "verdict.invalid")


def _detail(text: str, detail: str) -> str:
    """A translated text with the English detail after it (below it when it has lines)."""
    if not detail or detail == text:
        return text
    return f"{text}:\n{detail}" if "\n" in detail else f"{text} ({detail})"


def _row_problems(row: bulk.CredentialRow, lang: str,
                  trust: TrustBundle | None = None) -> list[str]:
    """Why a row is not valid, in `lang` (the English detail after a translated reason)."""
    problems = []
    if row.error:
        problems.append(_detail(t(lang, row.reason), row.error) if row.reason else row.error)
    if row.holder_problem:
        problems.append(_detail(t(lang, "label.holder_mismatch"), row.holder_problem))
    if row.result is not None:
        on_or_before = status_dates(row.result, trust)[1]
        problems += [f"{t(lang, 'check.' + c.check.value)}: "
                     f"{_check_detail(c, row.result, lang, on_or_before)}"
                     for c in row.result.checks if c.outcome in (Outcome.FAIL, Outcome.WARN)]
    return problems


def _person_summary(person: bulk.Person, lang: str) -> list[str]:
    """What a recruiter reads of a person: how many credentials are valid, whether they all
    name this person, and whether the typed national ID matched, each only when known."""
    said = [fill(t(lang, "label.valid_count"), valid=person.valid, total=len(person.rows))]
    if person.same_holder is not None:
        said.append(t(lang, "label.same_holder" if person.same_holder else
                      "label.holder_mismatch"))
    if person.id_matches:
        said.append(t(lang, "label.id_matches"))
    elif person.id_mismatch:
        said.append(t(lang, "label.id_mismatch"))
    return said


def render_table(report: bulk.Report, lang: str = "en", trust: TrustBundle | None = None) -> str:
    """The rows for a person to read, in `lang`: every credential, then every person."""
    untrusted = f"--- {t(lang, 'label.untrusted')} ---"

    def holder(name_km: str, name: str, born: int, last4: str) -> str:
        return (f"{name_km} / {name}  ({t(lang, 'label.born')} {born}, {t(lang, 'label.id')} "
                f"…{last4})")

    lines: list[str] = []
    for row in report.rows:
        lines.append(f"{_verdict_word(row, lang):<16} {row.source}")
        cred = row.result.credential if row.result else None
        if cred is not None:
            a = cred.achievement
            h = cred.holder
            claims = (f"{holder(h.name_km, h.name, h.birth_year, h.national_id_last4)}  "
                      f"{cred.id}  {a.name} ({a.level.name})")
            if not row.trusted:
                lines.append(f"      {untrusted}")
            lines.append(f"      {claims}")
        lines += [f"      {p}" for p in "\n".join(_row_problems(row, lang, trust)).splitlines()]
    for person in report.people:
        lesser = not person.all_valid and not person.problems and all(
            r.result is not None and r.result.verdict is Verdict.WARNING for r in person.rows
            if not r.valid)  # valid, some with a warning: said as a warning, not as invalid
        word = t(lang, "verdict.valid" if person.all_valid else
                 "verdict.warning" if lesser else "verdict.invalid")
        lines += ["", f"{t(lang, 'label.person')}: {word}"]
        if person.birth_year:  # a holder is named (not a credential nothing could be read of)
            if not person.trusted:
                lines.append(f"      {untrusted}")
            lines.append("      " + holder(person.name_km, person.name, person.birth_year,
                                           person.id_last4))
        lines.append(f"      {'; '.join(_person_summary(person, lang))}")
        lines += [f"      {s}" for s in person.sources]
        lines += [f"      ({p})" if lang != "en" else f"      {p}" for p in person.problems]
    valid = sum(r.valid for r in report.rows)
    lines += ["", fill(t(lang, "label.valid_count"), valid=valid, total=len(report.rows))]
    return "\n".join(lines) + "\n"


_MARK = {Outcome.PASS: "ok  ", Outcome.FAIL: "FAIL", Outcome.WARN: "warn", Outcome.SKIP: "--  "}


def _check_detail(c: CheckResult, result: VerificationResult, lang: str,
                  on_or_before: datetime | None) -> str:
    """A check's result: its English message, or in another language its reason's text; a
    revocation or suspension in the reason's words with the date of the list that says so."""
    if c.code in (Code.REVOKED, Code.SUSPENDED):
        detail = t(lang, f"code.{c.code.value}")
        if on_or_before is not None:
            detail += f" ({fill(t(lang, 'label.on_or_before'), date=f'{on_or_before:%Y-%m-%d}')})"
        return detail
    detail = c.message if lang == "en" else t(lang, f"code.{c.code.value}")
    if lang != "en" and c.code is Code.TRUST_LIST_EXPIRED and result.trust_list_expired:
        detail += f" ({t(lang, 'label.expired_on')} {result.trust_list_expired:%Y-%m-%d})"
    return detail


def status_dates(result: VerificationResult,
                 trust: TrustBundle | None) -> tuple[datetime | None, datetime | None]:
    """(status as of, revoked or suspended on or before): when the status check ran, the time
    of the status data it read; for a credential found revoked or suspended, the time of the
    list that says so (the change was made on or before it). Read from the result, and for a
    revoked one from the bundle it was verified against, without verifying anything again."""
    status = result.check(Check.STATUS)
    if status.outcome is Outcome.PASS:
        return result.status_as_of, None
    cred = result.credential
    if status.code not in (Code.REVOKED, Code.SUSPENDED) or cred is None or trust is None:
        return None, None
    purpose = StatusPurpose.REVOCATION if status.code is Code.REVOKED \
        else StatusPurpose.SUSPENSION
    for entry in cred.status:
        listed = trust.status_lists.get(entry.list_url)
        if entry.purpose is purpose and listed is not None and listed.issuer == cred.issuer \
                and entry.list_index < listed.bitstring.size and listed.is_set(entry.list_index):
            return listed.valid_from, listed.valid_from
    return None, None


def _claim_lines(result: VerificationResult, lang: str, *, trusted: bool) -> list[str]:
    """What the credential says: holder, award, level, occupation, units, issuer, dates."""
    def tr(key: str) -> str:
        return t(lang, key)

    cred = result.credential
    assert cred is not None
    a = cred.achievement
    lines = [f"{tr('label.holder')}: {cred.holder.name_km} / {cred.holder.name}  "
             f"({tr('label.born')} {cred.holder.birth_year}, {tr('label.id')} "
             f"…{cred.holder.national_id_last4})",
             f"{tr('label.award')}: {a.name_km} / {a.name}  [{tr('award.' + a.type.value)}, "
             f"{a.level.name}]"]
    level = _CQF_LEVEL.match(a.level.code)
    if level:
        lines.append(f"{tr('label.level')}: {fill(tr('cqf.explain'), n=level.group(1))}")
    occupation = t(lang, f"isco.{a.occupation.code}") if has(lang, f"isco.{a.occupation.code}") \
        else a.occupation.name
    lines.append(f"{tr('label.occupation')}: {occupation} (ISCO-08 {a.occupation.code})")
    field = own(lang, f"field.{a.occupation.code}")
    if field and trusted:  # where the occupation counts abroad: said of a trusted one only
        label = tr("label.field")
        lines.append(f"{label}: {field}" if label else field)
    if cred.results:
        lines.append(f"{tr('label.units')}:")
        lines += [f"  {unit_line(r.unit, r.result_description, lang)}" for r in cred.results]
    if a.learning_hours:
        lines.append(f"{tr('label.course')}: {a.learning_hours} {tr('label.hours')}")
    if result.issuer_name:
        lines.append(f"{tr('label.issuer')}: {result.issuer_name[0]} / {result.issuer_name[1]}")
    lines.append(f"{tr('label.issued')}: {cred.valid_from:%Y-%m-%d}   {tr('label.number')} "
                 f"{cred.id.rsplit(':', 1)[1]}")
    return lines


_CQF_LEVEL = re.compile(r"^C([1-8])$")


def render_text(result: VerificationResult, lang: str = "en",
                trust: TrustBundle | None = None) -> str:
    """One credential for a person to read, in `lang`. A credential that is not invalid: its
    claims, then the checks. An invalid one: the checks, then what it claims under a heading
    that says it is not verified, and only when its signature verified (a forged card's
    content is nobody's word)."""
    def tr(key: str) -> str:
        return t(lang, key)

    as_of, on_or_before = status_dates(result, trust)
    verdict = f"{tr('label.verdict')}: {tr('verdict.' + result.verdict.value)}"
    if as_of is not None:
        verdict += f" ({tr('label.status_as_of')} {as_of:%Y-%m-%d})"
    lines = [verdict]
    cred = result.credential
    trusted = cred is not None and result.verdict is not Verdict.INVALID
    if trusted:
        lines += _claim_lines(result, lang, trusted=True)
    for c in result.checks:
        lines.append(f"  [{_MARK[c.outcome]}] {tr('check.' + c.check.value)}: "
                     f"{_check_detail(c, result, lang, on_or_before)}")
    signed = result.check(Check.SIGNATURE).outcome is Outcome.PASS
    if cred is not None and not trusted and signed:
        lines.append(f"--- {tr('label.untrusted')} ---")
        lines += [f"    {line}" for line in _claim_lines(result, lang, trusted=False)]
    # What an RPL certificate stands for abroad: said of one that verifies, never of another.
    note = t(lang, "note.overseas") if lang in ("ja", "ko") else ""
    if note and cred is not None and cred.kind is Kind.RPL \
            and result.verdict is not Verdict.INVALID:
        lines.append(note)
    return "\n".join(lines)
