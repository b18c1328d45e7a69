"""Write the verifier parity cases: trust bundles, the presented credentials, and the verdict
and reason codes every verifier (Python and browser) must give for each.

    python tests/vectors/make_verifier_cases.py

The file holds one shared trust world (`rootKeys` pinned, `bundle`) that a case uses unless it
names another under `trusts` ({"root": a pinned root file, "bundle": ...}): the national
worlds of k-of-n root signatures, root rotation, suspended centres, and retired or compromised
keys judged by issuance records. A case is either judged (`qr`, `at`, `verdict`, `checks`) or
names a bundle every verifier must refuse to load (`refused`: the Python verifier's reason).
The cases named `vc2-...` are the rows of the VC 2.0 rule table (tests/vectors/vc2/rules.json)
that have a trust-bundle expectation. The cases named `attack-...` are the rows of the JWT
attack catalogue (tests/attacks.py); their
`qr` is what the attacker presents: QR text, or a compact JWS where the attack does not fit a
QR (as a scanner reads any text a QR code holds).

Fixed keys and times make the file reproducible (a test regenerates it and compares); the
expectations come from the Python verifier and are reviewed by hand when the file changes.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from passport import jws, qr
from passport.b64 import b64u_decode, b64u_encode
from passport.bundle import CentreFreshness, TrustBundle
from passport.credential import CONTENT_TYPE, MEDIA_TYPE, HolderInput, Kind, encode_claims
from passport.errors import TrustError
from passport.records import Entry, IssuanceRecord, sign_record, signature_digest
from passport.signing import sign_claims
from passport.trust import CentreState, RecordRef, RootSet, issuer_entry, key_entry
from passport.verify import verify
from rpl_rubrics import catalogue
from rpl_rubrics.credentials import TrainingCompletion, achievement_claims_for
from tests.attacks import ATTACKS, Forge
from tests.vc2_table import ROWS as VC2_ROWS
from tests.vc2_table import edited, signed
from tests.world import World

ISSUER = "https://ntti.edu.kh"
ISSUED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CHECK_AT = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)
RETIRED_AT = ISSUED + timedelta(days=1)  # when a key is retired or found compromised
OUT = Path(__file__).parent / "verifier" / "cases.json"
KEYS = "skills-passport parity key"


def main(out: Path = OUT) -> None:
    # Every parameter spelled out: the committed file must not move with the builder's defaults.
    world = World(
        key_prefix=KEYS, issuer_id=ISSUER,
        issuer_name="National Technical Training Institute",
        issuer_name_km="វិទ្យាស្ថានជាតិបណ្តុះបណ្តាលបច្ចេកទេស",
        accreditations={Kind.RPL: ["7112"], Kind.TVET: ["*"]},
        key_window=(ISSUED - timedelta(days=30), None),
        trust_issued=ISSUED - timedelta(days=30), trust_expires=ISSUED + timedelta(days=3650),
        # Lists 1..3 of each purpose. Index 8 is also taken on list 2 (by another credential,
        # revoked and suspended), so a verifier that reads any list but the one a credential
        # names gets "valid-on-list-3" or "revoked-on-list-2" wrong.
        lists=3, revoked={1: {2}, 2: {8, 9}}, suspended={2: {8}},
        status_from=ISSUED, status_valid_for=timedelta(days=7), synced_at=ISSUED, issued_at=ISSUED)
    stranger = world.key("stranger")
    # The rubric versions these cases were committed with; later versions have other ids.
    masonry, welding = catalogue.get("masonry-c1", 1), catalogue.get("welding-c1", 1)

    def claims(n: int, rubric: str = "masonry", **extra: Any) -> dict[str, Any]:
        r = masonry if rubric == "masonry" else welding
        return world.claims(index=n, achievement=achievement_claims_for(r, full=True),
                            results=[u.code for u in r.units],
                            credential_id=f"urn:skillpass:cred:PARCAS{n:06d}", **extra)

    compact = {name: sign_claims(c, world.issuer_key)[1] for name, c in {
        "valid": claims(1),
        "revoked": claims(2),
        "expired": claims(3, valid_until=ISSUED + timedelta(days=1)),
        "not-accredited": claims(4, rubric="welding"),
        "stale-status": claims(5),
    }.items()}
    compact["unknown-issuer"] = sign_claims(claims(6, issuer="https://unknown.example.kh"), stranger)[1]
    payload = b64u_decode(compact["valid"].split(".")[1]).replace(b"Sok Dara", b"Sok Dana")
    parts = compact["valid"].split(".")
    compact["tampered"] = ".".join([parts[0], b64u_encode(payload), parts[2]])
    forged = jws.sign(encode_claims(claims(7)), stranger, typ="vc+jwt", cty="vc")
    header = json.loads(b64u_decode(forged.split(".")[0]))
    header["kid"] = world.issuer_key.kid
    compact["wrong-key"] = ".".join([b64u_encode(json.dumps(header, separators=(",", ":")).encode()),
                                     *forged.split(".")[1:]])
    # A full list 1 makes the centre open list 2, 3...: status entries then name a later list.
    compact["valid-on-list-3"] = sign_claims(claims(8, list_no=3), world.issuer_key)[1]
    compact["revoked-on-list-2"] = sign_claims(claims(9, list_no=2), world.issuer_key)[1]
    # Every kind the product issues, as the page reads it (QR codec v2's template covers each).
    compact["statement-of-attainment"] = sign_claims(world.claims(
        index=10, achievement=achievement_claims_for(masonry, full=False),
        results=[u.code for u in masonry.units[:2]],
        credential_id="urn:skillpass:cred:PARCAS000010"), world.issuer_key)[1]
    course = TrainingCompletion.from_text(json.dumps({
        "type": "TrainingCompletion",
        "candidate": {"name": "Vann Rithy", "nameKm": "វ៉ាន់ រិទ្ធី", "birthYear": 1990,
                      "nationalId": "040567890"},
        "course": {"id": "forklift-safety", "version": 1, "hours": 40, "isco08": "8344",
                   "cqfLevel": "C1", "title": {"en": "Forklift safety short course",
                                               "km": "វគ្គខ្លីសុវត្ថិភាពរថយន្តលើកទំនិញ"}},
        "start": "2026-10-05", "end": "2026-10-16"}), "parity").request(issued=ISSUED)
    compact["training-record"] = sign_claims(world.claims(
        index=11, holder=course.holder, achievement=course.achievement, results=None,
        activity=course.activity, credential_id="urn:skillpass:cred:PARCAS000011"),
        world.issuer_key)[1]

    bundle_doc = world.bundle_document()
    bundle = TrustBundle.from_json(json.dumps(bundle_doc).encode(), roots=(world.root.public,))
    cases = []
    # Cards printed with codec v1 are read forever: some cases carry v1 text.
    texts = {name: qr.encode(token) for name, token in compact.items()}
    for name in ("valid", "revoked", "tampered", "training-record"):
        texts[f"{name}-v1"] = qr.encode(compact[name], version=1)
    for name, text in texts.items():
        at = CHECK_AT + timedelta(days=30) if name == "stale-status" else CHECK_AT
        result = verify(text, at=at, trust=bundle)
        cases.append({"name": name, "qr": text, "at": at.isoformat(),
                      "verdict": result.verdict.value,
                      "checks": {c.check.value: [c.outcome.value, c.code.value]
                                 for c in result.checks}})
    forge = Forge(compact["valid"], world.issuer_key, stranger, world.root.public.kid)
    cases += attack_cases(forge, bundle)
    cases += vc2_cases(claims(10), world.issuer_key, bundle)
    trusts, national = national_cases()
    out.write_text(json.dumps({"rootKeys": [world.root.public.jwk()], "bundle": bundle_doc,
                               "trusts": trusts, "cases": cases + national},
                              ensure_ascii=False, indent=1) + "\n")
    print({c["name"]: c.get("verdict", "refused") for c in cases + national})


def attack_cases(forge: Forge, bundle: TrustBundle) -> list[dict[str, Any]]:
    """Each row of the attack catalogue, judged by the Python verifier; a row whose answer
    is not the catalogue's stops the run (the file never records a surprise)."""
    cases = []
    for attack in ATTACKS:
        text = attack.build(forge)
        result = verify(text, at=CHECK_AT, trust=bundle)
        checks = {c.check.value: [c.outcome.value, c.code.value] for c in result.checks}
        assert (result.verdict.value, checks[attack.check][1]) == (attack.verdict, attack.code), \
            f"{attack.name}: {result.verdict.value}, {checks[attack.check]}"
        cases.append({"name": f"attack-{attack.name}", "qr": text, "at": CHECK_AT.isoformat(),
                      "verdict": result.verdict.value, "checks": checks})
    return cases


def vc2_cases(genuine: dict[str, Any], key: Any, bundle: TrustBundle) -> list[dict[str, Any]]:
    """Each row of the VC 2.0 rule table (tests/vectors/vc2/rules.json) with a trust-bundle
    expectation, as QR text; a row whose answer is not the table's stops the run."""
    cases = []
    for row in VC2_ROWS:
        if "trust" not in row:
            continue
        text = qr.encode(signed(edited(genuine, row, CHECK_AT), row, key))
        result = verify(text, at=CHECK_AT, trust=bundle)
        checks = {c.check.value: [c.outcome.value, c.code.value] for c in result.checks}
        verdict, check, code = row["trust"]
        assert (result.verdict.value, checks[check][1]) == (verdict, code), \
            f"{row['name']}: {result.verdict.value}, {checks[check]}"
        cases.append({"name": f"vc2-{row['name']}", "qr": text, "at": CHECK_AT.isoformat(),
                      "verdict": result.verdict.value, "checks": checks})
    return cases


def national_world(**changes: Any) -> World:
    """A national trust world: three officials of whom two must sign, one centre (the same
    as the shared world's) with one status list of each purpose; `changes` set fields."""
    world = World(
        key_prefix=KEYS, issuer_id=ISSUER, issuer_name="National Technical Training Institute",
        issuer_name_km="វិទ្យាស្ថានជាតិបណ្តុះបណ្តាលបច្ចេកទេស",
        accreditations={Kind.RPL: ["7112"], Kind.TVET: ["*"]},
        key_window=(ISSUED - timedelta(days=30), None), officials=3, threshold=2,
        trust_issued=ISSUED - timedelta(days=30), trust_expires=ISSUED + timedelta(days=3650),
        lists=1, status_from=ISSUED, status_valid_for=timedelta(days=7), synced_at=ISSUED,
        issued_at=ISSUED)
    for name, value in changes.items():
        setattr(world, name, value)
    return world


def _trust(world: World, root: RootSet | None = None) -> dict[str, Any]:
    return {"root": (root or world.root_set()).to_json(), "bundle": world.bundle_document()}


def _judge(name: str, trust: str, trusts: dict[str, dict[str, Any]],
           token: str | None = None) -> dict[str, Any]:
    """A case: the Python verifier's answer for `token` in trust world `trust`, or, when the
    world's bundle is refused, the reason (and then no credential: nothing is judged)."""
    world = trusts[trust]
    try:
        bundle = TrustBundle.from_json(json.dumps(world["bundle"]).encode(),
                                       roots=RootSet.from_json(world["root"]))
    except TrustError as exc:
        assert token is None, f"{name}: the bundle of {trust} is refused ({exc})"
        return {"name": name, "trust": trust, "refused": str(exc)}
    assert token is not None, f"{name}: the bundle of {trust} is accepted"
    text = qr.encode(token)
    result = verify(text, at=CHECK_AT, trust=bundle)
    return {"name": name, "trust": trust, "qr": text, "at": CHECK_AT.isoformat(),
            "verdict": result.verdict.value,
            "checks": {c.check.value: [c.outcome.value, c.code.value] for c in result.checks}}


def _record_entries(world: World, cards: dict[int, tuple[str, datetime]]) -> list[Entry]:
    """The centre's database rows for cards on list 1: index -> (compact JWS, issued)."""
    return [Entry(1, index, issued, signature_digest(jws.parse(compact).signature))
            for index, (compact, issued) in sorted(cards.items())]


def _judged_by_record(world: World, cards: dict[int, tuple[str, datetime]], *,
                      compromised: bool) -> None:
    """The centre's first key retired (or found compromised) at RETIRED_AT, with its signed
    issuance record of `cards`; the next key signs from then on (the status lists too)."""
    old, new = world.issuer_key, world.key("next issuer")
    entries = _record_entries(world, cards)
    record = sign_record(issuer=world.issuer_id, kid=old.kid, entries=entries,
                         created=max([RETIRED_AT, *(e.issued for e in entries)]), key=new)
    parsed = IssuanceRecord.from_jws(record)
    world.issuer_keys = [
        key_entry(old.public, ISSUED - timedelta(days=30), None if compromised else RETIRED_AT,
                  compromised_since=RETIRED_AT if compromised else None,
                  record=RecordRef(parsed.sha256, parsed.count)),
        key_entry(new.public, RETIRED_AT)]
    world.records = [record]
    world.issuer_key = new
    world.status_from = RETIRED_AT  # lists signed by the new key: the old one signs no more


def national_cases() -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    trusts: dict[str, dict[str, Any]] = {}
    cases: list[dict[str, Any]] = []

    def card(world: World, index: int, key_name: str = "issuer", tag: str = "NATIONAL",
             **extra: Any) -> str:
        return world.issue(world.key(key_name), index=index,
                           credential_id=f"urn:skillpass:cred:{tag}{index:0{12 - len(tag)}d}",
                           **extra)

    # -- the root: k of n officials ------------------------------------------------------
    world = national_world(signers=[2, 3])  # any two of the three, not only the first
    trusts["two-of-three"] = _trust(world)
    cases.append(_judge("threshold-two-of-three", "two-of-three", trusts, card(world, 1)))
    trusts["one-of-three"] = _trust(national_world(signers=[3]))
    cases.append(_judge("threshold-one-of-three-refused", "one-of-three", trusts))
    # Official 3 signing twice is one signature: refused, not counted as the second.
    doubled = national_world(signers=[2, 3])
    trusts["same-official-twice"] = _trust(doubled)
    signatures = trusts["same-official-twice"]["bundle"]["trustList"]["signatures"]
    signatures.append(dict(signatures[1]))
    cases.append(_judge("same-official-twice-refused", "same-official-twice", trusts))
    # Two officials cannot lower the threshold a verifier pinned (3 of 3) by signing a list
    # that says 2: a change of root needs a threshold of the old root.
    lowered = national_world()
    trusts["threshold-lowered"] = _trust(lowered, RootSet(lowered.root_set().keys, 3))
    cases.append(_judge("threshold-lowered-by-two-refused", "threshold-lowered", trusts))

    # -- a root rotation, followed from a pin older than it --------------------------------
    rotating = national_world(version=4)
    pinned = rotating.root_set()
    before = rotating.signed_trust_list()
    # Version 5 adds officials 4 and 5, three of five to sign; 1 and 2 sign for the old root,
    # 1, 2 and 4 for the new. Version 6 is signed by 3, 4 and 5: one old official only.
    rotating.version, rotating.officials, rotating.threshold, rotating.signers = 5, 5, 3, [1, 2, 4]
    rotation = rotating.signed_trust_list()
    rotating.version, rotating.signers = 6, [3, 4, 5]
    rotating.root_history = [before, rotation]
    trusts["root-rotation"] = _trust(rotating, pinned)
    cases.append(_judge("root-rotation-followed", "root-rotation", trusts, card(rotating, 1)))
    # Two officials of the old root sign a version 9 and slip it into the history after the
    # genuine rotation: the walk must chain through the rotation, never restart at it.
    forged_by_old = national_world(version=9)
    forged = forged_by_old.signed_trust_list()
    trusts["root-history-forged-by-old-root"] = {"root": pinned.to_json(), "bundle": {
        **rotating.bundle_document(), "trustList": forged,
        "rootHistory": [before, rotation, rotating.signed_trust_list(), forged]}}
    cases.append(_judge("root-history-forged-by-old-root-refused",
                        "root-history-forged-by-old-root", trusts))

    # -- a suspended centre ----------------------------------------------------------------
    suspended = national_world(centre_state=CentreState.SUSPENDED)
    trusts["suspended-centre"] = _trust(suspended)
    cases.append(_judge("suspended-centre", "suspended-centre", trusts, card(suspended, 1)))

    # -- a retired key: its issuance record decides ---------------------------------------
    retired = national_world()
    genuine = {i: (card(retired, i, tag="RETIRED"), ISSUED + timedelta(minutes=i))
               for i in (0, 1, 4, 5, 6)}
    # Signed with the retired key after it was retired, dated before: what the record stops.
    backdated = card(retired, 3, tag="BACKDATED", valid_from=ISSUED + timedelta(hours=12))
    _judged_by_record(retired, genuine, compromised=False)
    trusts["retired-key"] = _trust(retired)
    cases.append(_judge("retired-key-genuine", "retired-key", trusts, genuine[4][0]))
    cases.append(_judge("retired-key-backdated", "retired-key", trusts, backdated))
    # A list the retired key signed inside its window, clearing every bit, valid for years:
    # it lasts no longer than the key's window, so by now the status is only stale.
    lingering = {**trusts["retired-key"], "bundle": {**trusts["retired-key"]["bundle"]}}
    retired.status_key, retired.status_from = retired.key("issuer"), ISSUED
    retired.status_valid_for = timedelta(days=3650)
    lingering["bundle"]["statusLists"] = retired.status_lists()
    trusts["retired-key-long-status-list"] = lingering
    cases.append(_judge("retired-key-status-list-ends-with-its-window",
                        "retired-key-long-status-list", trusts, genuine[4][0]))
    retired.status_key, retired.status_from = None, RETIRED_AT
    retired.status_valid_for = timedelta(days=7)
    retired.records = []  # the trust list names the record; this bundle does not carry it
    trusts["retired-key-record-not-carried"] = _trust(retired)
    cases.append(_judge("retired-key-record-not-carried", "retired-key-record-not-carried",
                        trusts, genuine[4][0]))
    # The trust list names no record for it: the date cannot be confirmed, a warning.
    assert retired.issuer_keys is not None
    retired.issuer_keys = [key_entry(retired.key("issuer").public, ISSUED - timedelta(days=30),
                                     RETIRED_AT), retired.issuer_keys[1]]
    trusts["retired-key-no-record"] = _trust(retired)
    cases.append(_judge("retired-key-no-record", "retired-key-no-record", trusts, genuine[4][0]))
    # The same status list twice in one bundle: refused, never "the last one wins".
    twice = {**trusts["retired-key"], "bundle": {**trusts["retired-key"]["bundle"]}}
    twice["bundle"]["statusLists"] = [*twice["bundle"]["statusLists"],
                                      twice["bundle"]["statusLists"][0]]
    trusts["status-list-twice"] = twice
    cases.append(_judge("status-list-twice-refused", "status-list-twice", trusts))

    # -- a compromised key: genuine cards issued before it was stolen, nothing else --------
    stolen = national_world()
    genuine = {i: (card(stolen, i, tag="GENUINE"), ISSUED + timedelta(minutes=i))
               for i in (0, 1, 4, 5, 6)}
    # Issued by the centre itself, but after the key was stolen (before anyone knew).
    after = ISSUED + timedelta(days=2)
    genuine[8] = (card(stolen, 8, tag="AFTERTHEFT", valid_from=after), after)
    thief = card(stolen, 9, tag="THIEF")
    # A genuine card's slot with other claims: its signature is not the one recorded.
    reused = card(stolen, 4, tag="REUSED", holder=HolderInput("Thief", "ចោរ", 1980, "999999999"))
    _judged_by_record(stolen, genuine, compromised=True)
    trusts["compromised-key"] = _trust(stolen)
    cases.append(_judge("compromised-key-genuine", "compromised-key", trusts, genuine[4][0]))
    cases.append(_judge("compromised-key-thief", "compromised-key", trusts, thief))
    cases.append(_judge("compromised-key-slot-reused", "compromised-key", trusts, reused))
    cases.append(_judge("compromised-key-after-theft", "compromised-key", trusts, genuine[8][0]))

    # -- an expired trust list: a warning naming its expiry, never a silent pass -------------
    # Expired 400 days before the check while the centre's status lists stay current (the
    # authority stopped re-signing its list): only the trust list's age can make the warning.
    # Suspended as well, the suspension is the warning (verify.py says why).
    for name, state in (("trust-list-expired", CentreState.ACTIVE),
                        ("trust-list-expired-centre-suspended", CentreState.SUSPENDED)):
        lapsed = national_world(trust_issued=CHECK_AT - timedelta(days=765),
                                trust_expires=CHECK_AT - timedelta(days=400),
                                key_window=(CHECK_AT - timedelta(days=800), None),
                                centre_state=state)
        trusts[name] = _trust(lapsed)
        cases.append(_judge(name, name, trusts, card(lapsed, 1)))

    # -- a date that does not exist: refused as a malformed credential, never rolled over ----
    dated = national_world()
    trusts["national"] = _trust(dated)
    for name, field, when in (("valid-until-february-30", "validUntil", "2027-02-30T00:00:00Z"),
                              ("valid-from-hour-24", "validFrom", "2026-11-02T24:00:00Z"),
                              ("valid-until-month-13", "validUntil", "2027-13-01T00:00:00Z")):
        claims = dated.claims(index=1)
        claims[field] = when
        cases.append(_judge(f"date-{name}", "national", trusts, jws.sign(
            encode_claims(claims), dated.issuer_key, typ=MEDIA_TYPE, cty=CONTENT_TYPE)))
    # -- centre ids: one spelling per URL, no centre inside another's URL space ------------
    # Else one centre signs lists at another's URLs (a parent at its child's, a lookalike at
    # its twin's): the whole list is refused, by every verifier, with the same words.
    def other(centre_id: str) -> dict[str, Any]:
        return issuer_entry(issuer_id=centre_id, name="Other", name_km="ផ្សេង",
                            keys=[key_entry(world.key(f"centre {centre_id}").public,
                                            ISSUED - timedelta(days=30))],
                            accreditations={Kind.TVET: ["*"]})

    for name, own_id, other_id in (
            ("centre-inside-another", ISSUER, f"{ISSUER}/btb"),
            ("centre-holding-another", f"{ISSUER}/btb", ISSUER),
            ("centre-id-lookalike-port", ISSUER, ISSUER.replace(".kh", ".kh:443")),
            ("centre-id-lookalike-slash", ISSUER, f"{ISSUER}/"),
            ("centre-id-lookalike-dot-segment", ISSUER, f"{ISSUER}/x/.."),
            ("centre-id-lookalike-final-dot", ISSUER, f"{ISSUER}.")):
        trusts[name] = _trust(national_world(issuer_id=own_id, other_issuers=[other(other_id)]))
        cases.append(_judge(f"{name}-refused", name, trusts))

    # -- status unknown, with how current the authority's copy of the centre's lists is ----
    unknown = national_world(centres={ISSUER: CentreFreshness(ISSUED - timedelta(days=3))})
    trusts["centre-status-as-of"] = _trust(unknown)
    cases.append(_judge("status-unknown-as-of", "centre-status-as-of", trusts,
                        card(unknown, 2, list_no=2)))
    return trusts, cases


if __name__ == "__main__":
    main()
