"""One-time download links: the returnee's phone fetches their credentials from the centre.

At issuance (the credential page) or on the booklet's cover the centre hands the holder a
link to the phone page, `<address>/verify/holder.html#get=<token>`. The token is 128 random
bits; the database keeps only its SHA-256, with the candidate, the credentials the link
covers, who made it, and when it expires (`LIFETIME`). The page posts the token to
`/passport/download`; `redeem` marks the link used and answers the passport bundle of the
covered credentials still valid, all in one transaction: a link opens once, even when two
phones try it at the same moment (the conditional UPDATE lets exactly one through).

A link that was used, has expired, or never existed is refused alike (`Gone`), so trying
tokens tells nothing about which exist; failed tries are counted per client address
(`issuer.service.throttle`).

Which address a link names: the server that will answer the phone page's POST. A page of
the service (the credential page, a booklet printed from the candidate page) names the
address the staff member's request reached it at (`request.url_root`, with the scheme a
trusted proxy reports): the centre's public origin in production, the job fair's LAN
address at a fair, `http://127.0.0.1:PORT` in the demo. The command line has no request:
its booklet names the centre's id, which for a real centre is its public https origin.
(`verifyUrl` in issuer.json is not used: it names a verifier for card readers, which may be
another service than this centre's and cannot redeem the centre's links.)
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from issuer import audit
from issuer.db import CredentialRecord, DownloadLink, User, as_utc
from issuer.service import candidates, credentials, throttle
from issuer.service.errors import Conflict, Gone, NotFound, NothingValid

if TYPE_CHECKING:
    from issuer.store import Store

LIFETIME = timedelta(days=30)
# Who hands a holder their credentials: the roles that print cards and booklets.
ROLES = ("registrar", "admin")
HOLDER_PAGE = "/verify/holder.html"
TOKEN_BYTES = 16  # 128 bits
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
GONE = "this link was already used or has expired"
NOTHING_VALID = ("none of the credentials this link covers is valid now (revoked or "
                 "suspended); ask the centre")


@dataclass(frozen=True)
class Link:
    """A link as made: the token (shown once, never stored), what it covers, until when."""

    token: str
    candidate_id: int
    credential_ids: tuple[str, ...]
    expires_at: datetime

    def url(self, address: str) -> str:
        """The address the holder opens: the phone page of the service at `address` (see
        the module's rule), with the token in the fragment (which a browser never sends to
        any server)."""
        return link_url(address, self.token)


def link_url(address: str, token: str) -> str:
    """`address` is the origin (with any path prefix) of the service that redeems `token`:
    the request's `url_root` on a page, the centre id on the command line."""
    return f"{address.rstrip('/')}{HOLDER_PAGE}#get={token}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def valid_records(session: Session, candidate_id: int, *, hold: bool = False
                  ) -> list[CredentialRecord]:
    """The candidate's credentials that are neither revoked nor suspended, oldest first.

    `hold`: share-locked until the transaction ends (PostgreSQL), so that a status change
    waits for the answer being made of them, and one under way is waited for and seen."""
    query = (select(CredentialRecord).where(CredentialRecord.candidate_id == candidate_id,
                                            CredentialRecord.revoked.is_(False),
                                            CredentialRecord.suspended.is_(False))
             .order_by(CredentialRecord.issued_at, CredentialRecord.id))
    if hold:
        query = query.with_for_update(read=True).execution_options(populate_existing=True)
    return list(session.execute(query).scalars())


def create(session: Session, user: User, candidate_id: int, credential_ids: Sequence[str],
           now: datetime) -> Link:
    """A new link covering `credential_ids`, each the candidate's and valid now."""
    candidates.get(session, candidate_id)
    ids = list(dict.fromkeys(credential_ids))
    if not ids:
        raise NotFound("no valid credential to hand out")
    for credential_id in ids:
        record = credentials.get(session, credential_id)
        if record.candidate_id != candidate_id:
            raise Conflict(f"{record.id} is not this candidate's credential")
        if record.revoked or record.suspended:
            raise Conflict(f"{record.id} is {'revoked' if record.revoked else 'suspended'}: "
                           "it is not handed out")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = DownloadLink(token_hash=_digest(token), candidate_id=candidate_id,
                       credential_ids=ids, created_by=user.id, created_at=now,
                       expires_at=now + LIFETIME)
    session.add(row)
    session.flush()
    audit.append(session, user.username, "download.create", f"candidate:{candidate_id}",
                 {"link": row.id, "credentials": ids,
                  "expires": row.expires_at.isoformat(timespec="seconds")})
    return Link(token, candidate_id, tuple(ids), row.expires_at)


def for_credential(session: Session, user: User, credential_id: str, now: datetime) -> Link:
    """A link to one credential (the credential page)."""
    record = credentials.get(session, credential_id)
    return create(session, user, record.candidate_id, [record.id], now)


def for_candidate(session: Session, user: User, candidate_id: int, now: datetime) -> Link:
    """A link to every credential of the candidate valid now (the booklet's cover)."""
    candidates.get(session, candidate_id)
    return create(session, user, candidate_id,
                  [r.id for r in valid_records(session, candidate_id)], now)


def redeem(session: Session, token: str, now: datetime, *, client: str = "unknown"
           ) -> dict[str, Any]:
    """The passport bundle of the link's credentials still valid; the link is used from now.

    `Gone` (error "gone") for a token that is unknown, expired or used before (also by a
    redemption racing this one); `NothingValid` (error "nothing_valid", also HTTP 410) when
    none of its credentials is valid any more, in which case the link stays unused (a
    reinstated credential can still be fetched)."""
    if not _TOKEN.fullmatch(token):
        raise Gone(GONE)
    row = session.execute(select(DownloadLink).where(
        DownloadLink.token_hash == _digest(token))).scalar_one_or_none()
    if row is None or as_utc(row.expires_at) <= now:
        raise Gone(GONE)
    taken = cast(CursorResult[Any], session.execute(
        update(DownloadLink).where(DownloadLink.id == row.id, DownloadLink.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False)))
    if taken.rowcount != 1:
        raise Gone(GONE)
    covered = set(row.credential_ids)
    # Held: a revocation committed before this answer is never handed out with it (the
    # audit log never shows a credential redeemed after its revocation).
    records = [r for r in valid_records(session, row.candidate_id, hold=True)
               if r.id in covered]
    if not records:
        raise NothingValid(NOTHING_VALID)
    bundle = credentials.passport(records, now)
    audit.append(session, f"client:{client}"[:60], "download.redeem",
                 f"candidate:{row.candidate_id}",
                 {"link": row.id, "credentials": [r.id for r in records]})
    return bundle


def fetch(store: Store, token: str, address: str | None, now: datetime) -> dict[str, Any]:
    """`redeem`, with refusals counted against the client address's throttle.

    A link that opens is answered whatever its address's count: a token is 128 random bits,
    so the count only slows the guessing of tokens and must not shut out holders behind one
    address (a centre's Wi-Fi, a carrier's shared address) because others there re-opened
    used links. A refused link is counted; while the address is locked, a refused link is
    answered `Throttled` instead of `Gone`."""
    counters = throttle.download_keys(address)
    try:
        with store.transaction() as s:
            return redeem(s, token, now, client=counters.client)
    except Gone:
        with store.transaction() as s:
            numbers = throttle.begin(s, counters, now, what="download links")
            throttle.download_failed(s, counters, numbers, now)
        raise
