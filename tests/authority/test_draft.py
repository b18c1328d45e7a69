"""The draft's rules, as pure functions: what the authority may change, and what it refuses."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from authority import draft as drafts
from authority.draft import Draft
from passport.accreditation import AccreditationRequest, KeyRotationRequest
from passport.credential import Kind
from passport.errors import DocumentError, UsageError
from passport.records import IssuanceRecord
from passport.trust import CentreState, RecordRef, RootSet
from tests.authority.centres import Centre, centre_a, centre_b, key

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SOURCE = "request.jwt"


def empty() -> Draft:
    return Draft(RootSet(tuple(key(f"official {n}").public for n in (1, 2, 3)), 2), ())


def accredited(*centres: Centre, at: datetime = NOW) -> Draft:
    d = empty()
    for c in centres:
        d = drafts.accredit(d, AccreditationRequest.from_text(c.request(at), SOURCE), None, at,
                            SOURCE)
    return d


def rotation(signed: dict[str, object]) -> KeyRotationRequest:
    return KeyRotationRequest.from_text(json.dumps(signed), "rotation.json")


def problems(exc: pytest.ExceptionInfo[DocumentError]) -> list[tuple[str, str]]:
    assert exc.value.source in (SOURCE, "rotation.json", "record.jwt")
    return exc.value.problems


# -- accreditation ---------------------------------------------------------------------------

def test_grants_narrow_what_a_request_asks_and_never_widen_it() -> None:
    asks = {Kind.RPL: frozenset({"7112", "7115", "7411"}), Kind.TVET: frozenset({"*"})}
    grants = drafts.parse_grants(["rpl:7112,7115", "tvet:7411"])
    assert drafts.narrowed(asks, grants, SOURCE) == {Kind.RPL: {"7112", "7115"},
                                                      Kind.TVET: {"7411"}}
    assert drafts.narrowed(asks, None, SOURCE) == asks
    assert drafts.parse_grants([]) is None
    for wider, said in (["rpl:7112,9999"], "may not add 9999"), (["rpl:*"], "may not add *"):
        with pytest.raises(DocumentError) as exc:
            drafts.narrowed(asks, drafts.parse_grants(wider), SOURCE)
        assert problems(exc)[0][0] == "asks" and said in problems(exc)[0][1]
    with pytest.raises(DocumentError, match="does not ask for tvet"):
        drafts.narrowed({Kind.RPL: frozenset({"*"})}, drafts.parse_grants(["tvet:*"]), SOURCE)
    for bad in ("cqf:7112", "rpl:12", "rpl:", "rpl:*,7112"):
        with pytest.raises(UsageError, match="--grant"):
            drafts.parse_grants([bad])
    with pytest.raises(UsageError, match="given twice"):
        drafts.parse_grants(["rpl:7112", "rpl:7115"])


def test_accredit_adds_the_centre_as_its_request_says_from_now() -> None:
    a = centre_a()
    d = drafts.accredit(empty(), AccreditationRequest.from_text(
        a.request(NOW - timedelta(days=3)), SOURCE), drafts.parse_grants(["rpl:7112"]),
        NOW + timedelta(microseconds=500), SOURCE)
    centre = d.centre(a.id)
    assert (centre.name, centre.name_km, centre.state) == (a.name, a.name_km, CentreState.ACTIVE)
    assert centre.accreditations == {Kind.RPL: {"7112"}}
    [k] = centre.keys
    assert (k.key, k.valid_from, k.valid_until) == (a.key.public, NOW, None)
    # What is written is what is read back.
    assert Draft.from_content(d.content()) == d


def test_accredit_refuses_a_centre_already_accredited_or_a_key_already_used() -> None:
    a, b = centre_a(), centre_b()
    d = accredited(a)
    with pytest.raises(DocumentError) as exc:
        drafts.accredit(d, AccreditationRequest.from_text(a.request(NOW, key("a2")), SOURCE),
                        None, NOW, SOURCE)
    assert problems(exc) == [("id", f"{a.id} is already accredited (active); a centre's new key "
                                    "goes through rotate-key")]
    with pytest.raises(DocumentError) as exc:
        drafts.accredit(d, AccreditationRequest.from_text(b.request(NOW, a.key), SOURCE), None,
                        NOW, SOURCE)
    assert problems(exc) == [("jwk", f"key {a.key.kid} is already a key of {a.id}")]


def test_suspend_and_reinstate_change_the_state_once() -> None:
    a = centre_a()
    d = drafts.set_state(accredited(a), a.id, CentreState.SUSPENDED)
    assert d.centre(a.id).state is CentreState.SUSPENDED
    with pytest.raises(UsageError, match="already suspended"):
        drafts.set_state(d, a.id, CentreState.SUSPENDED)
    assert drafts.set_state(d, a.id, CentreState.ACTIVE).centre(a.id).state is CentreState.ACTIVE
    with pytest.raises(UsageError, match="no accredited centre https://nowhere"):
        drafts.set_state(d, "https://nowhere.test", CentreState.ACTIVE)


# -- keys ------------------------------------------------------------------------------------

def test_rotate_key_opens_the_new_key_now_and_closes_the_old_after_the_overlap() -> None:
    a, new = centre_a(), key("a new")
    later = NOW + timedelta(days=100)
    d = drafts.rotate_key(accredited(a), a.id, rotation(a.rotation(new, later)), later,
                          timedelta(days=30), "rotation.json")
    old, fresh = d.centre(a.id).keys
    assert (old.key, old.valid_from, old.valid_until) == (a.key.public, NOW,
                                                          later + timedelta(days=30))
    assert (fresh.key, fresh.valid_from, fresh.valid_until) == (new.public, later, None)
    # A second rotation never extends a window already closing sooner.
    newer = key("a newer")
    d2 = drafts.rotate_key(d, a.id, rotation(a.rotation(newer, later, old=new)),
                           later + timedelta(days=1), timedelta(days=90), "rotation.json")
    assert d2.centre(a.id).keys[0] == old
    assert d2.centre(a.id).keys[1].valid_until == later + timedelta(days=91)


def test_rotate_key_refuses_what_the_accredited_key_did_not_ask() -> None:
    a, b = centre_a(), centre_b()
    d = accredited(a, b)
    new = key("a new")
    cases = [
        (a.rotation(new, NOW), b.id, "id", f"asks for {a.id}, not {b.id}"),
        (a.rotation(new, NOW, old=key("stranger")), a.id, "oldKid",
         f"{key('stranger').kid} is not a key of {a.id}"),
        ({**a.rotation(new, NOW), "signatures": a.rotation(new, NOW)["signatures"][1:]}, a.id,
         "signatures", f"not signed by the accredited key {a.key.kid} it replaces"),
        (a.rotation(b.key, NOW), a.id, "newJwk", f"key {b.key.kid} is already a key of {b.id}"),
    ]
    for request, centre_id, field, message in cases:
        with pytest.raises(DocumentError) as exc:
            drafts.rotate_key(d, centre_id, rotation(request), NOW, timedelta(days=30),
                              "rotation.json")
        assert problems(exc) == [(field, message)]
    retired = drafts.retire_key(d, a.id, a.key.kid, NOW + timedelta(days=1), None)
    with pytest.raises(DocumentError, match="window closed"):
        drafts.rotate_key(retired, a.id, rotation(a.rotation(new, NOW)),
                          NOW + timedelta(days=2), timedelta(days=30), "rotation.json")


def record_for(c: Centre, kid: str) -> IssuanceRecord:
    card = c.card(7, NOW + timedelta(hours=1))
    return IssuanceRecord.from_jws(c.record(kid, [(card, 7, NOW + timedelta(hours=1))],
                                            NOW + timedelta(days=2)))


def test_retire_key_closes_the_window_and_names_the_record() -> None:
    a = centre_a()
    d = accredited(a)
    record = record_for(a, a.key.kid)
    at = NOW + timedelta(days=2)
    [k] = drafts.retire_key(d, a.id, a.key.kid, at, record).centre(a.id).keys
    assert (k.valid_until, k.record) == (at, RecordRef(record.sha256, 1))
    assert drafts.retire_key(d, a.id, a.key.kid, at, None).centre(a.id).keys[0].record is None
    with pytest.raises(UsageError, match=r"is not after key .* became valid"):
        drafts.retire_key(d, a.id, a.key.kid, NOW, None)
    with pytest.raises(UsageError, match=f"has no key {key('x').kid}"):
        drafts.retire_key(d, a.id, key("x").kid, at, None)


def test_compromise_marks_the_key_with_its_record_from_a_past_time() -> None:
    a = centre_a()
    d = accredited(a)
    record = record_for(a, a.key.kid)
    since, now = NOW + timedelta(days=1), NOW + timedelta(days=3)
    done = drafts.compromise(d, a.id, a.key.kid, since, record, now)
    [k] = done.centre(a.id).keys
    assert (k.compromised_since, k.record) == (since, RecordRef(record.sha256, 1))
    with pytest.raises(UsageError, match="already compromised"):
        drafts.compromise(done, a.id, a.key.kid, since, record, now)
    with pytest.raises(UsageError, match="compromised since"):
        drafts.retire_key(done, a.id, a.key.kid, now, None)
    with pytest.raises(UsageError, match="in the future"):
        drafts.compromise(d, a.id, a.key.kid, now + timedelta(hours=1), record, now)
    with pytest.raises(UsageError, match=r"before key .* became valid"):
        drafts.compromise(d, a.id, a.key.kid, NOW - timedelta(hours=1), record, now)


def test_a_record_is_accepted_only_from_that_centre_for_that_key() -> None:
    a, b = centre_a(), centre_b()
    d = accredited(a, b)
    card = a.card(7, NOW)
    good = a.record(a.key.kid, [(card, 7, NOW)], NOW)
    assert drafts.accept_record(d, a.id, a.key.kid, good + "\n", "record.jwt").count == 1
    cases = [
        (b.record(a.key.kid, [], NOW), "issuer", f"is {b.id}, not {a.id}"),
        (a.record(b.key.kid, [], NOW), "kid", f"is {b.key.kid}, not {a.key.kid}"),
        (a.record(a.key.kid, [], NOW, key=b.key), "signature", f"not signed by a key of {a.id}"),
        (a.record(a.key.kid, [], NOW, key=key("thief")), "signature",
         f"not signed by a key of {a.id}"),
    ]
    for text, field, message in cases:
        with pytest.raises(DocumentError) as exc:
            drafts.accept_record(d, a.id, a.key.kid, text, "record.jwt")
        assert problems(exc) == [(field, message)]
    with pytest.raises(DocumentError) as exc:
        drafts.accept_record(d, a.id, a.key.kid, card, "record.jwt")
    assert problems(exc)[0][0] == "file" and "typ must be" in problems(exc)[0][1]


# -- the root --------------------------------------------------------------------------------

def test_stage_root_replaces_officials_and_the_threshold() -> None:
    d = empty()
    one, three, four = (key(f"official {n}").public for n in (1, 3, 4))
    staged = drafts.stage_root(d, [four], [three.kid], None)
    assert [k.kid for k in staged.root.keys] == [one.kid, key("official 2").kid, four.kid]
    assert staged.root.threshold == 2
    assert drafts.stage_root(d, [], [], 3).root.threshold == 3
    for add, remove, k, said in (([], [], 4, "--threshold 4 is not between 1 and 3"),
                                 ([], [], 2, "would not change"),
                                 ([one], [], None, "already in the root"),
                                 ([], [four.kid], None, f"--remove {four.kid}: not a root key")):
        with pytest.raises(UsageError, match=said):
            drafts.stage_root(d, add, remove, k)


def test_changes_say_what_officials_are_about_to_sign() -> None:
    a = centre_a()
    before = accredited(a)
    after = drafts.set_state(before, a.id, CentreState.SUSPENDED)
    after = drafts.stage_root(after, [key("official 4").public], [key("official 3").kid], None)
    names = {key(f"official {n}").kid: f"official-{n}" for n in (1, 2, 3, 4)}
    assert drafts.changes(before, after, names) == [
        "root: 2 of official-1, official-2, official-4 (was 2 of official-1, official-2, "
        "official-3)",
        f"{a.id}: suspended"]
    assert drafts.changes(empty(), before, names) == [f"accredit {a.id} ({a.name})"]


def test_a_compromised_key_vouches_for_no_successor_and_no_record() -> None:
    a = centre_a()
    d = accredited(a)
    record = record_for(a, a.key.kid)  # signed by the very key being found compromised
    with pytest.raises(DocumentError, match="a key found compromised"):
        drafts.accept_record(d, a.id, a.key.kid, record.jws, "record.jwt", compromised=True)
    # Retiring, the same record is the key's own account of what it signed: taken.
    assert drafts.accept_record(d, a.id, a.key.kid, record.jws, "record.jwt") == record
    found = drafts.compromise(d, a.id, a.key.kid, NOW + timedelta(days=1), record,
                              NOW + timedelta(days=3))
    thief = key("thief")
    request = rotation(a.rotation(thief, NOW + timedelta(days=3)))
    with pytest.raises(UsageError, match="a request it signed proves nothing"):
        drafts.rotate_key(found, a.id, request, NOW + timedelta(days=3), timedelta(days=30),
                          "rotation.json")
    # Officials who have confirmed the new key with the centre in person may add it.
    d2 = drafts.rotate_key(found, a.id, request, NOW + timedelta(days=3), timedelta(days=30),
                           "rotation.json", verified_in_person=True)
    old, new = d2.centre(a.id).keys
    assert old.compromised_since == NOW + timedelta(days=1) and old.valid_until is None
    assert new.key == thief.public
    # Any record a compromised key signs is refused, whichever key it is about.
    with pytest.raises(DocumentError, match="a key found compromised"):
        drafts.accept_record(d2, a.id, a.key.kid, record.jws, "record.jwt")
    # A request signed by a key the centre has since replaced is taken, with a warning.
    assert drafts.rotation_warnings(d2, a.id, rotation(a.rotation(key("another"), NOW))) == [
        f"the request is signed by {a.key.kid}, not by {thief.kid}, the newest key of {a.id}: "
        "check with the centre that it asked for this"]
