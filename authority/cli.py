"""`skillpass authority ...`: the national authority's commands, a thin layer over
`authority.actions`. Every command works in $SKILLPASS_AUTHORITY_HOME."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeAlias

from authority import actions, draft
from authority.home import Home, home_path
from authority.officials import Signer, load_signer, passphrase
from passport.credential import format_time
from passport.errors import UsageError
from passport.trust import CentreState, TrustList

Sub: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
EXIT_OK = 0


def register_authority(sub: Sub) -> None:
    p = sub.add_parser("authority", help="the national authority: root keys, accreditation, "
                                         "trust list signing, the national trust bundle")
    asub = p.add_subparsers(dest="authority_command", required=True, metavar="COMMAND")

    c = asub.add_parser("init", help="create the root: n officials' keys, k-of-n, trust list v1")
    c.add_argument("--officials", type=int, required=True, metavar="N")
    c.add_argument("--threshold", type=int, required=True, metavar="K")
    c.add_argument("--validity-days", type=int, default=365, metavar="DAYS",
                   help="how long each signed trust list is valid (default 365)")
    c.set_defaults(func=run_init)

    c = asub.add_parser("show", help="the current list, officials, centres, draft and proposal")
    c.set_defaults(func=run_show)

    c = asub.add_parser("accredit", help="add a centre to the draft from its request")
    c.add_argument("request", type=Path, help="the centre's accreditation request (.jwt)")
    c.add_argument("--grant", action="append", default=[], metavar="KIND:CODES",
                   help="grant less than asked, e.g. rpl:7112,7115 or tvet:* (repeatable)")
    c.set_defaults(func=run_accredit)

    for name, state in (("suspend", CentreState.SUSPENDED), ("reinstate", CentreState.ACTIVE)):
        c = asub.add_parser(name, help=f"{name} a centre (in the draft)")
        c.add_argument("centre", help="the centre's id (its https URL)")
        c.set_defaults(func=run_state, state=state)

    c = asub.add_parser("rotate-key", help="a centre's new key; the old one's window closes")
    c.add_argument("centre")
    c.add_argument("request", type=Path, help="the centre's key rotation request (.json)")
    c.add_argument("--overlap", type=int, default=30, metavar="DAYS",
                   help="days the old key stays valid beside the new (default 30)")
    c.add_argument("--verified-in-person", action="store_true",
                   help="the old key is compromised and officials have confirmed the new key "
                        "with the centre in person")
    c.set_defaults(func=run_rotate)

    c = asub.add_parser("retire-key", help="close a centre key's window")
    c.add_argument("centre")
    c.add_argument("kid")
    c.add_argument("--at", required=True, metavar="TIME", help="UTC time the window closes")
    c.add_argument("--record", type=Path, metavar="FILE",
                   help="the centre's issuance record for the key (strongly advised)")
    c.set_defaults(func=run_retire)

    c = asub.add_parser("compromise", help="contain a stolen centre key with its record")
    c.add_argument("centre")
    c.add_argument("kid")
    c.add_argument("--since", required=True, metavar="TIME",
                   help="UTC time from which the key may be in other hands")
    c.add_argument("--record", type=Path, required=True, metavar="FILE",
                   help="the centre's signed issuance record for the key")
    c.set_defaults(func=run_compromise)

    c = asub.add_parser("official", help="officials' keys")
    osub = c.add_subparsers(dest="official_command", required=True, metavar="COMMAND")
    o = osub.add_parser("new", help="a new official's key, sealed under their passphrase")
    o.add_argument("name")
    o.add_argument("--out", type=Path, metavar="FILE",
                   help="the sealed key file (default: the home's officials/NAME.sealed.json)")
    o.set_defaults(func=run_official_new)

    c = asub.add_parser("roots", help="stage a new root set for the next list (TUF rotation)")
    c.add_argument("--add", type=Path, action="append", default=[], metavar="FILE",
                   help="an official's public file (or sealed key file)")
    c.add_argument("--remove", action="append", default=[], metavar="KID")
    c.add_argument("--threshold", type=int, metavar="K")
    c.set_defaults(func=run_roots)

    c = asub.add_parser("sign", help="sign the next trust list as one official")
    c.add_argument("--official", metavar="NAME", help="who signs (key from the home, or the "
                                                      "name for --key)")
    c.add_argument("--key", type=Path, metavar="FILE", help="the official's sealed key file")
    c.add_argument("--proposal", type=Path, metavar="FILE",
                   help="sign this proposal file (carried from the home)")
    c.add_argument("--rebuild", action="store_true",
                   help="drop the pending proposal and its signatures; build anew from the draft")
    c.set_defaults(func=run_sign)

    c = asub.add_parser("publish", help="publish a proposal brought back with its signatures")
    c.add_argument("--proposal", type=Path, required=True, metavar="FILE")
    c.set_defaults(func=run_publish)

    c = asub.add_parser("bundle", help="build the national trust bundle")
    c.add_argument("--out", type=Path, metavar="FILE", help="the national trust bundle file")
    c.add_argument("--dir", type=Path, metavar="DIR",
                   help="the same as a folder a static web server serves")
    c.add_argument("--status", action="append", default=[], metavar="[CENTRE=]SOURCE",
                   help="a centre's trust-bundle.json, as a file or URL (repeatable; default "
                        "for each centre: <centre id>/trust-bundle.json)")
    c.add_argument("--max-age", type=float, default=48, metavar="HOURS",
                   help="status lists older than this are reported (default 48)")
    c.add_argument("--offline", action="store_true",
                   help="fetch no centre's default URL: only the --status sources and the "
                        "lists held from earlier builds")
    c.set_defaults(func=run_bundle)


def _home() -> Home:
    return Home(home_path())


def _now() -> datetime:
    return datetime.now(UTC)


def parse_when(text: str, option: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{option} {text!r} is not an ISO 8601 time like "
                         "2026-11-02T09:00:00Z") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def run_init(args: argparse.Namespace) -> int:
    home = _home()
    first = actions.init(home, officials=args.officials, threshold=args.threshold,
                         validity_days=args.validity_days, passphrases=passphrase, now=_now())
    print(f"Created authority home {home.root}: {args.officials} officials, "
          f"{args.threshold} of them sign each trust list.")
    print(f"Trust list v{first.version} (no centres yet) signed; root keys to pin: "
          f"{home.root_keys_file}")
    return EXIT_OK


def run_accredit(args: argparse.Namespace) -> int:
    centre = actions.accredit(_home(), args.request, draft.parse_grants(args.grant), _now())
    print(f"Accredited {centre.id} ({centre.name}) in the draft: may certify "
          f"{draft.accreditation_text(centre)}; key {centre.keys[0].key.kid}.")
    print("It takes effect when k officials sign: skillpass authority sign --official NAME")
    return EXIT_OK


def run_state(args: argparse.Namespace) -> int:
    centre = actions.set_state(_home(), args.centre, args.state)
    print(f"{centre.id} is {centre.state.value} in the draft; sign the next list to publish it.")
    return EXIT_OK


def run_rotate(args: argparse.Namespace) -> int:
    centre, warnings = actions.rotate_key(_home(), args.centre, args.request,
                                          timedelta(days=args.overlap), _now(),
                                          verified_in_person=args.verified_in_person)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for key in centre.keys:
        print(f"  key {key.key.kid}: {draft.key_text(key)}")
    print(f"{centre.id}: new key in the draft; sign the next list to publish it.")
    return EXIT_OK


def run_retire(args: argparse.Namespace) -> int:
    centre, record = actions.retire_key(_home(), args.centre, args.kid,
                                        parse_when(args.at, "--at"), args.record)
    key = centre.key(args.kid)
    assert key is not None
    print(f"{centre.id}: key {args.kid} {draft.key_text(key)} (in the draft).")
    if record is None and key.record is None:
        print("No issuance record: once the key is retired, verifiers can only warn about its "
              "credentials (a retired key could sign anything with any date). Attach the "
              "centre's record with --record FILE.")
    return EXIT_OK


def run_compromise(args: argparse.Namespace) -> int:
    centre, record = actions.compromise(_home(), args.centre, args.kid,
                                        parse_when(args.since, "--since"), args.record, _now())
    print(f"{centre.id}: key {args.kid} compromised since {args.since}; {record.count} "
          "credential(s) in its record stay valid if issued before then. Sign the next list "
          "to publish it.")
    return EXIT_OK


def run_official_new(args: argparse.Namespace) -> int:
    sealed, public = actions.new_official(_home(), args.name, args.out, passphrase)
    print(f"Official {args.name}: sealed key {sealed}; public file {public} "
          "(stage it with: skillpass authority roots --add FILE)")
    return EXIT_OK


def run_roots(args: argparse.Namespace) -> int:
    home = _home()
    new = actions.stage_roots(home, args.add, args.remove, args.threshold)
    names = home.settings().names()
    print(f"Next root (in the draft): {new.root.threshold} of "
          f"{', '.join(names.get(k.kid, k.kid) for k in new.root.keys)}. The next list needs "
          f"{home.current().root.threshold} signatures of the current root and "
          f"{new.root.threshold} of this one.")
    return EXIT_OK


def _signer(home: Home, args: argparse.Namespace) -> Signer:
    if args.key is not None:
        return load_signer(args.key, args.official, passphrase)
    if args.official is None:
        raise UsageError("say who signs: --official NAME (key in the home) or --key FILE")
    path = home.official_key_file(args.official)
    if not path.exists():
        raise UsageError(f"no key of {args.official} at {path}: pass --key FILE (the "
                         "official's own copy)")
    return load_signer(path, args.official, passphrase)


def run_sign(args: argparse.Namespace) -> int:
    home = _home()
    if args.proposal is None:
        home.require()
        done = actions.sign(home, _signer(home, args), rebuild=args.rebuild, now=_now())
    else:
        if args.rebuild:
            raise UsageError("--rebuild applies to the home's proposal, not to --proposal")
        done = actions.sign_file(home, args.proposal, _signer(home, args))
    names = home.settings().names() if home.exists() else {}
    doc = done.proposal.document
    print(f"Signed trust list v{done.proposal.version} (expires {doc['expires']}, "
          f"{len(doc['issuers'])} centre(s)).")
    if done.published is not None:
        print(f"Published trust list v{done.published.version}: {home.trust_list_file}")
    else:
        missing = done.proposal.describe_missing(names) if done.proposal.missing() else \
            "none: it is complete"
        print(f"Signatures so far: {len(done.proposal.signatures)}; still needed: {missing}")
        print(f"Proposal file: {done.file}")
        if not home.exists():
            print("Take it back to the authority's machine: skillpass authority publish "
                  f"--proposal {done.file.name} (or sign it there)")
    return EXIT_OK


def run_publish(args: argparse.Namespace) -> int:
    home = _home()
    home.require()
    published = actions.publish(home, args.proposal)
    print(f"Published trust list v{published.version}: {home.trust_list_file}")
    return EXIT_OK


def run_bundle(args: argparse.Namespace) -> int:
    home = _home()
    home.require()
    result = actions.bundle(home, out=args.out, folder=args.dir, sources=args.status,
                            offline=args.offline, max_age=timedelta(hours=args.max_age),
                            now=_now())
    for centre in result.centres:
        as_of = format_time(centre.status_as_of) if centre.status_as_of else "never"
        line = f"  {centre.id} [{centre.state.value}]: {len(centre.lists)} list(s), as of {as_of}"
        print(line + (f"; {centre.problem}" if centre.problem else ""))
    for note in result.notes:
        print(f"  note: {note}")
    written = [str(p) for p in (args.out, args.dir) if p is not None]
    print(f"National trust bundle: {', '.join(written)} ({len(result.status_lists)} status "
          f"list(s), {len(result.document.get('issuanceRecords', ()))} issuance record(s)).")
    return EXIT_OK


def run_show(args: argparse.Namespace) -> int:
    print("\n".join(show_lines(_home(), _now())))
    return EXIT_OK


def show_lines(home: Home, now: datetime) -> list[str]:
    settings, current, next_draft = home.settings(), home.current(), home.draft()
    names = settings.names()
    days = (current.expires - now).days
    lines = [f"Authority home {home.root}",
             f"Trust list v{current.version}, issued {format_time(current.issued)}, expires "
             f"{format_time(current.expires)} ({days} day(s) left)",
             f"Root: {current.root.threshold} of {len(current.root.keys)} officials must sign"]
    lines += [f"  {names.get(k.kid, '?')} (key {k.kid})" for k in current.root.keys]
    lines.append(f"Centres ({len(current.issuers)}):")
    lines += _centre_lines(current)
    changed = draft.changes(draft.Draft(current.root, tuple(current.issuers.values())),
                            next_draft, names)
    lines.append(f"Draft: {len(changed)} change(s) not yet signed" + (":" if changed else ""))
    lines += [f"  - {line}" for line in changed]
    pending = home.pending(current.version + 1)
    if pending is not None:
        signed = ", ".join(names.get(k, k) for k in sorted(pending.signers())) or "nobody yet"
        lines.append(f"Pending proposal v{pending.version} ({home.proposal_file(pending.version)})"
                     f": signed by {signed}; needs {pending.describe_needs(names)}")
        if pending.missing():
            lines.append(f"  still needed: {pending.describe_missing(names)}")
    return lines


def _centre_lines(current: TrustList) -> list[str]:
    lines = []
    for centre in current.issuers.values():
        lines.append(f"  {centre.id}  {centre.name} / {centre.name_km}  [{centre.state.value}]")
        lines += [f"    key {k.key.kid}: {draft.key_text(k)}" for k in centre.keys]
        lines.append(f"    may certify {draft.accreditation_text(centre)}")
    return lines

