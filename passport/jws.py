"""Compact JWS (RFC 7515) with Ed25519, as VC-JOSE-COSE secures a credential.

pyjwt assembles and splits the token; the Ed25519 arithmetic is libsodium's (pynacl),
registered into a private `PyJWS` whose algorithm allow-list is fixed here and never
taken from a header. `EdDSA` (RFC 8037) and its RFC 9864 name `Ed25519` are the only names.
"""

import functools
import json
from typing import Any, NamedTuple, cast

from passport import jsonread
from passport.b64 import b64u_decode
from passport.errors import AlgorithmNotAllowed, JWSFormatError
from passport.keys import PrivateKey, PublicKey

ALLOWED_ALGORITHMS = ("EdDSA", "Ed25519")
SIGNING_ALGORITHM = "EdDSA"
MAX_JWS_CHARS = 16_384
# A header names an algorithm, a key id and two media types: a few dozen bytes, one level.
# A repeated name takes the lexically last value (RFC 7515 section 4), as JSON.parse does on
# the phone page, which reads headers with the same limits.
HEADER_LIMITS = jsonread.Limits(max_bytes=2048, max_depth=8, unique_keys=False)
JWK_LIMITS = jsonread.Limits(max_bytes=64 * 1024, max_depth=8)

# Header parameters a verifier understands; anything listed in "crit" must be one of these,
# and none of them is an extension, so any "crit" is refused (RFC 7515 section 4.1.11).
_UNDERSTOOD_CRITICAL: frozenset[str] = frozenset()
# Header parameters refused (in this order: the first present is named).
_FORBIDDEN_HEADER = ("b64", "jwk", "jku", "x5u", "x5c")
_FORBIDDEN_HEADER_SET = frozenset(_FORBIDDEN_HEADER)


@functools.cache
def _pyjws() -> Any:
    """pyjwt, set up with Ed25519 over libsodium: signing and the reference check use it;
    verification does not (it checks the signature with `signature_valid`), so the
    verifier's start-up never imports pyjwt and the `cryptography` package under it."""
    import jwt
    import jwt.algorithms
    import jwt.exceptions

    class _NaclEd25519(jwt.algorithms.Algorithm):
        """Ed25519 for pyjwt, backed by libsodium; keys are our own key objects."""

        def prepare_key(self, key: Any) -> Any:
            if not isinstance(key, PrivateKey | PublicKey):
                raise jwt.exceptions.InvalidKeyError("expected a passport key object")
            return key

        def sign(self, msg: bytes, key: Any) -> bytes:
            if not isinstance(key, PrivateKey):
                raise jwt.exceptions.InvalidKeyError("signing needs a private key")
            return key.sign(msg)

        def verify(self, msg: bytes, key: Any, sig: bytes) -> bool:
            public = key.public if isinstance(key, PrivateKey) else key
            return isinstance(public, PublicKey) and public.verify(msg, sig)

        @staticmethod
        def to_jwk(key_obj: Any, as_dict: bool = False) -> Any:
            jwk = key_obj.jwk()
            return jwk if as_dict else json.dumps(jwk)

        @staticmethod
        def from_jwk(jwk: Any) -> Any:
            try:
                doc = jsonread.loads(jwk, JWK_LIMITS) if isinstance(jwk, str) else jwk
            except jsonread.JSONRejected as exc:
                raise jwt.exceptions.InvalidKeyError(f"JWK: {exc}") from None
            return PublicKey.from_jwk(doc)

    pyjws = jwt.PyJWS(algorithms=[])
    for name in ALLOWED_ALGORITHMS:
        pyjws.register_algorithm(name, _NaclEd25519())
    return pyjws


class ParsedJWS(NamedTuple):
    """A compact JWS split into its parts; the signature is not yet checked. (A NamedTuple:
    immutable, and its class costs the command line's start a fraction of a dataclass's.)"""

    compact: str
    header: dict[str, Any]
    payload: bytes
    signing_input: bytes
    signature: bytes

    @property
    def kid(self) -> str | None:
        kid = self.header.get("kid")
        return kid if isinstance(kid, str) else None


def sign(payload: bytes, key: PrivateKey, *, typ: str, cty: str | None = None) -> str:
    headers: dict[str, Any] = {"kid": key.kid, "typ": typ}
    if cty:
        headers["cty"] = cty
    # pyjwt types its keys as `cryptography` objects; ours are handled by _NaclEd25519.
    token: str = _pyjws().encode(payload, cast(Any, key), algorithm=SIGNING_ALGORITHM,
                                 headers=headers)
    return token


def parse(compact: str, *, limit: int = MAX_JWS_CHARS) -> ParsedJWS:
    """Split and check the structure and header of a compact JWS, without the signature.

    `limit` caps the characters before anything is decoded: a credential's by default; a
    status list passes its own, larger one.
    """
    _within_limit(compact, limit)
    parts = compact.split(".")
    if len(parts) != 3:
        raise JWSFormatError(f"a compact JWS has 3 dot-separated parts, this has {len(parts)}")
    names = ("header", "payload", "signature")
    raw: list[bytes] = []
    for name, part in zip(names, parts, strict=True):
        try:
            raw.append(b64u_decode(part))
        except ValueError as exc:
            raise JWSFormatError(str(exc), part=name) from None
    return from_parts(compact, raw[0], raw[1], raw[2], limit=limit)


def from_parts(compact: str, header_bytes: bytes, payload: bytes, signature: bytes,
               signing_input: bytes | None = None,
               header_document: jsonread.Document | None = None, *,
               limit: int = MAX_JWS_CHARS) -> ParsedJWS:
    """Check the size, header and signature size of an already split JWS (the QR codec
    splits it, and may have built the header's document beside its bytes): a credential is
    held to one limit however it came, and a QR text can unpack to more than it."""
    _within_limit(compact, limit)
    try:
        header = jsonread.loads(header_bytes, HEADER_LIMITS, header_document)
    except jsonread.JSONRejected as exc:
        raise JWSFormatError(f"{exc}", part="header") from None
    if not isinstance(header, dict):
        raise JWSFormatError("not a JSON object", part="header")
    alg = header.get("alg")
    if alg not in ALLOWED_ALGORITHMS:
        raise AlgorithmNotAllowed(alg)
    if "crit" in header:
        crit = header["crit"]
        if not isinstance(crit, list) or not crit or not all(isinstance(c, str) for c in crit):
            raise JWSFormatError("'crit' must be a non-empty list of names", part="header")
        unknown = [c for c in crit if c not in _UNDERSTOOD_CRITICAL]
        if unknown:
            raise JWSFormatError(f"unsupported critical extension(s) {unknown}", part="header")
    if not _FORBIDDEN_HEADER_SET.isdisjoint(header):
        # Keys come from the trust bundle or the caller, never from the token itself.
        forbidden = next(f for f in _FORBIDDEN_HEADER if f in header)
        raise JWSFormatError(f"header parameter {forbidden!r} is not accepted", part="header")
    if len(signature) != 64:
        raise JWSFormatError("an Ed25519 signature is 64 bytes", part="signature")
    if signing_input is None:
        signing_input = compact[: compact.rindex(".")].encode("ascii")
    return ParsedJWS(compact, header, payload, signing_input, signature)


def _within_limit(compact: str, limit: int) -> None:
    # The page's twin: withinLimit in verifier/web/src/jws.js.
    if len(compact) > limit:
        raise JWSFormatError(f"token is {len(compact)} characters, the limit is {limit}")


def signature_valid(token: ParsedJWS, key: PublicKey) -> bool:
    return key.verify(token.signing_input, token.signature)


def verify_with_pyjwt(compact: str, key: PublicKey) -> bytes:
    """Full pyjwt verification with the fixed allow-list; returns the payload bytes."""
    import jwt.exceptions

    try:
        result = _pyjws().decode_complete(compact, cast(Any, key), algorithms=list(ALLOWED_ALGORITHMS))
    except jwt.exceptions.InvalidAlgorithmError:
        raise AlgorithmNotAllowed(compact.split(".")[0]) from None
    except jwt.exceptions.PyJWTError as exc:
        raise JWSFormatError(str(exc)) from None
    payload = result["payload"]
    assert isinstance(payload, bytes)
    return payload
