"""The JWT attack catalogue (tests/attacks.py) against the Python verifier.

Each row is built afresh from the parity world's genuine credential and judged; the shared
parity cases carry the same rows, so the phone page (tests/web) must answer them alike.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from passport import qr
from passport.bundle import TrustBundle
from passport.trust import RootSet
from passport.verify import Check, verify
from tests.attacks import ATTACKS, Attack, Forge
from tests.vectors.make_verifier_cases import KEYS
from tests.world import derived_key

CASES = json.loads((Path(__file__).parent / "vectors" / "verifier" / "cases.json").read_text())
VALID = next(c for c in CASES["cases"] if c["name"] == "valid")
AT = datetime.fromisoformat(VALID["at"])


@pytest.fixture(scope="module")
def bundle() -> TrustBundle:
    return TrustBundle.from_json(json.dumps(CASES["bundle"]).encode(),
                                 roots=RootSet.from_json({"rootKeys": CASES["rootKeys"]}))


@pytest.fixture(scope="module")
def forge() -> Forge:
    return Forge(qr.decode(VALID["qr"]), derived_key(KEYS, "issuer"), derived_key(KEYS, "stranger"),
                 CASES["rootKeys"][0]["kid"])


def test_the_forge_starts_from_the_genuine_credential(forge: Forge, bundle: TrustBundle) -> None:
    assert verify(forge.genuine, at=AT, trust=bundle).valid
    assert forge.issuer.kid == forge.header["kid"] != forge.stranger.kid


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_the_python_verifier_answers_each_attack(attack: Attack, forge: Forge,
                                                 bundle: TrustBundle) -> None:
    text = attack.build(forge)
    assert text not in (forge.genuine, qr.encode(forge.genuine)), "the row changes nothing"
    result = verify(text, at=AT, trust=bundle)
    assert result.verdict.value == attack.verdict
    assert result.check(Check(attack.check)).code.value == attack.code
    if attack.verdict == "invalid":  # refused where the row says, not later by chance
        assert [c.check.value for c in result.failures()] == [attack.check]


def test_the_catalogue_covers_the_issue() -> None:
    names = {a.name for a in ATTACKS}
    for family in ("alg-none", "alg-None", "alg-NONE", "alg-empty", "alg-hs256-keyed-with-public-key",
                   "alg-rs256", "alg-es256", "embedded-jwk", "jku", "x5u", "x5c", "kid-path",
                   "kid-sql", "kid-another-key-in-the-bundle", "crit-unknown", "crit-empty",
                   "b64-false", "header-alg-twice-last-none", "header-nested-1000",
                   "payload-nested-1000", "payload-number-5000-digits", "header-invalid-utf8",
                   "payload-invalid-utf8", "signature-trailing-bits", "signature-s-plus-l",
                   "qr-cut-1", "jws-signature-cut", "qr-deflate-bomb", "typ-jwt", "cty-null",
                   "qr-version-leading-zero", "qr-last-char-variant", "qr-base45-out-of-range"):
        assert family in names, family
    assert len(names) == len(ATTACKS)


def _parity(name: str) -> dict[str, Any]:
    return next(c for c in CASES["cases"] if c["name"] == f"attack-{name}")


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_the_parity_cases_carry_each_attack(attack: Attack, forge: Forge) -> None:
    """The phone page is given exactly these texts (tests/web) and must answer alike."""
    case = _parity(attack.name)
    assert case["qr"] == attack.build(forge)
    assert case["verdict"] == attack.verdict and case["checks"][attack.check][1] == attack.code
