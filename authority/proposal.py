"""A proposed trust list and the officials' signatures collected for it, as one file.

The file is what a ministry passes between officials: the exact payload to sign, which root
sets must sign it (the current root; for a root rotation the new root too, as TUF), and the
signatures so far. It may travel to an official's laptop and back, so whatever it says is
checked again on reading: every signature must verify over the payload with a key of a
needed root. At home the needed roots are taken from the home, never from the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from passport import jsonread
from passport.b64 import b64u_decode
from passport.errors import CredentialError, DocumentError, TrustError, UsageError
from passport.keys import PrivateKey
from passport.trust import (
    TRUST_LIST_LIMITS,
    RootSet,
    TrustList,
    decode_signed,
    payload_of,
    signature_over,
)

PROPOSAL_TYPE = "SkillsPassportTrustListProposal"
MAX_PROPOSAL_BYTES = 20 * 1024 * 1024  # a trust list of 2,000 centres and its signatures
PROPOSAL_LIMITS = jsonread.Limits(max_bytes=MAX_PROPOSAL_BYTES, max_depth=16)


@dataclass(frozen=True)
class Need:
    """A root set that must sign: `threshold` of its keys."""

    role: str  # "current root" or "new root"
    root: RootSet

    def to_json(self) -> dict[str, Any]:
        return {"role": self.role, **self.root.to_json()}


def needs_for(previous: RootSet, new: RootSet) -> tuple[Need, ...]:
    """k of the root that signed the last list; for a rotation, k of the new root as well."""
    if previous.identity == new.identity:
        return (Need("current root", previous),)
    return Need("current root", previous), Need("new root", new)


@dataclass(frozen=True)
class Proposal:
    version: int
    payload: str
    needs: tuple[Need, ...]
    signatures: tuple[dict[str, str], ...]  # each verified, by a needed key, one per key
    # Officials' names by key id, for people reading messages on a machine with no home;
    # never used to decide anything.
    names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, doc: dict[str, Any], needs: tuple[Need, ...],
              names: dict[str, str]) -> Proposal:
        kids = {k.kid for need in needs for k in need.root.keys}
        return cls(int(doc["version"]), payload_of(doc), needs, (),
                   {kid: name for kid, name in names.items() if kid in kids})

    @property
    def document(self) -> dict[str, Any]:
        # Checked as a trust list when the proposal was read or built.
        doc: dict[str, Any] = jsonread.loads(b64u_decode(self.payload), TRUST_LIST_LIMITS)
        return doc

    def signers(self) -> set[str]:
        return set(decode_signed(self.signed_list())[1]) if self.signatures else set()

    def missing(self) -> list[tuple[Need, int]]:
        """Each needed root still short of its threshold, and by how many signatures."""
        signed = self.signers()
        short = [(need, need.root.threshold - len(signed & {k.kid for k in need.root.keys}))
                 for need in self.needs]
        return [(need, n) for need, n in short if n > 0]

    @property
    def complete(self) -> bool:
        return not self.missing()

    def needed_kids(self) -> set[str]:
        return {k.kid for need in self.needs for k in need.root.keys}

    def sign(self, key: PrivateKey, name: str) -> Proposal:
        if key.kid not in self.needed_kids():
            raise UsageError(f"{name}'s key {key.kid} is not a key of an official who signs "
                             f"trust list v{self.version} (needed: {self.describe_needs()})")
        if key.kid in self.signers():
            raise UsageError(f"{name} (key {key.kid}) has already signed trust list "
                             f"v{self.version}")
        return replace(self, signatures=(*self.signatures, signature_over(self.payload, key)))

    def merge(self, other: Proposal, source: str) -> Proposal:
        """This proposal with the signatures of `other` (the same list) added."""
        if other.payload != self.payload:
            raise DocumentError(source, [("payload", f"is not the pending proposal for "
                                                     f"v{self.version}: it was built from "
                                                     "another draft or at another time")])
        mine = self.signers()
        extra = [s for s, kid in zip(other.signatures, _kids(other), strict=True)
                 if kid not in mine]
        return replace(self, signatures=(*self.signatures, *extra))

    def signed_list(self) -> dict[str, Any]:
        """The trust list as published: JWS JSON with every signature collected."""
        return {"payload": self.payload, "signatures": list(self.signatures)}

    def describe_needs(self, names: dict[str, str] | None = None) -> str:
        names = {**self.names, **(names or {})}
        return "; ".join(f"{need.root.threshold} of the {need.role} ("
                         f"{', '.join(names.get(k.kid, k.kid) for k in need.root.keys)})"
                         for need in self.needs)

    def describe_missing(self, names: dict[str, str] | None = None) -> str:
        names = {**self.names, **(names or {})}
        signed = self.signers()
        return "; ".join(
            f"{n} more of the {need.role} ("
            f"{', '.join(names.get(k.kid, k.kid) for k in need.root.keys if k.kid not in signed)})"
            for need, n in self.missing())

    def to_json(self) -> dict[str, Any]:
        return {"type": PROPOSAL_TYPE, "version": self.version,
                "needs": [n.to_json() for n in self.needs], "officials": self.names,
                "payload": self.payload, "signatures": list(self.signatures)}

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_json(), indent=1).encode()

    @classmethod
    def from_bytes(cls, data: bytes, source: str) -> Proposal:
        """Read a proposal file; every signature in it must verify with a needed key."""
        try:
            doc = jsonread.loads(data, PROPOSAL_LIMITS)
        except jsonread.JSONRejected as exc:
            raise DocumentError(source, [("file", f"{exc}")]) from None
        if not isinstance(doc, dict) or doc.get("type") != PROPOSAL_TYPE:
            raise DocumentError(source, [("type", f"not a trust list proposal (expected type "
                                                  f"{PROPOSAL_TYPE})")])
        version, payload = doc.get("version"), doc.get("payload")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise DocumentError(source, [("version", "must be a whole number from 1")])
        if not isinstance(payload, str):
            raise DocumentError(source, [("payload", "must be the base64url trust list")])
        try:
            list_doc, _ = decode_signed({"payload": payload, "signatures": []})
            TrustList.from_document(list_doc, {})
        except (TrustError, CredentialError, ValueError) as exc:
            raise DocumentError(source, [("payload", f"not a trust list ({exc})")]) from None
        if list_doc.get("version") != version:
            raise DocumentError(source, [("version", f"is {version} but the payload is "
                                                     f"version {list_doc.get('version')}")])
        needs = _needs(doc.get("needs"), source)
        raw = doc.get("signatures")
        if not isinstance(raw, list):
            raise DocumentError(source, [("signatures", "must be a list")])
        names = doc.get("officials", {})
        if not isinstance(names, dict) or not all(isinstance(v, str) for v in names.values()):
            raise DocumentError(source, [("officials", "must map key ids to officials' names")])
        proposal = cls(version, payload, needs, (), {str(k): v for k, v in names.items()})
        for n, entry in enumerate(raw):
            proposal = proposal._with_checked(entry, f"signatures[{n}]", source)
        return proposal

    def _with_checked(self, entry: object, where: str, source: str) -> Proposal:
        if not isinstance(entry, dict) or set(entry) != {"protected", "signature"} \
                or not all(isinstance(v, str) for v in entry.values()):
            raise DocumentError(source, [(where, "must be {protected, signature}")])
        try:
            _, by_kid = decode_signed({"payload": self.payload, "signatures": [entry]})
        except TrustError as exc:
            raise DocumentError(source, [(where, str(exc))]) from None
        [(kid, token)] = by_kid.items()
        roots = [need.root for need in self.needs]
        if kid not in self.needed_kids():
            raise DocumentError(source, [(where, f"by key {kid}, which is not a key of an "
                                                 "official who signs this list")])
        if not any(kid in root.signers({kid: token}) for root in roots):
            raise DocumentError(source, [(where, f"the signature of key {kid} does not verify "
                                                 "over this payload")])
        if kid in self.signers():
            raise DocumentError(source, [(where, f"key {kid} has signed twice")])
        return replace(self, signatures=(*self.signatures, {k: str(v) for k, v in entry.items()}))


def _kids(proposal: Proposal) -> list[str]:
    return [next(iter(decode_signed({"payload": proposal.payload, "signatures": [s]})[1]))
            for s in proposal.signatures]


def _needs(raw: object, source: str) -> tuple[Need, ...]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= 2:
        raise DocumentError(source, [("needs", "must list the one or two roots that sign")])
    needs = []
    for n, entry in enumerate(raw):
        if not isinstance(entry, dict) or entry.get("role") not in ("current root", "new root"):
            raise DocumentError(source, [(f"needs[{n}].role", "must be 'current root' or "
                                                              "'new root'")])
        try:
            needs.append(Need(str(entry["role"]), RootSet.from_json(entry)))
        except TrustError as exc:
            raise DocumentError(source, [(f"needs[{n}]", str(exc))]) from None
    return tuple(needs)
