"""Trust freshness and rollback: an expired trust list warns, an older bundle is refused.

DESIGN ("Trust", "Revocation"): an expired trust list gives a warning verdict, never a silent
pass; a status list older than the one already held is refused. The rollback cases are the
issue's: a bundle whose trust list is the same version but whose status lists predate a
revocation (refused by `trust sync`, by `trust install`, and by `verify --trust OLD.json` once
the newer one was seen), and an older trust-list version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from passport import qr
from passport.bundle import TrustBundle
from passport.credential import StatusPurpose
from passport.errors import RollbackError
from passport.trust import CentreState
from passport.verify import Check, Code, Outcome, Verdict, verify
from tests.conftest import CHECK_AT, ISSUED_AT
from tests.world import World, rotated_root_bundles
from verifier.i18n import t
from verifier.memory import STATE_FILE, Seen

Cli = Callable[..., tuple[int, str, str]]
AT = CHECK_AT.isoformat()
REVOKED_ON = ISSUED_AT + timedelta(days=1)


# -- an expired trust list -----------------------------------------------------------------

def _expired(world: World, days: int = 400) -> World:
    """The world's trust list expired `days` before CHECK_AT; its status lists stay current."""
    world.trust_issued = CHECK_AT - timedelta(days=days + 365)
    world.trust_expires = CHECK_AT - timedelta(days=days)
    world.key_window = (CHECK_AT - timedelta(days=days + 400), None)
    return world


def test_a_trust_list_expired_400_days_ago_warns_naming_its_expiry(world: World) -> None:
    _expired(world)
    result = verify(world.issue(), at=CHECK_AT, trust=world.bundle())
    assert result.verdict is Verdict.WARNING
    check = result.check(Check.ISSUER_TRUSTED)
    assert (check.outcome, check.code) == (Outcome.WARN, Code.TRUST_LIST_EXPIRED)
    day = world.trust_expires.date().isoformat()
    assert day == "2025-09-30" and f"expired on {day}" in check.message
    assert result.trust_list_expired == world.trust_expires
    # The expiry alone makes the warning: every other check passes.
    assert [c.check for c in result.checks if c.outcome is not Outcome.PASS] == [Check.ISSUER_TRUSTED]
    # From the moment it expires; a second before, the same card is valid.
    world.trust_expires = CHECK_AT + timedelta(seconds=1)
    assert verify(world.issue(), at=CHECK_AT, trust=world.bundle()).verdict is Verdict.VALID
    world.trust_expires = CHECK_AT
    assert verify(world.issue(), at=CHECK_AT, trust=world.bundle()).verdict is Verdict.WARNING


def test_a_suspension_comes_before_the_expiry_and_both_are_named(world: World) -> None:
    _expired(world).centre_state = CentreState.SUSPENDED
    result = verify(world.issue(), at=CHECK_AT, trust=world.bundle())
    check = result.check(Check.ISSUER_TRUSTED)
    assert (result.verdict, check.outcome, check.code) == (Verdict.WARNING, Outcome.WARN,
                                                            Code.ISSUER_SUSPENDED)
    assert "suspended" in check.message and "expired on 2025-09-30" in check.message


def test_an_unknown_issuer_stays_invalid_and_the_message_names_the_expiry(world: World) -> None:
    _expired(world)
    result = verify(world.issue(issuer="https://unknown.example.kh"), at=CHECK_AT,
                    trust=world.bundle())
    check = result.check(Check.ISSUER_TRUSTED)
    assert (result.verdict, check.code) == (Verdict.INVALID, Code.UNKNOWN_ISSUER)
    assert "expired on 2025-09-30: sync the trust bundle" in check.message


def _files(tmp_path: Path, world: World, name: str = "bundle.json") -> list[str]:
    (tmp_path / name).write_bytes(world.bundle_bytes())
    (tmp_path / "root.json").write_text(json.dumps(world.root_set().to_json()))
    return ["--trust", str(tmp_path / name), "--root", str(tmp_path / "root.json")]


@pytest.mark.parametrize("lang", ["en", "km", "ar"])
def test_the_command_line_summary_names_the_expiry(tmp_path: Path, cli: Cli, world: World,
                                                  lang: str) -> None:
    files = _files(tmp_path, _expired(world))
    code, out, err = cli("verify", qr.encode(world.issue()), *files, "--at", AT, "--lang", lang)
    assert code == 1, err  # a warning is not a pass
    assert out.startswith(f"{t(lang, 'label.verdict')}: {t(lang, 'verdict.warning')}")
    line = next(x for x in out.splitlines() if t(lang, "check.issuer_trusted") in x)
    assert line.startswith("  [warn]") and "2025-09-30" in line
    if lang != "en":
        assert t(lang, "code.trust_list_expired") in line and t(lang, "label.expired_on") in line
    code, out, _ = cli("trust", "show", *files)
    assert code == 0 and "EXPIRED on 2025-09-30: sync the trust bundle" in out


# -- rollback --------------------------------------------------------------------------------

def _old_and_new(world: World) -> tuple[bytes, bytes]:
    """Two bundles of the same trust list version: OLD has the status lists of 2 November,
    NEW those of 3 November, on which the centre revoked the world's card (list 1, index 7)."""
    world.status_from, world.revoked = ISSUED_AT, {}
    old = world.bundle_bytes()
    world.status_from, world.revoked = REVOKED_ON, {1: {world.index}}
    return old, world.bundle_bytes()


def _refusal(world: World, held: str = "this verifier has seen already") -> str:
    return (f"status list {world.status_url(StatusPurpose.REVOCATION)} of 2026-11-02T09:00:00Z "
            f"is older than the one of 2026-11-03T09:00:00Z {held} (rollback refused")


def _verdict(cli: Cli, card: str, *trust: str) -> tuple[int, str, str]:
    code, out, err = cli("verify", card, *trust, "--at", AT, "--json")
    return code, json.loads(out)["verdict"] if out else "", err


def test_verify_refuses_an_older_bundle_once_it_has_seen_a_newer(
        tmp_path: Path, cli: Cli, world: World, own_home: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = _old_and_new(world)
    (tmp_path / "old.json").write_bytes(old)
    (tmp_path / "new.json").write_bytes(new)
    (tmp_path / "root.json").write_text(json.dumps(world.root_set().to_json()))
    root = ["--root", str(tmp_path / "root.json")]
    card = qr.encode(world.issue())
    # OLD predates the revocation: seen first, it says the card is valid. That is why it must
    # never be believed again once NEW has been seen.
    assert _verdict(cli, card, "--trust", str(tmp_path / "old.json"), *root)[:2] == (0, "valid")
    assert _verdict(cli, card, "--trust", str(tmp_path / "new.json"), *root)[:2] == (1, "invalid")
    code, verdict, err = _verdict(cli, card, "--trust", str(tmp_path / "old.json"), *root)
    assert (code, verdict) == (2, "") and _refusal(world) in err
    # The same bundle again is fine; so is a home that never saw NEW (memory is the home's).
    assert _verdict(cli, card, "--trust", str(tmp_path / "new.json"), *root)[:2] == (1, "invalid")
    monkeypatch.setenv("SKILLPASS_HOME", str(tmp_path / "another-home"))
    assert _verdict(cli, card, "--trust", str(tmp_path / "old.json"), *root)[:2] == (0, "valid")


def test_an_older_trust_list_version_is_refused(tmp_path: Path, cli: Cli, world: World,
                                                own_home: Path) -> None:
    card = qr.encode(world.issue())
    world.version = 3
    v3 = _files(tmp_path, world, "v3.json")
    world.version = 2
    v2 = _files(tmp_path, world, "v2.json")
    assert _verdict(cli, card, *v2)[:2] == (0, "valid")
    assert _verdict(cli, card, *v3)[:2] == (0, "valid")
    code, _, err = _verdict(cli, card, *v2)
    assert code == 2 and ("trust list version 2 is older than the version 3 this verifier has "
                          "seen already (rollback refused") in err
    # Installing it is refused too, from the memory alone: this home holds no bundle.
    assert not (own_home / "trust-bundle.json").exists()
    code, _, err = cli("trust", "install", v2[1], *v2[2:])
    assert code == 2 and "trust list version 2 is older than the version 3" in err
    assert not (own_home / "trust-bundle.json").exists()


def test_trust_sync_refuses_an_older_bundle_by_the_cached_one_and_by_memory(
        cli: Cli, world: World, own_home: Path, served: tuple[Path, str]) -> None:
    folder, url = served
    old, new = _old_and_new(world)
    (own_home / "root-keys.json").write_text(json.dumps(world.root_set().to_json()))
    card = qr.encode(world.issue())
    (folder / "bundle.json").write_bytes(new)
    assert cli("trust", "sync", url)[0] == 0
    cached, state = (own_home / "trust-bundle.json").read_bytes(), (own_home / STATE_FILE).read_bytes()
    (folder / "bundle.json").write_bytes(old)
    code, _, err = cli("trust", "sync", url)
    # Refused by the cached bundle first; nothing written.
    assert code == 2 and _refusal(world, "this verifier holds") in err
    assert (own_home / "trust-bundle.json").read_bytes() == cached
    assert (own_home / STATE_FILE).read_bytes() == state
    assert _verdict(cli, card)[:2] == (1, "invalid")  # the home's bundle: still revoked
    # By the memory alone: the cached bundle lost (a new install, a cleaned folder).
    (own_home / "trust-bundle.json").unlink()
    code, _, err = cli("trust", "sync", url)
    assert code == 2 and _refusal(world) in err
    assert not (own_home / "trust-bundle.json").exists()
    # By the cached bundle alone: the memory moved away, the bundle back.
    (own_home / "trust-bundle.json").write_bytes(cached)
    (own_home / STATE_FILE).rename(own_home / "elsewhere.json")
    code, _, err = cli("trust", "sync", url)
    assert code == 2 and _refusal(world, "this verifier holds") in err
    assert (own_home / "trust-bundle.json").read_bytes() == cached
    # The same bundle again is an accepted sync.
    (folder / "bundle.json").write_bytes(new)
    assert cli("trust", "sync", url)[0] == 0


def test_trust_install_keeps_the_newest_of_each_status_list(tmp_path: Path, cli: Cli, world: World,
                                               own_home: Path) -> None:
    old, new = _old_and_new(world)
    (tmp_path / "old.json").write_bytes(old)
    (tmp_path / "new.json").write_bytes(new)
    (tmp_path / "root.json").write_text(json.dumps(world.root_set().to_json()))
    code, _, err = cli("trust", "install", str(tmp_path / "new.json"), "--root",
                         str(tmp_path / "root.json"))
    assert code == 0, err
    held = json.loads((own_home / "trust-bundle.json").read_bytes())
    # Installing takes the newest copy of each status list: the older ones change nothing.
    code, _, err = cli("trust", "install", str(tmp_path / "old.json"))
    assert code == 0, err
    assert json.loads((own_home / "trust-bundle.json").read_bytes())["statusLists"] \
        == held["statusLists"]
    assert _verdict(cli, qr.encode(world.issue()))[:2] == (1, "invalid")


def test_the_state_file_records_the_newest_of_each_per_pinned_root(
        tmp_path: Path, cli: Cli, world: World, own_home: Path) -> None:
    _, new = _old_and_new(world)
    (tmp_path / "new.json").write_bytes(new)
    (tmp_path / "root.json").write_text(json.dumps(world.root_set().to_json()))
    trust = ["--trust", str(tmp_path / "new.json"), "--root", str(tmp_path / "root.json")]
    card = qr.encode(world.issue())
    assert _verdict(cli, card, *trust)[0] == 1
    path = own_home / STATE_FILE
    name = f"1 of {world.root.kid}"
    assert json.loads(path.read_text()) == {
        "type": "SkillsPassportTrustState", "formatVersion": 1,
        "roots": {name: {
            "trustList": 1, "trustRoot": world.root_set().to_json(),
            "trustListDigest": hashlib.sha256(
                world.signed_trust_list()["payload"].encode()).hexdigest(),
            "statusLists": {
                world.status_url(p): "2026-11-03T09:00:00Z" for p in StatusPurpose}}}}
    # Verifying with what is remembered already writes nothing (the file is not replaced).
    inode = path.stat().st_ino
    assert _verdict(cli, card, *trust)[0] == 1
    assert path.stat().st_ino == inode
    # Another national root (another authority, a test) has its own count: its version 1
    # is not refused for following this root's version 3.
    world.version = 3
    assert _verdict(cli, card, *_files(tmp_path, world, "v3.json"))[0] == 1
    stranger = World(key_prefix="another authority")
    (tmp_path / "stranger").mkdir()
    stranger_files = _files(tmp_path / "stranger", stranger)
    assert _verdict(cli, qr.encode(stranger.issue()), *stranger_files)[:2] == (0, "valid")
    roots = json.loads(path.read_text())["roots"]
    assert {n: r["trustList"] for n, r in roots.items()} == {name: 3,
                                                             f"1 of {stranger.root.kid}": 1}


@pytest.mark.parametrize(("content", "named"), [
    (b"{not json", "not JSON"),
    (b'{"type": "SkillsPassportTrustState", "formatVersion": 1, "roots": {"1 of x": '
     b'{"trustList": 0, "statusLists": {"https://a.kh/status/revocation/1": "yesterday"}}}}',
     "status list https://a.kh/status/revocation/1: 'yesterday' is not a UTC date-time"),
    (b'{"type": "SkillsPassportTrustState", "formatVersion": 2, "roots": {}}',
     "format version 2"),
])
def test_a_damaged_state_file_is_an_error_and_never_reset(tmp_path: Path, cli: Cli, world: World,
                                                          own_home: Path, content: bytes,
                                                          named: str) -> None:
    (own_home / STATE_FILE).write_bytes(content)
    files = _files(tmp_path, world)
    for command in (["verify", qr.encode(world.issue()), *files, "--at", AT],
                    ["trust", "install", files[1], *files[2:]]):
        code, out, err = cli(*command)
        assert code == 2 and out == "", command
        assert f"{own_home / STATE_FILE}: the verifier's trust state is damaged" in err
        assert named in err and "not reset" in err
        assert (own_home / STATE_FILE).read_bytes() == content
    assert not (own_home / "trust-bundle.json").exists()


def test_memory_only_moves_forwards(world: World) -> None:
    """Two remembered bundles merge to the newest of each part, whichever came first."""
    old, new = (TrustBundle.from_json(b, roots=world.root_set()) for b in _old_and_new(world))
    world.version, world.lists = 2, 2
    world.status_from, world.revoked = ISSUED_AT, {}
    wider = world.bundle()  # version 2, lists 1 and 2 of 2 November
    for a, b in ((new, wider), (wider, new)):
        seen = Seen.of(a).merged(Seen.of(b))
        assert seen.trust_list == 2
        assert seen.status_lists[world.status_url(StatusPurpose.REVOCATION)] == REVOKED_ON
        assert seen.status_lists[world.status_url(StatusPurpose.REVOCATION, 2)] == ISSUED_AT
    with pytest.raises(RollbackError) as refused:
        Seen.of(new).refuse_older(old, seen=True)
    assert (refused.value.offered, refused.value.current) == (ISSUED_AT, REVOKED_ON)
    Seen.of(new).refuse_older(new, seen=True)  # the same list again
    Seen.of(old).refuse_older(new, seen=True)  # newer


# -- root keys a rotation left behind ------------------------------------------------------

def test_root_keys_a_rotation_left_behind_sign_nothing_more(tmp_path: Path, cli: Cli,
                                                            world: World, own_home: Path) -> None:
    bundles = rotated_root_bundles(world)
    for name, data in bundles.items():
        (tmp_path / f"{name}.json").write_bytes(data)
    (tmp_path / "root.json").write_text(json.dumps(world.root_set().to_json()))  # the old root
    root = ["--root", str(tmp_path / "root.json")]
    card = qr.encode(world.issue())
    # A verifier without memory, pinned to the old root, cannot tell the thief's list apart.
    assert _verdict(cli, card, "--trust", str(tmp_path / "thief.json"), *root)[:2] == (0, "valid")
    (own_home / STATE_FILE).unlink()
    # Once it has followed the rotation it can: the old root signs nothing more for it.
    assert _verdict(cli, card, "--trust", str(tmp_path / "rotated.json"), *root)[:2] \
        == (0, "valid")
    code, _, err = _verdict(cli, card, "--trust", str(tmp_path / "thief.json"), *root)
    assert code == 2 and "not signed by a trusted root: 2 of its keys must sign, 1 did" in err
    code, _, err = cli("trust", "install", str(tmp_path / "thief.json"), *root)
    assert code == 2 and "not signed by a trusted root" in err
    # The new root's next list needs no history: it chains from the list remembered.
    assert _verdict(cli, card, "--trust", str(tmp_path / "next.json"), *root)[:2] == (0, "valid")
    code, _, err = cli("trust", "install", str(tmp_path / "next.json"), *root)
    assert code == 0, err


def test_a_plain_list_that_rotates_the_root_joins_the_history(tmp_path: Path, cli: Cli,
                                                              world: World, own_home: Path) -> None:
    """Installed as bare trust lists, a rotation still leaves a bundle that chains from the
    pin: the rotation list and the one before it join the home's root history."""
    bundles = rotated_root_bundles(world)
    (tmp_path / "root.json").write_text(json.dumps(world.root_set().to_json()))
    root = ["--root", str(tmp_path / "root.json")]
    for name in ("before", "rotation"):
        doc = json.loads(bundles["rotated"])
        plain = doc["rootHistory"][0 if name == "before" else 1]
        (tmp_path / f"{name}.json").write_text(json.dumps(plain))
        code, _, err = cli("trust", "install", str(tmp_path / f"{name}.json"), *root)
        assert code == 0, err
    held = (own_home / "trust-bundle.json").read_bytes()
    assert len(json.loads(held)["rootHistory"]) == 2
    # A verifier that remembers nothing, pinned to the old root, takes the home's bundle.
    (own_home / STATE_FILE).unlink()
    assert TrustBundle.from_json(held, roots=world.root_set()).trust_list.version == 5
