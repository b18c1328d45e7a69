"""The trust bundle an offline verifier carries, checked as a whole when it is loaded.

A bundle holds the signed trust list (and the root rotations leading to it from an older
pin), the centres' signed status lists (each checked against its centre's keys), the
issuance records of retired or compromised keys (each matching the digest the trust list
gives it), and, from the authority's national bundle, how current each centre's status
lists are. A centre's bundle is the same document with its own lists only.
"""

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from passport import centreid, jsonread, jws, schema, sha256
from passport.credential import format_time, parse_time
from passport.errors import CredentialError, InputTooLarge, TrustError
from passport.keys import PublicKey
from passport.status import StatusList, parse_status_list
from passport.trust import Anchor, RootSet, TrustList, TrustStore

if TYPE_CHECKING:
    from passport.records import IssuanceRecord

MAX_BUNDLE_BYTES = 256 * 1024 * 1024
# A bundle nests its trust lists two levels down; signed documents inside are strings.
BUNDLE_LIMITS = jsonread.Limits(max_bytes=MAX_BUNDLE_BYTES, max_depth=16)


class CentreFreshness(NamedTuple):
    """How current a centre's status lists in this bundle are (from the national bundle)."""

    status_as_of: datetime | None  # None: the authority has none of its lists
    problem: str = ""


class _BundleFields(NamedTuple):
    trust_list: TrustList
    status_lists: dict[str, StatusList]
    synced_at: datetime
    records: dict[tuple[str, str], "IssuanceRecord"]
    centres: dict[str, CentreFreshness]
    root_history: tuple[dict[str, Any], ...]


class TrustBundle(_BundleFields):
    """What a verifier trusts: the national trust list, the status lists, issuance records.
    (Immutable: a NamedTuple; a cheap class at every start.)"""

    __slots__ = ()

    def __new__(cls, trust_list: TrustList, status_lists: dict[str, StatusList],
                synced_at: datetime,
                records: "dict[tuple[str, str], IssuanceRecord] | None" = None,
                centres: dict[str, CentreFreshness] | None = None,
                root_history: tuple[dict[str, Any], ...] = ()) -> "TrustBundle":
        return super().__new__(cls, trust_list, status_lists, synced_at,
                               {} if records is None else records,
                               {} if centres is None else centres, root_history)

    @classmethod
    def from_json(cls, data: bytes, *, roots: RootSet | Sequence[PublicKey],
                  anchor: Anchor | None = None) -> "TrustBundle":
        """Parse and check a bundle: root signatures, version order, status lists, records.

        `anchor` is what the verifier trusts already (`verifier.memory`): the bundle's list
        must chain from it, and may not be older (`RollbackError`).
        """
        if len(data) > MAX_BUNDLE_BYTES:
            raise InputTooLarge("trust bundle", len(data), MAX_BUNDLE_BYTES)
        try:
            doc = jsonread.loads(data, BUNDLE_LIMITS)
        except jsonread.JSONRejected as exc:
            raise TrustError(f"trust bundle: {exc}") from None
        schema.check("trust-bundle", doc, what="trust bundle")
        store = TrustStore(roots, anchor)
        history = tuple(doc.get("rootHistory", ()))
        store.follow(history)
        if store.current is not None and store.current.signed == doc["trustList"]:
            trust_list = store.current  # the bundle's list is the last rotation itself
        else:
            trust_list = store.update(doc["trustList"])
        lists: dict[str, StatusList] = {}
        for compact in doc["statusLists"]:
            status = checked_status_list(trust_list, compact)
            if status.url in lists:
                raise TrustError(f"trust bundle: status list {status.url} is there twice")
            lists[status.url] = status
        # A record counts by its digest in the root-signed list, which makes it the record the
        # authority read and checked; it is read here only when a credential under its key is
        # judged (records of 500,000 entries cost seconds to read, on every verification).
        named = {key.record.sha256: (issuer.id, key.key.kid, key.record.entries)
                 for issuer in trust_list.issuers.values() for key in issuer.keys if key.record}
        records: dict[tuple[str, str], IssuanceRecord] = {}
        if doc.get("issuanceRecords"):
            # Only a national bundle carries records: a centre's own never loads their code.
            from passport.records import IssuanceRecord as Record
        for compact in doc.get("issuanceRecords", ()):
            digest = sha256.hexdigest(compact.encode("ascii"))
            if digest not in named:
                raise TrustError(f"trust bundle: issuance record {digest[:16]}… is not the one "
                                 "the trust list names for any key")
            issuer_id, kid, count = named[digest]
            records[(issuer_id, kid)] = Record.named(compact, issuer=issuer_id, kid=kid,
                                                     count=count, sha256=digest)
        centres = {c["id"]: CentreFreshness(parse_time(c["statusAsOf"]) if c["statusAsOf"]
                                            else None, c.get("problem", ""))
                   for c in doc.get("centres", ())}
        return cls(trust_list, lists, parse_time(doc["syncedAt"]), records, centres, history)

    def to_json(self) -> bytes:
        return json.dumps(bundle_document(
            self.trust_list.signed, [s.jws for s in self.status_lists.values()], self.synced_at,
            root_history=self.root_history, records=[r.jws for r in self.records.values()],
            centres=self.centres), indent=1).encode()


def checked_status_list(trust_list: TrustList, compact: str) -> StatusList:
    """A status list as a bundle may carry it, or `TrustError` naming why not.

    Signed by a key its issuer's entry names, that key able to vouch for a list of that date,
    and inside its issuer's URL space and no deeper centre's. A list signed by a retired key lasts no longer than the
    key's window: a retired key may leak, and its holder could otherwise sign a list dated
    inside the window, with bits cleared, valid for years.
    """
    try:
        status, token = parse_status_list(compact)
    except CredentialError as exc:
        raise TrustError(f"trust bundle: bad status list ({exc})") from None
    issuer = trust_list.issuers.get(status.issuer)
    entry = issuer.key(token.kid) if issuer else None
    if entry is None or not jws.signature_valid(token, entry.key):
        raise TrustError(f"trust bundle: status list {status.url} is not signed by "
                         "a key of its issuer in the trust list")
    if not entry.vouches_for_status(status.valid_from):
        raise TrustError(f"trust bundle: status list {status.url} is signed by key "
                         f"{entry.key.kid}, which could not sign on "
                         f"{status.valid_from.date().isoformat()}")
    # In its own issuer's URL space and no deeper centre's.
    outside = centreid.outside(status.url, status.issuer, trust_list.issuers)
    if outside is not None:
        raise TrustError(f"trust bundle: status list {status.url} {outside}")
    if entry.valid_until is not None and status.valid_until > entry.valid_until:
        status = status._replace(valid_until=entry.valid_until)
    return status


def bundle_document(signed_trust_list: dict[str, Any], status_jws: Sequence[str],
                    synced_at: datetime, *, root_history: Sequence[dict[str, Any]] = (),
                    records: Sequence[str] = (),
                    centres: dict[str, CentreFreshness] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"type": "SkillsPassportTrustBundle", "trustList": signed_trust_list}
    if root_history:
        doc["rootHistory"] = list(root_history)
    doc["statusLists"] = list(status_jws)
    if records:
        doc["issuanceRecords"] = list(records)
    if centres:
        doc["centres"] = [
            {"id": cid, "statusAsOf": format_time(c.status_as_of) if c.status_as_of else None,
             **({"problem": c.problem} if c.problem else {})} for cid, c in centres.items()]
    doc["syncedAt"] = format_time(synced_at)
    return doc
