"""Shared fixtures: fixed keys and times make every vector reproducible."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from passport.bundle import TrustBundle, bundle_document
from passport.credential import (
    AchievementType,
    HolderInput,
    Kind,
    StatusEntry,
    StatusPurpose,
    achievement_claims,
    alignments,
    build_claims,
)
from passport.keys import PrivateKey
from passport.signing import issue
from passport.status import Bitstring, sign_status_list, status_list_claims
from passport.trust import issuer_entry, sign_trust_list, trust_list_document

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
ISSUED_AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CHECK_AT = datetime(2026, 11, 4, 12, 0, tzinfo=UTC)
ISSUER_ID = "https://ntti.test.skillpass.kh"


def fixed_key(label: str) -> PrivateKey:
    return PrivateKey(hashlib.sha256(f"skills-passport test key: {label}".encode()).digest())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # "No tests ran" is a broken suite, never a pass.
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def rpl_achievement(units: int = 6, *, full: bool = True, isco: str = "7112") -> dict[str, Any]:
    return achievement_claims(
        achievement_id="urn:skillpass:rubric:masonry-c1:1:AbCdEfGhIjKlMnOp",
        achievement_type=AchievementType.CERTIFICATE if full
        else AchievementType.STATEMENT_OF_ATTAINMENT,
        name="Masonry: bricklaying and blocklaying", name_km="ជាងសំណង់ឥដ្ឋ និងប្លុក",
        description="Skills recognised by Recognition of Prior Learning (RPL) assessment",
        criteria="Assessed against the rubric's units of competency",
        alignment=alignments(isco, "Bricklayers and related workers", "C1", "CQF level 1"),
    )


@dataclass
class World:
    """A national root, one accredited issuer, its status lists and a bundle, all fixed."""

    root: PrivateKey = field(default_factory=lambda: fixed_key("root"))
    issuer_key: PrivateKey = field(default_factory=lambda: fixed_key("issuer"))
    revoked: set[int] = field(default_factory=set)
    suspended: set[int] = field(default_factory=set)
    key_window: tuple[datetime, datetime | None] = (ISSUED_AT - timedelta(days=30), None)
    accreditations: dict[Kind, list[str]] = field(
        default_factory=lambda: {Kind.RPL: ["7112"], Kind.TVET: ["*"]})
    version: int = 1
    status_from: datetime = ISSUED_AT
    next_index: int = 7

    def status_url(self, purpose: StatusPurpose) -> str:
        return f"{ISSUER_ID}/status/{purpose.value}/1"

    def signed_trust_list(self) -> dict[str, Any]:
        doc = trust_list_document(
            version=self.version, issued=ISSUED_AT - timedelta(days=60),
            expires=ISSUED_AT + timedelta(days=365), root_keys=[self.root.public],
            issuers=[issuer_entry(issuer_id=ISSUER_ID, name="Test Institute",
                                  name_km="វិទ្យាស្ថានសាកល្បង",
                                  keys=[(self.issuer_key.public, *self.key_window)],
                                  accreditations=self.accreditations)])
        return sign_trust_list(doc, [self.root])

    def bundle_bytes(self) -> bytes:
        import json

        lists = []
        for purpose, marked in ((StatusPurpose.REVOCATION, self.revoked),
                                (StatusPurpose.SUSPENSION, self.suspended)):
            bits = Bitstring()
            for i in marked:
                bits.set(i)
            lists.append(sign_status_list(status_list_claims(
                url=self.status_url(purpose), issuer=ISSUER_ID, purpose=purpose,
                bitstring=bits, valid_from=self.status_from, valid_for=timedelta(days=7)),
                self.issuer_key))
        return json.dumps(bundle_document(self.signed_trust_list(), lists, CHECK_AT)).encode()

    def bundle(self) -> TrustBundle:
        return TrustBundle.from_json(self.bundle_bytes(), roots=(self.root.public,))

    def claims(self, **overrides: Any) -> dict[str, Any]:
        index = overrides.pop("index", self.next_index)
        args: dict[str, Any] = dict(
            issuer=ISSUER_ID,
            holder=HolderInput("Sok Dara", "សុខ ដារា", 1988, "010234567"),
            achievement=rpl_achievement(),
            valid_from=ISSUED_AT,
            status=[StatusEntry(p, self.status_url(p), index) for p in StatusPurpose],
            results=["MAS-01", "MAS-02", "MAS-03", "MAS-04", "MAS-05", "MAS-06"],
            credential_id="urn:skillpass:cred:0123456789AB",
        )
        args.update(overrides)
        return build_claims(**args)

    def issue(self, key: PrivateKey | None = None, **overrides: Any) -> str:
        return issue(self.claims(**overrides), key or self.issuer_key)[1]


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    from passport.cli import main

    def run(*argv: str) -> tuple[int, str, str]:
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err
    return run
