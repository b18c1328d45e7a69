"""Proposal files: which roots must sign, and what a file carried back may claim."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from authority.proposal import Proposal, needs_for
from passport.errors import DocumentError, UsageError
from passport.trust import RootSet, signature_over, trust_list_document
from tests.authority.centres import key

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
OLD = RootSet(tuple(key(f"official {n}").public for n in (1, 2, 3)), 2)
NEW = RootSet(tuple(key(f"official {n}").public for n in (1, 2, 4)), 2)
NAMES = {key(f"official {n}").kid: f"official-{n}" for n in range(1, 6)}


def proposal(root: RootSet = OLD, version: int = 2) -> Proposal:
    doc = trust_list_document(version=version, issued=NOW, expires=NOW + timedelta(days=365),
                              root_keys=list(root.keys), issuers=[], threshold=root.threshold)
    return Proposal.build(doc, needs_for(OLD, root), NAMES)


def signed(p: Proposal, *officials: int) -> Proposal:
    for n in officials:
        p = p.sign(key(f"official {n}"), f"official-{n}")
    return p


def test_a_list_needs_k_of_the_current_root() -> None:
    p = proposal()
    assert [n.role for n in p.needs] == ["current root"]
    assert [n for _, n in p.missing()] == [2]
    assert not signed(p, 1).complete
    assert signed(p, 1).describe_missing() == "1 more of the current root (official-2, official-3)"
    assert p.names == {key(f"official {n}").kid: f"official-{n}" for n in (1, 2, 3)}
    assert signed(p, 3, 1).complete
    assert signed(p, 3, 1).signed_list()["payload"] == p.payload


def test_a_root_rotation_needs_k_of_the_old_and_k_of_the_new() -> None:
    p = proposal(NEW)
    assert [n.role for n in p.needs] == ["current root", "new root"]
    # Officials 1 and 3 are 2 of the old root but only 1 of the new one.
    assert [(n.role, short) for n, short in signed(p, 1, 3).missing()] == [("new root", 1)]
    assert signed(p, 1, 3, 4).complete
    # Official 4 is not yet an official of the current root, but signs the rotation.
    assert [(n.role, short) for n, short in signed(p, 4).missing()] == [("current root", 2),
                                                                       ("new root", 1)]


def test_only_an_officials_key_signs_and_only_once() -> None:
    p = proposal()
    with pytest.raises(UsageError, match=r"stranger's key .* is not a key of an official"):
        p.sign(key("stranger"), "stranger")
    with pytest.raises(UsageError, match=r"official-1 .* has already signed"):
        signed(p, 1, 1)


def test_a_proposal_file_round_trips_and_every_signature_in_it_is_checked() -> None:
    p = signed(proposal(NEW), 1, 4)
    again = Proposal.from_bytes(p.to_bytes(), "p.json")
    assert again == p and again.signers() == {key("official 1").kid, key("official 4").kid}

    def refused(doc: dict[str, object]) -> list[tuple[str, str]]:
        with pytest.raises(DocumentError) as exc:
            Proposal.from_bytes(json.dumps(doc).encode(), "p.json")
        assert exc.value.source == "p.json"
        return exc.value.problems

    good = p.to_json()
    stranger = signature_over(p.payload, key("stranger"))
    assert refused({**good, "signatures": [*good["signatures"], stranger]}) == [
        ("signatures[2]", f"by key {key('stranger').kid}, which is not a key of an official "
                          "who signs this list")]
    forged = {**good["signatures"][0], "signature": good["signatures"][1]["signature"]}
    assert refused({**good, "signatures": [forged]}) == [
        ("signatures[0]", f"the signature of key {key('official 1').kid} does not verify over "
                          "this payload")]
    assert refused({**good, "signatures": [good["signatures"][0]] * 2}) == [
        ("signatures[1]", f"key {key('official 1').kid} has signed twice")]
    assert refused({**good, "version": 3}) == [("version", "is 3 but the payload is version 2")]
    assert refused({**good, "type": "SkillsPassportTrustList"})[0][0] == "type"
    assert refused({**good, "payload": "bm90IGpzb24"})[0][0] == "payload"
    assert refused({**good, "needs": []})[0][0] == "needs"
    assert refused({**good, "officials": ["official-1"]})[0][0] == "officials"
    with pytest.raises(DocumentError, match=r"p\.json: file: not UTF-8"):
        Proposal.from_bytes(b"\xff", "p.json")


def test_merging_adds_the_other_files_signatures_for_the_same_list_only() -> None:
    p = proposal()
    merged = signed(p, 1).merge(signed(p, 2), "back.json")
    assert merged.complete and len(merged.signatures) == 2
    assert signed(p, 1).merge(signed(p, 1), "back.json").signatures == signed(p, 1).signatures
    later = Proposal.build(trust_list_document(
        version=2, issued=NOW + timedelta(hours=1), expires=NOW + timedelta(days=365),
        root_keys=list(OLD.keys), issuers=[], threshold=2), needs_for(OLD, OLD), {})
    with pytest.raises(DocumentError, match=r"back\.json: payload: is not the pending proposal"):
        p.merge(signed(later, 2), "back.json")
