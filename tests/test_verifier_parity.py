"""The shared verifier cases: the Python verifier gives exactly the recorded verdicts and codes.

The same file drives the browser verifier's test (tests/web), so both must agree.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from passport import qr
from passport.b64 import b64u_decode
from passport.bundle import TrustBundle
from passport.keys import PublicKey
from passport.verify import verify

CASES = json.loads((Path(__file__).parent / "vectors" / "verifier" / "cases.json").read_text())
ROOTS = tuple(PublicKey.from_jwk(k) for k in CASES["rootKeys"])


def test_the_cases_cover_what_the_issue_lists() -> None:
    names = {c["name"] for c in CASES["cases"]}
    assert names == {"valid", "revoked", "expired", "unknown-issuer", "tampered", "wrong-key",
                     "not-accredited", "stale-status", "valid-on-list-3", "revoked-on-list-2"}
    verdicts = {c["name"]: c["verdict"] for c in CASES["cases"]}
    passing = {"valid": "valid", "valid-on-list-3": "valid", "stale-status": "warning"}
    assert all(v == passing.get(n, "invalid") for n, v in verdicts.items())
    # The later-list cases test something only while their entries name lists 3 and 2 and the
    # bundle carries lists 1..3 of both purposes.
    assert _lists_named("valid-on-list-3") == {"revocation/3", "suspension/3"}
    assert _lists_named("revoked-on-list-2") == {"revocation/2", "suspension/2"}
    bundle = TrustBundle.from_json(json.dumps(CASES["bundle"]).encode(), roots=ROOTS)
    assert {u.rsplit("/status/", 1)[1] for u in bundle.status_lists} == {
        f"{p}/{n}" for p in ("revocation", "suspension") for n in (1, 2, 3)}


def _lists_named(case_name: str) -> set[str]:
    """The "purpose/number" of each status list a case's credential names."""
    text = next(str(c["qr"]) for c in CASES["cases"] if c["name"] == case_name)
    claims = json.loads(b64u_decode(qr.decode(text).split(".")[1]))
    return {e["statusListCredential"].rsplit("/status/", 1)[1] for e in claims["credentialStatus"]}


@pytest.mark.parametrize("case", CASES["cases"], ids=[c["name"] for c in CASES["cases"]])
def test_python_verifier_matches(case: dict[str, object]) -> None:
    bundle = TrustBundle.from_json(json.dumps(CASES["bundle"]).encode(), roots=ROOTS)
    result = verify(str(case["qr"]), at=datetime.fromisoformat(str(case["at"])), trust=bundle)
    assert result.verdict.value == case["verdict"]
    assert {c.check.value: [c.outcome.value, c.code.value] for c in result.checks} == case["checks"]
