"""The national system end to end, every part real: the authority's commands, two centres'
homes and databases, the verifier command line, and the phone page in headless Chromium.

Three officials, two of whom must sign; two centres accredited from their requests (one
granted less than it asked); a key rotation; the old key found compromised, with the
centre's issuance record; a root rotation (official 3 replaced by official 4); the national
bundle. A verifier pinned to the FIRST root follows it all, and the command line and the
phone page give the same verdict and reason codes for every card.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from issuer.home import Home
from passport import qr
from passport.credential import format_time
from passport.jws import parse
from passport.signing import sign_claims
from tests.web.chromium import launched
from tests.web.test_phone_verifier import _served, wait_for

Cli = Callable[..., tuple[int, str, str]]
PASSPHRASE = "end to end passphrase"
COURSE = {"id": "forklift-safety", "version": 1, "hours": 40, "isco08": "8344", "cqfLevel": "C1",
          "title": {"en": "Forklift safety", "km": "សុវត្ថិភាពរថយន្តលើកទំនិញ"}}
A, B = "https://a.tvet.test.kh", "https://b.tvet.test.kh"


class Nation:
    """Runs each command as the person it belongs to: the authority or a centre's admin."""

    def __init__(self, cli: Cli, monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
        self.cli, self.env, self.root = cli, monkeypatch, root
        monkeypatch.setenv("SKILLPASS_AUTHORITY_HOME", str(root / "authority"))
        monkeypatch.setenv("SKILLPASS_PASSPHRASE", PASSPHRASE)
        monkeypatch.delenv("DATABASE_URL", raising=False)
        for n in range(1, 5):
            monkeypatch.setenv(f"SKILLPASS_PASSPHRASE_OFFICIAL_{n}", f"official {n} passphrase")

    def authority(self, *argv: str) -> str:
        code, out, err = self.cli("authority", *argv)
        assert code == 0, (argv, err)
        return out

    def centre(self, centre: str, *argv: str) -> str:
        self.env.setenv("SKILLPASS_HOME", str(self.home(centre).root))
        code, out, err = self.cli(*argv)
        assert code == 0, (centre, argv, err)
        return out

    def home(self, centre: str) -> Home:
        return Home(self.root / ("centre-a" if centre == A else "centre-b"))

    def sign(self, *officials: str) -> None:
        for official in officials:
            self.authority("sign", "--official", official)

    def install(self, *centres: str) -> None:
        for centre in centres:
            self.centre(centre, "trust", "install", str(self.root / "authority" / "trust-list.json"),
                        "--root", str(self.root / "first-root.json"))

    def issue(self, centre: str, n: int) -> str:
        """A training record from a file; its compact JWS."""
        source = self.root / f"training-{n}.json"
        source.write_text(json.dumps({
            "type": "TrainingCompletion",
            "candidate": {"name": f"Trainee {n}", "nameKm": "សុខ ដារា", "birthYear": 1990,
                          "nationalId": f"5{n:08d}"},
            "course": COURSE, "start": "2026-10-05", "end": "2026-10-16"}), encoding="utf-8")
        self.centre(centre, "issue", str(source), "--out", str(self.root / "out"))
        return (self.root / "out" / f"training-{n}.jwt").read_text().strip()


def _number(compact: str) -> str:
    return str(json.loads(parse(compact).payload)["id"]).rsplit(":", 1)[1]


def _kid(compact: str) -> str:
    return str(parse(compact).kid)


def test_the_national_system_end_to_end(cli: Cli, monkeypatch: pytest.MonkeyPatch,
                                        tmp_path: Path) -> None:
    nation = Nation(cli, monkeypatch, tmp_path)
    nation.authority("init", "--officials", "3", "--threshold", "2")
    (tmp_path / "first-root.json").write_bytes(
        (tmp_path / "authority" / "root-keys.json").read_bytes())

    # Two centres ask; B is granted less than it asked (no training records).
    nation.centre(A, "init", "--centre-id", A, "--name", "Centre A", "--name-km", "មជ្ឈមណ្ឌល ក")
    nation.centre(B, "init", "--centre-id", B, "--name", "Centre B", "--name-km", "មជ្ឈមណ្ឌល ខ",
                  "--asks", "rpl:7112", "--asks", "tvet:8344")
    nation.authority("accredit", str(nation.home(A).request_file))
    nation.authority("accredit", str(nation.home(B).request_file), "--grant", "rpl:7112")
    nation.sign("official-1", "official-2")
    nation.install(A, B)

    cards: dict[str, str] = {}
    cards["a-genuine"] = nation.issue(A, 1)
    cards["a-revoked"] = nation.issue(A, 2)
    nation.centre(A, "revoke", _number(cards["a-revoked"]), "--reason", "issued in error")
    nation.env.setenv("SKILLPASS_HOME", str(nation.home(B).root))
    code, _, err = cli("issue", str(nation.root / "training-1.json"), "--out", str(tmp_path / "b"))
    assert code == 2 and "not accredited to certify tvet" in err  # B was not granted it

    # A rotates its key; the old one keeps its window for the overlap.
    old_kid = _kid(cards["a-genuine"])
    nation.centre(A, "key", "rotate", "--out", str(tmp_path / "rotation.json"))
    nation.authority("rotate-key", A, str(tmp_path / "rotation.json"))
    nation.sign("official-2", "official-3")
    nation.install(A, B)
    cards["a-new-key"] = nation.issue(A, 3)
    assert _kid(cards["a-new-key"]) != old_kid

    # The old key is found compromised: the centre's record of what it signed goes with it.
    time.sleep(1.1)  # T after the last card the old key signed, by the second
    since = format_time(datetime.now(UTC))
    nation.centre(A, "key", "record", old_kid, "--out", str(tmp_path / "record.jwt"))
    nation.authority("compromise", A, old_kid, "--since", since, "--record",
                     str(tmp_path / "record.jwt"))
    nation.sign("official-1", "official-3")
    nation.install(A, B)
    # What a thief does with the old key: a new card dated before T, and a genuine card's
    # slot re-used with other claims.
    old = next(k for k in nation.home(A).centre_keys(PASSPHRASE) if k.kid == old_kid)
    claims = json.loads(parse(cards["a-genuine"]).payload)
    backdated = {**claims, "id": "urn:skillpass:cred:THIEF0000001",
                 "credentialStatus": [{**e, "statusListIndex": "99"}
                                      for e in claims["credentialStatus"]]}
    cards["thief-backdated"] = sign_claims(backdated, old)[1]
    reused = {**claims, "id": "urn:skillpass:cred:THIEF0000002"}
    reused["credentialSubject"] = {**claims["credentialSubject"], "name": "Somebody Else"}
    cards["thief-reused-slot"] = sign_claims(reused, old)[1]

    # Official 3 leaves, official 4 joins: two of the old and two of the new sign.
    nation.authority("official", "new", "official-4", "--out", str(tmp_path / "o4.sealed.json"))
    official_3 = json.loads((tmp_path / "first-root.json").read_text())["rootKeys"][2]["kid"]
    nation.authority("roots", "--add", str(tmp_path / "official-4.public.json"), "--remove",
                     official_3)
    nation.authority("sign", "--official", "official-1")
    nation.authority("sign", "--key", str(tmp_path / "o4.sealed.json"))
    nation.authority("sign", "--official", "official-2")
    nation.install(A, B)
    # B certifies masonry (ISCO-08 7112), what it was granted, from an assessment file.
    from issuer.demo import demo_assessment, demo_data
    from rpl_rubrics import catalogue

    person = next(p for p in demo_data()["assessments"] if p["rubric"] == "masonry-c1")
    assessment = demo_assessment(catalogue.get("masonry-c1"), person, demo_data()["assessor"],
                                 datetime.now(UTC))
    (tmp_path / "masonry.json").write_text(json.dumps(assessment, ensure_ascii=False))
    nation.centre(B, "issue", str(tmp_path / "masonry.json"), "--out", str(tmp_path / "b"))
    cards["b-genuine"] = (tmp_path / "b" / "masonry.jwt").read_text().strip()

    # The national bundle, from each centre's published bundle.
    national = tmp_path / "national.json"
    nation.authority("bundle", "--out", str(national), "--offline",
                     "--status", f"{A}={nation.home(A).bundle_file}",
                     "--status", f"{B}={nation.home(B).bundle_file}")
    expected = {"a-genuine": ("valid", "ok"), "a-revoked": ("invalid", "revoked"),
                "a-new-key": ("valid", "ok"), "b-genuine": ("valid", "ok"),
                "thief-backdated": ("invalid", "key_compromised"),
                "thief-reused-slot": ("invalid", "key_compromised")}
    at = (datetime.now(UTC) + timedelta(seconds=5)).replace(microsecond=0).isoformat()

    # The command line, pinned to the first root, from an employer's empty home.
    monkeypatch.setenv("SKILLPASS_HOME", str(tmp_path / "employer"))
    by_cli: dict[str, dict[str, Any]] = {}
    for name, compact in cards.items():
        code, out, err = cli("verify", qr.encode(compact), "--trust", str(national), "--root",
                             str(tmp_path / "first-root.json"), "--at", at, "--json")
        assert code in (0, 1), (name, err)
        result = json.loads(out)
        by_cli[name] = {"verdict": result["verdict"],
                        "checks": {c["check"]: [c["status"], c["code"]] for c in result["checks"]}}
    summary = {n: (r["verdict"], _deciding(r["checks"])) for n, r in by_cli.items()}
    assert summary == expected

    # The phone page, exported as a recruiter would serve it, with the same pin and bundle.
    site = tmp_path / "site"
    code, _, err = cli("verifier", "export", str(site), "--trust", str(national), "--root",
                       str(tmp_path / "first-root.json"))
    assert code == 0, err
    assert _page_results(site, {n: qr.encode(c) for n, c in cards.items()}, at) == by_cli


def _deciding(checks: dict[str, list[str]]) -> str:
    """The reason that decides a verdict: the first failure, else the first warning, else ok."""
    for outcome in ("fail", "warn"):
        for status, code in checks.values():
            if status == outcome:
                return code
    return "ok"


def _page_results(site: Path, texts: dict[str, str], at: str) -> dict[str, dict[str, Any]]:
    with _served(site) as url, launched() as browser:
        page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        page.goto(url)
        wait_for(page, "window.SkillsPassport && window.SkillsPassport.ready")
        results: dict[str, dict[str, Any]] = page.evaluate(
            """async ([texts, at]) => {
                const out = {};
                for (const [name, text] of Object.entries(texts)) {
                    const r = await window.SkillsPassport.check(text, Date.parse(at));
                    out[name] = {verdict: r.verdict, checks: Object.fromEntries(
                        r.checks.map(c => [c.check, [c.status, c.code]]))};
                }
                return out;
            }""", [texts, at])
        browser.close()
    return results
