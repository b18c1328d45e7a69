"""The day's identity holds: issuing without typing the whole national ID number again.

A credential binds its holder by a hash of the whole number salted with the credential's id,
so the number is needed when signing; the service keeps only a keyed hash. A candidate
registered by this centre typed the number in full, from the ID card, that day. That number
is sealed (AES-GCM, a key derived from the centre's ID secret) and kept until
REGISTRATION_HOLD after registration; within it, an assessor who confirms the identity was
checked at registration and types the last 4 digits issues with the held number. After it,
or for a candidate from an import, the whole number is typed as before. Expired holds are
deleted whenever a hold is written or read.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete
from sqlalchemy.orm import Session

from issuer.centre import Centre, normalize_national_id
from issuer.db import Candidate, IdentityHold, as_utc

# One working day: a job fair registers in the morning and issues by the evening.
REGISTRATION_HOLD = timedelta(hours=12)


def _key(centre: Centre) -> bytes:
    return hmac.new(centre.id_secret, b"skillpass identity hold v1", hashlib.sha256).digest()


def _aad(candidate_id: int) -> bytes:
    return f"candidate:{candidate_id}".encode()  # a hold cannot be moved to another candidate


def hold(session: Session, centre: Centre, candidate: Candidate, national_id: str,
         now: datetime) -> None:
    """Keep the number typed at `candidate`'s registration until the end of the day."""
    purge(session, now)
    nonce = os.urandom(12)
    sealed = nonce + AESGCM(_key(centre)).encrypt(
        nonce, normalize_national_id(national_id).encode(), _aad(candidate.id))
    session.merge(IdentityHold(candidate_id=candidate.id, sealed=sealed,
                               expires_at=now + REGISTRATION_HOLD))
    session.flush()


def held(session: Session, centre: Centre, candidate_id: int, now: datetime) -> str | None:
    """The number held for the candidate, if its registration's hold has not expired."""
    purge(session, now)
    row = session.get(IdentityHold, candidate_id)
    if row is None:
        return None
    try:
        plain = AESGCM(_key(centre)).decrypt(row.sealed[:12], row.sealed[12:],
                                              _aad(candidate_id))
    except InvalidTag:  # another centre's secret (a restored database): type it in full
        return None
    return plain.decode()


def expires(session: Session, candidate_id: int, now: datetime) -> datetime | None:
    row = session.get(IdentityHold, candidate_id)
    if row is None or as_utc(row.expires_at) <= now:
        return None
    return as_utc(row.expires_at)


def purge(session: Session, now: datetime) -> None:
    session.execute(delete(IdentityHold).where(IdentityHold.expires_at <= now))
