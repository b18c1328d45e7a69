"""Evidence files uploaded by assessors: type-checked, stored once by SHA-256, never in a credential."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.orm import Session

from issuer import audit
from issuer.centre import Centre
from issuer.db import Evidence, User
from passport.errors import UsageError
from passport.fileio import write_atomic

TYPES = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG", "application/pdf": b"%PDF",
         "video/mp4": b""}
MAX_BYTES = 25 * 1024 * 1024


def store(session: Session, centre: Centre, actor: User, data: bytes, media_type: str) -> str:
    """Check and keep one evidence file; returns its SHA-256 (hex), the reference judgments use."""
    if media_type not in TYPES:
        raise UsageError(f"evidence type {media_type!r} is not accepted "
                         f"(accepted: {', '.join(TYPES)})")
    if not data:
        raise UsageError("the evidence file is empty")
    if len(data) > MAX_BYTES:
        raise UsageError(f"evidence is {len(data)} bytes, the limit is {MAX_BYTES}")
    magic = TYPES[media_type]
    if (magic and not data.startswith(magic)) or (media_type == "video/mp4" and data[4:8] != b"ftyp"):
        raise UsageError(f"the file's content is not {media_type}")
    return keep(session, centre, actor, data, media_type, action="evidence.upload",
                details={"type": media_type, "size": len(data)})


def keep(session: Session, centre: Centre, actor: User, data: bytes, media_type: str, *,
         action: str, details: dict[str, Any]) -> str:
    """Keep bytes once under their SHA-256 (the file, its row, an audit entry); the digest.
    Uploaded files and the assessor's own records of an observation alike."""
    digest = hashlib.sha256(data).hexdigest()
    if session.get(Evidence, digest) is None:
        write_atomic(centre.home.uploads / digest, data, mode=0o600)
        session.add(Evidence(sha256=digest, media_type=media_type, size=len(data),
                             uploaded_by=actor.id))
        audit.append(session, actor.username, action, f"sha256:{digest}", details)
        session.flush()
    return digest
