"""The centre's keys: asking the authority for a new one, and the record of what one signed.

A rotation request is signed by the key the centre signs with now and by the new key; the
centre signs with the new key once the authority lists it (see `Centre.signing_key`). An
issuance record lists, from the database, every credential one key signed: its status slot,
when the centre issued it, and a digest of its signature. The authority puts the record's
digest in the trust list when it retires the key or finds it compromised, and verifiers then
accept under that key only what the record names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer import audit
from issuer.centre import Centre, NotAccredited
from issuer.db import CredentialRecord, User, as_utc
from issuer.service.errors import Conflict, NotFound
from passport import jws
from passport.accreditation import key_rotation_request
from passport.credential import format_time
from passport.fileio import write_atomic
from passport.keys import PrivateKey
from passport.records import Entry, sign_record, signature_digest
from passport.status import MAX_STATUS_LIST_JWS_CHARS
from passport.trust import newest


@dataclass(frozen=True)
class KeyView:
    kid: str
    listed: bool  # in the installed trust list
    valid_from: datetime | None
    valid_until: datetime | None
    state: str  # live / retired / compromised / not listed
    signing: bool  # the key the centre signs with now


def key_views(centre: Centre, at: datetime) -> list[KeyView]:
    entry = centre.entry()
    try:
        signing = centre.status_key(at).kid
    except NotAccredited:
        signing = ""
    views = []
    for kid in centre.keys:
        listed = entry.key(kid) if entry else None
        views.append(KeyView(kid, listed is not None,
                             listed.valid_from if listed else None,
                             listed.valid_until if listed else None,
                             listed.state_at(at).value if listed else "not listed",
                             kid == signing))
    return sorted(views, key=lambda v: (v.valid_from is None, v.valid_from or at), reverse=True)


def request_rotation(session: Session, centre: Centre, actor: User, at: datetime) -> tuple[str, bytes]:
    """A new key and the request for the authority: (new kid, the request file's bytes).

    Signed by the key the centre signs with now (only the holder of the accredited key may
    ask to replace it) and by the new key. The request is also kept in the home.
    """
    entry = centre.entry()
    asked = [kid for kid in centre.keys if entry is None or entry.key(kid) is None]
    if entry is not None and asked:
        # One request at a time: a second would leave two keys waiting, and the authority
        # unsure which the centre means.
        request = centre.home.root / f"key-rotation-request-{asked[0]}.json"
        raise Conflict(f"key {asked[0]} is asked for already and not in the installed trust "
                       f"list yet: send {request.name} (in the centre's home) to the national "
                       "authority again, or install the list that names it")
    try:
        old = centre.status_key(at)
    except NotAccredited:
        # No key may sign (the one it had was found compromised): the request names the
        # newest listed key it holds, and the authority adds the new key only once checked
        # with the centre in person (authority rotate-key --verified-in-person).
        old = _newest_listed(centre)
    new = centre.new_key()
    doc = key_rotation_request(centre_id=centre.id, old=old, new=new, created=at)
    data = json.dumps(doc, indent=1).encode() + b"\n"
    write_atomic(centre.home.root / f"key-rotation-request-{new.kid}.json", data)
    audit.append(session, actor.username, "key.rotation_request", f"key:{new.kid}",
                 {"replaces": old.kid, "created": format_time(at)})
    return new.kid, data


@dataclass(frozen=True)
class Record:
    compact: str
    entries: int
    left_out: list[str]  # credentials in a slot already listed (an earlier version's shared slots)


def issuance_record(session: Session, centre: Centre, actor: User, kid: str,
                    at: datetime) -> Record:
    """The signed record of every credential `kid` signed, from the database."""
    if kid not in centre.keys:
        raise NotFound(f"{kid[:20]!r} is not a key of this centre")
    rows = session.execute(select(CredentialRecord.id, CredentialRecord.status_list,
                                  CredentialRecord.status_index, CredentialRecord.issued_at,
                                  CredentialRecord.jws)
                           .where(CredentialRecord.kid == kid)
                           .order_by(CredentialRecord.status_list, CredentialRecord.status_index,
                                     CredentialRecord.id)).all()
    entries: list[Entry] = []
    left_out: list[str] = []
    for credential_id, number, index, issued, compact in rows:
        if entries and (entries[-1].list_number, entries[-1].index) == (number, index):
            left_out.append(credential_id)  # one digest per slot: the first one stays
            continue
        signature = jws.parse(compact, limit=MAX_STATUS_LIST_JWS_CHARS).signature
        entries.append(Entry(number, index, as_utc(issued), signature_digest(signature)))
    signer = _record_signer(centre, kid, at)
    compact = sign_record(issuer=centre.id, kid=kid, entries=entries, created=at, key=signer)
    # Kept: once the authority names this record in the trust list, the centre's own bundle
    # carries it, and its cards under the retired key verify on the centre's machine too.
    write_atomic(centre.home.records_dir / f"issuance-record-{kid}-{at:%Y%m%dT%H%M%S}.jwt",
                 compact.encode() + b"\n")
    audit.append(session, actor.username, "key.issuance_record", f"key:{kid}",
                 {"entries": len(entries), "leftOut": len(left_out)})
    return Record(compact, len(entries), left_out)


def _newest_listed(centre: Centre) -> PrivateKey:
    entry = centre.entry()
    held = newest(k for k in (entry.keys if entry else ()) if k.key.kid in centre.keys)
    if held is None:
        raise NotAccredited("none of this centre's keys is in the installed trust list: send "
                            "the accreditation request to the national authority first")
    return centre.keys[held.key.kid]


def _record_signer(centre: Centre, kid: str, at: datetime) -> PrivateKey:
    """Another key than the one the record is about, when the centre has one: the key it
    signs with now, else the key it has asked the authority to list. The authority refuses a
    record a compromised key signed about itself (its thief could write any); the record's
    digest in the trust list is what makes it count."""
    try:
        signer = centre.status_key(at)
        if signer.kid != kid:
            return signer
    except NotAccredited:
        pass
    entry = centre.entry()
    listed = {k.key.kid for k in entry.keys} if entry else set()
    asked = [k for k in centre.keys.values() if k.kid not in listed and k.kid != kid]

    def asked_on(key: PrivateKey) -> float:
        request = centre.home.root / f"key-rotation-request-{key.kid}.json"
        return request.stat().st_mtime if request.exists() else 0.0

    return max(asked, key=asked_on) if asked else centre.keys[kid]
