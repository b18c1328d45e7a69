"""The shared verifier cases: the Python verifier gives exactly the recorded verdicts and codes.

The same file drives the browser verifier's test (tests/web), so both must agree.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from passport import base45, qr
from passport.b64 import b64u_decode
from passport.bundle import TrustBundle
from passport.errors import TrustError
from passport.trust import RootSet
from passport.verify import verify

CASES = json.loads((Path(__file__).parent / "vectors" / "verifier" / "cases.json").read_text())
SHARED = {"root": {"rootKeys": CASES["rootKeys"]}, "bundle": CASES["bundle"]}
JUDGED = [c for c in CASES["cases"] if "refused" not in c]
REFUSED = [c for c in CASES["cases"] if "refused" in c]


def trust_of(case: dict[str, Any]) -> dict[str, Any]:
    """The case's trust world: a pinned root file and a bundle (the shared one by default)."""
    return CASES["trusts"][case["trust"]] if "trust" in case else SHARED


def load(case: dict[str, Any]) -> TrustBundle:
    world = trust_of(case)
    return TrustBundle.from_json(json.dumps(world["bundle"]).encode(),
                                 roots=RootSet.from_json(world["root"]))


def test_the_cases_carry_both_codec_versions() -> None:
    # The page and the Python verifier read the same v1 and v2 texts (tests/web/ reads them
    # all on the page); v2's template form and its deflate form both occur.
    prefixes = {c["qr"][:4] for c in JUDGED}
    assert {"SP1:", "SP2:"} <= prefixes
    forms = {base45.decode(c["qr"][4:])[64] for c in JUDGED
             if c["qr"].startswith("SP2:") and c["verdict"] == "valid"
             and c["qr"] == c["qr"].strip()}
    assert forms == {qr.FORM_TEMPLATE, qr.FORM_DEFLATE}


def test_the_cases_cover_what_the_issue_lists() -> None:
    verdicts = {c["name"]: c.get("verdict", "refused") for c in CASES["cases"]
                if not c["name"].startswith(("attack-", "vc2-"))}
    # attack-...: tests/test_attacks.py; vc2-...: tests/test_vc2_rules.py
    assert verdicts == {
        "valid": "valid", "revoked": "invalid", "expired": "invalid",
        "unknown-issuer": "invalid", "tampered": "invalid", "wrong-key": "invalid",
        "not-accredited": "invalid", "stale-status": "warning", "valid-on-list-3": "valid",
        # Every kind in QR codec v2, and cards printed with v1, which are read forever.
        "statement-of-attainment": "valid", "training-record": "valid",
        "valid-v1": "valid", "revoked-v1": "invalid", "tampered-v1": "invalid",
        "training-record-v1": "valid",
        "revoked-on-list-2": "invalid",
        # National trust: k of n root signatures and root rotation.
        "threshold-two-of-three": "valid", "threshold-one-of-three-refused": "refused",
        "same-official-twice-refused": "refused", "threshold-lowered-by-two-refused": "refused",
        "root-rotation-followed": "valid", "root-history-forged-by-old-root-refused": "refused",
        # Centres and their keys.
        "suspended-centre": "warning",
        "retired-key-genuine": "valid", "retired-key-backdated": "invalid",
        "retired-key-no-record": "warning", "retired-key-record-not-carried": "invalid",
        "retired-key-status-list-ends-with-its-window": "warning",
        "status-list-twice-refused": "refused",
        "compromised-key-genuine": "valid", "compromised-key-thief": "invalid",
        "compromised-key-slot-reused": "invalid", "compromised-key-after-theft": "invalid",
        "status-unknown-as-of": "warning",
        # An expired trust list: a warning, never a silent pass; a suspension comes first.
        "trust-list-expired": "warning", "trust-list-expired-centre-suspended": "warning",
        # A date that does not exist is malformed, never rolled over into the next month.
        "date-valid-until-february-30": "invalid", "date-valid-from-hour-24": "invalid",
        "date-valid-until-month-13": "invalid",
        # Centre ids: one spelling per URL, none inside another's URL space; one list per URL.
        "centre-inside-another-refused": "refused", "centre-holding-another-refused": "refused",
        "centre-id-lookalike-port-refused": "refused",
        "centre-id-lookalike-slash-refused": "refused",
        "centre-id-lookalike-dot-segment-refused": "refused",
        "centre-id-lookalike-final-dot-refused": "refused",
    }
    key_codes = {c["name"]: c["checks"]["key_valid_at_issuance"][1] for c in JUDGED
                 if c["name"].startswith(("retired", "compromised"))}
    assert key_codes == {
        "retired-key-genuine": "ok", "retired-key-backdated": "not_in_issuance_record",
        "retired-key-no-record": "issuance_record_missing",
        "retired-key-record-not-carried": "issuance_record_missing",
        "retired-key-status-list-ends-with-its-window": "ok", "compromised-key-genuine": "ok",
        "compromised-key-thief": "key_compromised", "compromised-key-slot-reused": "key_compromised",
        "compromised-key-after-theft": "key_compromised"}
    # The later-list cases test something only while their entries name lists 3 and 2 and the
    # bundle carries lists 1..3 of both purposes.
    assert _lists_named("valid-on-list-3") == {"revocation/3", "suspension/3"}
    assert _lists_named("revoked-on-list-2") == {"revocation/2", "suspension/2"}
    bundle = load({})
    assert {u.rsplit("/status/", 1)[1] for u in bundle.status_lists} == {
        f"{p}/{n}" for p in ("revocation", "suspension") for n in (1, 2, 3)}


def test_the_national_worlds_test_what_they_name() -> None:
    """Each trust world differs from a plain one in the way its cases rely on."""
    trusts = CASES["trusts"]
    rotation = load({"trust": "root-rotation"})
    assert rotation.trust_list.version == 6 and len(rotation.root_history) == 2
    # The rotated list is not trusted from the pin without the history that leads to it.
    without = {**trusts["root-rotation"]["bundle"]}
    without.pop("rootHistory")
    with pytest.raises(TrustError, match="not signed by a trusted root"):
        TrustBundle.from_json(json.dumps(without).encode(),
                              roots=RootSet.from_json(trusts["root-rotation"]["root"]))
    assert trusts["threshold-lowered"]["root"]["threshold"] == 3
    for name in ("retired-key", "compromised-key"):
        assert len(load({"trust": name}).records) == 1, name
    assert not load({"trust": "retired-key-no-record"}).records
    # The expired worlds: their list expired 400 days before the check, while their status
    # lists are current (so the trust list's age alone makes the warning), and the suspended
    # one differs from the other in the centre's state only.
    for name in ("trust-list-expired", "trust-list-expired-centre-suspended"):
        case = next(c for c in JUDGED if c["name"] == name)
        expired, at = load(case), datetime.fromisoformat(str(case["at"]))
        assert at - expired.trust_list.expires == timedelta(days=400), name
        assert all(s.valid_from <= at < s.valid_until for s in expired.status_lists.values())
    codes = {c["name"]: c["checks"]["issuer_trusted"] for c in JUDGED
             if c["name"].startswith("trust-list-expired")}
    assert codes == {"trust-list-expired": ["warn", "trust_list_expired"],
                     "trust-list-expired-centre-suspended": ["warn", "issuer_suspended"]}
    assert [i.state.value for i in load({"trust": "trust-list-expired-centre-suspended"})
            .trust_list.issuers.values()] == ["suspended"]
    # The reused slot's card is the genuine one's slot with another signature.
    slots = {c["name"]: _slot(c) for c in JUDGED if c["name"].startswith("compromised")}
    assert slots["compromised-key-slot-reused"] == slots["compromised-key-genuine"]


def _claims(case: dict[str, Any]) -> dict[str, Any]:
    claims: dict[str, Any] = json.loads(b64u_decode(qr.decode(str(case["qr"])).split(".")[1]))
    return claims


def _slot(case: dict[str, Any]) -> tuple[str, str]:
    entry = _claims(case)["credentialStatus"][0]
    return entry["statusListCredential"], entry["statusListIndex"]


def _lists_named(case_name: str) -> set[str]:
    """The "purpose/number" of each status list a case's credential names."""
    claims = _claims(next(c for c in CASES["cases"] if c["name"] == case_name))
    return {e["statusListCredential"].rsplit("/status/", 1)[1] for e in claims["credentialStatus"]}


@pytest.mark.parametrize("case", JUDGED, ids=[c["name"] for c in JUDGED])
def test_python_verifier_matches(case: dict[str, Any]) -> None:
    result = verify(str(case["qr"]), at=datetime.fromisoformat(str(case["at"])), trust=load(case))
    assert result.verdict.value == case["verdict"]
    assert {c.check.value: [c.outcome.value, c.code.value] for c in result.checks} == case["checks"]


@pytest.mark.parametrize("case", REFUSED, ids=[c["name"] for c in REFUSED])
def test_python_verifier_refuses_the_bundle(case: dict[str, Any]) -> None:
    with pytest.raises(TrustError) as refused:
        load(case)
    assert str(refused.value) == case["refused"]
