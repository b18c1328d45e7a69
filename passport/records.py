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

import json
import operator
import struct
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from passport import jsonread, jws, schema, sha256
from passport.b64 import b64u_decode, b64u_encode
from passport.credential import format_time, parse_time
from passport.errors import CredentialError, SchemaError, TrustError
from passport.keys import PrivateKey

RECORD_TYP = "skillpass-issuance-record+jwt"
DIGEST_BYTES = 16
_ENTRY = struct.Struct(">IIQ16s")  # list number, index, issued (Unix seconds), digest
_SLOTS = struct.Struct(">Q24x")  # list number and index as one sortable number
_ISSUED = struct.Struct(">8xQ16x")
# The most credentials one key's record holds: the whole 2027 national target (500,000
# passports) under a single key. A centre's key signs a few hundred thousand at most; a centre
# issuing more rotates its key first. The schemas say the same (issuance-record, trust-list).
MAX_ENTRIES = 500_000


def _b64_chars(n: int) -> int:
    """Unpadded base64url characters of `n` bytes."""
    return (4 * n + 2) // 3


# The record travels in base64url twice: its packed entries are base64url inside the JSON
# claims, and the claims are base64url in the JWS. The rest of the claims (type, issuer URL of
# at most 200 characters, kid, created, count) and the JWS header are small.
MAX_CLAIMS_CHARS = _b64_chars(MAX_ENTRIES * _ENTRY.size) + 2_048
MAX_RECORD_CHARS = 1_024 + 1 + _b64_chars(MAX_CLAIMS_CHARS) + 1 + 86
# JWS claims: a repeated name takes the lexically last value (RFC 7519 section 4).
RECORD_LIMITS = jsonread.Limits(max_bytes=MAX_CLAIMS_CHARS, max_depth=8, unique_keys=False)
# An entry is issued before the record is made; the centre's processes' clocks may differ a
# little. (A time after it, up to 2**64 - 1 seconds, says nothing true and breaks dates.)
CLOCK_SKEW = timedelta(hours=1)


def signature_digest(signature: bytes) -> bytes:
    return sha256.digest(signature)[:DIGEST_BYTES]


@dataclass(frozen=True)
class Entry:
    list_number: int
    index: int
    issued: datetime
    digest: bytes


@dataclass(frozen=True)
class _Parsed:
    issuer: str
    kid: str
    created: datetime
    count: int
    packed: bytes  # entries, sorted by (list number, index), each _ENTRY.size bytes


class IssuanceRecord:
    """A centre's signed record for one key (the JWS exactly as received).

    `from_jws` reads and checks all of it (the authority accepting a record, a centre signing
    one). `named` takes a record a trust list names by its digest, as a verifier loading a
    bundle does: the digest makes it the record the authority checked, so it is read in full
    only when a credential under its key is judged (a bundle may carry many records of up to
    500,000 entries; a verification needs one at most). A named record that turns out
    unreadable then vouches for nothing, and `problem` says why.
    """

    def __init__(self, compact: str, *, issuer: str, kid: str, count: int,
                 parsed: _Parsed | None = None, sha256: str | None = None) -> None:
        self.jws, self.issuer, self.kid, self.count = compact, issuer, kid, count
        self._parsed, self._sha256, self.problem = parsed, sha256, ""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IssuanceRecord) and other.jws == self.jws

    def __hash__(self) -> int:
        return hash(self.jws)

    def __repr__(self) -> str:
        return f"IssuanceRecord(issuer={self.issuer!r}, kid={self.kid!r}, count={self.count})"

    @property
    def sha256(self) -> str:
        """What the trust list names the record by: the SHA-256 of the signed record."""
        if self._sha256 is None:
            self._sha256 = sha256.hexdigest(self.jws.encode("ascii"))
        return self._sha256

    def _read(self) -> _Parsed | None:
        if self._parsed is None and not self.problem:
            try:
                parsed = _parse(self.jws)
            except TrustError as exc:
                self.problem = str(exc)
                return None
            if (parsed.issuer, parsed.kid, parsed.count) != (self.issuer, self.kid, self.count):
                self.problem = (f"issuance record: it is for key {parsed.kid} of {parsed.issuer} "
                                f"({parsed.count} entries), not for key {self.kid} of "
                                f"{self.issuer} ({self.count} entries) as the trust list says")
                return None
            self._parsed = parsed
        return self._parsed

    @property
    def created(self) -> datetime | None:
        parsed = self._read()
        return parsed.created if parsed else None

    @property
    def packed(self) -> bytes:
        parsed = self._read()
        return parsed.packed if parsed else b""

    def find(self, list_number: int, index: int) -> Entry | None:
        """The entry for a slot, by binary search over the packed entries (no index built)."""
        parsed = self._read()
        if parsed is None:
            return None
        size, wanted, packed = _ENTRY.size, (list_number, index), parsed.packed
        lo = bisect_left(range(parsed.count), wanted,
                         key=lambda i: _ENTRY.unpack_from(packed, i * size)[:2])
        if lo == parsed.count:
            return None
        n, i, issued, digest = _ENTRY.unpack_from(packed, lo * size)
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
        """Read and check a signed record in full; its signature is the caller's to check
        (it knows the keys)."""
        parsed = _parse(compact)
        return cls(compact, issuer=parsed.issuer, kid=parsed.kid, count=parsed.count,
                   parsed=parsed)

    @classmethod
    def named(cls, compact: str, *, issuer: str, kid: str, count: int,
              sha256: str) -> IssuanceRecord:
        """The record a trust list names (by `sha256`, the caller has checked) for key `kid`
        of `issuer`, with `count` entries: read when first used."""
        return cls(compact, issuer=issuer, kid=kid, count=count, sha256=sha256)


def _parse(compact: str) -> _Parsed:
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
    count = doc["count"]
    if len(doc["entries"]) != _b64_chars(count * _ENTRY.size):
        raise TrustError(f"issuance record: {len(doc['entries'])} characters of entries for "
                         f"{count}")
    try:
        packed = b64u_decode(doc["entries"])
    except ValueError as exc:
        raise TrustError(f"issuance record: entries are {exc}") from None
    slots = [slot for (slot,) in _SLOTS.iter_unpack(packed)]
    if not all(map(operator.lt, slots, slots[1:])):
        raise TrustError("issuance record: entries are not in slot order, or repeat a slot")
    created = parse_time(doc["created"])
    latest = int(created.timestamp() + CLOCK_SKEW.total_seconds())
    late = next((n for n, (t,) in enumerate(_ISSUED.iter_unpack(packed)) if t > latest), None)
    if late is not None:
        list_number, index, issued, _ = _ENTRY.unpack_from(packed, late * _ENTRY.size)
        raise TrustError(f"issuance record: entry {late + 1} (list {list_number}, index {index}) "
                         f"says it was issued {issued} s after 1970, after the record was made "
                         f"({format_time(created)})")
    return _Parsed(doc["issuer"], doc["kid"], created, count, packed)


def sign_record(*, issuer: str, kid: str, entries: Iterable[Entry], created: datetime,
                key: PrivateKey) -> str:
    """The centre's signed record for key `kid`, from its database's entries."""
    rows = sorted(entries, key=lambda e: (e.list_number, e.index))
    if len(rows) > MAX_ENTRIES:
        raise TrustError(f"issuance record: {len(rows)} credentials under one key, more than a "
                         f"record holds ({MAX_ENTRIES}): a centre rotates its key before one "
                         "signs that many")
    packed = b"".join(_ENTRY.pack(e.list_number, e.index, int(e.issued.timestamp()), e.digest)
                      for e in rows)
    doc = {"type": "SkillsPassportIssuanceRecord", "issuer": issuer, "kid": kid,
           "created": format_time(created), "count": len(rows), "entries": b64u_encode(packed)}
    schema.check("issuance-record", doc, what="issuance record")
    payload = json.dumps(doc, separators=(",", ":")).encode()
    compact = jws.sign(payload, key, typ=RECORD_TYP)
    IssuanceRecord.from_jws(compact)  # refuses what a verifier would refuse (repeated slots)
    return compact
