"""`skillpass authority ...` as officials run it: every command, and every bad input refused
with exit 2, naming the file and the field, the home left as it was byte for byte."""

from __future__ import annotations

import json
import shutil
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from authority.home import HOME_ENV, Home
from authority.officials import env_var
from authority.proposal import Proposal, needs_for
from passport import jws
from passport.accreditation import ACCREDITATION_TYP
from passport.credential import Kind, format_time
from passport.errors import KeyFileError
from passport.keys import PrivateKey, unseal
from passport.trust import CentreState, RootSet, TrustStore, signature_over, trust_list_document
from tests.authority.centres import Centre, centre_a, centre_b, key
from tests.authority.conftest import Cli, passphrase_of, sign, snapshot


def refused(cli: Cli, home: Home, *argv: str) -> str:
    """Run a command that must fail: exit 2, a message, and not one byte of the home changed."""
    before = snapshot(home.root) if home.root.exists() else None
    code, out, err = cli(*argv)
    assert code == 2, (out, err)
    assert (snapshot(home.root) if home.root.exists() else None) == before
    assert "Traceback" not in err
    return err


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def request_file(tmp_path: Path, centre: Centre, **kw: PrivateKey) -> Path:
    return write(tmp_path / "requests" / f"{centre.key.kid}.jwt",
                 centre.request(datetime.now(UTC), **kw))


def accredit(cli: Cli, tmp_path: Path, centre: Centre, *grants: str) -> None:
    code, _, err = cli("authority", "accredit", str(request_file(tmp_path, centre)), *grants)
    assert code == 0, err


def official_key(home: Home, n: int) -> PrivateKey:
    doc = json.loads(home.official_key_file(f"official-{n}").read_text())
    return unseal(doc, passphrase_of(f"official-{n}"))


# -- init ------------------------------------------------------------------------------------

def test_init_seals_each_officials_key_and_signs_an_empty_list_v1(national: Home) -> None:
    home = national
    root = RootSet.from_json(json.loads(home.root_keys_file.read_text()))
    assert root.threshold == 2 and len(root.keys) == 3
    first = TrustStore(root).update(json.loads(home.trust_list_file.read_text()))
    assert (first.version, first.issuers, first.root.identity) == (1, {}, root.identity)
    assert home.history_file(1).read_bytes() == home.trust_list_file.read_bytes()
    for n in (1, 2, 3):
        path = home.official_key_file(f"official-{n}")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert official_key(home, n).public == root.keys[n - 1]
    # Each key opens with its own official's passphrase, and no other.
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        unseal(json.loads(home.official_key_file("official-2").read_text()),
               passphrase_of("official-1"))
    assert [(o.name, o.kid) for o in home.settings().officials] == [
        (f"official-{n}", k.kid) for n, k in enumerate(root.keys, 1)]


def test_init_refuses_bad_input_and_creates_nothing(home: Home, cli: Cli,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    err = refused(cli, home, "authority", "init", "--officials", "3", "--threshold", "4")
    assert "--threshold 4 is above --officials 3" in err
    assert "at least 1" in refused(cli, home, "authority", "init", "--officials", "3",
                                   "--threshold", "0")
    monkeypatch.delenv(env_var("official-3"))
    err = refused(cli, home, "authority", "init", "--officials", "3", "--threshold", "2")
    assert "no passphrase for official official-3: set SKILLPASS_PASSPHRASE_OFFICIAL_3" in err
    monkeypatch.setenv(env_var("official-3"), "short")
    err = refused(cli, home, "authority", "init", "--officials", "3", "--threshold", "2")
    assert "passphrase of official-3 (SKILLPASS_PASSPHRASE_OFFICIAL_3) must have at least 8" in err
    assert not home.root.exists()


def test_init_never_overwrites_a_home(national: Home, cli: Cli) -> None:
    err = refused(cli, national, "authority", "init", "--officials", "1", "--threshold", "1")
    assert "already exists" in err


def test_the_home_defaults_to_instance_authority_in_the_current_folder(
        home: Home, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(HOME_ENV)
    monkeypatch.chdir(tmp_path)
    assert cli("authority", "init", "--officials", "1", "--threshold", "1")[0] == 0
    assert (tmp_path / "instance-authority" / "trust-list.json").exists()
    assert not home.root.exists()


def test_passphrase_variables_are_named_after_the_official() -> None:
    assert env_var("official-1") == "SKILLPASS_PASSPHRASE_OFFICIAL_1"
    assert env_var("Dr.Sok_2") == "SKILLPASS_PASSPHRASE_DR_SOK_2"


# -- accreditation and signing ---------------------------------------------------------------

def test_a_centre_is_trusted_once_k_officials_have_signed(national: Home, cli: Cli,
                                                            tmp_path: Path) -> None:
    home, a = national, centre_a()
    code, out, _ = cli("authority", "accredit", str(request_file(tmp_path, a)),
                       "--grant", "rpl:7112,7115", "--grant", "tvet:*")
    assert code == 0 and "may certify rpl: 7112 7115; tvet: *" in out
    out = sign(cli, "official-1")
    assert "still needed: 1 more of the current root (official-2, official-3)" in out
    assert json.loads(home.trust_list_file.read_text()) == json.loads(
        home.history_file(1).read_text())  # nothing published with 1 of 2
    assert home.proposal_file(2).exists()
    _, shown, _ = cli("authority", "show")
    assert f"accredit {a.id}" in shown and "signed by official-1" in shown
    out = sign(cli, "official-3")
    assert "Published trust list v2" in out
    assert not home.proposal_file(2).exists()
    store = TrustStore(RootSet.from_json(json.loads(home.root_keys_file.read_text())))
    store.update(json.loads(home.history_file(1).read_text()))
    listed = store.update(json.loads(home.trust_list_file.read_text()))
    centre = listed.issuers[a.id]
    assert {k.value: sorted(v) for k, v in centre.accreditations.items()} == {
        "rpl": ["7112", "7115"], "tvet": ["*"]}
    assert [k.key for k in centre.keys] == [a.key.public]
    _, shown, _ = cli("authority", "show")
    assert "Trust list v2" in shown and f"{a.id}  {a.name}" in shown
    assert "Draft: 0 change(s)" in shown and "Pending proposal" not in shown


def non_ed25519_request(tmp_path: Path, centre: Centre) -> Path:
    doc = json.loads(jws.parse(centre.request(datetime.now(UTC))).payload)
    doc["jwk"] = {**doc["jwk"], "crv": "X25519"}
    return write(tmp_path / "x25519.jwt", jws.sign(json.dumps(doc).encode(), centre.key,
                                                   typ=ACCREDITATION_TYP))


def test_bad_requests_and_records_name_the_file_and_the_field(national: Home, cli: Cli,
                                                              tmp_path: Path) -> None:
    home, a, b = national, centre_a(), centre_b()
    c = Centre("https://masons.test.skillpass.kh", "Masons", "ជាងសំណង់", key("centre c"),
               {Kind.RPL: ["7112"]})
    accredit(cli, tmp_path, a)
    now = datetime.now(UTC)
    card = a.card(7, now)
    not_a_request = write(tmp_path / "list.json", home.trust_list_file.read_text())
    garbage = write(tmp_path / "hello.jwt", "hello")
    duplicate = write(tmp_path / "again.jwt", a.request(now, key=key("another")))
    unsigned_rotation = a.rotation(key("a new"), now)
    unsigned_rotation["signatures"] = unsigned_rotation["signatures"][1:]
    cases = [
        (["accredit", str(not_a_request)], not_a_request, "file",
         "is JSON, not a signed accreditation request"),
        (["accredit", str(garbage)], garbage, "file", "not a signed request"),
        (["accredit", str(non_ed25519_request(tmp_path, b))], tmp_path / "x25519.jwt",
         "$.jwk.crv", "'Ed25519' was expected"),
        (["accredit", str(duplicate)], duplicate, "id", f"{a.id} is already accredited"),
        (["accredit", str(request_file(tmp_path, c)), "--grant", "rpl:7112,7115"],
         tmp_path / "requests" / f"{c.key.kid}.jwt", "asks",
         "asks for rpl in 7112 only; --grant may not add 7115"),
        (["accredit", str(request_file(tmp_path, a, key=key("x")).with_name("none.jwt"))],
         tmp_path / "requests" / "none.jwt", None, "no such file"),
        (["rotate-key", a.id, str(write(tmp_path / "rot.json", json.dumps(unsigned_rotation)))],
         tmp_path / "rot.json", "signatures", f"not signed by the accredited key {a.key.kid}"),
        (["compromise", a.id, a.key.kid, "--since", format_time(now), "--record",
          str(write(tmp_path / "stranger.jwt", a.record(a.key.kid, [(card, 7, now)], now,
                                                        key=key("stranger"))))],
         tmp_path / "stranger.jwt", "signature", f"not signed by a key of {a.id}"),
        (["compromise", a.id, a.key.kid, "--since", format_time(now), "--record",
          str(write(tmp_path / "other-kid.jwt", a.record(b.key.kid, [], now)))],
         tmp_path / "other-kid.jwt", "kid", f"is {b.key.kid}, not {a.key.kid}"),
        (["retire-key", a.id, a.key.kid, "--at", format_time(now + timedelta(days=1)),
          "--record", str(write(tmp_path / "card.jwt", card))],
         tmp_path / "card.jwt", "file", "not an issuance record"),
    ]
    for argv, path, field, message in cases:
        err = refused(cli, home, "authority", *argv)
        assert f"{path}: {field}:" in err if field else str(path) in err, err
        assert message is None or message in err, err


def test_only_officials_sign_only_k_publish_and_versions_only_go_up(
        national: Home, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = national
    accredit(cli, tmp_path, centre_a())
    sign(cli, "official-1")
    carried = tmp_path / "carried" / "proposal-v2.json"
    carried.parent.mkdir()
    shutil.copy(home.proposal_file(2), carried)
    # A stranger's key, sealed the way officials' keys are, is refused.
    monkeypatch.setenv(env_var("stranger"), "the stranger's passphrase")
    stranger = tmp_path / "stranger.sealed.json"
    assert cli("authority", "official", "new", "stranger", "--out", str(stranger))[0] == 0
    err = refused(cli, home, "authority", "sign", "--key", str(stranger))
    assert f"stranger's key {json.loads(stranger.read_text())['publicJwk']['kid']} is not a key " \
           "of an official who signs trust list v2" in err
    # A stranger's signature slipped into a carried file.
    doc = json.loads(carried.read_text())
    doc["signatures"].append(signature_over(doc["payload"], key("stranger")))
    tampered = write(tmp_path / "tampered.json", json.dumps(doc))
    err = refused(cli, home, "authority", "publish", "--proposal", str(tampered))
    assert f"{tampered}: signatures[1]: by key {key('stranger').kid}, which is not a key of " \
           "an official" in err
    # Fewer than k: nothing is published.
    err = refused(cli, home, "authority", "publish", "--proposal", str(carried))
    assert f"{carried}: signatures: trust list v2 needs 2 of the current root" in err
    assert "still missing: 1 more of the current root (official-2, official-3)" in err
    # A wrong or missing passphrase.
    monkeypatch.setenv(env_var("official-2"), "not the passphrase")
    assert "wrong passphrase" in refused(cli, home, "authority", "sign", "--official",
                                         "official-2")
    monkeypatch.delenv(env_var("official-2"))
    assert "set SKILLPASS_PASSPHRASE_OFFICIAL_2" in refused(cli, home, "authority", "sign",
                                                            "--official", "official-2")
    assert "already signed" in refused(cli, home, "authority", "sign", "--official",
                                       "official-1")
    monkeypatch.setenv(env_var("official-2"), passphrase_of("official-2"))
    sign(cli, "official-2")
    # The old proposal can no longer be published: its version is not newer.
    err = refused(cli, home, "authority", "publish", "--proposal", str(carried))
    assert f"{carried}: version: v2 is not newer than the published v2" in err
    # Nor can one that skips a version, however well signed.
    root = home.current().root
    doc = trust_list_document(version=4, issued=datetime.now(UTC),
                              expires=datetime.now(UTC) + timedelta(days=30),
                              root_keys=list(root.keys), threshold=2,
                              issuers=home.draft().content()["issuers"])
    skipping = Proposal.build(doc, needs_for(root, root), {})
    for n in (1, 2):
        skipping = skipping.sign(official_key(home, n), f"official-{n}")
    path = write(tmp_path / "v4.json", skipping.to_bytes().decode())
    assert f"{path}: version: v4 skips a version: the next trust list is v3" in refused(
        cli, home, "authority", "publish", "--proposal", str(path))


def test_a_proposal_signed_on_an_officials_laptop_is_published_back_home(
        national: Home, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = national
    accredit(cli, tmp_path, centre_a())
    sign(cli, "official-1")
    laptop = tmp_path / "laptop"
    laptop.mkdir()
    shutil.copy(home.proposal_file(2), laptop / "proposal-v2.json")
    shutil.copy(home.official_key_file("official-3"), laptop / "my-key.sealed.json")
    before = snapshot(home.root)
    monkeypatch.setenv(HOME_ENV, str(laptop / "no-home-here"))
    code, out, err = cli("authority", "sign", "--proposal", str(laptop / "proposal-v2.json"),
                         "--key", str(laptop / "my-key.sealed.json"))
    assert code == 0, err
    assert "still needed: none: it is complete" in out and "publish --proposal" in out
    assert snapshot(home.root) == before and not (laptop / "no-home-here").exists()
    monkeypatch.setenv(HOME_ENV, str(home.root))
    code, out, err = cli("authority", "publish", "--proposal", str(laptop / "proposal-v2.json"))
    assert code == 0, err
    assert home.current().version == 2
    assert {s["protected"] for s in home.current().signed["signatures"]} == {
        s["protected"] for s in json.loads((laptop / "proposal-v2.json").read_text())[
            "signatures"]}


def test_a_draft_changed_after_the_proposal_needs_a_rebuild(national: Home, cli: Cli,
                                                            tmp_path: Path) -> None:
    home, a, b = national, centre_a(), centre_b()
    accredit(cli, tmp_path, a)
    sign(cli, "official-1")
    accredit(cli, tmp_path, b)
    err = refused(cli, home, "authority", "sign", "--official", "official-2")
    assert f"{home.proposal_file(2)}: payload: no longer matches the draft" in err
    assert "sign --rebuild" in err
    code, out, _ = cli("authority", "sign", "--official", "official-2", "--rebuild")
    assert code == 0 and "1 more of the current root (official-1, official-3)" in out
    assert "Published" in sign(cli, "official-1")
    assert set(home.current().issuers) == {a.id, b.id}


# -- centres' states and keys ----------------------------------------------------------------

def test_suspend_reinstate_rotate_and_retire_change_the_draft(national: Home, cli: Cli,
                                                              tmp_path: Path) -> None:
    home, a = national, centre_a()
    accredit(cli, tmp_path, a)
    assert cli("authority", "suspend", a.id)[0] == 0
    assert home.draft().centre(a.id).state is CentreState.SUSPENDED
    assert "already suspended" in refused(cli, home, "authority", "suspend", a.id)
    assert cli("authority", "reinstate", a.id)[0] == 0
    assert "already active" in refused(cli, home, "authority", "reinstate", a.id)
    assert "no accredited centre https://x.test" in refused(cli, home, "authority", "suspend",
                                                            "https://x.test")
    new = key("a new")
    rotation = write(tmp_path / "rotation.json", json.dumps(a.rotation(new, datetime.now(UTC))))
    start = datetime.now(UTC).replace(microsecond=0)
    code, out, err = cli("authority", "rotate-key", a.id, str(rotation), "--overlap", "10")
    assert code == 0, err
    old, fresh = home.draft().centre(a.id).keys
    assert old.valid_until is not None and fresh.valid_until is None
    assert timedelta(days=10) <= old.valid_until - start <= timedelta(days=10, seconds=5)
    assert fresh.valid_from == old.valid_until - timedelta(days=10)
    assert len(list((home.root / "requests").glob("rotation-*.json"))) == 1
    at = format_time(datetime.now(UTC) + timedelta(days=5))
    code, out, _ = cli("authority", "retire-key", a.id, a.key.kid, "--at", at)
    assert code == 0 and "No issuance record" in out
    card = a.card(7, start)
    record = write(tmp_path / "record.jwt", a.record(a.key.kid, [(card, 7, start)], start))
    code, out, _ = cli("authority", "retire-key", a.id, a.key.kid, "--at", at, "--record",
                       str(record))
    assert code == 0 and "No issuance record" not in out
    [old, _] = home.draft().centre(a.id).keys
    assert old.record is not None and format_time(old.valid_until or start) == at
    assert home.record_file(old.record.sha256).read_text() == record.read_text()
    assert "not an ISO 8601 time" in refused(cli, home, "authority", "retire-key", a.id,
                                             a.key.kid, "--at", "tomorrow")


def test_compromise_marks_the_key_and_keeps_the_record(national: Home, cli: Cli,
                                                       tmp_path: Path) -> None:
    home, a = national, centre_a()
    accredit(cli, tmp_path, a)
    since = home.draft().centre(a.id).keys[0].valid_from
    card = a.card(7, since)
    # Signed by the key being found compromised: its thief could have written it.
    self_signed = write(tmp_path / "self.jwt", a.record(a.key.kid, [(card, 7, since)], since))
    assert "a key found compromised" in refused(cli, home, "authority", "compromise", a.id,
                                                a.key.kid, "--since", format_time(since),
                                                "--record", str(self_signed))
    # The centre's new key first; it signs the record.
    new = key("a new")
    rotation = write(tmp_path / "rotation.json", json.dumps(a.rotation(new, datetime.now(UTC))))
    assert cli("authority", "rotate-key", a.id, str(rotation))[0] == 0
    record = write(tmp_path / "record.jwt", a.record(a.key.kid, [(card, 7, since)], since,
                                                     key=new))
    future = format_time(datetime.now(UTC) + timedelta(days=1))
    assert "in the future" in refused(cli, home, "authority", "compromise", a.id, a.key.kid,
                                      "--since", future, "--record", str(record))
    code, _, err = cli("authority", "compromise", a.id, a.key.kid, "--since",
                       format_time(since), "--record", str(record))
    assert code == 0, err
    [k, _] = home.draft().centre(a.id).keys
    assert k.compromised_since == since and k.record is not None and k.record.entries == 1
    assert home.record_file(k.record.sha256).exists()
    sign(cli, "official-1", "official-2")
    assert home.current().issuers[a.id].keys[0].compromised_since == since


# -- the root --------------------------------------------------------------------------------

def test_a_root_rotation_needs_k_old_and_k_new_signatures(national: Home, cli: Cli,
                                                            tmp_path: Path) -> None:
    home = national
    first = RootSet.from_json(json.loads(home.root_keys_file.read_text()))
    code, out, err = cli("authority", "official", "new", "official-4")
    assert code == 0, err
    public = home.root / "officials" / "official-4.public.json"
    three = official_key(home, 3).kid
    code, out, err = cli("authority", "roots", "--add", str(public), "--remove", three)
    assert code == 0, err
    assert "official-1, official-2, official-4" in out
    # Officials 1 and 3 are k of the old root, but only 1 of the new.
    out = sign(cli, "official-1", "official-3")
    assert "still needed: 1 more of the new root (official-2, official-4)" in out
    assert "Published" in sign(cli, "official-4")
    now_root = RootSet.from_json(json.loads(home.root_keys_file.read_text()))
    assert now_root.identity[0] == {official_key(home, n).kid for n in (1, 2, 4)}
    # A verifier pinned to the first root follows the rotation from the history.
    store = TrustStore(first)
    store.follow([json.loads(home.history_file(v).read_text()) for v in (1, 2)])
    assert store.current is not None and store.current.version == 2
    # Official 3 no longer signs.
    assert "official-3's key" in refused(cli, home, "authority", "sign", "--official",
                                         "official-3")


def test_roots_refuse_a_key_that_is_not_ed25519_and_an_impossible_threshold(
        national: Home, cli: Cli, tmp_path: Path) -> None:
    home = national
    jwk = {**key("x").public.jwk(), "crv": "X448"}
    bad = write(tmp_path / "x448.public.json",
                json.dumps({"type": "SkillsPassportOfficial", "name": "official-9", "jwk": jwk}))
    err = refused(cli, home, "authority", "roots", "--add", str(bad))
    assert f"{bad}: jwk: only Ed25519 OKP keys are accepted" in err
    assert "--threshold 4 is not between 1 and 3" in refused(cli, home, "authority", "roots",
                                                             "--threshold", "4")
    assert "already exists" in refused(cli, home, "authority", "official", "new", "official-2")


def test_an_officials_name_with_a_final_newline_is_refused(national: Home, cli: Cli,
                                                            tmp_path: Path) -> None:
    """A whole-string check, never a `$` that lets a final line end through."""
    home = national
    err = refused(cli, home, "authority", "official", "new", "official-9\n")
    assert "official name 'official-9\\n'" in err
    public = write(tmp_path / "eve.public.json", json.dumps({
        "type": "SkillsPassportOfficial", "name": "eve\n", "jwk": key("eve").public.jwk()}))
    assert "name: must name the official" in refused(cli, home, "authority", "roots", "--add",
                                                     str(public))
