"""A centre's issuance record for one key: what its database says it signed with that key.

One entry per credential: its status slot (list number and index), when the centre issued it
(from the database, not from the credential), and the first 16 bytes of the SHA-256 of the
credential's signature. When the authority retires or finds a key compromised, it accepts the
centre's record and puts the record's digest in the trust list; verifiers then take a
credential under that key as genuine only if its slot is in the record with the digest of its
own signature. A card the thief signs, backdated or not, or one that re-uses a genuine card's
slot with other claims, is not in the record.

The record travels as a compact JWS signed by the centre (provenance); what makes it
trusted is its digest in the root-signed trust list.
"""

from __future__ import annotations

import hashlib
import json
import struct
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise

from passport import jsonread, jws, schema
from passport.b64 import b64u_decode, b64u_encode
from passport.credential import format_time, parse_time
from passport.errors import CredentialError, SchemaError, TrustError
from passport.keys import PrivateKey

RECORD_TYP = "skillpass-issuance-record+jwt"
DIGEST_BYTES = 16
_ENTRY = struct.Struct(">IIQ16s")  # list number, index, issued (Unix seconds), digest
MAX_ENTRIES = 4_000_000
MAX_RECORD_CHARS = (MAX_ENTRIES * _ENTRY.size * 4) // 3 + 65_536
# JWS claims: a repeated name takes the lexically last value (RFC 7519 section 4).
RECORD_LIMITS = jsonread.Limits(max_bytes=MAX_RECORD_CHARS, max_depth=8, unique_keys=False)


def signature_digest(signature: bytes) -> bytes:
    return hashlib.sha256(signature).digest()[:DIGEST_BYTES]


@dataclass(frozen=True)
class Entry:
    list_number: int
    index: int
    issued: datetime
    digest: bytes


@dataclass(frozen=True)
class IssuanceRecord:
    issuer: str
    kid: str
    created: datetime
    count: int
    packed: bytes  # entries, sorted by (list number, index), each _ENTRY.size bytes
    jws: str  # the signed record exactly as received

    @property
    def sha256(self) -> str:
        """What the trust list names the record by: the SHA-256 of the signed record."""
        return hashlib.sha256(self.jws.encode("ascii")).hexdigest()

    def find(self, list_number: int, index: int) -> Entry | None:
        """The entry for a slot, by binary search over the packed entries (no index built)."""
        size, wanted = _ENTRY.size, (list_number, index)
        lo = bisect_left(range(self.count), wanted,
                         key=lambda i: _ENTRY.unpack_from(self.packed, i * size)[:2])
        if lo == self.count:
            return None
        n, i, issued, digest = _ENTRY.unpack_from(self.packed, lo * size)
        if (n, i) != wanted:
            return None
        return Entry(n, i, datetime.fromtimestamp(issued, UTC), digest)

    def vouches_for(self, list_number: int, index: int, signature: bytes,
                    before: datetime | None = None) -> bool:
        """Whether the credential with this slot and signature is in the record (and was
        issued before `before`, by the centre's own clock)."""
        entry = self.find(list_number, index)
        return entry is not None and entry.digest == signature_digest(signature) \
            and (before is None or entry.issued < before)

    @classmethod
    def from_jws(cls, compact: str) -> IssuanceRecord:
        """Parse a signed record; its signature is the caller's to check (it knows the keys)."""
        try:
            token = jws.parse(compact, limit=MAX_RECORD_CHARS)
        except CredentialError as exc:
            raise TrustError(f"issuance record: {exc}") from None
        if token.header.get("typ") != RECORD_TYP:
            raise TrustError(f"issuance record: typ must be {RECORD_TYP!r}")
        try:
            doc = jsonread.loads(token.payload, RECORD_LIMITS)
        except jsonread.JSONRejected as exc:
            raise TrustError(f"issuance record: payload: {exc}") from None
        try:
            schema.check("issuance-record", doc, what="issuance record")
        except SchemaError as exc:  # one kind of error for every way a record is wrong
            raise TrustError(exc.diagnostics()) from None
        try:
            packed = b64u_decode(doc["entries"])
        except ValueError as exc:
            raise TrustError(f"issuance record: entries are {exc}") from None
        count = doc["count"]
        if len(packed) != count * _ENTRY.size:
            raise TrustError(f"issuance record: {len(packed)} bytes of entries for {count}")
        slots = [_ENTRY.unpack_from(packed, i * _ENTRY.size)[:2] for i in range(count)]
        if any(a >= b for a, b in pairwise(slots)):
            raise TrustError("issuance record: entries are not in slot order, or repeat a slot")
        return cls(doc["issuer"], doc["kid"], parse_time(doc["created"]), count, packed,
                   compact)


def sign_record(*, issuer: str, kid: str, entries: Iterable[Entry], created: datetime,
                key: PrivateKey) -> str:
    """The centre's signed record for key `kid`, from its database's entries."""
    rows = sorted(entries, key=lambda e: (e.list_number, e.index))
    if len(rows) > MAX_ENTRIES:
        raise TrustError(f"issuance record: more than {MAX_ENTRIES} entries")
    packed = b"".join(_ENTRY.pack(e.list_number, e.index, int(e.issued.timestamp()), e.digest)
                      for e in rows)
    doc = {"type": "SkillsPassportIssuanceRecord", "issuer": issuer, "kid": kid,
           "created": format_time(created), "count": len(rows), "entries": b64u_encode(packed)}
    schema.check("issuance-record", doc, what="issuance record")
    payload = json.dumps(doc, separators=(",", ":")).encode()
    compact = jws.sign(payload, key, typ=RECORD_TYP)
    IssuanceRecord.from_jws(compact)  # refuses what a verifier would refuse (repeated slots)
    return compact
