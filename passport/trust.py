"""The trust list: which issuers are accredited, with which keys, to certify what.

Like TUF's root metadata: a list is signed by the national root key(s); versions only go
up; a list that changes the root keys must be signed by the old and the new root keys and be
exactly one version newer. `TrustStore` holds the current list and does no I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from passport import jws, schema
from passport.b64 import b64u_decode, b64u_encode
from passport.credential import Kind, format_time, parse_time
from passport.errors import CredentialError, RollbackError, TrustError
from passport.keys import PrivateKey, PublicKey

TRUST_LIST_TYP = "skillpass-trust-list+json"


@dataclass(frozen=True)
class IssuerKey:
    key: PublicKey
    valid_from: datetime
    valid_until: datetime | None

    def valid_at(self, t: datetime) -> bool:
        return self.valid_from <= t and (self.valid_until is None or t < self.valid_until)


@dataclass(frozen=True)
class TrustedIssuer:
    id: str
    name: str
    name_km: str
    keys: tuple[IssuerKey, ...]
    accreditations: dict[Kind, frozenset[str]]

    def key(self, kid: str | None) -> IssuerKey | None:
        return next((k for k in self.keys if k.key.kid == kid), None)

    def accredited_for(self, kind: Kind, occupation: str) -> bool:
        allowed = self.accreditations.get(kind, frozenset())
        return "*" in allowed or occupation in allowed


@dataclass(frozen=True)
class TrustList:
    version: int
    issued: datetime
    expires: datetime
    root_keys: tuple[PublicKey, ...]
    issuers: dict[str, TrustedIssuer]
    signed: dict[str, Any]  # the JWS JSON document exactly as received

    @classmethod
    def from_document(cls, doc: dict[str, Any], signed: dict[str, Any]) -> TrustList:
        schema.check("trust-list", doc, what="trust list")
        issuers: dict[str, TrustedIssuer] = {}
        for entry in doc["issuers"]:
            if entry["id"] in issuers:
                raise TrustError(f"trust list: issuer {entry['id']} is listed twice")
            keys = tuple(
                IssuerKey(PublicKey.from_jwk(k["jwk"]), parse_time(k["validFrom"]),
                          parse_time(k["validUntil"]) if "validUntil" in k else None)
                for k in entry["keys"]
            )
            for k, raw in zip(keys, entry["keys"], strict=True):
                if raw["jwk"]["kid"] != k.key.kid:
                    raise TrustError(f"trust list: key id of {entry['id']} is not its thumbprint")
            issuers[entry["id"]] = TrustedIssuer(
                entry["id"], entry["name"], entry["nameKm"], keys,
                {Kind(a["kind"]): frozenset(a["occupations"]) for a in entry["accreditations"]},
            )
        roots = tuple(PublicKey.from_jwk(k) for k in doc["rootKeys"])
        return cls(doc["version"], parse_time(doc["issued"]), parse_time(doc["expires"]),
                   roots, issuers, signed)


def trust_list_document(*, version: int, issued: datetime, expires: datetime,
                        root_keys: list[PublicKey], issuers: list[dict[str, Any]]) -> dict[str, Any]:
    doc = {
        "type": "SkillsPassportTrustList", "version": version,
        "issued": format_time(issued), "expires": format_time(expires),
        "rootKeys": [k.jwk() for k in root_keys], "issuers": issuers,
    }
    schema.check("trust-list", doc, what="trust list")
    return doc


def issuer_entry(*, issuer_id: str, name: str, name_km: str,
                 keys: list[tuple[PublicKey, datetime, datetime | None]],
                 accreditations: dict[Kind, list[str]]) -> dict[str, Any]:
    key_entries = []
    for key, start, end in keys:
        entry: dict[str, Any] = {"jwk": key.jwk(), "validFrom": format_time(start)}
        if end is not None:
            entry["validUntil"] = format_time(end)
        key_entries.append(entry)
    return {
        "id": issuer_id, "name": name, "nameKm": name_km, "keys": key_entries,
        "accreditations": [{"kind": k.value, "occupations": sorted(v)}
                           for k, v in accreditations.items()],
    }


def sign_trust_list(doc: dict[str, Any], root_keys: list[PrivateKey]) -> dict[str, Any]:
    """JWS JSON General Serialization (RFC 7515 section 7.2.1): one signature per root key."""
    payload = b64u_encode(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode())
    signatures = []
    for key in root_keys:
        header = {"alg": jws.SIGNING_ALGORITHM, "kid": key.kid, "typ": TRUST_LIST_TYP}
        protected = b64u_encode(json.dumps(header, separators=(",", ":")).encode())
        signature = key.sign(f"{protected}.{payload}".encode("ascii"))
        signatures.append({"protected": protected, "signature": b64u_encode(signature)})
    return {"payload": payload, "signatures": signatures}


def _signers(signed: dict[str, Any]) -> tuple[dict[str, Any], dict[str, jws.ParsedJWS]]:
    """Decode a signed trust list; return the document and its signatures keyed by kid."""
    if not isinstance(signed, dict) or not isinstance(signed.get("signatures"), list):
        raise TrustError("trust list: not a JWS JSON document")
    payload = signed.get("payload")
    by_kid: dict[str, jws.ParsedJWS] = {}
    for entry in signed["signatures"]:
        try:
            token = jws.parse(f"{entry['protected']}.{payload}.{entry['signature']}")
        except (CredentialError, KeyError, TypeError) as exc:
            raise TrustError(f"trust list: malformed signature ({exc})") from None
        if token.header.get("typ") != TRUST_LIST_TYP or token.kid is None:
            raise TrustError("trust list: signature header lacks typ or kid")
        by_kid[token.kid] = token
    try:
        doc = json.loads(b64u_decode(str(payload)))
    except ValueError:
        raise TrustError("trust list: payload is not base64url JSON") from None
    if not isinstance(doc, dict):
        raise TrustError("trust list: payload is not a JSON object")
    return doc, by_kid


def _signed_by_any(sigs: dict[str, jws.ParsedJWS], keys: tuple[PublicKey, ...]) -> bool:
    return any(k.kid in sigs and jws.signature_valid(sigs[k.kid], k) for k in keys)


def _signed_by_all(sigs: dict[str, jws.ParsedJWS], keys: tuple[PublicKey, ...]) -> bool:
    return all(k.kid in sigs and jws.signature_valid(sigs[k.kid], k) for k in keys)


class TrustStore:
    """The trusted trust list, and the only way to replace it. No I/O."""

    def __init__(self, pinned_roots: tuple[PublicKey, ...]) -> None:
        if not pinned_roots:
            raise TrustError("no pinned root key: a verifier needs the national root key")
        self.pinned_roots = pinned_roots
        self.current: TrustList | None = None

    @property
    def roots(self) -> tuple[PublicKey, ...]:
        return self.current.root_keys if self.current else self.pinned_roots

    def update(self, signed: dict[str, Any]) -> TrustList:
        """Accept a newer trust list or raise; on failure the current list stays."""
        doc, sigs = _signers(signed)
        if not _signed_by_any(sigs, self.roots):
            raise TrustError("trust list: not signed by a trusted root key")
        candidate = TrustList.from_document(doc, signed)
        current = self.current
        if current is not None:
            if candidate.version <= current.version:
                raise RollbackError("trust list", candidate.version, current.version)
            if {k.kid for k in candidate.root_keys} != {k.kid for k in current.root_keys}:
                if candidate.version != current.version + 1:
                    raise TrustError("trust list: a root rotation must be exactly version + 1")
                if not _signed_by_all(sigs, candidate.root_keys):
                    raise TrustError("trust list: a root rotation must be signed by the new root")
        elif not _signed_by_all(sigs, candidate.root_keys) and candidate.root_keys != self.roots:
            # The first list names its own roots; they must have signed it too.
            raise TrustError("trust list: not signed by the root keys it names")
        self.current = candidate
        return candidate
