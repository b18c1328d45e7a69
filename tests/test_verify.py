"""Every way a credential can be bad gets a failed check with the right reason code."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from passport import qr
from passport.b64 import b64u_decode, b64u_encode
from passport.bundle import TrustBundle
from passport.credential import Credential, Kind
from passport.errors import RollbackError, TrustError, VerificationFailed
from passport.trust import Anchor, CentreState
from passport.verify import Check, Code, Outcome, Verdict, verify, verify_or_raise
from tests.conftest import CHECK_AT, ISSUED_AT, fixed_key
from tests.world import World


def _failed(result_code: Code, data: str, world: World, check: Check | None = None) -> None:
    result = verify(data, at=CHECK_AT, trust=world.bundle())
    assert result.verdict is Verdict.INVALID
    codes = {c.code for c in result.failures()}
    assert result_code in codes, result.checks
    if check is not None:
        assert result.check(check).outcome is Outcome.FAIL


def _replace_part(compact: str, index: int, data: bytes) -> str:
    parts = compact.split(".")
    parts[index] = b64u_encode(data)
    return ".".join(parts)


def test_valid_from_jws_and_from_qr(world: World) -> None:
    compact = world.issue()
    bundle = world.bundle()
    for presented in (compact, qr.encode(compact)):
        result = verify(presented, at=CHECK_AT, trust=bundle)
        assert result.verdict is Verdict.VALID, result.checks
        assert [c.check for c in result.checks] == list(Check)
        assert all(c.outcome is Outcome.PASS for c in result.checks)
        assert result.credential is not None
        assert result.credential.holder.matches_national_id("0102 34567")
        assert not result.credential.holder.matches_national_id("010234568")
        assert result.status_as_of == ISSUED_AT


def test_the_scan_path_builds_the_credential_its_constructors_build(world: World) -> None:
    """Credential.from_schema_valid_claims builds its immutable objects from their fields in
    order, without their constructors; the same objects through the constructors, by field
    name, are equal, field for field, and hash alike."""
    claims = world.claims()
    claims["credentialSubject"]["activityStartDate"] = "2026-01-05T00:00:00Z"
    claims["validUntil"] = "2036-01-05T00:00:00Z"
    built = Credential.from_schema_valid_claims(claims)
    holder, achievement = built.holder, built.achievement
    assert (holder.name, holder.name_km, holder.birth_year, holder.national_id_last4) == (
        "Sok Dara", "សុខ ដារា", 1988, "4567")
    assert holder.salt == built.id.rsplit(":", 1)[1]
    assert holder.national_id_hash == claims["credentialSubject"]["identifier"][0]["identityHash"]
    assert (achievement.id, achievement.name) == (
        claims["credentialSubject"]["achievement"]["id"],
        claims["credentialSubject"]["achievement"]["name"])
    assert achievement.occupation.framework == "ISCO-08" and achievement.level.framework == "CQF"
    assert built.claims is claims and built.issuer == claims["issuer"]["id"]
    for obj in (built, holder, achievement):
        again = type(obj)(**obj._asdict())
        assert again == obj and repr(again) == repr(obj)
        assert list(again._asdict().items()) == list(obj._asdict().items())
    assert hash(holder) == hash(type(holder)(**holder._asdict()))
    assert built.activity_start is not None and built.valid_until is not None


def test_tampered_payload(world: World) -> None:
    compact = world.issue()
    payload = b64u_decode(compact.split(".")[1]).replace(b"Sok Dara", b"Sok Dana")
    _failed(Code.BAD_SIGNATURE, _replace_part(compact, 1, payload), world, Check.SIGNATURE)


def test_tampered_signature(world: World) -> None:
    compact = world.issue()
    sig = bytearray(b64u_decode(compact.split(".")[2]))
    sig[10] ^= 1
    _failed(Code.BAD_SIGNATURE, _replace_part(compact, 2, bytes(sig)), world)


def test_wrong_key_with_the_issuers_kid(world: World) -> None:
    forged = world.issue(key=fixed_key("attacker"))
    header = json.loads(b64u_decode(forged.split(".")[0]))
    header["kid"] = world.issuer_key.kid
    forged = _replace_part(forged, 0, json.dumps(header).encode())
    _failed(Code.BAD_SIGNATURE, forged, world)


def test_unknown_kid(world: World) -> None:
    _failed(Code.UNKNOWN_KEY, world.issue(key=fixed_key("attacker")), world, Check.SIGNATURE)


def test_alg_none(world: World) -> None:
    compact = world.issue()
    header = b64u_encode(b'{"alg":"none","typ":"vc+jwt"}')
    _failed(Code.ALG_NOT_ALLOWED, f"{header}.{compact.split('.')[1]}.", world, Check.FORMAT)


def test_hs256_with_the_public_key_as_secret(world: World) -> None:
    # The algorithm-confusion attack (pyjwt CVE-2022-29217): an HMAC keyed with the public key.
    import hashlib
    import hmac

    from passport.credential import encode_claims

    header = b64u_encode(json.dumps({"alg": "HS256", "kid": world.issuer_key.kid,
                                     "typ": "vc+jwt"}).encode())
    payload = b64u_encode(encode_claims(world.claims()))
    for secret in (world.issuer_key.public.raw, json.dumps(world.issuer_key.public.jwk()).encode()):
        mac = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        _failed(Code.ALG_NOT_ALLOWED, f"{header}.{payload}.{b64u_encode(mac)}", world, Check.FORMAT)


def test_schema_invalid_payload_signed_by_the_real_key(world: World) -> None:
    from passport import jws
    from passport.credential import encode_claims

    claims = world.claims()
    claims["credentialSubject"]["phone"] = "+855 12 345 678"  # never carried
    compact = jws.sign(encode_claims(claims), world.issuer_key, typ="vc+jwt", cty="vc")
    _failed(Code.SCHEMA_INVALID, compact, world, Check.SCHEMA)


def test_expired_and_not_yet_valid(world: World) -> None:
    expired = world.issue(valid_until=ISSUED_AT + timedelta(days=1))
    _failed(Code.EXPIRED, expired, world, Check.DATES)
    future = world.issue(valid_from=CHECK_AT + timedelta(days=1))
    world.key_window = (ISSUED_AT - timedelta(days=30), None)
    _failed(Code.NOT_YET_VALID, future, world, Check.DATES)


def test_revoked_and_suspended(world: World) -> None:
    compact = world.issue(index=42)
    world.revoked = {1: {42}}
    _failed(Code.REVOKED, compact, world, Check.STATUS)
    world.revoked, world.suspended = {}, {1: {42}}
    _failed(Code.SUSPENDED, compact, world, Check.STATUS)
    world.suspended = {1: {41, 43}}
    assert verify(compact, at=CHECK_AT, trust=world.bundle()).valid


def test_a_list_whose_bits_do_not_compress_still_verifies(world: World) -> None:
    # Half of a list's entries set at random: the signed list is far larger than any
    # credential, and a verifier that refused it would lose every status of that centre.
    import random

    marked = set(random.Random(1).sample(range(131_072), 65_536))
    world.revoked = {1: marked | {42}}
    world.suspended = {1: set(range(131_072)) - marked - {43}}
    assert max(len(jws) for jws in world.status_lists()) > 25_000  # a credential: < 4,000
    _failed(Code.REVOKED, world.issue(index=42), world, Check.STATUS)
    assert verify(world.issue(index=43), at=CHECK_AT, trust=world.bundle()).valid


def test_status_is_read_from_the_credentials_own_list(world: World) -> None:
    # When list 1 fills the centre opens list 2, 3...: the same index on another list is
    # another credential, so only the list the entry names may decide.
    world.lists = 3
    compact = world.issue(index=42, list_no=2)
    world.revoked = {1: {42}, 3: {42}}
    world.suspended = {1: {42}, 3: {42}}
    assert verify(compact, at=CHECK_AT, trust=world.bundle()).valid
    world.revoked = {2: {42}}
    _failed(Code.REVOKED, compact, world, Check.STATUS)
    # A list the bundle does not carry: status unknown, never a silent pass.
    world.lists, world.revoked, world.suspended = 1, {}, {}
    result = verify(compact, at=CHECK_AT, trust=world.bundle())
    assert result.verdict is Verdict.WARNING
    assert result.check(Check.STATUS).code is Code.STATUS_UNKNOWN


def test_a_mark_on_a_list_the_bundle_lacks_is_refused(world: World) -> None:
    world.revoked = {2: {42}}
    with pytest.raises(ValueError, match=r"revocation marks on list \[2\]"):
        world.bundle()


def test_key_used_outside_its_window(world: World) -> None:
    compact = world.issue()
    world.key_window = (ISSUED_AT + timedelta(hours=1), None)
    world.status_from = ISSUED_AT + timedelta(hours=2)  # lists the key could sign
    _failed(Code.KEY_NOT_YET_VALID, compact, world, Check.KEY_VALID)
    world.key_window = (ISSUED_AT - timedelta(days=90), ISSUED_AT - timedelta(days=1))
    world.status_from = ISSUED_AT - timedelta(days=2)
    _failed(Code.KEY_EXPIRED, compact, world, Check.KEY_VALID)


def test_issuer_not_accredited_for_that_occupation(world: World) -> None:
    compact = world.issue()
    world.accreditations = {Kind.RPL: ["7212"], Kind.TVET: ["*"]}
    _failed(Code.NOT_ACCREDITED, compact, world, Check.ACCREDITED)


def test_unknown_issuer(world: World) -> None:
    compact = world.issue(issuer="https://unknown.example.kh")
    _failed(Code.UNKNOWN_ISSUER, compact, world, Check.ISSUER_TRUSTED)


def test_stale_status_is_a_warning_never_a_silent_pass(world: World) -> None:
    compact = world.issue()
    result = verify(compact, at=CHECK_AT + timedelta(days=30), trust=world.bundle())
    assert result.verdict is Verdict.WARNING
    fresh = result.check(Check.STATUS_FRESH)
    assert (fresh.outcome, fresh.code) == (Outcome.WARN, Code.STATUS_STALE)
    assert "status as of 2026-11-02" in result.check(Check.STATUS).message


def test_trust_list_rollback_is_refused(world: World) -> None:
    world.version = 5
    anchor = Anchor.of(world.bundle().trust_list)
    roots = (world.root.public,)
    world.version = 4
    with pytest.raises(RollbackError) as info:
        TrustBundle.from_json(world.bundle_bytes(), roots=roots, anchor=anchor)
    assert (info.value.offered, info.value.current) == (4, 5)
    world.version = 5  # the same list again: a bundle with newer status lists
    assert TrustBundle.from_json(world.bundle_bytes(), roots=roots,
                                 anchor=anchor).trust_list.version == 5
    world.centre_state = CentreState.SUSPENDED  # another list under the same version number
    with pytest.raises(TrustError, match="version 5 is held already, with other content"):
        TrustBundle.from_json(world.bundle_bytes(), roots=roots, anchor=anchor)
    world.centre_state = CentreState.ACTIVE
    world.version = 6
    newer = TrustBundle.from_json(world.bundle_bytes(), roots=roots, anchor=anchor)
    assert newer.trust_list.version == 6


def test_trust_list_signed_by_another_root_is_refused(world: World) -> None:
    with pytest.raises(TrustError, match="not signed by a trusted root"):
        TrustBundle.from_json(world.bundle_bytes(), roots=(fixed_key("other root").public,))


def test_verify_or_raise(world: World) -> None:
    compact = world.issue()
    assert verify_or_raise(compact, at=CHECK_AT, trust=world.bundle()).valid
    world.revoked = {1: {7}}
    with pytest.raises(VerificationFailed, match="revocation bit is set"):
        verify_or_raise(compact, at=CHECK_AT, trust=world.bundle())


def test_vc11_claim_and_iss_mismatch_are_refused(world: World) -> None:
    from passport import jws
    from passport.credential import encode_claims

    extras: list[dict[str, Any]] = [{"vc": {}}, {"iss": "https://elsewhere.example"}]
    for extra in extras:
        claims = {**world.claims(), **extra}
        compact = jws.sign(encode_claims(claims), world.issuer_key, typ="vc+jwt", cty="vc")
        _failed(Code.BAD_PAYLOAD, compact, world, Check.FORMAT)


def test_rfc9864_alg_name_ed25519_is_accepted(world: World) -> None:
    from passport.credential import encode_claims

    header = b64u_encode(json.dumps({"alg": "Ed25519", "kid": world.issuer_key.kid,
                                     "typ": "vc+jwt", "cty": "vc"}).encode())
    payload = b64u_encode(encode_claims(world.claims()))
    signature = world.issuer_key.sign(f"{header}.{payload}".encode())
    assert verify(f"{header}.{payload}.{b64u_encode(signature)}", at=CHECK_AT,
                  trust=world.bundle()).valid


def test_embedded_jwk_header_is_refused(world: World) -> None:
    # CVE-2018-0114 style: a token that brings its own key must not be trusted with it.
    attacker = fixed_key("attacker")
    from passport.credential import encode_claims

    header = b64u_encode(json.dumps({"alg": "EdDSA", "kid": world.issuer_key.kid, "typ": "vc+jwt",
                                     "jwk": attacker.public.jwk()}).encode())
    payload = b64u_encode(encode_claims(world.claims()))
    signature = attacker.sign(f"{header}.{payload}".encode())
    _failed(Code.BAD_JWS, f"{header}.{payload}.{b64u_encode(signature)}", world, Check.FORMAT)


def test_unknown_critical_header_is_refused(world: World) -> None:
    from passport.credential import encode_claims

    header = b64u_encode(json.dumps({"alg": "EdDSA", "kid": world.issuer_key.kid, "typ": "vc+jwt",
                                     "crit": ["exp2"], "exp2": 1}).encode())
    payload = b64u_encode(encode_claims(world.claims()))
    signature = world.issuer_key.sign(f"{header}.{payload}".encode())
    _failed(Code.BAD_JWS, f"{header}.{payload}.{b64u_encode(signature)}", world, Check.FORMAT)


def test_root_rotation_needs_old_and_new_root_and_exactly_one_version() -> None:
    from passport.trust import TrustStore, sign_trust_list, trust_list_document

    old, new = fixed_key("root"), fixed_key("new root")

    def signed(version: int, roots: list[Any], signers: list[Any]) -> dict[str, Any]:
        doc = trust_list_document(version=version, issued=ISSUED_AT, expires=CHECK_AT,
                                  root_keys=[k.public for k in roots], issuers=[])
        return sign_trust_list(doc, signers)

    store = TrustStore((old.public,))
    store.update(signed(3, [old], [old]))
    with pytest.raises(TrustError, match="signed by the new root"):
        store.update(signed(4, [new], [old]))
    with pytest.raises(TrustError, match="not signed by a trusted root"):
        store.update(signed(4, [new], [new]))
    with pytest.raises(TrustError, match="exactly version"):
        store.update(signed(5, [new], [old, new]))
    assert store.update(signed(4, [new], [old, new])).version == 4
    # From now on only the new root counts.
    with pytest.raises(TrustError, match="not signed by a trusted root"):
        store.update(signed(5, [new], [old]))
    assert store.update(signed(5, [new], [new])).version == 5
