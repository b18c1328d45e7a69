"""What the centre issued: finding a credential record, and its JSON form."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.db import CredentialRecord
from issuer.service.errors import NotFound
from passport.credential import Credential
from passport.holder_bundle import passport_bundle
from passport.jws import parse

ID_PREFIX = "urn:skillpass:cred:"
_NUMBER = re.compile(r"[0-9A-Za-z]{12}")  # the credential number printed on the card


def full_id(credential_id: str) -> str:
    """`urn:skillpass:cred:XXXXXXXXXXXX`, given that or the 12-character number on the card."""
    text = credential_id.strip()
    return ID_PREFIX + text.upper() if _NUMBER.fullmatch(text) else text


def is_number(text: str) -> bool:
    """Whether `text` has the shape of the 12-character number printed on a card."""
    return _NUMBER.fullmatch(text) is not None


_ID = re.compile(r"urn:skillpass:cred:[0-9A-Z]{12}")


def get(session: Session, credential_id: str) -> CredentialRecord:
    ident = full_id(credential_id)
    # Anything that cannot be an id is not looked up (and not echoed whole).
    record = session.get(CredentialRecord, ident) if _ID.fullmatch(ident) else None
    if record is None:
        raise NotFound(f"no credential {credential_id[:60]!r}")
    return record


def by_request_key(session: Session, key: str) -> CredentialRecord | None:
    return session.execute(select(CredentialRecord).where(CredentialRecord.request_key == key)) \
        .scalar_one_or_none()


def by_request_keys(session: Session, keys: Sequence[str]) -> CredentialRecord | None:
    """The credential issued for the first of `keys` that has one."""
    for key in keys:
        found = by_request_key(session, key)
        if found is not None:
            return found
    return None


def parsed(record: CredentialRecord) -> Credential:
    return parsed_jws(record.jws)


def parsed_jws(compact: str) -> Credential:
    """A credential this centre signed and recorded, read back from its JWS."""
    return Credential.from_payload(parse(compact).payload)


def passport(records: Sequence[CredentialRecord], created: datetime) -> dict[str, Any]:
    """The holder's passport bundle file (passport.holder_bundle) of these records."""
    return passport_bundle([(parsed(r), r.jws, r.qr) for r in records], created)


def to_json(c: CredentialRecord) -> dict[str, Any]:
    return {"id": c.id, "candidateId": c.candidate_id, "assessmentId": c.assessment_id,
            "kind": c.kind, "achievementType": c.achievement_type, "title": c.title,
            "statusList": c.status_list, "statusIndex": c.status_index, "jws": c.jws,
            "qr": c.qr, "issuedAt": c.issued_at.isoformat(), "revoked": c.revoked,
            "suspended": c.suspended, "statusReason": c.status_reason,
            "sharedSlot": c.shared_slot}
