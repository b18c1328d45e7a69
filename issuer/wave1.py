"""Upgrading a home written by the first version, which kept status in files.

That version's command line (`issue`, `issue-batch`, `demo`) took status-list indexes from a
counter file (`status/next-index`) and set revocation and suspension bits in files
(`status/<purpose>-1.bits`), while the web service counted in the database: both handed out
list 1 from index 0. Upgrading moves the files into the database:

- the allocator continues after the larger of the two counters, so no slot is reused;
- every bit set in a file stays set (a revoked card never becomes valid again);
- credentials the command line wrote to output folders (`*.jwt`, and the claims in a batch's
  `ledger.jsonl`, re-signed with the centre's key: Ed25519 signatures are deterministic)
  become records, searchable, printable and revocable like any other;
- where both counters handed out the same slots, the two cards in each such slot share one
  status: revoking either revokes both. That cannot be repaired without re-issuing, so the
  upgrade refuses unless told to accept it, and then marks those credentials `shared_slot`.

Runs inside Alembic revision 0002, on its connection, so the import commits with the schema
change or not at all. The files are removed only after that commit.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from issuer.home import Home
from issuer.migrate import Wave1Import
from passport import jws, qr
from passport.credential import Credential, StatusPurpose, encode_claims
from passport.errors import CredentialError, StorageError, UsageError
from passport.fileio import read_bytes
from passport.status import MIN_ENTRIES, Bitstring

MAX_FILES = 2_000_000  # output files looked at in the named folders
MAX_CREDENTIAL_FILE = 64 * 1024
MAX_LEDGER = 512 * 1024 * 1024
COMMAND = "skillpass upgrade"


class Wave1HomeError(UsageError):
    """The home still keeps status in files; `skillpass upgrade` must import them first."""


def counter_file(home: Home) -> Path:
    return home.wave1_status_dir / "next-index"


def bits_file(home: Home, purpose: StatusPurpose) -> Path:
    return home.wave1_status_dir / f"{purpose.value}-1.bits"


def has_files(home: Home) -> bool:
    """Any of the earlier version's status files: a home holding one is not upgraded yet."""
    return counter_file(home).exists() or any(bits_file(home, p).exists() for p in StatusPurpose)


@dataclass(frozen=True)
class Found:
    credential: Credential
    compact: str
    request_key: str | None
    source: Path


def _counter(home: Home) -> int:
    if not counter_file(home).exists():
        # Without it nobody knows which slots the command line handed out: guessing would
        # hand them out again, to other people.
        raise Wave1HomeError(f"{counter_file(home)} is missing beside the earlier version's "
                             "bit files: restore it from a backup of this home, then run "
                             f"'{COMMAND}' again")
    text = read_bytes(counter_file(home), limit=32).decode("ascii", "replace").strip()
    if not text.isdigit() or int(text) > MIN_ENTRIES:
        raise StorageError(str(counter_file(home)), f"not a status index counter ({text!r})")
    return int(text)


def _bits(home: Home, purpose: StatusPurpose) -> Bitstring:
    path = bits_file(home, purpose)
    if not path.exists():
        return Bitstring()
    data = read_bytes(path, limit=MIN_ENTRIES // 8)
    if len(data) != MIN_ENTRIES // 8:
        raise StorageError(str(path), f"{len(data)} bytes, a status list has {MIN_ENTRIES // 8}")
    return Bitstring(bytearray(data))


def _scan(options: Wave1Import, centre_id: str) -> tuple[dict[str, Found], list[str]]:
    """This centre's list-1 credentials found in the named folders, by credential id.

    Only a credential file (`*.jwt`) that verifies with the centre's key is imported. A batch
    ledger is not signed, so its lines are never signed into credentials here (anyone able
    to write in those folders could mint one): a ledger line only lends its row key to the
    credential file it matches byte for byte, so that re-running the old batch finds it. A
    ledger line without its file belongs to a row the earlier batch never finished: no card
    was written for it, and its slot simply stays taken.
    """
    found: dict[str, Found] = {}
    skipped: list[str] = []
    keys: dict[bytes, str] = {}  # a ledger's claims as signed -> the row's key
    ledger_lines: dict[bytes, str] = {}  # the same claims -> where the line is, for the report
    public = options.public_key
    seen = 0
    for folder in options.folders:
        if not folder.is_dir():
            raise UsageError(f"{folder}: not a folder")
        for path in sorted(folder.rglob("*")):
            seen += 1
            if seen > MAX_FILES:
                raise UsageError(f"more than {MAX_FILES} files under the named folders")
            if path.name == "ledger.jsonl" and path.is_file():
                lines = read_bytes(path, limit=MAX_LEDGER).decode("utf-8", "replace").splitlines()
                for n, raw in enumerate(lines, 1):
                    try:
                        record = json.loads(raw)
                        payload = encode_claims(record["claims"])
                        keys[payload] = str(record["key"])
                        ledger_lines[payload] = f"{path}: line {n}"
                    except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                        skipped.append(f"{path}: line {n} is not a ledger record")
            elif path.suffix == ".jwt" and path.is_file():
                text = read_bytes(path, limit=MAX_CREDENTIAL_FILE).decode("utf-8", "replace")
                try:
                    token = jws.parse(text.strip())
                    if token.kid != public.kid or not jws.signature_valid(token, public):
                        skipped.append(f"{path}: not signed by this centre's key")
                        continue
                    credential = Credential.from_payload(token.payload)
                except CredentialError as exc:
                    skipped.append(f"{path}: {exc}")
                    continue
                lists = {e.list_url.rsplit("/", 1)[-1] for e in credential.status}
                indexes = {e.list_index for e in credential.status}
                if credential.issuer != centre_id or lists != {"1"} or len(indexes) != 1:
                    skipped.append(f"{path}: not a credential of {centre_id} on status list 1")
                    continue
                found.setdefault(credential.id, Found(credential, token.compact, None, path))
    for credential_id, f in list(found.items()):
        payload = jws.parse(f.compact).payload  # exactly the bytes the centre signed
        if payload in keys:
            found[credential_id] = Found(f.credential, f.compact, keys.pop(payload), f.source)
    skipped += [f"{where}: no credential file matches this ledger line (its row was never "
                "finished); not imported" for payload, where in ledger_lines.items()
                if payload in keys]
    return found, skipped


def _problem(shared: int, affected: list[str]) -> str:
    listed = ", ".join(affected[:20]) + (f" and {len(affected) - 20} more" if len(affected) > 20
                                         else "")
    return (f"the command line and the web service of the earlier version both handed out "
            f"status slots 0 to {shared - 1} of list 1, so each of those {shared} slots may "
            f"belong to two cards and revoking one would revoke the other. The service's "
            f"credentials in those slots: {listed or 'none recorded'}. Run '{COMMAND} "
            "--accept-shared-slots' (with the same --credentials folders) to import them "
            "marked as sharing their slot (a status change then applies to every card in the "
            "slot, and the pages say so); then re-issue those credentials and revoke the "
            "old ones once their holders have the new cards.")


def import_home(connection: Connection, home: Home | None, options: Wave1Import | None) -> None:
    """Move an earlier version's status files into the database (see the module's text)."""
    if home is None or not has_files(home):
        return
    if options is None:
        raise Wave1HomeError(
            f"{home.root} was written by an earlier version that kept status in files "
            f"({counter_file(home)}). Run '{COMMAND} --credentials DIR ...' once, naming "
            "the folders where 'skillpass issue', 'issue-batch' and 'demo' wrote their "
            "output, so those credentials enter the database.")
    centre_id = str(json.loads(read_bytes(home.config_file, limit=1 << 20))["id"])
    counter = _counter(home)
    file_bits = {p: _bits(home, p) for p in StatusPurpose}
    for purpose, bits in file_bits.items():
        stray = next((i for i in range(counter, MIN_ENTRIES) if bits.get(i)), None)
        if stray is not None:
            raise Wave1HomeError(f"{bits_file(home, purpose)}: bit {stray} is set, but the "
                                 f"counter ({counter}) never handed that slot out: the file is "
                                 "damaged; restore it from a backup of this home")
    if counter and not options.folders and not options.without_credentials:
        # Those cards could then never be found, printed or revoked by id: say so first.
        raise Wave1HomeError(
            f"the earlier command line issued into {counter} status slot(s) of this home; "
            f"name the folders it wrote them to with '{COMMAND} --credentials DIR ...', or "
            "pass --without-credentials to import only the counter and the revocations (the "
            "cards it issued then cannot be found, printed or revoked by their id)")
    db_next = int(connection.execute(sa.text(
        "SELECT next_index FROM status_allocator WHERE id = 1")).scalar_one())
    shared = min(counter, db_next)
    db_rows = connection.execute(sa.text(
        "SELECT id, status_index FROM credentials WHERE status_list = 1")).all()
    in_shared = sorted(i for i, index in db_rows if index < shared)
    if shared and not options.accept_shared_slots:
        raise Wave1HomeError(_problem(shared, in_shared))
    found, skipped = _scan(options, centre_id)
    known = {i for i, _ in db_rows}
    new = [f for f in found.values() if f.credential.id not in known]
    beyond = [f for f in new if f.credential.status[0].list_index >= counter]
    if beyond:
        raise Wave1HomeError(f"{beyond[0].source}: status index "
                             f"{beyond[0].credential.status[0].list_index} was never handed out "
                             f"by this home's counter ({counter}); is it another home's output?")
    by_slot: dict[int, Found] = {}
    for f in new:
        other = by_slot.setdefault(f.credential.status[0].list_index, f)
        if other is not f:
            # The counter never hands a slot out twice: one of the two files is not this
            # home's (a restored backup, another home's output). Which one, a person decides.
            raise Wave1HomeError(f"{other.source} and {f.source} are two credentials in the "
                                 f"same status slot ({f.credential.status[0].list_index}); "
                                 "leave out the folder that does not belong to this home")
    cli_user = connection.execute(sa.text("SELECT id FROM users WHERE username = '@cli'")) \
        .scalar_one()
    now = datetime.now(UTC)
    holders: dict[tuple[str, str, int, str], int] = {}
    when, flag = sa.DateTime(timezone=True), sa.Boolean()
    candidates = sa.table("candidates", sa.column("id", sa.Integer), *(sa.column(c) for c in (
        "name", "name_km", "birth_year", "birth_date", "national_id_hash", "national_id_last4",
        "phone", "province", "occupation_abroad", "created_by")),
        sa.column("languages", sa.JSON), sa.column("created_at", when))
    credentials = sa.table("credentials", *(sa.column(c) for c in (
        "id", "candidate_id", "assessment_id", "kind", "achievement_type", "title",
        "status_list", "status_index", "jws", "qr", "issued_by", "status_reason",
        "request_key")), sa.column("issued_at", when), sa.column("status_changed_at", when),
        sa.column("revoked", flag), sa.column("suspended", flag), sa.column("shared_slot", flag))
    for f in sorted(new, key=lambda f: f.credential.status[0].list_index):
        c = f.credential
        who = (c.holder.name, c.holder.name_km, c.holder.birth_year, c.holder.national_id_last4)
        if who not in holders:
            holders[who] = int(connection.execute(sa.insert(candidates).values(
                name=who[0], name_km=who[1], birth_year=who[2], birth_date=None,
                national_id_hash=None, national_id_last4=who[3], phone="", province="",
                occupation_abroad="", languages=[],
                created_at=now, created_by=cli_user).returning(candidates.c.id)).scalar_one())
        index = c.status[0].list_index
        connection.execute(sa.insert(credentials).values(
            id=c.id, candidate_id=holders[who], assessment_id=None, kind=c.kind.value,
            achievement_type=c.achievement.type.value, title=c.achievement.name,
            status_list=1, status_index=index, jws=f.compact, qr=qr.encode(f.compact),
            issued_at=c.valid_from, issued_by=cli_user, revoked=False, suspended=False,
            status_reason="", status_changed_at=None, request_key=f.request_key,
            shared_slot=index < shared))
    if shared:
        connection.execute(sa.text("UPDATE credentials SET shared_slot = :t WHERE status_list = 1 "
                                   "AND status_index < :n"), {"t": True, "n": shared})
    # Every bit set anywhere stays set, and every credential in a slot shows its slot's status.
    _merge_bits(connection, file_bits, now)
    connection.execute(sa.text("UPDATE status_allocator SET next_index = :n WHERE id = 1"),
                       {"n": max(counter, db_next)})
    from issuer import audit  # the audit chain's own code, on this migration's connection

    with Session(bind=connection) as session:
        audit.append(session, "@cli", "home.upgrade", f"home:{home.root.name}", {
            "counterFile": counter, "databaseCounter": db_next, "imported": len(new),
            "sharedSlots": shared, "skippedFiles": len(skipped)})
        session.flush()
    if options.report is not None:
        options.report.append(f"imported {len(new)} credential(s) issued by the command line; "
                              f"slots continue at {max(counter, db_next)}")
        missing = counter - len({f.credential.status[0].list_index for f in found.values()})
        if missing > 0:
            options.report.append(f"{missing} slot(s) the command line handed out have no "
                                  "credential in the named folders; they stay taken")
        if shared:
            options.report.append(f"{shared} slot(s) of list 1 are shared by two credentials: "
                                  "re-issue those credentials")
        options.report.extend(f"skipped {s}" for s in skipped[:50])


def _merge_bits(connection: Connection, file_bits: dict[StatusPurpose, Bitstring],
                now: datetime) -> None:
    for purpose, column in ((StatusPurpose.REVOCATION, "revoked"),
                            (StatusPurpose.SUSPENSION, "suspended")):
        row = connection.execute(sa.text("SELECT bits FROM status_lists WHERE purpose = :p "
                                         "AND number = 1"), {"p": purpose.value}).scalar_one()
        merged = bytes(a | b for a, b in zip(bytes(row), file_bits[purpose].bits, strict=True))
        connection.execute(sa.text("UPDATE status_lists SET bits = :b, jws = NULL, etag = NULL, "
                                   "changed_at = :t WHERE purpose = :p AND number = 1"),
                           {"b": merged, "t": now, "p": purpose.value})
        marked = Bitstring(bytearray(merged))
        rows = connection.execute(sa.text(
            f"SELECT id, status_index, shared_slot FROM credentials WHERE status_list = 1 "
            f"AND NOT {column}"))
        for credential_id, index, shared in rows.all():
            if marked.get(index):
                # In a shared slot the bit may have been set for the other credential, by
                # either side: the reason must not claim the command line set it for this one.
                reason = (f"{column} in an earlier version (its status slot is shared with "
                          "another credential)" if shared
                          else f"{column} through the command line of an earlier version")
                connection.execute(sa.text(
                    f"UPDATE credentials SET {column} = :t, status_reason = :r, "
                    "status_changed_at = :at WHERE id = :id"),
                    {"t": True, "id": credential_id, "at": now, "r": reason})


def remove_imported_files(engine: Engine, home: Home) -> None:
    """After the import committed, the files go: the database is the only record now."""
    if not has_files(home):
        return
    with engine.connect() as connection:
        imported = connection.execute(sa.text(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'home.upgrade'")).scalar_one()
    if not imported:
        raise Wave1HomeError(
            f"{home.wave1_status_dir} holds status files, but this database never imported "
            f"them; move the folder away if it does not belong to this home, or restore the "
            f"database it was used with and run '{COMMAND}'")
    try:
        shutil.rmtree(home.wave1_status_dir)
    except OSError as exc:
        raise StorageError(str(home.wave1_status_dir), f"could not remove ({exc})") from None

