"""W3C Bitstring Status List: revocation and suspension without asking the issuer.

`encodedList` is "u" + base64url(GZIP(bitstring)); index 0 is the left-most bit of the first
byte. A list has at least 131,072 entries so that one index reveals little about a holder.
"""

import zlib
from datetime import datetime, timedelta
from typing import NamedTuple

from passport import jws, schema
from passport.b64 import b64u_decode, b64u_encode
from passport.credential import (
    CLAIMS_LIMITS,
    StatusPurpose,
    check_vc_jose_claims,
    decode_claims,
    encode_claims,
    format_time,
    parse_time,
)
from passport.errors import TrustError
from passport.inflate import inflate_bounded
from passport.keys import PrivateKey

MIN_ENTRIES = 131_072
# Upper bound on a decompressed list (8 Mi entries); larger is refused while inflating.
MAX_LIST_BYTES = 1_048_576
# A signed status list: at worst its bitstring does not compress at all (random bits), so
# GZIP adds a little and base64url a third; the rest of the credential is small.
MAX_STATUS_LIST_JWS_CHARS = (MAX_LIST_BYTES + 1024) * 4 // 3 + 8_192
STATUS_LIST_TYP = "vc+jwt"
# A status list's claims are a credential's, read with the same limits but its larger size.
STATUS_CLAIMS_LIMITS = CLAIMS_LIMITS.replace(max_bytes=MAX_STATUS_LIST_JWS_CHARS)


class Bitstring:
    """A status list's bits, most significant bit of the first byte first (by default,
    MIN_ENTRIES of them, all clear). Equal by its bits. (A plain class: a dataclass costs every
    start of the command line more to build than a verification.)"""

    __slots__ = ("bits",)

    def __init__(self, bits: bytearray | None = None) -> None:
        self.bits = bytearray(MIN_ENTRIES // 8) if bits is None else bits

    def __eq__(self, other: object) -> bool:
        return self.bits == other.bits if type(other) is Bitstring else NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, as a dataclass's would be

    def __repr__(self) -> str:
        return f"Bitstring(bits={self.bits!r})"

    @property
    def size(self) -> int:
        return len(self.bits) * 8

    def get(self, index: int) -> bool:
        if not 0 <= index < self.size:
            raise IndexError(index)
        return bool(self.bits[index // 8] & (0x80 >> (index % 8)))

    def set(self, index: int, value: bool = True) -> None:
        if not 0 <= index < self.size:
            raise IndexError(index)
        mask = 0x80 >> (index % 8)
        if value:
            self.bits[index // 8] |= mask
        else:
            self.bits[index // 8] &= ~mask & 0xFF

    def encode(self) -> str:
        import gzip  # issuing only: a verifier inflates with zlib (passport.inflate)

        return "u" + b64u_encode(gzip.compress(bytes(self.bits), compresslevel=9, mtime=0))

    @classmethod
    def decode(cls, encoded: str) -> "Bitstring":
        if not encoded.startswith("u"):
            raise TrustError("status list: encodedList must be multibase base64url ('u...')")
        try:
            compressed = b64u_decode(encoded[1:])
        except ValueError as exc:
            raise TrustError(f"status list: encodedList is {exc}") from None
        try:  # wbits 16+15 reads a GZIP wrapper
            raw, complete, _ = inflate_bounded(compressed, wbits=16 + zlib.MAX_WBITS,
                                               limit=MAX_LIST_BYTES, what="status list bitstring")
        except zlib.error as exc:
            raise TrustError(f"status list: encodedList is not GZIP ({exc})") from None
        if not complete:
            raise TrustError("status list: GZIP data is truncated")
        if len(raw) * 8 < MIN_ENTRIES:
            raise TrustError(f"status list: {len(raw) * 8} entries, at least {MIN_ENTRIES} needed")
        return cls(bytearray(raw))


class StatusList(NamedTuple):
    """A parsed, signature-checked status list credential (a NamedTuple: immutable, and a
    cheap class to create at the command line's start)."""

    url: str
    issuer: str
    purpose: StatusPurpose
    valid_from: datetime
    valid_until: datetime
    bitstring: Bitstring
    jws: str

    @property
    def as_of(self) -> str:
        return self.valid_from.date().isoformat()

    def is_set(self, index: int) -> bool:
        return self.bitstring.get(index)


def status_list_claims(*, url: str, issuer: str, purpose: StatusPurpose, bitstring: Bitstring,
                       valid_from: datetime, valid_for: timedelta) -> dict[str, object]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": format_time(valid_from),
        "validUntil": format_time(valid_from + valid_for),
        "credentialSubject": {
            "id": url + "#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose.value,
            "encodedList": bitstring.encode(),
        },
    }


def sign_status_list(claims: dict[str, object], key: PrivateKey) -> str:
    schema.check("status-list-credential", claims, what="status list credential")
    return jws.sign(encode_claims(claims), key, typ=STATUS_LIST_TYP, cty="vc")


def parse_status_list(compact: str) -> tuple[StatusList, jws.ParsedJWS]:
    """Parse a status list JWS (signature not yet checked: the caller knows the issuer keys)."""
    token = jws.parse(compact, limit=MAX_STATUS_LIST_JWS_CHARS)
    claims = decode_claims(token.payload, STATUS_CLAIMS_LIMITS)
    check_vc_jose_claims(claims)
    schema.check("status-list-credential", claims, what="status list credential")
    assert isinstance(claims, dict)
    subject = claims["credentialSubject"]
    status = StatusList(
        url=claims["id"], issuer=claims["issuer"],
        purpose=StatusPurpose(subject["statusPurpose"]),
        valid_from=parse_time(claims["validFrom"]), valid_until=parse_time(claims["validUntil"]),
        bitstring=Bitstring.decode(subject["encodedList"]), jws=compact,
    )
    return status, token
