"""One builder for a test world: a national root, one accredited centre, the centre's numbered
status lists, and the trust bundle that carries them, all from fixed keys and times.

The test suite (tests/conftest.py), the frozen vectors (tests/vectors/make_vectors.py), the
verifier parity cases (tests/vectors/make_verifier_cases.py) and the benchmarks
(bench/bench_core.py) each describe their world with it; only the parameters differ. The
defaults are those of the released vectors: the National Technical Training Institute,
accredited for everything, issuing a typical masonry certificate on 2 November 2026.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from passport.bundle import CentreFreshness, TrustBundle, bundle_document
from passport.credential import HolderInput, Kind, StatusEntry, StatusPurpose, build_claims
from passport.keys import PrivateKey
from passport.signing import sign_claims
from passport.status import Bitstring, sign_status_list, status_list_claims
from passport.trust import (
    CentreState,
    RootSet,
    issuer_entry,
    key_entry,
    sign_trust_list,
    trust_list_document,
)
from rpl_rubrics import catalogue
from rpl_rubrics.credentials import achievement_claims_for

ISSUED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NTTI = "https://ntti.edu.kh"
SOK_DARA = HolderInput("Sok Dara", "សុខ ដារា", 1988, "010234567")

# Status marks: list number -> the indexes whose bit is set on that list.
Marks = dict[int, set[int]]


def derived_key(prefix: str, label: str) -> PrivateKey:
    """A fixed Ed25519 key: the same prefix and label give the same key on every machine."""
    return PrivateKey(hashlib.sha256(f"{prefix}: {label}".encode()).digest())


def typical_certificate() -> tuple[dict[str, Any], list[str]]:
    """The achievement and unit results of a typical card: a full masonry RPL certificate."""
    # Version 1: the committed verifier cases and sizes were made with it.
    rubric = catalogue.get("masonry-c1", 1)
    return achievement_claims_for(rubric, full=True), [u.code for u in rubric.units]


@dataclass(kw_only=True)
class World:
    """Everything a verifier needs to judge the credentials this world issues.

    Fields are plain attributes so a test can change one (a key window, a revoked index, the
    trust list version) and rebuild the bundle. `root` and `issuer_key` are derived from
    `key_prefix`; `key(label)` derives any further key (an attacker, a stranger).
    """

    key_prefix: str
    # The accredited centre, as the trust list names it.
    issuer_id: str = NTTI
    issuer_name: str = "National Technical Training Institute"
    issuer_name_km: str = "វិទ្យាស្ថានជាតិបណ្តុះបណ្តាលបច្ចេកទេស"
    accreditations: dict[Kind, list[str]] = field(
        default_factory=lambda: {Kind.RPL: ["*"], Kind.TVET: ["*"]})
    key_window: tuple[datetime, datetime | None] = (ISSUED - timedelta(days=30), None)
    # The centre's key entries as the trust list gives them (`passport.trust.key_entry`);
    # None: the one issuer key over `key_window`.
    issuer_keys: list[dict[str, Any]] | None = None
    status_key: PrivateKey | None = None  # signs the status lists; None: `issuer_key`
    centre_state: CentreState = CentreState.ACTIVE
    # Further centres of the trust list (`passport.trust.issuer_entry`), after this one.
    other_issuers: list[dict[str, Any]] = field(default_factory=list)
    # The trust list: signed by `signers` of the `officials` root keys (official 1's key is
    # `root`); `threshold` None leaves it out, as the released lists do (it then means 1).
    officials: int = 1
    threshold: int | None = None
    signers: list[int] | None = None
    version: int = 1
    trust_issued: datetime = ISSUED - timedelta(days=30)
    trust_expires: datetime = ISSUED + timedelta(days=3650)
    # Status lists are numbered per purpose, 1..lists; the bundle carries all of them.
    lists: int = 1
    revoked: Marks = field(default_factory=dict)
    suspended: Marks = field(default_factory=dict)
    status_from: datetime = ISSUED
    status_valid_for: timedelta = timedelta(days=7)
    synced_at: datetime = ISSUED
    # What a national bundle adds: root rotations, issuance records, centres' freshness.
    root_history: list[dict[str, Any]] = field(default_factory=list)
    records: list[str] = field(default_factory=list)
    centres: dict[str, CentreFreshness] = field(default_factory=dict)
    # The credential `claims()` builds unless told otherwise.
    issued_at: datetime = ISSUED
    holder: HolderInput = SOK_DARA
    achievement: dict[str, Any] = field(default_factory=lambda: typical_certificate()[0])
    results: list[str] | None = field(default_factory=lambda: typical_certificate()[1])
    credential_id: str = "urn:skillpass:cred:0123456789AB"
    index: int = 7

    root: PrivateKey = field(init=False)
    issuer_key: PrivateKey = field(init=False)

    def __post_init__(self) -> None:
        self.root = self.key("root")
        self.issuer_key = self.key("issuer")

    def official(self, n: int) -> PrivateKey:
        """Official n's root key; official 1's is `root`."""
        return self.root if n == 1 else self.key(f"root {n}")

    def root_set(self) -> RootSet:
        return RootSet(tuple(self.official(n).public for n in range(1, self.officials + 1)),
                       self.threshold or 1)

    def key(self, label: str) -> PrivateKey:
        return derived_key(self.key_prefix, label)

    def status_url(self, purpose: StatusPurpose, list_no: int = 1) -> str:
        return f"{self.issuer_id}/status/{purpose.value}/{list_no}"

    def status(self, index: int, list_no: int = 1) -> list[StatusEntry]:
        """A credential's entries: the same index on list `list_no` of each purpose."""
        return [StatusEntry(p, self.status_url(p, list_no), index) for p in StatusPurpose]

    def signed_trust_list(self) -> dict[str, Any]:
        doc = trust_list_document(
            version=self.version, issued=self.trust_issued, expires=self.trust_expires,
            root_keys=[self.official(n).public for n in range(1, self.officials + 1)],
            threshold=self.threshold,
            issuers=[issuer_entry(issuer_id=self.issuer_id, name=self.issuer_name,
                                  name_km=self.issuer_name_km,
                                  keys=self.issuer_keys or [key_entry(self.issuer_key.public,
                                                                       *self.key_window)],
                                  accreditations=self.accreditations, state=self.centre_state),
                     *self.other_issuers])
        signers = self.signers or list(range(1, (self.threshold or self.officials) + 1))
        return sign_trust_list(doc, [self.official(n) for n in signers])

    def signed_under(self, root: RootSet, signers: list[int],
                     version: int | None = None) -> dict[str, Any]:
        """The world's centre alone, with one key, on a list naming `root` as its root and
        signed by `signers` (a root rotation, or a list forged by old officials)."""
        doc = trust_list_document(
            version=self.version if version is None else version, issued=self.trust_issued,
            expires=self.trust_expires, root_keys=list(root.keys), threshold=root.threshold,
            issuers=[issuer_entry(issuer_id=self.issuer_id, name=self.issuer_name,
                                  name_km=self.issuer_name_km,
                                  keys=[key_entry(self.issuer_key.public, *self.key_window)],
                                  accreditations=self.accreditations)])
        return sign_trust_list(doc, [self.official(n) for n in signers])

    def status_lists(self) -> list[str]:
        """Every list that exists, signed: lists 1..lists of revocation, then of suspension."""
        marks = {StatusPurpose.REVOCATION: self.revoked, StatusPurpose.SUSPENSION: self.suspended}
        signed = []
        for purpose in StatusPurpose:
            # A mark on a list the bundle does not carry would silently test nothing.
            missing = sorted(n for n in marks[purpose] if not 1 <= n <= self.lists)
            if missing:
                raise ValueError(f"{purpose.value} marks on list {missing}: only lists "
                                 f"1..{self.lists} exist")
            for list_no in range(1, self.lists + 1):
                bits = Bitstring()
                for index in marks[purpose].get(list_no, set()):
                    bits.set(index)
                signed.append(sign_status_list(status_list_claims(
                    url=self.status_url(purpose, list_no), issuer=self.issuer_id, purpose=purpose,
                    bitstring=bits, valid_from=self.status_from, valid_for=self.status_valid_for),
                    self.status_key or self.issuer_key))
        return signed

    def bundle_document(self) -> dict[str, Any]:
        return bundle_document(self.signed_trust_list(), self.status_lists(), self.synced_at,
                               root_history=self.root_history, records=self.records,
                               centres=self.centres)

    def bundle_bytes(self) -> bytes:
        return json.dumps(self.bundle_document()).encode()

    def bundle(self) -> TrustBundle:
        return TrustBundle.from_json(self.bundle_bytes(), roots=self.root_set())

    def claims(self, *, index: int | None = None, list_no: int = 1,
               **overrides: Any) -> dict[str, Any]:
        """The world's credential on status list `list_no`; `overrides` go to `build_claims`."""
        args: dict[str, Any] = dict(
            issuer=self.issuer_id,
            holder=self.holder,
            # A copy: a test that edits its claims must not edit every later credential.
            achievement=copy.deepcopy(self.achievement),
            valid_from=self.issued_at,
            status=self.status(self.index if index is None else index, list_no),
            results=None if self.results is None else list(self.results),
            credential_id=self.credential_id,
        )
        args.update(overrides)
        return build_claims(**args)

    def issue(self, key: PrivateKey | None = None, **overrides: Any) -> str:
        """The compact JWS of `claims(**overrides)`, signed by `key` or the issuer's key."""
        return sign_claims(self.claims(**overrides), key or self.issuer_key)[1]


def rotated_root_bundles(world: World) -> dict[str, bytes]:
    """ROTATED: version 5 moves the root from officials 1-3 to 1, 2 and 4 (two of three
    each), with the rotation in its history. THIEF: version 6 signed by officials 1 and 3 of
    the OLD root, no history (their keys stolen, or kept). NEXT: version 6 under the new root,
    no history either: a verifier that followed the rotation chains it from what it holds."""
    world.officials, world.threshold, world.version = 3, 2, 4
    before = world.signed_trust_list()
    new_root = RootSet(tuple(world.official(n).public for n in (1, 2, 4)), 2)

    def signed(version: int, root: RootSet, signers: list[int]) -> dict[str, Any]:
        return world.signed_under(root, signers, version)

    def bundle(trust_list: dict[str, Any], history: list[dict[str, Any]]) -> bytes:
        return json.dumps({**world.bundle_document(), "trustList": trust_list,
                           "rootHistory": history}).encode()

    rotation = signed(5, new_root, [1, 2, 4])
    return {"rotated": bundle(rotation, [before, rotation]),
            "thief": bundle(signed(6, world.root_set(), [1, 3]), []),
            "next": bundle(signed(6, new_root, [2, 4]), [])}
