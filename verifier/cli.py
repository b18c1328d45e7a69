"""`skillpass verify`: offline verification from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from passport import jsonread
from passport.credential import Kind
from passport.errors import KeyFileError, UsageError
from passport.fileio import read_bytes
from passport.jws import JWK_LIMITS
from passport.keys import PublicKey
from passport.verify import Code, Outcome, Verdict, VerificationResult, verify
from verifier.i18n import LANGUAGES, has, t
from verifier.inputs import read_presented
from verifier.trust import load_bundle
from verifier.units import unit_line

EXIT_VALID, EXIT_INVALID = 0, 1


def register_verify(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("verify", help="verify a credential offline (QR text, .jwt file, or -)")
    p.add_argument("input", help="QR text, a compact JWS, a .jwt/.qr.txt file, a PNG/JPEG photo "
                                 "of a card, a PDF (booklet page), or - for stdin")
    p.add_argument("--trust", metavar="BUNDLE", help="trust bundle (default: the home's)")
    p.add_argument("--root", metavar="FILE", help="root key file to check the bundle against")
    p.add_argument("--jwk", metavar="FILE",
                   help="verify against this one public key (JWK or verification method)")
    p.add_argument("--at", metavar="TIME", help="verify as of this UTC time (default: now)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--lang", choices=LANGUAGES, default="en", help="language of the summary")
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


def run_verify(args: argparse.Namespace) -> int:
    stdin = sys.stdin.buffer.read(25 << 20) if args.input == "-" else None
    presented = read_presented(args.input, stdin=stdin)
    at = _at(args.at)
    if args.jwk:
        if args.trust:
            raise UsageError("give either --jwk or --trust, not both")
        result = verify(presented, at=at, key=_load_jwk(args.jwk))
    else:
        result = verify(presented, at=at, trust=load_bundle(args.trust, args.root))
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=1))
    else:
        print(render_text(result, args.lang))
    return EXIT_VALID if result.valid else EXIT_INVALID


_MARK = {Outcome.PASS: "ok  ", Outcome.FAIL: "FAIL", Outcome.WARN: "warn", Outcome.SKIP: "--  "}


def render_text(result: VerificationResult, lang: str = "en") -> str:
    def tr(key: str) -> str:
        return t(lang, key)

    lines = [f"{tr('label.verdict')}: {tr('verdict.' + result.verdict.value)}"]
    cred = result.credential
    if cred is not None:
        a = cred.achievement
        lines.append(f"{tr('label.holder')}: {cred.holder.name_km} / {cred.holder.name}  "
                     f"({tr('label.born')} {cred.holder.birth_year}, {tr('label.id')} "
                     f"…{cred.holder.national_id_last4})")
        lines.append(f"{tr('label.award')}: {a.name_km} / {a.name}  [{tr('award.' + a.type.value)}, "
                     f"{a.level.name}]")
        occupation = t(lang, f"isco.{a.occupation.code}") if has(lang, f"isco.{a.occupation.code}") \
            else a.occupation.name
        lines.append(f"{tr('label.occupation')}: {occupation} (ISCO-08 {a.occupation.code})")
        if cred.results:
            lines.append(f"{tr('label.units')}:")
            lines += [f"  {unit_line(r.unit, r.result_description, lang)}" for r in cred.results]
        if a.learning_hours:
            lines.append(f"{tr('label.course')}: {a.learning_hours} {tr('label.hours')}")
        if result.issuer_name:
            lines.append(f"{tr('label.issuer')}: {result.issuer_name[0]} / {result.issuer_name[1]}")
        lines.append(f"{tr('label.issued')}: {cred.valid_from:%Y-%m-%d}   {tr('label.number')} "
                     f"{cred.id.rsplit(':', 1)[1]}")
    for c in result.checks:
        detail = c.message if lang == "en" else tr(f"code.{c.code.value}")
        if lang != "en" and c.code is Code.TRUST_LIST_EXPIRED and result.trust_list_expired:
            detail += f" ({tr('label.expired_on')} {result.trust_list_expired:%Y-%m-%d})"
        lines.append(f"  [{_MARK[c.outcome]}] {tr('check.' + c.check.value)}: {detail}")
    # What an RPL certificate stands for abroad: said of one that verifies, never of another.
    note = t(lang, "note.overseas") if lang in ("ja", "ko") else ""
    if note and cred is not None and cred.kind is Kind.RPL \
            and result.verdict is not Verdict.INVALID:
        lines.append(note)
    return "\n".join(lines)
