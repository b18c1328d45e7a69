"""The append-only audit log: who did what, when, hash-chained so tampering shows.

Each entry's hash is SHA-256 over its canonical JSON, which includes the previous entry's
hash. Appends lock the one `audit_head` row, so concurrent transactions (threads or
processes, SQLite or PostgreSQL) extend the chain one at a time, in commit order.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.db import AuditEntry, AuditHead, utcnow

GENESIS = "0" * 64


def _digest(seq: int, at: str, actor: str, action: str, subject: str, details: dict[str, Any],
            prev: str) -> str:
    body = json.dumps({"seq": seq, "at": at, "actor": actor, "action": action,
                       "subject": subject, "details": details, "prev": prev},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def append(session: Session, actor: str, action: str, subject: str,
           details: dict[str, Any] | None = None) -> AuditEntry:
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    details = details or {}
    seq = head.last_seq + 1
    at = utcnow().isoformat(timespec="microseconds")
    digest = _digest(seq, at, actor, action, subject, details, head.last_hash)
    entry = AuditEntry(seq=seq, at=at, actor=actor, action=action, subject=subject,
                       details=details, prev_hash=head.last_hash, hash=digest)
    session.add(entry)
    head.last_hash, head.last_seq = digest, seq
    return entry


@dataclass(frozen=True)
class ChainReport:
    entries: int
    problems: list[str]

    @property
    def intact(self) -> bool:
        return not self.problems


def verify_chain(session: Session) -> ChainReport:
    problems: list[str] = []
    prev, expected_seq, count = GENESIS, 1, 0
    for entry in session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars():
        count += 1
        if entry.seq != expected_seq:
            problems.append(f"entry {expected_seq} is missing (next is {entry.seq})")
        if entry.prev_hash != prev:
            problems.append(f"entry {entry.seq}: does not follow entry {entry.seq - 1}")
        recomputed = _digest(entry.seq, entry.at, entry.actor, entry.action, entry.subject,
                             dict(entry.details), entry.prev_hash)
        if recomputed != entry.hash:
            problems.append(f"entry {entry.seq}: content was altered ({entry.action} "
                            f"{entry.subject})")
        prev, expected_seq = entry.hash, entry.seq + 1
    head = session.get(AuditHead, 1)
    if head is not None and (head.last_seq != expected_seq - 1 or head.last_hash != prev):
        problems.append(f"the chain ends at entry {expected_seq - 1} but the head records "
                        f"entry {head.last_seq}: entries were removed from the end")
    return ChainReport(count, problems)
