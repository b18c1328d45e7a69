"""What a centre hands the national authority: an accreditation request, a key rotation request.

Both are files a centre's admin carries to the ministry. Each is signed by the key it asks
the authority to trust, so the request proves the centre holds that key; a rotation request
is signed by the old key too, so only the holder of the accredited key can ask to replace it.
Parse, don't validate: `from_text()` returns a checked, frozen request or raises.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from passport import jsonread, jws, schema
from passport.b64 import b64u_decode, b64u_encode
from passport.credential import Kind, format_time, parse_time
from passport.errors import CredentialError, DocumentError
from passport.keys import PrivateKey, PublicKey

ACCREDITATION_TYP = "skillpass-accreditation-request+jwt"
ROTATION_TYP = "skillpass-key-rotation-request+json"
MAX_REQUEST_CHARS = 64 * 1024
# An accreditation request is a JWS: its claims take a repeated name's last value (RFC 7519
# section 4). A rotation request is a JWS JSON document, read like any other file: a name
# given twice is refused.
CLAIMS_LIMITS = jsonread.Limits(max_bytes=MAX_REQUEST_CHARS, max_depth=8, unique_keys=False)
DOCUMENT_LIMITS = jsonread.Limits(max_bytes=MAX_REQUEST_CHARS, max_depth=8)


@dataclass(frozen=True)
class AccreditationRequest:
    centre_id: str
    name: str
    name_km: str
    key: PublicKey
    asks: dict[Kind, frozenset[str]]  # kind -> ISCO-08 codes ("*": every occupation)
    created: datetime
    signed: str  # the compact JWS as received

    @classmethod
    def from_text(cls, text: str, source: str) -> AccreditationRequest:
        token, doc = _token(text, source)
        _check(doc, "accreditation-request", source)
        key = _key(doc["jwk"], source)
        if token.header.get("typ") != ACCREDITATION_TYP or token.kid != key.kid \
                or not jws.signature_valid(token, key):
            raise DocumentError(source, [("signature", "not signed by the key it asks to "
                                                       "accredit")])
        return cls(doc["id"], doc["name"], doc["nameKm"], key,
                   {Kind(a["kind"]): frozenset(a["occupations"]) for a in doc["asks"]},
                   parse_time(doc["created"]), text.strip())


def accreditation_request(*, centre_id: str, name: str, name_km: str, key: PrivateKey,
                          asks: dict[Kind, list[str]], created: datetime) -> str:
    doc = {"type": "SkillsPassportAccreditationRequest", "id": centre_id, "name": name,
           "nameKm": name_km, "jwk": key.public.jwk(),
           "asks": [{"kind": k.value, "occupations": sorted(v)} for k, v in asks.items()],
           "created": format_time(created)}
    schema.check("accreditation-request", doc, what="accreditation request")
    return jws.sign(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode(), key,
                    typ=ACCREDITATION_TYP)


@dataclass(frozen=True)
class KeyRotationRequest:
    centre_id: str
    old_kid: str
    new_key: PublicKey
    created: datetime
    signed: dict[str, Any]  # the JWS JSON document as received

    def signed_by(self, key: PublicKey) -> bool:
        """Whether `key` (the accredited key named by `old_kid`) signed this request."""
        return key.kid == self.old_kid and _signature_by(self.signed, key)

    @classmethod
    def from_text(cls, text: str, source: str) -> KeyRotationRequest:
        try:
            signed = jsonread.loads(text, DOCUMENT_LIMITS)
        except jsonread.JSONRejected as exc:
            raise DocumentError(source, [("file", f"{exc}")]) from None
        if not isinstance(signed, dict) or not isinstance(signed.get("signatures"), list) \
                or not isinstance(signed.get("payload"), str):
            raise DocumentError(source, [("file", "not a signed key rotation request")])
        try:
            doc = jsonread.loads(b64u_decode(signed["payload"]), DOCUMENT_LIMITS)
        except jsonread.JSONRejected as exc:
            raise DocumentError(source, [("payload", f"{exc}")]) from None
        except ValueError:
            raise DocumentError(source, [("payload", "not base64url")]) from None
        _check(doc, "key-rotation-request", source)
        new_key = _key(doc["newJwk"], source)
        if new_key.kid == doc["oldKid"]:
            raise DocumentError(source, [("newJwk", "is the key it replaces")])
        if not _signature_by(signed, new_key):
            raise DocumentError(source, [("signatures", "not signed by the new key")])
        return cls(doc["id"], doc["oldKid"], new_key, parse_time(doc["created"]), signed)


def key_rotation_request(*, centre_id: str, old: PrivateKey, new: PrivateKey,
                         created: datetime) -> dict[str, Any]:
    doc = {"type": "SkillsPassportKeyRotationRequest", "id": centre_id, "oldKid": old.kid,
           "newJwk": new.public.jwk(), "created": format_time(created)}
    schema.check("key-rotation-request", doc, what="key rotation request")
    payload = b64u_encode(json.dumps(doc, separators=(",", ":")).encode())
    signatures = []
    for key in (old, new):
        header = {"alg": jws.SIGNING_ALGORITHM, "kid": key.kid, "typ": ROTATION_TYP}
        protected = b64u_encode(json.dumps(header, separators=(",", ":")).encode())
        signatures.append({"protected": protected, "signature": b64u_encode(
            key.sign(f"{protected}.{payload}".encode("ascii")))})
    return {"payload": payload, "signatures": signatures}


def _token(text: str, source: str) -> tuple[jws.ParsedJWS, dict[str, Any]]:
    try:
        token = jws.parse(text.strip(), limit=MAX_REQUEST_CHARS)
        doc = jsonread.loads(token.payload, CLAIMS_LIMITS)
    except (CredentialError, jsonread.JSONRejected) as exc:
        raise DocumentError(source, [("file", f"not a signed request ({exc})")]) from None
    if not isinstance(doc, dict):
        raise DocumentError(source, [("payload", "not a JSON object")])
    return token, doc


def _check(doc: Any, name: str, source: str) -> None:
    problems = schema.problems(name, doc)
    if problems:
        raise DocumentError(source, [(path or "$", msg) for path, msg in problems])


def _key(jwk: Any, source: str) -> PublicKey:
    try:
        return PublicKey.from_jwk(jwk)
    except CredentialError as exc:
        raise DocumentError(source, [("jwk", str(exc))]) from None


def _signature_by(signed: dict[str, Any], key: PublicKey) -> bool:
    for entry in signed.get("signatures", []):
        try:
            token = jws.parse(f"{entry['protected']}.{signed['payload']}.{entry['signature']}",
                              limit=MAX_REQUEST_CHARS)
        except (CredentialError, KeyError, TypeError):
            continue
        if token.kid == key.kid and token.header.get("typ") == ROTATION_TYP \
                and jws.signature_valid(token, key):
            return True
    return False
