"""Status slots and status changes: the one allocator, and revocation and suspension.

Every credential gets one slot, (list number, index), and carries it in two W3C Bitstring
Status List entries, one per purpose, on lists of the same number. Slots come from the one
`status_allocator` row, locked by each allocation; when a list's 131,072 indexes are used
the next list opens in the same transaction, so a centre never stops issuing. A status
change flips the bit in the list's row and re-signs that list in the same transaction, so
what is published is always what was committed.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer import audit
from issuer.centre import Centre
from issuer.db import CredentialRecord, StatusAllocator, StatusListRecord, User, as_utc, utcnow
from issuer.service import credentials
from issuer.service.errors import Conflict
from issuer.store import mark_published_change
from passport import jws
from passport.credential import StatusPurpose
from passport.errors import DocumentError, UsageError
from passport.status import (
    MAX_STATUS_LIST_JWS_CHARS,
    MIN_ENTRIES,
    Bitstring,
    sign_status_list,
    status_list_claims,
)

LIST_SIZE = MIN_ENTRIES  # entries per list: 131,072, the W3C minimum, for herd privacy
VALIDITY = timedelta(days=7)  # a signed list's validUntil - validFrom
# A list is re-signed when its bits change, and otherwise once a day: verifiers' "status as
# of" stays within a day and validUntil always lies at least six days ahead.
REFRESH_AFTER = timedelta(days=1)
ACTIONS = ("revoke", "suspend", "reinstate")
# Who may do what (README, roles): an assessor at a job fair may suspend a card in doubt on
# the spot (reversible, and the verifier says "suspended" at once); revoking is final and
# reinstating ends a doubt, so both stay with the admin, who sees the whole record.
ACTION_ROLES: dict[str, tuple[str, ...]] = {"revoke": ("admin",),
                                            "suspend": ("admin", "assessor"),
                                            "reinstate": ("admin",)}
MIN_REASON, MAX_REASON = 3, 300  # the audit log keeps why; "x" says nothing


@dataclass(frozen=True)
class Slot:
    list_number: int
    index: int


def allocate(session: Session, centre: Centre, count: int = 1, *,
             now: datetime | None = None) -> list[Slot]:
    """Take `count` consecutive free slots, opening new lists as they fill."""
    if count < 1:
        raise UsageError("allocate at least one status slot")
    allocator = session.execute(select(StatusAllocator).where(StatusAllocator.id == 1)
                                .with_for_update()).scalar_one()
    slots: list[Slot] = []
    while len(slots) < count:
        if allocator.next_index >= LIST_SIZE:
            allocator.list_number += 1
            allocator.next_index = 0
            open_list(session, centre, allocator.list_number, now or utcnow())
        take = min(count - len(slots), LIST_SIZE - allocator.next_index)
        start = allocator.next_index
        slots += [Slot(allocator.list_number, i) for i in range(start, start + take)]
        allocator.next_index = start + take
    session.flush()
    return slots


def open_list(session: Session, centre: Centre, number: int, now: datetime) -> None:
    """A new, empty list of each purpose, signed at once so it is published with its first use."""
    for purpose in StatusPurpose:
        row = StatusListRecord(purpose=purpose.value, number=number,
                               bits=bytes(LIST_SIZE // 8), changed_at=now)
        sign(centre, row, now)
        session.add(row)
    mark_published_change(session)


def sign(centre: Centre, row: StatusListRecord, now: datetime) -> None:
    """Sign the row's bits as a status list credential and cache it in the row."""
    valid_from = now.replace(microsecond=0)
    if row.valid_from is not None:
        # Strictly increasing per list: a verifier that holds a newer list can always tell.
        previous = as_utc(row.valid_from)
        valid_from = max(valid_from, previous + timedelta(seconds=1))
    purpose = StatusPurpose(row.purpose)
    claims = status_list_claims(url=centre.status_url(purpose, row.number), issuer=centre.id,
                                purpose=purpose, bitstring=Bitstring(bytearray(row.bits)),
                                valid_from=valid_from, valid_for=VALIDITY)
    row.jws = sign_status_list(claims, centre.status_key(now))
    row.etag = hashlib.sha256(row.jws.encode()).hexdigest()[:32]
    row.valid_from, row.valid_until = valid_from, valid_from + VALIDITY


def needs_signing(signed: str | None, valid_from: datetime | None, now: datetime,
                  kid: str | None = None) -> bool:
    """Unsigned, a day old, or (given the key the centre signs with now) signed by another
    key: after a rotation every list moves to the new key."""
    if signed is None or valid_from is None or now - as_utc(valid_from) >= REFRESH_AFTER:
        return True
    return kid is not None and jws.parse(signed, limit=MAX_STATUS_LIST_JWS_CHARS).kid != kid


def _set_bit(session: Session, centre: Centre, purpose: StatusPurpose, record: CredentialRecord,
             value: bool, now: datetime) -> None:
    row = session.execute(select(StatusListRecord)
                          .where(StatusListRecord.purpose == purpose.value,
                                 StatusListRecord.number == record.status_list)
                          .with_for_update()).scalar_one()
    bits = Bitstring(bytearray(row.bits))
    bits.set(record.status_index, value)
    row.bits, row.changed_at = bytes(bits.bits), now
    sign(centre, row, now)
    mark_published_change(session, sets_bits=value)


def applicable(record: CredentialRecord, role: str) -> list[str]:
    """The actions this credential's state allows and `role` may take: what the page offers."""
    if record.revoked:
        possible: list[str] = []
    elif record.suspended:
        possible = ["revoke", "reinstate"]
    else:
        possible = ["revoke", "suspend"]
    return [a for a in possible if role in ACTION_ROLES[a]]


def change(session: Session, centre: Centre, actor: User, credential_id: str, action: str,
           reason: str, *, now: datetime | None = None) -> CredentialRecord:
    """Revoke, suspend or reinstate a credential: the record, the bit and the signed list.

    A slot an earlier version gave to two credentials (`shared_slot`) cannot change for one
    of them alone: the change applies to every credential in the slot, and the audit entry
    names them.
    """
    if action not in ACTIONS:
        raise UsageError(f"unknown status action {action[:20]!r}; one of {', '.join(ACTIONS)}")
    why = reason.strip()
    problem = (f"at least {MIN_REASON} characters" if len(why) < MIN_REASON
               else f"at most {MAX_REASON} characters" if len(why) > MAX_REASON
               else "no control characters" if any(unicodedata.category(c) in ("Cc", "Cs")
                                                   for c in why) else None)
    if problem:
        raise DocumentError("status change", [("reason", problem)])
    when = now or utcnow()
    record = credentials.get(session, credential_id)
    # Lock every credential in the slot, in one order: two changes to two credentials of a
    # shared slot would otherwise each hold one lock and wait for the other's.
    sharing = list(session.execute(select(CredentialRecord).where(
        CredentialRecord.status_list == record.status_list,
        CredentialRecord.status_index == record.status_index)
        .order_by(CredentialRecord.id).with_for_update()
        .execution_options(populate_existing=True)).scalars())  # as locked, not as first read
    if action == "revoke":
        if record.revoked:
            raise Conflict("the credential is already revoked")
        purpose, value = StatusPurpose.REVOCATION, True
    elif action == "suspend":
        if record.revoked or record.suspended:
            raise Conflict("the credential is already revoked or suspended")
        purpose, value = StatusPurpose.SUSPENSION, True
    else:
        if record.revoked:
            raise Conflict("a revoked credential cannot be reinstated; issue a new one")
        if not record.suspended:
            raise Conflict("the credential is not suspended")
        purpose, value = StatusPurpose.SUSPENSION, False
    for each in sharing:
        if purpose is StatusPurpose.REVOCATION:
            each.revoked = True
        else:
            each.suspended = value
        each.status_reason, each.status_changed_at = why, when
    _set_bit(session, centre, purpose, record, value, when)
    details: dict[str, object] = {"reason": why,
                                  "slot": f"{record.status_list}/{record.status_index}"}
    if len(sharing) > 1:
        details["sharedWith"] = sorted(c.id for c in sharing if c.id != record.id)
    audit.append(session, actor.username, f"credential.{action}", record.id, details)
    return record
