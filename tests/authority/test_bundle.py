"""`skillpass authority bundle`: every accredited centre's lists, checked against its keys;
a centre with no, refused or old lists is listed with its age, never dropped; what an earlier
build accepted is kept when a centre cannot be reached."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from authority.home import Home
from authority.national import default_source
from passport.bundle import TrustBundle
from passport.credential import StatusPurpose, format_time
from passport.trust import RootSet
from passport.verify import Check, Code, Verdict, verify
from tests.authority.centres import Centre, centre_a, centre_b, key
from tests.authority.conftest import Cli, sign, snapshot, wait_until
from tests.authority.test_cli import accredit, refused, write
from tests.serving import serving


def published(home: Home, cli: Cli, tmp_path: Path, *centres: Centre) -> datetime:
    """Accredit the centres and publish the list; returns when the last of their keys became
    valid (a card of any of them dated then is within its key's window)."""
    for c in centres:
        accredit(cli, tmp_path, c)
    sign(cli, "official-1", "official-2")
    return max(home.current().issuers[c.id].keys[0].valid_from for c in centres)


def load(home: Home, data: bytes) -> TrustBundle:
    return TrustBundle.from_json(data, roots=RootSet.from_json(
        json.loads(home.root_keys_file.read_text())))


def run_bundle(cli: Cli, out: Path, *argv: str) -> str:
    code, printed, err = cli("authority", "bundle", "--out", str(out), *argv)
    assert code == 0, err
    return printed


def test_the_bundle_carries_each_centres_checked_lists_and_their_age(
        national: Home, cli: Cli, tmp_path: Path) -> None:
    home, a, b = national, centre_a(), centre_b()
    start = published(home, cli, tmp_path, a, b)
    signed_list = home.current().signed
    a_from, b_from = start - timedelta(hours=1), start - timedelta(hours=2)
    a_file = a.publish(tmp_path / "a" / "trust-bundle.json", signed_list,
                       a.status_lists(a_from, revoked=[5]), start)
    site = tmp_path / "b-site"
    b.publish(site / "trust-bundle.json", signed_list, b.status_lists(b_from), start)
    out = tmp_path / "national.json"
    with serving(site) as url:
        printed = run_bundle(cli, out, "--dir", str(tmp_path / "pub"), "--status", str(a_file),
                             "--status", f"{url}/trust-bundle.json")
    assert f"{a.id} [active]: 2 list(s), as of {format_time(a_from)}" in printed
    bundle = load(home, out.read_bytes())
    assert sorted(bundle.status_lists) == sorted(c.status_url(p) for c in (a, b)
                                                 for p in StatusPurpose)
    assert {cid: (c.status_as_of, c.problem) for cid, c in bundle.centres.items()} == {
        a.id: (a_from, ""), b.id: (b_from, "")}
    at = start + timedelta(hours=1)
    assert verify(a.card(7, start), at=at, trust=bundle).verdict is Verdict.VALID
    revoked = verify(a.card(5, start, number="REVOKED00005"), at=at, trust=bundle)
    assert revoked.check(Check.STATUS).code is Code.REVOKED
    assert verify(b.card(9, start), at=at, trust=bundle).verdict is Verdict.VALID
    # The same, as a folder a static web server serves.
    pub = tmp_path / "pub"
    assert sorted(p.name for p in pub.iterdir()) == ["index.html", "root-keys.json",
                                                     "trust-bundle.json"]
    assert (pub / "trust-bundle.json").read_bytes() == out.read_bytes()
    assert (pub / "root-keys.json").read_bytes() == home.root_keys_file.read_bytes()
    page = (pub / "index.html").read_text()
    assert "Trust list version 2" in page and "4 status list(s)" in page
    assert all(c.id in page and c.name in page for c in (a, b))


def test_a_centre_with_missing_refused_or_old_lists_is_listed_with_its_age(
        national: Home, cli: Cli, tmp_path: Path) -> None:
    home, a, b = national, centre_a(), centre_b()
    c = Centre("https://masons.test.skillpass.kh", "Masons", "ជាងសំណង់", key("centre c"))
    start = published(home, cli, tmp_path, a, b, c)
    signed_list = home.current().signed
    old = start - timedelta(days=3)
    a_file = a.publish(tmp_path / "a.json", signed_list, a.status_lists(old), start)
    b_file = b.publish(tmp_path / "b.json", signed_list,
                       b.status_lists(start, key=key("stranger")), start)
    out = tmp_path / "national.json"
    printed = run_bundle(cli, out, "--status", str(a_file), "--status", str(b_file),
                         "--offline")
    bundle = load(home, out.read_bytes())
    a_problem = bundle.centres[a.id].problem
    assert bundle.centres[a.id].status_as_of == old
    assert a_problem.startswith("status lists are 72 hours old (more than 48)"), a_problem
    assert bundle.centres[b.id].status_as_of is None
    assert bundle.centres[b.id].problem == "no status lists; " + "; ".join(
        f"status list {b.status_url(p)} is not signed by a key of the centre"
        for p in StatusPurpose)
    assert bundle.centres[c.id].status_as_of is None
    assert bundle.centres[c.id].problem == (f"no status lists; {default_source(c.id)} not "
                                            "fetched (--offline)")
    assert all(cid in printed for cid in (a.id, b.id, c.id))
    assert sorted(bundle.status_lists) == [f"{a.id}/status/revocation/1",
                                           f"{a.id}/status/suspension/1"]
    # A verifier says how old what it knows is, never a silent pass.
    result = verify(b.card(9, start), at=start + timedelta(hours=1), trust=bundle)
    assert (result.verdict, result.check(Check.STATUS).code) == (Verdict.WARNING,
                                                                 Code.STATUS_UNKNOWN)
    # A larger --max-age accepts the old lists without a problem.
    run_bundle(cli, out, "--status", str(a_file), "--offline", "--max-age", "100")
    assert load(home, out.read_bytes()).centres[a.id].problem == ""


def test_lists_accepted_earlier_stay_when_a_centre_cannot_be_reached(
        national: Home, cli: Cli, tmp_path: Path) -> None:
    home, a = national, centre_a()
    start = published(home, cli, tmp_path, a)
    site = tmp_path / "site"
    lists = a.status_lists(start, revoked=[5])
    a.publish(site / "trust-bundle.json", home.current().signed, lists, start)
    out = tmp_path / "national.json"
    with serving(site) as url:
        run_bundle(cli, out, "--status", f"{url}/trust-bundle.json")
        # The centre's server now answers nothing useful.
        printed = run_bundle(cli, out, "--status", f"{a.id}={url}/gone.json")
        assert "could not fetch" in printed
        bundle = load(home, out.read_bytes())
        assert sorted(s.jws for s in bundle.status_lists.values()) == sorted(lists)
        problem = bundle.centres[a.id].problem
        assert problem.startswith(f"could not fetch {url}/gone.json") and \
            problem.endswith("lists kept from an earlier build"), problem
        revoked = verify(a.card(5, start, number="REVOKED00005"), at=start, trust=bundle)
        assert revoked.check(Check.STATUS).code is Code.REVOKED
        # An older list than the one held does not replace it (no rollback of a revocation).
        a.publish(site / "older.json", home.current().signed,
                  a.status_lists(start - timedelta(hours=1)), start)
        run_bundle(cli, out, "--status", f"{url}/older.json")
    bundle = load(home, out.read_bytes())
    assert sorted(s.jws for s in bundle.status_lists.values()) == sorted(lists)
    assert "gave an older" in bundle.centres[a.id].problem


def test_bad_status_sources_are_refused_and_nothing_is_written(national: Home, cli: Cli,
                                                              tmp_path: Path) -> None:
    home = national
    published(home, cli, tmp_path, centre_a())
    out = tmp_path / "national.json"
    not_a_bundle = tmp_path / "list.json"
    not_a_bundle.write_text(home.trust_list_file.read_text())
    cases = [(["--status", str(tmp_path / "missing.json")], "no such file"),
             (["--status", str(not_a_bundle)], f"{not_a_bundle}: type: not a trust bundle"),
             (["--status", "ftp://centre.test/trust-bundle.json"], "https:// only"),
             (["--offline", "--max-age", "0"], "--max-age must be more than 0")]
    for argv, said in cases:
        assert said in refused(cli, home, "authority", "bundle", "--out", str(out), *argv)
        assert not out.exists()
    before = snapshot(home.root)
    assert "--out FILE, --dir DIR" in refused(cli, home, "authority", "bundle", "--offline")
    assert snapshot(home.root) == before


def test_the_bundle_carries_the_records_and_refuses_lists_of_compromised_or_retired_keys(
        national: Home, cli: Cli, tmp_path: Path) -> None:
    home, a, b = national, centre_a(), centre_b()
    start = published(home, cli, tmp_path, a, b)
    card = a.card(7, start)
    # A's new key first: it signs the record of the key found compromised.
    a_new = key("a new")
    rotation = write(tmp_path / "rotation.json", json.dumps(a.rotation(a_new, start)))
    assert cli("authority", "rotate-key", a.id, str(rotation))[0] == 0
    a_record = write(tmp_path / "a-record.jwt", a.record(a.key.kid, [(card, 7, start)], start,
                                                         key=a_new))
    b_record = write(tmp_path / "b-record.jwt", b.record(b.key.kid, [], start))
    since = retired = start + timedelta(seconds=1)
    wait_until(since)
    for argv in (["compromise", a.id, a.key.kid, "--since", format_time(since), "--record",
                  str(a_record)],
                 ["retire-key", b.id, b.key.kid, "--at", format_time(retired), "--record",
                  str(b_record)]):
        code, _, err = cli("authority", *argv)
        assert code == 0, err
    sign(cli, "official-2", "official-3")
    signed_list = home.current().signed
    later = start + timedelta(hours=1)
    a_file = a.publish(tmp_path / "a.json", signed_list, a.status_lists(later), later)
    b_file = b.publish(tmp_path / "b.json", signed_list, b.status_lists(later), later)
    out = tmp_path / "national.json"
    run_bundle(cli, out, "--status", str(a_file), "--status", str(b_file), "--offline")
    bundle = load(home, out.read_bytes())
    assert sorted(bundle.records) == sorted([(a.id, a.key.kid), (b.id, b.key.kid)])
    assert bundle.status_lists == {}
    revocation = f"{a.id}/status/revocation/1"
    assert f"status list {revocation} is signed with key {a.key.kid}, compromised" in \
        bundle.centres[a.id].problem
    assert f"retired since {format_time(retired)}" in bundle.centres[b.id].problem
    assert verify(card, at=later, trust=bundle).check(Check.KEY_VALID).code is Code.OK
