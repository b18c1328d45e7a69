"""Issuer-side commands: `init`, `demo`, `serve`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeAlias

from PIL import Image

from issuer.demo import demo_profile
from issuer.home import Home, IssuerProfile, home_path, passphrase
from issuer.installation import Installation
from issuer.prints import load_entries
from passport.bundle import TrustBundle
from passport.errors import UsageError
from passport.fileio import read_bytes, write_atomic
from passport.printing import BookletEntry, HolderLink

Sub: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def register_init(sub: Sub) -> None:
    p = sub.add_parser("init", help="create a centre's home ($SKILLPASS_HOME): its key, its "
                                    "accreditation request, the database")
    p.add_argument("--centre-id", metavar="URL", help="the centre's https URL, its id for good")
    p.add_argument("--name", help="the centre's name in English")
    p.add_argument("--name-km", help="the centre's name in Khmer")
    p.add_argument("--asks", metavar="KIND:OCCUPATIONS", action="append", default=[],
                   help="what to ask to certify, e.g. rpl:7112,7115 or tvet:* (repeatable; "
                        "default: rpl:* tvet:*)")
    p.add_argument("--demo", action="store_true",
                   help="the demo centre (National Technical Training Institute, demo)")
    p.set_defaults(func=run_init)


def _profile(args: argparse.Namespace) -> IssuerProfile:
    from issuer.home import IssuerProfile
    from passport import centreid
    from passport.credential import Kind

    if args.demo:
        if args.centre_id:
            raise UsageError("give --demo or --centre-id, not both")
        return demo_profile()
    if not (args.centre_id and args.name and args.name_km):
        raise UsageError("a new home needs --centre-id URL --name NAME --name-km NAME (or "
                         "--demo for the demo centre)")
    try:
        centre_id = centreid.canonical(args.centre_id)
    except ValueError as exc:
        raise UsageError(f"--centre-id {args.centre_id!r} {exc}: it must be the centre's "
                         "https:// URL") from None
    if centre_id != args.centre_id.rstrip("/"):
        # The authority accredits an id in its one canonical form only.
        raise UsageError(f"--centre-id {args.centre_id!r}: write it as {centre_id}, its one "
                         "canonical form")
    asks: dict[Kind, list[str]] = {}
    for item in args.asks or ["rpl:*", "tvet:*"]:
        kind, _, codes = item.partition(":")
        try:
            asks[Kind(kind)] = sorted({c.strip() for c in codes.split(",") if c.strip()})
        except ValueError:
            raise UsageError(f"--asks {item!r}: the kind is rpl or tvet") from None
        if not asks[Kind(kind)]:
            raise UsageError(f"--asks {item!r}: name the ISCO-08 codes, or *")
    return IssuerProfile(centre_id, args.name, args.name_km, asks)


def run_init(args: argparse.Namespace) -> int:
    home = Home(home_path())
    if home.exists():
        print(f"Home {home.root} already exists.")
    else:
        home.init(_profile(args), passphrase(), datetime.now(UTC))
        print(f"Created home {home.root} for {home.profile().id}: its key (sealed) and "
              f"{home.request_file}.")
    with Installation.open(home) as installation:
        password = first_admin(installation)
        accredited = installation.centre.trust() is not None
    if accredited:
        print(f"Database ready; trust bundle {home.bundle_file} published from it.")
    else:
        print(f"Database ready. Before it can issue, send {home.request_file} to the national "
              "authority and install the trust list it signs: skillpass trust install FILE "
              "--root ROOT-KEYS.json")
    if password:
        print(f"First admin: username 'admin', one-time password: {password}")
        print("This password is shown once. Sign in, choose your own password, and create the "
              "centre's users.")
    return 0


def first_admin(installation: Installation) -> str | None:
    """Create the first admin if nobody has an account yet; returns its one-time password,
    which the admin must replace with their own at first sign-in."""
    from issuer.service import accounts, passwords

    with installation.store.transaction() as s:
        if accounts.has_people(s):
            return None
        password = passwords.one_time()
        accounts.create_user(s, accounts.COMMAND_LINE, "admin", password, "admin", one_time=True)
    return password


def register_demo(sub: Sub) -> None:
    p = sub.add_parser("demo", help="issue sample credentials into a folder")
    p.add_argument("--out", required=True, help="folder for NAME.jwt, NAME.qr.txt, trust bundle")
    p.set_defaults(func=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    from issuer.demo import write_demo

    home = Home(home_path())
    with Installation.open(home) as installation:
        for path in write_demo(installation, Path(args.out), datetime.now(UTC)):
            print(path)
    return 0


def register_issue(sub: Sub) -> None:
    p = sub.add_parser("issue", help="decide and sign an assessment or a training completion")
    p.add_argument("file", help="ASSESSMENT.json (RplAssessment) or a TrainingCompletion file")
    p.add_argument("--out", required=True, help="folder for the decision, NAME.jwt, NAME.qr.txt")
    p.set_defaults(func=run_issue)


def run_issue(args: argparse.Namespace) -> int:
    from issuer.issuing import issue_file
    from rpl_rubrics.cli import render_decision

    with Installation.open() as installation:
        issued = issue_file(installation, Path(args.file), Path(args.out), at=datetime.now(UTC))
    if issued.decision is not None:
        print(render_decision(issued.decision))
    verb = "Issued" if issued.new else "Already issued (the same input)"
    if issued.withheld:
        verb += f", and {issued.withheld} since"
    print(f"{verb} {issued.credential.id} ({issued.credential.achievement.type.value}); "
          f"QR text {len(issued.qr_text)} characters")
    for path in issued.files:
        print(path)
    return 0


def _status_command(action: str, help_text: str) -> Callable[[Sub], None]:
    def register(sub: Sub) -> None:
        p = sub.add_parser(action, help=help_text)
        p.add_argument("credential", metavar="CREDENTIAL_ID",
                       help="urn:skillpass:cred:... or the 12-character number on the card")
        p.add_argument("--reason", required=True, help="why (kept in the audit log)")
        p.set_defaults(func=lambda args: run_status(args, action))
    return register


register_revoke = _status_command("revoke", "revoke a credential for good (audited)")
register_suspend = _status_command("suspend", "suspend a credential until reinstated (audited)")
register_reinstate = _status_command("reinstate", "lift a suspension (audited)")


def run_status(args: argparse.Namespace, action: str) -> int:
    from issuer.service import accounts, status

    with Installation.open() as installation:
        with installation.store.transaction() as s:
            record = status.change(s, installation.centre, accounts.command_line_user(s),
                                   args.credential, action, args.reason)
            credential_id, slot = record.id, (record.status_list, record.status_index)
        done = {"revoke": "Revoked", "suspend": "Suspended", "reinstate": "Reinstated"}[action]
        print(f"{done} {credential_id} (status list {slot[0]}, index {slot[1]}).")
        if installation.store.publish_error is not None:
            print(f"skillpass: warning: {installation.home.bundle_file} could not be rewritten "
                  f"({installation.store.publish_error.diagnostics()}); it still shows the "
                  "earlier status until the next command", file=sys.stderr)
        else:
            print(f"Trust bundle republished: {installation.home.bundle_file}")
    return 0


def register_key(sub: Sub) -> None:
    p = sub.add_parser("key", help="the centre's keys: list them, ask for a new one, export what "
                                   "one signed")
    ksub = p.add_subparsers(dest="key_command", required=True)
    ksub.add_parser("list", help="each key and its state in the installed trust list") \
        .set_defaults(func=run_key_list)
    rotate = ksub.add_parser("rotate", help="make a new key and the request the national "
                                            "authority needs to list it")
    rotate.add_argument("--out", metavar="FILE", help="where to write the request (it is also "
                                                      "kept in the home)")
    rotate.set_defaults(func=run_key_rotate)
    record = ksub.add_parser("record", help="the signed record of every credential a key signed")
    record.add_argument("kid")
    record.add_argument("--out", required=True, metavar="FILE")
    record.set_defaults(func=run_key_record)


def run_key_list(args: argparse.Namespace) -> int:
    from issuer.service import keys

    with Installation.open() as installation:
        for view in keys.key_views(installation.centre, datetime.now(UTC)):
            window = (f"{view.valid_from:%Y-%m-%d} to "
                      f"{view.valid_until:%Y-%m-%d}" if view.valid_until else
                      f"from {view.valid_from:%Y-%m-%d}") if view.valid_from else ""
            mark = "  (signs now)" if view.signing else ""
            print(f"{view.kid}  {view.state:<11} {window}{mark}")
    return 0


def run_key_rotate(args: argparse.Namespace) -> int:
    from issuer.service import accounts, keys

    now = datetime.now(UTC)
    with Installation.open() as installation, installation.store.transaction() as s:
        kid, data = keys.request_rotation(s, installation.centre,
                                          accounts.command_line_user(s), now)
    if args.out:
        write_atomic(Path(args.out), data)
    print(f"New key {kid}. Send {args.out or f'key-rotation-request-{kid}.json'} to the national "
          "authority; the centre signs with the new key once the trust list it signs is "
          "installed (skillpass trust install FILE).")
    return 0


def run_key_record(args: argparse.Namespace) -> int:
    from issuer.centre import NotAccredited
    from issuer.service import accounts, keys

    now = datetime.now(UTC)
    with Installation.open() as installation, installation.store.transaction() as s:
        record = keys.issuance_record(s, installation.centre, accounts.command_line_user(s),
                                      args.kid, now)
        try:
            still_signing = installation.centre.status_key(now).kid == args.kid
        except NotAccredited:
            still_signing = False
    write_atomic(Path(args.out), record.compact.encode() + b"\n")
    print(f"{args.out}: {record.entries} credential(s) signed with {args.kid}.")
    if still_signing:
        print(f"warning: {args.kid} is the key this centre signs with now; what it signs after "
              "this record is not in it. Install the trust list naming the new key first, then "
              "export the record.", file=sys.stderr)
    if record.left_out:
        print(f"Left out, sharing a slot with a listed one: {', '.join(record.left_out[:20])}",
              file=sys.stderr)
    return 0


def register_upgrade(sub: Sub) -> None:
    p = sub.add_parser("upgrade", help="move an earlier version's status files into the database")
    p.add_argument("--credentials", metavar="DIR", nargs="+", default=[],
                   help="folders where the earlier 'issue', 'issue-batch' and 'demo' wrote "
                        "their output (*.jwt, ledger.jsonl)")
    p.add_argument("--without-credentials", action="store_true",
                   help="import only the counter and the revocations: the earlier command "
                        "line's cards then cannot be found, printed or revoked by id")
    p.add_argument("--accept-shared-slots", action="store_true",
                   help="import even where the earlier command line and web service handed "
                        "out the same status slots (those credentials share one status)")
    p.set_defaults(func=run_upgrade)


def run_upgrade(args: argparse.Namespace) -> int:
    from issuer.migrate import Wave1Import
    from issuer.store import Store

    home = Home(home_path())
    home.require()
    options = Wave1Import(home.issuer_key(passphrase()).public,
                          tuple(Path(d) for d in args.credentials), args.accept_shared_slots,
                          args.without_credentials)
    Store.open(home, wave1=options).close()  # the import commits here, whatever follows
    for line in options.report or ["nothing to import: this home keeps its status in the database"]:
        print(line)
    with Installation.open(home):  # publishes the home's trust bundle from the database
        pass
    return 0


def _bundle(args: argparse.Namespace) -> TrustBundle:
    home = Home(home_path())
    path = Path(args.trust) if args.trust else home.bundle_file
    return TrustBundle.from_json(read_bytes(path, limit=64 << 20), roots=home.root_keys())


def _entries(args: argparse.Namespace, names: list[str]) -> list[BookletEntry]:
    """Credentials to print, from files or by id from the centre's database."""
    from issuer.service import credentials
    from issuer.store import Store

    home = Home(home_path())
    opened: list[Store] = []

    def lookup(name: str) -> str:
        if not opened:
            opened.append(Store.open(home))
        with opened[0].read() as s:
            record = credentials.get(s, name)
        # The database decides first: the home's bundle is only its published copy.
        if record.revoked or record.suspended:
            state = "revoked" if record.revoked else "suspended"
            raise UsageError(f"{name}: not printed, the credential is {state} "
                             f"({record.status_reason})")
        return record.qr

    try:
        return load_entries(names, _bundle(args), datetime.now(UTC), lookup)
    finally:
        for store in opened:
            store.close()


def _address() -> str:
    """The home's verifier address for the cards it prints; none outside a centre's home."""
    home = Home(home_path())
    return home.profile().verifier_address if home.exists() else ""


def _print_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--trust", metavar="BUNDLE", help="trust bundle to check the credentials "
                                                     "against (default: the home's)")


def _photo(path: str | None) -> Image.Image | None:
    if path is None:
        return None
    try:
        with Image.open(Path(path)) as img:
            img.load()
            return img.copy()
    except OSError as exc:
        raise UsageError(f"{path}: not a readable photo ({exc})") from None


def register_card(sub: Sub) -> None:
    p = sub.add_parser("card", help="render a credential as an ID-1 card (PNG, 300 dpi)")
    p.add_argument("credential", help="CRED.jwt, CRED.qr.txt, or a credential id or card number")
    p.add_argument("--out", required=True, help="card.png")
    p.add_argument("--photo", help="optional holder photo, printed on the card only")
    _print_options(p)
    p.set_defaults(func=run_card)


def run_card(args: argparse.Namespace) -> int:
    from passport.card import render
    from passport.printing import card_face

    entry = _entries(args, [args.credential])[0]
    write_atomic(Path(args.out), render(card_face(entry, _address()), _photo(args.photo)).to_png())
    print(args.out)
    return 0


def register_sheet(sub: Sub) -> None:
    p = sub.add_parser("sheet", help="A4 PDF of cards with cut marks (10 per page)")
    p.add_argument("credentials", nargs="+", metavar="CRED")
    p.add_argument("--out", required=True, help="sheet.pdf")
    _print_options(p)
    p.set_defaults(func=run_sheet)


def run_sheet(args: argparse.Namespace) -> int:
    from passport.card import render
    from passport.printing import card_face, pdf, sheet_pages

    entries = _entries(args, args.credentials)
    pages = sheet_pages([render(card_face(e, _address())) for e in entries])
    write_atomic(Path(args.out), pdf(pages))
    print(f"{args.out}: {len(entries)} cards on {len(pages)} page(s)")
    return 0


def register_booklet(sub: Sub) -> None:
    p = sub.add_parser("booklet", help="one returnee's passport: PDF booklet and bundle file")
    p.add_argument("credentials", nargs="+", metavar="CRED")
    p.add_argument("--out", required=True, help="passport.pdf (the bundle goes beside it as .json)")
    p.add_argument("--photo", help="optional holder photo for the cover")
    p.add_argument("--no-link", action="store_true",
                   help="print no one-time download link on the cover")
    _print_options(p)
    p.set_defaults(func=run_booklet)


def run_booklet(args: argparse.Namespace) -> int:
    from passport.holder_bundle import passport_bundle
    from passport.printing import booklet_pages, pdf

    now = datetime.now(UTC)
    entries = _entries(args, args.credentials)
    doc = passport_bundle([(e.credential, _jws(e.qr_text), e.qr_text) for e in entries], now)
    link = None if args.no_link else _holder_link(entries, now)
    out = Path(args.out)
    write_atomic(out, pdf(booklet_pages(entries, printed=now.date(), photo=_photo(args.photo),
                                        link=link)))
    write_atomic(out.with_suffix(".json"), json.dumps(doc, ensure_ascii=False, indent=1).encode())
    print(f"{out}: cover + {len(entries)} credential page(s); bundle {out.with_suffix('.json')}")
    if link is not None:
        print(f"The cover carries a one-time download link for the holder's phone, until "
              f"{link.expires.isoformat()}.")
    return 0


def _holder_link(entries: list[BookletEntry], now: datetime) -> HolderLink | None:
    """A fresh one-time download link to the booklet's credentials, made by the command
    line's account, naming the centre's id (its public origin; see issuer.service.downloads);
    None outside a centre's home, or when a credential printed is not one of this centre's
    database (a file from elsewhere)."""
    from issuer.service import accounts, credentials, downloads
    from issuer.service.errors import NotFound
    from issuer.store import Store

    home = Home(home_path())
    if not home.exists():
        return None
    store = Store.open(home)
    try:
        with store.transaction() as s:
            try:
                records = [credentials.get(s, e.credential.id) for e in entries]
            except NotFound:
                return None
            if len({r.candidate_id for r in records}) != 1:
                return None
            link = downloads.create(s, accounts.command_line_user(s), records[0].candidate_id,
                                    [r.id for r in records], now)
    finally:
        store.close()
    return HolderLink(link.url(home.profile().id), link.expires_at.date())


def _jws(qr_text: str) -> str:
    from passport import qr

    return qr.decode(qr_text)


def register_issue_batch(sub: Sub) -> None:
    p = sub.add_parser("issue-batch", help="issue a day of assessments from a CSV file")
    p.add_argument("csv", help="RESULTS.csv (one candidate per row)")
    p.add_argument("--out", required=True, help="folder for credentials, cards and the sheet")
    p.set_defaults(func=run_issue_batch)


def run_issue_batch(args: argparse.Namespace) -> int:
    from issuer.batch import issue_batch

    with Installation.open() as installation:
        report = issue_batch(installation, Path(args.csv), Path(args.out), at=datetime.now(UTC))
    print(f"Issued {report.issued} new credential(s); {report.already} were issued before; "
          f"{report.no_award} row(s) with no award (see decisions/). Output in {args.out}")
    if report.withheld:
        print(f"{report.withheld} row(s) were issued before and are now revoked or suspended: "
              "not printed (see the credential pages)")
    return 0


def register_audit(sub: Sub) -> None:
    p = sub.add_parser("audit", help="check the audit log's hash chain")
    asub = p.add_subparsers(dest="audit_command", required=True)
    asub.add_parser("verify", help="recompute every entry's hash; exit 1 if anything was "
                                   "altered or removed").set_defaults(func=run_audit_verify)


def run_audit_verify(args: argparse.Namespace) -> int:
    from issuer import audit
    from issuer.db import make_engine, session_factory

    home = Home(home_path())
    if not home.exists():
        raise UsageError(f"no Skills Passport home at {home.root}: run 'skillpass init'")
    engine = make_engine(home.database_url())
    with session_factory(engine)() as s:
        report = audit.verify_chain(s)
    engine.dispose()
    if report.intact:
        print(f"Audit log intact: {report.entries} entries, hash chain verified.")
        return 0
    print(f"Audit log NOT intact ({report.entries} entries):")
    for problem in report.problems:
        print(f"  {problem}")
    return 1


def register_serve(sub: Sub) -> None:
    p = sub.add_parser("serve", help="serve the product on http://HOST:PORT")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.set_defaults(func=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    from werkzeug.serving import run_simple

    from issuer.app import create_app

    app = create_app(Home(home_path()))
    print(f"Skills Passport issuer on http://{args.host}:{args.port}/ (Ctrl-C stops)")
    run_simple(args.host, args.port, app, threaded=True, use_reloader=False)
    return 0
