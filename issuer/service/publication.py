"""What verifiers fetch, derived from the database only: status lists and the trust bundle.

Each list's signed credential is cached in its `status_lists` row (see `status`), so serving
one reads one small row and never the credentials table: the cost is the same at 100
credentials or 1,000,000. The trust bundle is the installed trust list plus every cached
list; its ETag is computed from the parts' ETags, so a conditional request that matches is
answered without building the document. The home's `trust-bundle.json`, which
`skillpass verify` reads on the issuer's machine, is the same bytes, rewritten by
`HomePublisher` around every commit that changed a status list.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.centre import Centre, NotAccredited
from issuer.db import StatusListRecord, as_utc, utcnow
from issuer.service import status
from issuer.service.errors import NotFound
from issuer.store import Store, mark_published_change
from passport import jws
from passport.bundle import bundle_document
from passport.credential import StatusPurpose
from passport.fileio import exclusive_lock, read_bytes, write_atomic
from passport.records import MAX_RECORD_CHARS
from passport.status import MAX_STATUS_LIST_JWS_CHARS
from passport.trust import TrustedIssuer

STATUS_MEDIA_TYPE = "application/vc+jwt"
BUNDLE_MEDIA_TYPE = "application/json"
_LIST_NUMBER = re.compile(r"[1-9][0-9]{0,8}")  # one spelling per list: no 01, no other digits


@dataclass(frozen=True)
class Document:
    etag: str
    modified: datetime
    media_type: str
    build: Callable[[], bytes]  # called only when the body is sent


@dataclass(frozen=True)
class _Signed:
    purpose: str
    number: int
    jws: str
    etag: str
    valid_from: datetime


_COLUMNS = (StatusListRecord.purpose, StatusListRecord.number, StatusListRecord.jws,
            StatusListRecord.etag, StatusListRecord.valid_from)


def _signed(session: Session, purpose: str | None = None,
            number: int | None = None) -> list[_Signed]:
    # Only the cached documents: never the 16 KiB of bits per list, never the credentials.
    stmt = select(*_COLUMNS).order_by(StatusListRecord.number, StatusListRecord.purpose)
    if purpose is not None:
        stmt = stmt.where(StatusListRecord.purpose == purpose, StatusListRecord.number == number)
    return [_Signed(p, n, j, e, as_utc(v)) for p, n, j, e, v in session.execute(stmt).all()
            if j is not None and e is not None and v is not None]


def _current(store: Store, centre: Centre, now: datetime, purpose: str | None = None,
             number: int | None = None) -> list[_Signed]:
    """The cached signed lists, re-signing first any that are unsigned, a day old, or signed
    by a key the centre no longer signs with."""
    try:
        kid: str | None = centre.status_key(now).kid
    except NotAccredited:
        kid = None  # nothing can be signed now: what was signed before is all there is
    with store.read() as s:
        stmt = select(StatusListRecord.purpose, StatusListRecord.number, StatusListRecord.jws,
                      StatusListRecord.valid_from)
        if purpose is not None:
            stmt = stmt.where(StatusListRecord.purpose == purpose,
                              StatusListRecord.number == number)
        due = [(p, n) for p, n, j, v in s.execute(stmt).all()
               if kid is not None and status.needs_signing(j, v, now, kid)]
    if due:
        with store.transaction() as s:
            for p, n in due:
                row = s.execute(select(StatusListRecord)
                                .where(StatusListRecord.purpose == p, StatusListRecord.number == n)
                                .with_for_update()).scalar_one()
                if status.needs_signing(row.jws, row.valid_from, now, kid):  # another process may have
                    status.sign(centre, row, now)
                    mark_published_change(s)
    with store.read() as s:
        return _signed(s, purpose, number)


def status_list(store: Store, centre: Centre, purpose: str, number: int | str,
                now: datetime | None = None) -> Document:
    try:
        which = StatusPurpose(purpose)
    except ValueError:
        raise NotFound(f"no status list {purpose[:40]!r}") from None
    if not _LIST_NUMBER.fullmatch(str(number)):
        raise NotFound(f"no {which.value} list {str(number)[:20]!r}")
    found = _current(store, centre, now or utcnow(), which.value, int(number))
    if not found:
        raise NotFound(f"no {which.value} list {number}")
    signed = found[0]
    body = signed.jws.encode("ascii")
    return Document(signed.etag, signed.valid_from, STATUS_MEDIA_TYPE, lambda: body)


def _bundle(centre: Centre, lists: list[_Signed]) -> Document:
    installed = centre.trust()
    if installed is None:
        raise NotFound("this centre has no trust list installed yet: nothing to publish")
    tag = hashlib.sha256(installed.digest + "|".join(s.etag for s in lists).encode()) \
        .hexdigest()[:32]
    synced = max((s.valid_from for s in lists), default=utcnow().replace(microsecond=0))
    # Only lists a key the installed list names could sign at their date: before the
    # accreditation, or once a key is found compromised and no other may sign yet, a verifier
    # would refuse the whole bundle for one such list (`passport.bundle`).
    entry = installed.trust_list.issuers.get(centre.id)
    signed = [s.jws for s in lists if entry is not None and _vouches(entry, s)]
    records = _named_records(centre, entry)
    tag = hashlib.sha256(tag.encode() + "".join(records).encode()).hexdigest()[:32] \
        if records else tag

    def build() -> bytes:
        doc = bundle_document(installed.trust_list.signed, signed, synced,
                              root_history=installed.history, records=records)
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    return Document(tag, synced, BUNDLE_MEDIA_TYPE, build)


def _named_records(centre: Centre, entry: TrustedIssuer | None) -> list[str]:
    """The centre's exported issuance records that the installed trust list names."""
    wanted = {k.record.sha256 for k in entry.keys if k.record} if entry else set()
    if not wanted or not centre.home.records_dir.is_dir():
        return []
    found = {}
    for path in sorted(centre.home.records_dir.glob("*.jwt")):
        compact = read_bytes(path, limit=MAX_RECORD_CHARS + 2).decode("ascii", "replace").strip()
        digest = hashlib.sha256(compact.encode("ascii", "replace")).hexdigest()
        if digest in wanted:
            found[digest] = compact
    return list(found.values())


def _vouches(entry: TrustedIssuer, signed: _Signed) -> bool:
    key = entry.key(jws.parse(signed.jws, limit=MAX_STATUS_LIST_JWS_CHARS).kid)
    return key is not None and key.vouches_for_status(signed.valid_from)


def trust_bundle(store: Store, centre: Centre, now: datetime | None = None) -> Document:
    return _bundle(centre, _current(store, centre, now or utcnow()))


def _write_home(centre: Centre, body: bytes) -> bool:
    target = centre.home.bundle_file
    if target.exists() and target.stat().st_size == len(body) \
            and read_bytes(target, limit=len(body)) == body:
        return False
    write_atomic(target, body)
    return True


def publish_home(store: Store, centre: Centre, now: datetime | None = None) -> bool:
    """Rewrite the home's trust-bundle.json from the database; True if it changed.

    Under a lock on the home, so that of two processes publishing after their commits the
    one that writes last also read last, and a newer bundle is never replaced by an older.
    A centre with no trust list installed yet has nothing to publish.
    """
    if centre.trust() is None:
        return False
    _current(store, centre, now or utcnow())  # re-sign what is due first (that publishes too)
    with exclusive_lock(centre.home.publish_lock_file), store.read() as s:
        return _write_home(centre, _bundle(centre, _signed(s)).build())


@dataclass(frozen=True)
class HomePublisher:
    """Keeps the home's trust-bundle.json equal to the database (see `Store.transaction`)."""

    store: Store
    centre: Centre

    def before_commit(self, session: Session) -> None:
        # The transaction's own view, revocations included, before anyone else sees them.
        if self.centre.trust() is None:
            return
        with exclusive_lock(self.centre.home.publish_lock_file):
            _write_home(self.centre, _bundle(self.centre, _signed(session)).build())

    def after_commit(self) -> None:
        publish_home(self.store, self.centre)
