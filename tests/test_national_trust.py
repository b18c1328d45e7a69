"""National trust as a verifier sees it: k-of-n root signatures and root rotation, centres'
states, and keys judged by the centre's issuance record once retired or compromised."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from passport.bundle import CentreFreshness, TrustBundle
from passport.errors import TrustError
from passport.records import Entry, IssuanceRecord, sign_record, signature_digest
from passport.signing import sign_claims
from passport.trust import CentreState, RecordRef, RootSet, key_entry
from passport.verify import Check, Code, Outcome, Verdict, verify
from tests.conftest import CHECK_AT, ISSUED_AT
from tests.world import World

T = ISSUED_AT + timedelta(days=1)  # when the key is retired or found compromised


def _national(world: World) -> World:
    world.officials, world.threshold = 3, 2
    return world


def _result(world: World, compact: str) -> tuple[Verdict, Code]:
    result = verify(compact, at=CHECK_AT, trust=world.bundle())
    return result.verdict, result.check(Check.KEY_VALID).code


# -- the root: k of n officials, rotations as TUF ------------------------------------------

def test_a_trust_list_needs_k_of_the_n_officials(world: World) -> None:
    _national(world)
    world.signers = [3]
    with pytest.raises(TrustError, match="2 of its keys must sign, 1 did"):
        world.bundle()
    world.signers = [1, 3]
    assert verify(world.issue(), at=CHECK_AT, trust=world.bundle()).valid
    # Two signatures by one official are one signature.
    doc = world.bundle_document()
    doc["trustList"]["signatures"].append(doc["trustList"]["signatures"][0])
    with pytest.raises(TrustError, match="signed twice"):
        TrustBundle.from_json(json.dumps(doc).encode(), roots=world.root_set())


def test_a_verifier_pinned_before_a_root_rotation_follows_it(world: World) -> None:
    _national(world)
    pinned = world.root_set()
    world.version = 4
    before = world.signed_trust_list()
    # Version 5 replaces official 3 by official 4: 2 old and 2 new signatures.
    world.version, world.officials = 5, 4
    new_roots = RootSet(tuple(world.official(n).public for n in (1, 2, 4)), 2)
    rotation = _signed(world, [1, 2, 4], new_roots, signers=[1, 2, 4])
    world.root_history = [before, rotation]
    doc = world.bundle_document()
    doc["trustList"] = rotation
    bundle = TrustBundle.from_json(json.dumps(doc).encode(), roots=pinned)
    assert bundle.trust_list.version == 5 and bundle.trust_list.root.identity == new_roots.identity
    # Without the rotation the new list is not trusted from the old pin.
    doc.pop("rootHistory")
    with pytest.raises(TrustError, match="not signed by a trusted root"):
        TrustBundle.from_json(json.dumps(doc).encode(), roots=RootSet(
            tuple(world.official(n).public for n in (3,)), 1))
    # A verifier pinned after the rotation passes the older lists over.
    assert TrustBundle.from_json(json.dumps({**doc, "rootHistory": [before, rotation]}).encode(),
                                 roots=new_roots).trust_list.version == 5


def test_a_rotation_needs_k_of_the_new_keys_and_exactly_one_version(world: World) -> None:
    _national(world)
    pinned = world.root_set()
    world.version = 4
    before = world.signed_trust_list()
    world.officials = 5
    # Officials 2 and 3 leave, 4 and 5 join: 1 and 2 sign (2 old) but only 1 is new.
    new_roots = RootSet(tuple(world.official(n).public for n in (1, 4, 5)), 2)
    world.version = 5
    one_new = _signed(world, [1, 4, 5], new_roots, signers=[1, 2])
    doc = world.bundle_document()
    doc.update(trustList=one_new, rootHistory=[before])
    with pytest.raises(TrustError, match="signed by the new root too"):
        TrustBundle.from_json(json.dumps(doc).encode(), roots=pinned)
    world.version = 6
    skipped = _signed(world, [1, 4, 5], new_roots, signers=[1, 2, 4])
    doc.update(trustList=skipped)
    with pytest.raises(TrustError, match="exactly version"):
        TrustBundle.from_json(json.dumps(doc).encode(), roots=pinned)


def _signed(world: World, officials: list[int], root: RootSet, signers: list[int]) -> dict[
        str, Any]:
    return world.signed_under(root, signers)


# -- a suspended centre ------------------------------------------------------------------

def test_a_suspended_centres_credentials_are_flagged(world: World) -> None:
    world.centre_state = CentreState.SUSPENDED
    result = verify(world.issue(), at=CHECK_AT, trust=world.bundle())
    assert result.verdict is Verdict.WARNING
    check = result.check(Check.ISSUER_TRUSTED)
    assert (check.outcome, check.code) == (Outcome.WARN, Code.ISSUER_SUSPENDED)


# -- retired and compromised keys: the issuance record decides ------------------------------

def _record(world: World, genuine: list[tuple[str, int]], issued: list[int] | None = None) -> str:
    """The centre's record for its key: each genuine card (its JWS and slot index)."""
    from passport.jws import parse

    entries = [Entry(1, index, ISSUED_AT + timedelta(hours=h), signature_digest(
        parse(compact).signature)) for (compact, index), h in zip(
        genuine, issued or [0] * len(genuine), strict=True)]
    return sign_record(issuer=world.issuer_id, kid=world.issuer_key.kid, entries=entries,
                       created=max([T, *(e.issued for e in entries)]), key=world.issuer_key)


def _with_key(world: World, record: str | None, *, compromised: bool) -> None:
    ref = RecordRef(IssuanceRecord.from_jws(record).sha256,
                    IssuanceRecord.from_jws(record).count) if record else None
    start = world.key_window[0]
    world.issuer_keys = [
        key_entry(world.issuer_key.public, start, None if compromised else T,
                  compromised_since=T if compromised else None, record=ref),
        key_entry(world.key("next issuer").public, start)]
    # The centre's lists are signed by the key it signs with now.
    world.status_key = world.key("next issuer")
    world.records = [record] if record else []


def test_a_retired_key_is_judged_by_its_record_not_by_the_credentials_dates(world: World) -> None:
    genuine = world.issue(index=7)
    # Signed with the old key after it was retired, dated before: the attack the record stops.
    backdated = world.issue(index=8, credential_id="urn:skillpass:cred:BACKDATED001")
    _with_key(world, _record(world, [(genuine, 7)]), compromised=False)
    assert _result(world, genuine) == (Verdict.VALID, Code.OK)
    assert _result(world, backdated) == (Verdict.INVALID, Code.NOT_IN_ISSUANCE_RECORD)
    # No record in the bundle: never a silent pass.
    _with_key(world, None, compromised=False)
    assert _result(world, genuine) == (Verdict.WARNING, Code.ISSUANCE_RECORD_MISSING)
    # Dated after the window closed: refused whatever the record says.
    late = world.issue(index=9, valid_from=T + timedelta(hours=1))
    assert _result(world, late)[1] is Code.KEY_EXPIRED


def test_a_compromised_key_keeps_genuine_cards_and_nothing_else(world: World) -> None:
    genuine = world.issue(index=7)
    after_t = world.issue(index=8, credential_id="urn:skillpass:cred:AFTERTHEFT01")
    record = _record(world, [(genuine, 7), (after_t, 8)], issued=[0, 48])  # 8: after T
    _with_key(world, record, compromised=True)
    assert _result(world, genuine) == (Verdict.VALID, Code.OK)
    assert _result(world, after_t) == (Verdict.INVALID, Code.KEY_COMPROMISED)
    thief = world.issue(index=9, credential_id="urn:skillpass:cred:THIEF0000001")
    assert _result(world, thief) == (Verdict.INVALID, Code.KEY_COMPROMISED)
    # A genuine card's slot with other claims: the signature is not the one recorded.
    claims = world.claims(index=7, holder=world.holder.__class__("Thief", "ចោរ", 1980,
                                                               "999999999"))
    reused = sign_claims(claims, world.issuer_key)[1]
    assert _result(world, reused) == (Verdict.INVALID, Code.KEY_COMPROMISED)


def test_a_record_the_trust_list_does_not_name_is_refused(world: World) -> None:
    genuine = world.issue(index=7)
    record = _record(world, [(genuine, 7)])
    _with_key(world, record, compromised=True)
    world.records = [_record(world, [(genuine, 7), (world.issue(index=9), 9)])]
    with pytest.raises(TrustError, match="not the one the trust list names"):
        world.bundle()


def test_a_record_must_list_each_slot_once_in_order(world: World) -> None:
    one = world.issue(index=7)
    with pytest.raises(TrustError, match="repeat a slot"):
        _record(world, [(one, 7), (one, 7)])


def test_status_unknown_says_as_of_when(world: World) -> None:
    compact = world.issue(index=7, list_no=2)
    world.centres = {world.issuer_id: CentreFreshness(ISSUED_AT - timedelta(days=3))}
    result = verify(compact, at=CHECK_AT, trust=world.bundle())
    check = result.check(Check.STATUS)
    assert (result.verdict, check.code) == (Verdict.WARNING, Code.STATUS_UNKNOWN)
    assert f"as of {(ISSUED_AT - timedelta(days=3)).date().isoformat()}" in check.message


def test_a_status_list_signed_by_a_compromised_key_is_refused(world: World) -> None:
    genuine = world.issue(index=7)
    _with_key(world, _record(world, [(genuine, 7)]), compromised=True)
    world.status_key = world.issuer_key  # the thief's lists: say nothing is revoked
    with pytest.raises(TrustError, match="could not sign"):
        world.bundle()


def test_two_rotations_are_followed_through_the_lists_around_each(world: World) -> None:
    # A -> B at version 5, B -> C at version 9. The history carries each rotation and the
    # list just before it, so each rotation is checked as exactly version + 1.
    _national(world)
    pinned = world.root_set()
    world.version = 4
    v4 = world.signed_trust_list()
    world.officials = 6
    b = RootSet(tuple(world.official(n).public for n in (1, 2, 4)), 2)
    c = RootSet(tuple(world.official(n).public for n in (4, 5, 6)), 2)
    world.version = 5
    v5 = _signed(world, [], b, signers=[1, 2, 4])
    world.version = 8
    v8 = _signed(world, [], b, signers=[2, 4])
    world.version = 9
    v9 = _signed(world, [], c, signers=[2, 4, 5])
    world.version = 12
    v12 = _signed(world, [], c, signers=[5, 6])
    doc = {**world.bundle_document(), "trustList": v12}
    doc["rootHistory"] = [v4, v5, v8, v9]
    assert TrustBundle.from_json(json.dumps(doc).encode(), roots=pinned).trust_list.version == 12
    doc["rootHistory"] = [v4, v5, v9]  # the list before the second rotation left out
    with pytest.raises(TrustError, match="exactly version"):
        TrustBundle.from_json(json.dumps(doc).encode(), roots=pinned)
    # An entry whose version is no number: refused as such, before any key is tried.
    from passport.b64 import b64u_encode

    doc["rootHistory"] = [{**v4, "payload": b64u_encode(b'{"version":"x"}')}]
    with pytest.raises(TrustError, match="no version number"):
        TrustBundle.from_json(json.dumps(doc).encode(), roots=pinned)


def test_an_index_beyond_its_list_is_refused_not_a_crash(world: World) -> None:
    result = verify(world.issue(index=200_000), at=CHECK_AT, trust=world.bundle())
    check = result.check(Check.STATUS)
    assert (result.verdict, check.code) == (Verdict.INVALID, Code.SCHEMA_INVALID)


def test_a_record_naming_a_credential_issued_after_it_was_made_is_refused(world: World) -> None:
    """An entry dated after its record says nothing true (and a date in year 10^11 breaks
    readers): the record is refused, naming the entry."""
    entry = Entry(1, 7, T + timedelta(days=2), bytes(16))
    with pytest.raises(TrustError, match=r"entry 1 \(list 1, index 7\).*after the record"):
        sign_record(issuer=world.issuer_id, kid=world.issuer_key.kid, entries=[entry],
                    created=T, key=world.issuer_key)


def test_a_record_of_more_credentials_than_one_key_signs_is_refused(world: World) -> None:
    entries = (Entry(1, i, ISSUED_AT, bytes(16)) for i in range(500_001))
    with pytest.raises(TrustError, match="rotates its key"):
        sign_record(issuer=world.issuer_id, kid=world.issuer_key.kid, entries=entries,
                    created=T, key=world.issuer_key)


def test_the_newest_key_of_two_from_the_same_second_is_the_one_listed_later(world: World) -> None:
    """A rotation within the second of the accreditation: the centre signs with the new key."""
    from passport.trust import IssuerKey, newest

    old = IssuerKey(world.issuer_key.public, T, T + timedelta(days=7))
    new = IssuerKey(world.key("next issuer").public, T, None)
    assert newest([old, new]) is new and newest([new, old]) is old
    assert newest([new, IssuerKey(old.key, T - timedelta(seconds=1), None)]) is new
    assert newest([]) is None
