"""W3C VC-JOSE-COSE test suite cases (read from ../shared/conformance), via the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from passport import jws
from passport.b64 import b64u_decode
from passport.credential import check_vc_jose_claims, encode_claims
from passport.keys import PrivateKey, PublicKey
from tests.conftest import SHARED

SUITE = SHARED / "conformance" / "vc-jose-cose"
CASES = json.loads((SUITE / "cases.json").read_text())
VERIFY_CASES = [c for c in CASES if c["fn"] == "verify" and c["feature"] == "credential_jose"
                and c["key_file"] == "vm-ed25519.json"]


def test_the_required_cases_are_all_present() -> None:
    assert sorted(c["number"] for c in VERIFY_CASES) == [8, 9, 10, 12, 13, 15]


@pytest.mark.parametrize("case", VERIFY_CASES, ids=lambda c: str(c["number"]))
def test_verify_case(case: dict[str, str], tmp_path: Path,
                     cli: Callable[..., tuple[int, str, str]]) -> None:
    code, out, err = cli("verify", str(SUITE / "input" / case["input_file"]),
                         "--jwk", str(SUITE / "input" / case["key_file"]), "--json")
    assert "Traceback" not in out + err
    if case["expected_result"] == "success":
        assert code == 0, out + err
        assert json.loads(out)["verdict"] == "valid"
    else:
        assert code != 0, out
        if out:
            assert json.loads(out)["verdict"] == "invalid"


def test_case_1_issue_minimal_credential_with_ed25519(
        tmp_path: Path, cli: Callable[..., tuple[int, str, str]]) -> None:
    vm = json.loads((SUITE / "input" / "vm-ed25519.json").read_text())
    key = PrivateKey(b64u_decode(vm["secretKeyJwk"]["d"]))
    assert key.public == PublicKey.from_jwk(vm["publicKeyJwk"])
    claims = json.loads((SUITE / "input" / "credential-minimal.json").read_text())
    check_vc_jose_claims(claims)
    compact = jws.sign(encode_claims(claims), key, typ="vc+jwt", cty="vc")
    (tmp_path / "minimal.jwt").write_text(compact)
    code, out, _ = cli("verify", str(tmp_path / "minimal.jwt"), "--jwk",
                       str(SUITE / "input" / "vm-ed25519.json"), "--json")
    assert code == 0
    assert json.loads(out)["credential"] == claims
