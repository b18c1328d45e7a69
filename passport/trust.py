"""The trust list: which centres are accredited, with which keys, to certify what.

Like TUF's root metadata: a list is signed by the national root keys, at least `threshold` of
them (k of n officials); versions only go up; a list that changes the root keys or the
threshold (a root rotation) is exactly one version newer and carries a threshold of
signatures of the old set and of the new. `TrustStore` holds the current list and does no
I/O.

Each centre's key has a validity window. A key the authority retired (its window closed) or
found compromised is judged by the centre's issuance record for it, whose digest the list
carries: what the centre's database says it signed, not what a credential claims.
"""

import enum
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from passport import centreid, jsonread, jws, schema, sha256
from passport.b64 import b64u_decode, b64u_encode
from passport.credential import Kind, format_time, parse_time
from passport.errors import CredentialError, RollbackError, TrustError
from passport.keys import PrivateKey, PublicKey

TRUST_LIST_TYP = "skillpass-trust-list+json"
MAX_ROOT_KEYS = 16


class _RootFields(NamedTuple):
    keys: tuple[PublicKey, ...]
    threshold: int


class RootSet(_RootFields):
    """The national root: its public keys and how many of them must sign a trust list.
    (Immutable: a NamedTuple, checked when built; a cheap class at every start.)"""

    __slots__ = ()

    def __new__(cls, keys: tuple[PublicKey, ...], threshold: int) -> "RootSet":
        if not keys:
            raise TrustError("no root key: a verifier needs the national root keys")
        if len({k.kid for k in keys}) != len(keys):
            raise TrustError("a root key is listed twice")
        if not 1 <= threshold <= len(keys):
            raise TrustError(f"root threshold {threshold} is not between 1 and "
                             f"{len(keys)}, the number of root keys")
        return super().__new__(cls, keys, threshold)

    @classmethod
    def of(cls, roots: "RootSet | Sequence[PublicKey]") -> "RootSet":
        """A pinned root; a bare list of keys (the first version's pin file) means 1 of them."""
        return roots if isinstance(roots, RootSet) else cls(tuple(roots), 1)

    @classmethod
    def from_json(cls, doc: object) -> "RootSet":
        """`{"rootKeys": [JWK, ...], "threshold": k}`, as the authority publishes its root."""
        if not isinstance(doc, dict) or not isinstance(doc.get("rootKeys"), list):
            raise TrustError('root key file must be JSON {"rootKeys": [JWK, ...], '
                             '"threshold": k}')
        threshold = doc.get("threshold", 1)
        if not isinstance(threshold, int) or isinstance(threshold, bool):
            raise TrustError("root key file: threshold must be a whole number")
        keys = tuple(PublicKey.from_jwk(k) for k in doc["rootKeys"][:MAX_ROOT_KEYS + 1])
        if len(keys) > MAX_ROOT_KEYS:
            raise TrustError(f"root key file: more than {MAX_ROOT_KEYS} root keys")
        return cls(keys, threshold)

    def to_json(self) -> dict[str, Any]:
        return {"rootKeys": [k.jwk() for k in self.keys], "threshold": self.threshold}

    @property
    def identity(self) -> tuple[frozenset[str], int]:
        return frozenset(k.kid for k in self.keys), self.threshold

    def signers(self, sigs: dict[str, jws.ParsedJWS]) -> set[str]:
        """The kids of this set's keys whose signature in `sigs` verifies."""
        return {k.kid for k in self.keys if k.kid in sigs and jws.signature_valid(sigs[k.kid], k)}

    def signed(self, sigs: dict[str, jws.ParsedJWS]) -> bool:
        return len(self.signers(sigs)) >= self.threshold


class RecordRef(NamedTuple):
    """The digest of a centre's issuance record for one key, as the authority accepted it."""

    sha256: str
    entries: int


class KeyState(enum.StrEnum):
    LIVE = "live"  # within its window
    RETIRED = "retired"  # its window has closed
    COMPROMISED = "compromised"


class IssuerKey(NamedTuple):
    """One of a centre's keys, with its validity window and, once closed, its record."""

    key: PublicKey
    valid_from: datetime
    valid_until: datetime | None
    compromised_since: datetime | None = None
    record: RecordRef | None = None

    def valid_at(self, t: datetime) -> bool:
        return self.valid_from <= t and (self.valid_until is None or t < self.valid_until)

    def state_at(self, t: datetime) -> KeyState:
        if self.compromised_since is not None:
            return KeyState.COMPROMISED
        if self.valid_until is not None and t >= self.valid_until:
            return KeyState.RETIRED
        return KeyState.LIVE

    def may_sign_at(self, t: datetime) -> bool:
        """Whether the centre may sign with this key now (issuance, status lists)."""
        return self.compromised_since is None and self.valid_at(t)

    def vouches_for_status(self, valid_from: datetime) -> bool:
        """Whether a status list it signed, dated `valid_from`, counts. A compromised key's
        never do (its thief can date one anything); a retired key's only if dated inside its
        window, and then only until the window's end (see `passport.bundle`)."""
        return self.compromised_since is None and (
            self.valid_until is None or valid_from < self.valid_until)


class CentreState(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class TrustedIssuer(NamedTuple):
    """An accredited centre: its names, keys, accreditations and state."""

    id: str
    name: str
    name_km: str
    keys: tuple[IssuerKey, ...]
    accreditations: dict[Kind, frozenset[str]]
    state: CentreState = CentreState.ACTIVE

    def key(self, kid: str | None) -> IssuerKey | None:
        for k in self.keys:
            if k.key.kid == kid:
                return k
        return None

    def accredited_for(self, kind: Kind, occupation: str) -> bool:
        allowed = self.accreditations.get(kind, frozenset())
        return "*" in allowed or occupation in allowed


def newest(keys: Iterable[IssuerKey]) -> IssuerKey | None:
    """The newest of `keys`: the latest validFrom; of two valid from the same second (a
    rotation soon after accreditation), the one listed later, as a rotation appends its key."""
    best: IssuerKey | None = None
    for key in keys:
        if best is None or key.valid_from >= best.valid_from:
            best = key
    return best


class TrustList(NamedTuple):
    """A trust list whose root signatures checked: its version, period, root and centres."""

    version: int
    issued: datetime
    expires: datetime
    root: RootSet
    issuers: dict[str, TrustedIssuer]
    signed: dict[str, Any]  # the JWS JSON document exactly as received

    @property
    def root_keys(self) -> tuple[PublicKey, ...]:
        return self.root.keys

    @classmethod
    def from_document(cls, doc: dict[str, Any], signed: dict[str, Any]) -> "TrustList":
        schema.check("trust-list", doc, what="trust list")
        issuers: dict[str, TrustedIssuer] = {}
        for entry in doc["issuers"]:
            if entry["id"] in issuers:
                raise TrustError(f"trust list: issuer {entry['id']} is listed twice")
            keys = tuple(_issuer_key(entry["id"], k) for k in entry["keys"])
            if len({k.key.kid for k in keys}) != len(keys):
                raise TrustError(f"trust list: a key of {entry['id']} is listed twice")
            issuers[entry["id"]] = TrustedIssuer(
                entry["id"], entry["name"], entry["nameKm"], keys,
                {Kind(a["kind"]): frozenset(a["occupations"]) for a in entry["accreditations"]},
                CentreState(entry.get("state", CentreState.ACTIVE.value)))
        # One spelling per URL and no centre inside another's URL space: else one could sign
        # lists where the other's are looked for.
        problem = centreid.clash(issuers)
        if problem is not None:
            raise TrustError(f"trust list: {problem}")
        try:
            root = RootSet(tuple(PublicKey.from_jwk(k) for k in doc["rootKeys"]),
                           doc.get("threshold", 1))
        except TrustError as exc:
            raise TrustError(f"trust list: {exc}") from None
        return cls(doc["version"], parse_time(doc["issued"]), parse_time(doc["expires"]),
                   root, issuers, signed)


def _issuer_key(issuer_id: str, raw: dict[str, Any]) -> IssuerKey:
    key = PublicKey.from_jwk(raw["jwk"])
    if raw["jwk"]["kid"] != key.kid:
        raise TrustError(f"trust list: key id of {issuer_id} is not its thumbprint")
    record = raw.get("issuanceRecord")
    entry = IssuerKey(key, parse_time(raw["validFrom"]),
                      parse_time(raw["validUntil"]) if "validUntil" in raw else None,
                      parse_time(raw["compromisedSince"]) if "compromisedSince" in raw else None,
                      RecordRef(record["sha256"], record["entries"]) if record else None)
    if entry.compromised_since is not None and entry.record is None:
        # Without the record nothing under the key could be told genuine from forged.
        raise TrustError(f"trust list: compromised key {key.kid} of {issuer_id} has no "
                         "issuance record")
    if entry.valid_until is not None and entry.valid_until <= entry.valid_from:
        raise TrustError(f"trust list: key {key.kid} of {issuer_id} ends before it starts")
    return entry


def trust_list_document(*, version: int, issued: datetime, expires: datetime,
                        root_keys: Sequence[PublicKey], issuers: list[dict[str, Any]],
                        threshold: int | None = None) -> dict[str, Any]:
    """The document to sign. Without `threshold` (the first version's lists) it means 1."""
    doc: dict[str, Any] = {
        "type": "SkillsPassportTrustList", "version": version,
        "issued": format_time(issued), "expires": format_time(expires),
        "rootKeys": [k.jwk() for k in root_keys]}
    if threshold is not None:
        doc["threshold"] = threshold
    doc["issuers"] = issuers
    schema.check("trust-list", doc, what="trust list")
    return doc


def key_entry(key: PublicKey, valid_from: datetime, valid_until: datetime | None = None, *,
              compromised_since: datetime | None = None,
              record: RecordRef | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"jwk": key.jwk(), "validFrom": format_time(valid_from)}
    if valid_until is not None:
        entry["validUntil"] = format_time(valid_until)
    if compromised_since is not None:
        entry["compromisedSince"] = format_time(compromised_since)
    if record is not None:
        entry["issuanceRecord"] = {"sha256": record.sha256, "entries": record.entries}
    return entry


def issuer_entry(*, issuer_id: str, name: str, name_km: str,
                 keys: Iterable[tuple[PublicKey, datetime, datetime | None] | dict[str, Any]],
                 accreditations: dict[Kind, list[str]],
                 state: CentreState = CentreState.ACTIVE) -> dict[str, Any]:
    """A centre's entry; each key a (key, valid from, valid until) or a `key_entry` dict."""
    key_entries = [k if isinstance(k, dict) else key_entry(*k) for k in keys]
    entry: dict[str, Any] = {
        "id": issuer_id, "name": name, "nameKm": name_km, "keys": key_entries,
        "accreditations": [{"kind": k.value, "occupations": sorted(v)}
                           for k, v in accreditations.items()],
    }
    if state is not CentreState.ACTIVE:
        entry["state"] = state.value
    return entry


def payload_of(doc: dict[str, Any]) -> str:
    """The JWS payload (base64url) a trust list document is signed as."""
    return b64u_encode(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode())


def signature_over(payload: str, key: PrivateKey) -> dict[str, str]:
    """One root key's signature over a trust list payload (JWS JSON, RFC 7515 7.2.1)."""
    header = {"alg": jws.SIGNING_ALGORITHM, "kid": key.kid, "typ": TRUST_LIST_TYP}
    protected = b64u_encode(json.dumps(header, separators=(",", ":")).encode())
    signature = key.sign(f"{protected}.{payload}".encode("ascii"))
    return {"protected": protected, "signature": b64u_encode(signature)}


def sign_trust_list(doc: dict[str, Any], root_keys: Sequence[PrivateKey]) -> dict[str, Any]:
    """JWS JSON General Serialization (RFC 7515 section 7.2.1): one signature per root key."""
    payload = payload_of(doc)
    return {"payload": payload, "signatures": [signature_over(payload, k) for k in root_keys]}


def decode_signed(signed: object) -> tuple[dict[str, Any], dict[str, jws.ParsedJWS]]:
    """A signed trust list's document and its signatures keyed by kid (none checked yet)."""
    if not isinstance(signed, dict) or not isinstance(signed.get("signatures"), list):
        raise TrustError("trust list: not a JWS JSON document")
    payload = signed.get("payload")
    by_kid: dict[str, jws.ParsedJWS] = {}
    for entry in signed["signatures"]:
        try:
            token = jws.parse(f"{entry['protected']}.{payload}.{entry['signature']}",
                              limit=MAX_TRUST_LIST_CHARS)
        except (CredentialError, KeyError, TypeError) as exc:
            raise TrustError(f"trust list: malformed signature ({exc})") from None
        if token.header.get("typ") != TRUST_LIST_TYP or token.kid is None:
            raise TrustError("trust list: signature header lacks typ or kid")
        if token.kid in by_kid:
            raise TrustError(f"trust list: key {token.kid} signed twice")
        by_kid[token.kid] = token
    try:
        data = b64u_decode(str(payload))
    except ValueError:
        raise TrustError("trust list: payload is not base64url") from None
    try:
        doc = jsonread.loads(data, TRUST_LIST_LIMITS)
    except jsonread.JSONRejected as exc:
        raise TrustError(f"trust list: payload: {exc}") from None
    if not isinstance(doc, dict):
        raise TrustError("trust list: payload is not a JSON object")
    return doc, by_kid


MAX_TRUST_LIST_CHARS = 16 * 1024 * 1024
# A trust list nests five levels (issuers, keys, jwk); it names no number longer than a
# version or a count of record entries.
TRUST_LIST_LIMITS = jsonread.Limits(max_bytes=MAX_TRUST_LIST_CHARS, max_depth=16)


class Anchor(NamedTuple):
    """What a verifier trusts after the newest trust list it has accepted: that list's version,
    its root and its payload's digest (TUF's trusted root). A later list must chain from this
    root whatever the pin says, so root keys retired by a rotation sign nothing more for it."""

    version: int
    root: RootSet
    digest: str  # SHA-256 of the signed payload: one version, one list

    @classmethod
    def of(cls, trust_list: TrustList) -> "Anchor":
        return cls(trust_list.version, trust_list.root, payload_digest(trust_list.signed))


def payload_digest(signed: dict[str, Any]) -> str:
    return sha256.hexdigest(str(signed.get("payload", "")).encode())


class TrustStore:
    """The trusted trust list, and the only way to replace it. No I/O.

    It starts from the pinned root, or from an `Anchor` (the newest list a verifier accepted
    before), and moves only forwards: each list signed by k keys of the root trusted so far.
    """

    def __init__(self, pinned: RootSet | Sequence[PublicKey], anchor: Anchor | None = None
                 ) -> None:
        self.pinned = RootSet.of(pinned)
        self.anchor = anchor
        self.current: TrustList | None = None

    @property
    def root(self) -> RootSet:
        if self.current is not None:
            return self.current.root
        return self.anchor.root if self.anchor is not None else self.pinned

    @property
    def version(self) -> int:
        """The version trusted so far; 0 before any list (the pin alone)."""
        if self.current is not None:
            return self.current.version
        return self.anchor.version if self.anchor is not None else 0

    def update(self, signed: dict[str, Any]) -> TrustList:
        """Accept a newer trust list or raise; on failure the current list stays.

        The anchor's own version is accepted again if it is the same list (a bundle with
        newer status lists); any other list of that version is refused.
        """
        doc, sigs = decode_signed(signed)
        trusted = self.root
        if not trusted.signed(sigs):
            raise TrustError(f"trust list: not signed by a trusted root: {trusted.threshold} "
                             f"of its keys must sign, {len(trusted.signers(sigs))} did")
        candidate = TrustList.from_document(doc, signed)
        anchor = self.anchor if self.current is None else None
        if anchor is not None and candidate.version == anchor.version:
            if payload_digest(signed) != anchor.digest:
                raise TrustError(f"trust list version {candidate.version} is held already, "
                                 "with other content: the authority publishes each version "
                                 "once")
        elif candidate.version <= self.version:
            raise RollbackError("trust list", candidate.version, self.version)
        if candidate.root.identity != trusted.identity:
            if self.version and candidate.version != self.version + 1:
                raise TrustError("trust list: a root rotation must be exactly version + 1")
            if not candidate.root.signed(sigs):
                raise TrustError(f"trust list: a root rotation must be signed by the new root "
                                 f"too: {candidate.root.threshold} of its keys")
        self.current = candidate
        return candidate

    def follow(self, history: Iterable[dict[str, Any]]) -> None:
        """Walk root rotations through a bundle's `rootHistory`, from what is trusted so far.

        The history holds each rotation list and the list just before it (so every rotation
        is checked as exactly version + 1 of a list the walk holds). Lists no newer than the
        one trusted are passed over. From the pin alone the walk starts at the first list
        naming the pinned root (a verifier pinned after a rotation); every list after it must
        then chain, so an entry signed by a root the walk has left is refused, not skipped to.
        """
        chain: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
        for signed in history:
            doc, _ = decode_signed(signed)
            version = doc.get("version")
            if not isinstance(version, int) or isinstance(version, bool):
                raise TrustError("trust list: a root history entry has no version number")
            chain.append((version, doc, signed))
        chain.sort(key=lambda entry: entry[0])
        if len({version for version, _, _ in chain}) != len(chain):
            raise TrustError("trust list: the root history holds a version twice")
        if self.current is None and self.anchor is None:
            named = [n for n, (_, doc, _) in enumerate(chain)
                     if _root_identity(doc) == self.pinned.identity]
            chain = chain[named[0]:] if named else chain
        for version, _, signed in chain:
            if version <= self.version:
                continue
            self.update(signed)


def _root_identity(doc: dict[str, Any]) -> tuple[frozenset[str], int] | None:
    """The root a (not yet trusted) list names, or None if it names none that parses."""
    keys, threshold = doc.get("rootKeys"), doc.get("threshold", 1)
    if not isinstance(keys, list) or not isinstance(threshold, int):
        return None
    try:
        return RootSet(tuple(PublicKey.from_jwk(k) for k in keys[:MAX_ROOT_KEYS]),
                       threshold).identity
    except (TrustError, CredentialError, TypeError, ValueError):
        return None
