"""The shared verifier cases: the Python verifier gives exactly the recorded verdicts and codes.

The same file drives the browser verifier's test (tests/web), so both must agree.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from passport.bundle import TrustBundle
from passport.keys import PublicKey
from passport.verify import verify

CASES = json.loads((Path(__file__).parent / "vectors" / "verifier" / "cases.json").read_text())


def test_the_cases_cover_what_the_issue_lists() -> None:
    names = {c["name"] for c in CASES["cases"]}
    assert names == {"valid", "revoked", "expired", "unknown-issuer", "tampered", "wrong-key",
                     "not-accredited", "stale-status"}
    verdicts = {c["name"]: c["verdict"] for c in CASES["cases"]}
    assert verdicts["valid"] == "valid" and verdicts["stale-status"] == "warning"
    assert all(v == "invalid" for n, v in verdicts.items() if n not in ("valid", "stale-status"))


@pytest.mark.parametrize("case", CASES["cases"], ids=[c["name"] for c in CASES["cases"]])
def test_python_verifier_matches(case: dict[str, object]) -> None:
    roots = tuple(PublicKey.from_jwk(k) for k in CASES["rootKeys"])
    bundle = TrustBundle.from_json(json.dumps(CASES["bundle"]).encode(), roots=roots)
    result = verify(str(case["qr"]), at=datetime.fromisoformat(str(case["at"])), trust=bundle)
    assert result.verdict.value == case["verdict"]
    assert {c.check.value: [c.outcome.value, c.code.value] for c in result.checks} == case["checks"]
