"""The national authority's year, end to end, through the commands officials run.

Three officials (two must sign) create the root; two centres are accredited from their
requests; proposals travel to an official's laptop and back as files; a centre rotates its
key with an overlap; its old key is stolen and contained by its issuance record; official 3
is replaced by official 4 (a root rotation); and the national bundle, built from the centres'
published lists (one from a file, one over HTTP), is judged by a verifier that pinned the
FIRST root and never updated its pin.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from authority.home import HOME_ENV, Home
from passport.bundle import TrustBundle
from passport.credential import HolderInput, format_time
from passport.trust import RootSet
from passport.verify import Check, Code, Verdict, verify
from tests.authority.centres import centre_a, centre_b, key
from tests.authority.conftest import Cli, sign, wait_until
from tests.authority.test_cli import write
from tests.serving import serving

THIEF = HolderInput("Thief", "ចោរ", 1980, "999999999")


def run(cli: Cli, *argv: str) -> str:
    code, out, err = cli("authority", *argv)
    assert code == 0, err
    return out


def on_laptop(cli: Cli, monkeypatch: pytest.MonkeyPatch, laptop: Path, proposal: Path,
              sealed_key: Path) -> str:
    """An official signs a carried proposal on their own machine: no authority home there."""
    with monkeypatch.context() as there:
        there.setenv(HOME_ENV, str(laptop / "no-authority-home"))
        return run(cli, "sign", "--proposal", str(proposal), "--key", str(sealed_key))


def test_the_authority_from_first_root_to_a_national_bundle(
        home: Home, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    laptop = tmp_path / "official-2-laptop"
    laptop.mkdir()
    a, b = centre_a(), centre_b()

    # The ceremony: 3 officials, 2 of whom must sign. Verifiers pin this root.
    run(cli, "init", "--officials", "3", "--threshold", "2")
    first_root = RootSet.from_json(json.loads(home.root_keys_file.read_text()))

    # v2: both centres accredited; centre A gets less than it asked for.
    now = datetime.now(UTC)
    run(cli, "accredit", str(write(tmp_path / "a.jwt", a.request(now))),
        "--grant", "rpl:7112,7115", "--grant", "tvet:*")
    run(cli, "accredit", str(write(tmp_path / "b.jwt", b.request(now))))
    sign(cli, "official-1")
    shutil.copy(home.proposal_file(2), laptop / "proposal-v2.json")
    shutil.copy(home.official_key_file("official-2"), laptop / "official-2.sealed.json")
    on_laptop(cli, monkeypatch, laptop, laptop / "proposal-v2.json",
              laptop / "official-2.sealed.json")
    assert home.current().version == 1  # nothing is published on a laptop
    run(cli, "publish", "--proposal", str(laptop / "proposal-v2.json"))
    assert home.current().version == 2
    a1_from = home.current().issuers[a.id].keys[0].valid_from
    b_from = home.current().issuers[b.id].keys[0].valid_from
    genuine = a.card(7, a1_from, number="GENUINE00007")

    # v3: centre A rotates its key; the old one stays valid 30 days beside the new.
    a2 = key("centre a, second key")
    run(cli, "rotate-key", a.id, str(write(tmp_path / "rotate.json",
                                           json.dumps(a.rotation(a2, datetime.now(UTC))))))
    sign(cli, "official-2", "official-3")
    a1, a2_entry = home.current().issuers[a.id].keys
    assert a2_entry.valid_from <= datetime.now(UTC) and a2_entry.valid_until is None
    assert a1.valid_until == a2_entry.valid_from + timedelta(days=30)

    # v4: A's first key is stolen. The centre's record of what it signed with it contains it.
    since = a1_from + timedelta(seconds=1)
    wait_until(since)
    record = a.record(a.key.kid, [(genuine, 7, a1_from)], datetime.now(UTC), key=a2)
    run(cli, "compromise", a.id, a.key.kid, "--since", format_time(since), "--record",
        str(write(tmp_path / "a1-record.jwt", record)))
    sign(cli, "official-1", "official-3")

    # v5: official 3 leaves, official 4 joins: 2 of the old root and 2 of the new sign.
    run(cli, "official", "new", "official-4")
    three = home.settings().officials[2]
    out = run(cli, "roots", "--add", str(home.root / "officials" / "official-4.public.json"),
              "--remove", three.kid)
    assert "needs 2 signatures of the current root and 2 of this one" in out
    sign(cli, "official-1")
    shutil.copy(home.proposal_file(5), laptop / "proposal-v5.json")
    shutil.copy(home.official_key_file("official-4"), laptop / "official-4.sealed.json")
    out = on_laptop(cli, monkeypatch, laptop, laptop / "proposal-v5.json",
                    laptop / "official-4.sealed.json")
    assert "still needed: 1 more of the current root (official-2, official-3)" in out
    # Back home, official 3 signs the carried file: its signatures and the home's merge.
    out = run(cli, "sign", "--proposal", str(laptop / "proposal-v5.json"),
              "--official", "official-3")
    assert "Published trust list v5" in out
    assert RootSet.from_json(json.loads(home.root_keys_file.read_text())).identity == (
        frozenset(o.kid for o in home.settings().officials if o.name != "official-3"), 2)

    # v6: a renewal under the new root; official 3 can no longer sign.
    code, _, err = cli("authority", "sign", "--official", "official-3")
    assert code == 2 and "is not a key of an official" in err
    sign(cli, "official-2", "official-4")
    assert home.current().version == 6

    # The centres publish their status lists; A now signs with its new key.
    lists_from = datetime.now(UTC)
    a_file = a.publish(tmp_path / "centre-a" / "trust-bundle.json", home.current().signed,
                       a.status_lists(lists_from, key=a2), lists_from)
    site = tmp_path / "centre-b-site"
    b.publish(site / "trust-bundle.json", home.current().signed,
              b.status_lists(lists_from, revoked=[4]), lists_from)
    national = tmp_path / "national-trust-bundle.json"
    with serving(site) as url:
        run(cli, "bundle", "--out", str(national), "--dir", str(tmp_path / "www"),
            "--status", str(a_file), "--status", f"{b.id}={url}/trust-bundle.json")

    # A verifier pinned to the first root follows the rotation and trusts v6.
    bundle = TrustBundle.from_json(national.read_bytes(), roots=first_root)
    assert bundle.trust_list.version == 6
    assert [json.loads(json.dumps(h)) for h in bundle.root_history] == [
        json.loads(home.history_file(v).read_text()) for v in (4, 5)]
    assert {cid: c.problem for cid, c in bundle.centres.items()} == {a.id: "", b.id: ""}
    assert len(bundle.records) == 1

    at = since + timedelta(hours=2)

    def judged(card: str) -> tuple[Verdict, Code]:
        result = verify(card, at=at, trust=bundle)
        failed = result.failures()
        return result.verdict, failed[0].code if failed else Code.OK

    after_theft = since + timedelta(hours=1)
    assert judged(genuine) == (Verdict.VALID, Code.OK)
    assert judged(a.card(9, after_theft, number="THIEF0000009")) == (Verdict.INVALID,
                                                                     Code.KEY_COMPROMISED)
    backdated = a.card(10, a1_from, number="THIEF0000010")
    assert judged(backdated) == (Verdict.INVALID, Code.KEY_COMPROMISED)
    reused_slot = a.card(7, a1_from, number="GENUINE00007", holder=THIEF)
    assert judged(reused_slot) == (Verdict.INVALID, Code.KEY_COMPROMISED)
    assert judged(a.card(11, a2_entry.valid_from, key=a2, number="NEWKEY000011")) == (
        Verdict.VALID, Code.OK)
    # What A was not granted, though it asked.
    assert judged(a.card(12, a2_entry.valid_from, key=a2, isco="7411")) == (
        Verdict.INVALID, Code.NOT_ACCREDITED)
    assert judged(b.card(3, b_from)) == (Verdict.VALID, Code.OK)
    assert judged(b.card(4, b_from, number="REVOKED00004")) == (Verdict.INVALID, Code.REVOKED)
    checks = verify(genuine, at=at, trust=bundle).check(Check.KEY_VALID)
    assert "in the centre's issuance record" in checks.message

    # The folder a static web server publishes holds the same bundle and today's root.
    www = tmp_path / "www"
    assert (www / "trust-bundle.json").read_bytes() == national.read_bytes()
    assert RootSet.from_json(json.loads((www / "root-keys.json").read_text())).identity == \
        bundle.trust_list.root.identity
