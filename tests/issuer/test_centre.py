"""A centre under the national authority: onboarding, what it may issue, its keys.

A centre's home has its own key and no root; it issues nothing until the trust list the
authority signed is installed, then only what that list accredits, with the newest key the
list lets sign. (The authority's own commands have their tests in tests/authority.)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from issuer.home import Home
from passport.accreditation import AccreditationRequest, KeyRotationRequest
from passport.bundle import TrustBundle
from passport.credential import Kind
from passport.trust import CentreState, RecordRef, key_entry
from passport.verify import Check, Code, Verdict, verify
from tests.homes import authority_root, signed_list
from tests.issuer.conftest import PASSPHRASE

Cli = Callable[..., tuple[int, str, str]]
COURSE = {"id": "forklift-safety", "version": 1, "hours": 40, "isco08": "8344", "cqfLevel": "C1",
          "title": {"en": "Forklift safety", "km": "សុវត្ថិភាពរថយន្តលើកទំនិញ"}}
CENTRE = "https://btb.tvet.test.kh"


@pytest.fixture
def centre(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli) -> Home:
    monkeypatch.setenv("SKILLPASS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SKILLPASS_PASSPHRASE", PASSPHRASE)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    code, out, err = cli("init", "--centre-id", CENTRE, "--name", "Battambang TVET Centre",
                         "--name-km", "មជ្ឈមណ្ឌលបណ្តុះបណ្តាលបាត់ដំបង", "--asks", "rpl:7112,7212",
                         "--asks", "tvet:8344")
    assert code == 0, err
    assert "send" in out and "accreditation-request.jwt" in out
    return Home(tmp_path / "home")


def _training(folder: Path, n: int = 1) -> Path:
    path = folder / f"training-{n}.json"
    path.write_text(json.dumps({
        "type": "TrainingCompletion",
        "candidate": {"name": f"Trainee {n}", "nameKm": "សុខ ដារា", "birthYear": 1990,
                      "nationalId": f"4{n:08d}"},
        "course": COURSE, "start": "2026-10-05", "end": "2026-10-16"}), encoding="utf-8")
    return path


def _install(cli: Cli, tmp_path: Path, signed: dict[str, object], *,
             first: bool = False) -> tuple[int, str]:
    path = tmp_path / "from-the-authority.json"
    path.write_text(json.dumps(signed))
    root = tmp_path / "root-keys.json"
    root.write_text(json.dumps(authority_root().to_json()))
    code, out, err = cli("trust", "install", str(path), *(["--root", str(root)] if first else []))
    return code, out + err


def test_a_new_centre_holds_its_key_and_a_request_and_issues_nothing_yet(
        centre: Home, cli: Cli, tmp_path: Path) -> None:
    assert not (centre.root / "keys" / "root.sealed.json").exists()
    assert not centre.root_pub_file.exists() and not centre.trust_list_file.exists()
    request = AccreditationRequest.from_text(centre.request_file.read_text(), "request")
    assert request.centre_id == CENTRE
    assert request.asks == {Kind.RPL: frozenset({"7112", "7212"}), Kind.TVET: frozenset({"8344"})}
    assert request.key.kid == centre.centre_keys(PASSPHRASE)[0].kid
    code, _, err = cli("issue", str(_training(tmp_path)), "--out", str(tmp_path / "out"))
    assert code == 2 and "no trust list is installed" in err and "trust install" in err
    assert not (tmp_path / "out" / "training-1.jwt").exists()


@pytest.mark.parametrize(("given", "said"), [
    ("https://btb.tvet.test.kh:443", "write it as https://btb.tvet.test.kh, its one canonical"),
    ("https://BTB.tvet.test.kh", "write it as https://btb.tvet.test.kh, its one canonical"),
    ("https://btb.tvet.test.kh/./x/", "write it as https://btb.tvet.test.kh/x, its one canonical"),
    ("https://btb.tvet.test.kh\n", "contains whitespace or a control character"),
    ("http://btb.tvet.test.kh", "is not an https:// URL"),
])
def test_init_takes_the_centre_id_in_its_canonical_form_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli, given: str, said: str) -> None:
    monkeypatch.setenv("SKILLPASS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SKILLPASS_PASSPHRASE", PASSPHRASE)
    code, _, err = cli("init", "--centre-id", given, "--name", "Centre", "--name-km", "មជ្ឈមណ្ឌល")
    assert code == 2 and said in err and "Traceback" not in err, err
    assert not (tmp_path / "home" / "accreditation-request.jwt").exists()
    # A trailing slash only is taken off, as before.
    code, _, err = cli("init", "--centre-id", "https://btb.tvet.test.kh/", "--name", "Centre",
                       "--name-km", "មជ្ឈមណ្ឌល")
    assert code == 0, err
    request = (tmp_path / "home" / "accreditation-request.jwt").read_text()
    assert AccreditationRequest.from_text(request, "r").centre_id == "https://btb.tvet.test.kh"


def test_the_installed_list_decides_what_it_may_issue(centre: Home, cli: Cli,
                                                      tmp_path: Path) -> None:
    # The authority narrows the request: RPL in masonry only, no training records.
    code, out = _install(cli, tmp_path, signed_list(
        centre, PASSPHRASE, accreditations={Kind.RPL: ["7112"]}), first=True)
    assert code == 0, out
    code, _, err = cli("issue", str(_training(tmp_path)), "--out", str(tmp_path / "out"))
    assert code == 2 and "not accredited to certify tvet in ISCO-08 8344" in err
    # The samples too, before any file is written.
    code, _, err = cli("demo", "--out", str(tmp_path / "demo"))
    assert code == 2 and "not accredited to certify" in err
    assert not (tmp_path / "demo").exists()
    code, out = _install(cli, tmp_path, signed_list(centre, PASSPHRASE, version=2))
    assert code == 0, out
    code, _, err = cli("issue", str(_training(tmp_path)), "--out", str(tmp_path / "out"))
    assert code == 0, err
    issued = (tmp_path / "out" / "training-1.qr.txt").read_text().strip()
    assert cli("verify", issued)[0] == 0
    # Suspended: nothing more is issued, and what was issued is flagged.
    code, out = _install(cli, tmp_path, signed_list(centre, PASSPHRASE, version=3,
                                                    state=CentreState.SUSPENDED))
    assert code == 0 and "warning: the national authority has suspended this centre" in out
    code, _, err = cli("issue", str(_training(tmp_path, 2)), "--out", str(tmp_path / "out"))
    assert code == 2 and "suspended" in err
    code, result, _ = cli("verify", issued, "--json")
    assert code == 1 and json.loads(result)["checks"][2]["code"] == "issuer_suspended"
    # Suspended, it can still revoke what it issued, and verifiers see it.
    code, _, err = cli("revoke", _credential_id(issued), "--reason", "issued in error")
    assert code == 0, err
    code, result, _ = cli("verify", issued, "--json")
    assert code == 1 and json.loads(result)["verdict"] == "invalid"
    assert {c["code"] for c in json.loads(result)["checks"]} >= {"revoked", "issuer_suspended"}


def _credential_id(qr_text: str) -> str:
    from passport.credential import Credential
    from passport.jws import parse
    from passport.qr import decode

    return Credential.from_payload(parse(decode(qr_text)).payload).id


def test_trust_install_keeps_the_pin_and_refuses_what_does_not_follow(centre: Home, cli: Cli,
                                                                      tmp_path: Path) -> None:
    code, out = _install(cli, tmp_path, signed_list(centre, PASSPHRASE, version=2))
    assert code == 2 and "--root" in out  # nothing pinned yet
    assert _install(cli, tmp_path, signed_list(centre, PASSPHRASE, version=2), first=True)[0] == 0
    installed = centre.trust_list_file.read_bytes()
    for signed, expected in (
            (signed_list(centre, PASSPHRASE, version=1), "rollback refused"),
            (signed_list(centre, PASSPHRASE, version=2,
                         accreditations={Kind.RPL: ["7112"]}), "other content")):
        code, out = _install(cli, tmp_path, signed)
        assert code == 2 and expected in out, out
        assert centre.trust_list_file.read_bytes() == installed
    # Another root on the command line is not a new pin.
    other = tmp_path / "other-root.json"
    other.write_text(json.dumps({"rootKeys": [centre.centre_keys(PASSPHRASE)[0].public.jwk()],
                                 "threshold": 1}))
    (tmp_path / "list.json").write_text(json.dumps(signed_list(centre, PASSPHRASE, version=3)))
    code, _, err = cli("trust", "install", str(tmp_path / "list.json"), "--root", str(other))
    assert code == 2 and "not signed by a trusted root" in err


def test_a_rotated_key_signs_once_listed_and_the_old_ones_cards_stay_good(
        centre: Home, cli: Cli, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    assert _install(cli, tmp_path, signed_list(centre, PASSPHRASE), first=True)[0] == 0
    code, _, err = cli("issue", str(_training(tmp_path, 1)), "--out", str(tmp_path / "out"))
    assert code == 0, err
    old_card = (tmp_path / "out" / "training-1.qr.txt").read_text().strip()
    old = centre.centre_keys(PASSPHRASE)[0]

    code, out, err = cli("key", "rotate", "--out", str(tmp_path / "rotation.json"))
    assert code == 0, err
    request = KeyRotationRequest.from_text((tmp_path / "rotation.json").read_text(), "rotation")
    assert request.signed_by(old.public) and request.centre_id == CENTRE
    new = next(k for k in centre.centre_keys(PASSPHRASE) if k.kid == request.new_key.kid)
    # One request at a time: a second would leave two keys waiting.
    code, _, err = cli("key", "rotate", "--out", str(tmp_path / "again.json"))
    assert code == 2 and f"key {new.kid} is asked for already" in err
    assert len(centre.centre_keys(PASSPHRASE)) == 2 and not (tmp_path / "again.json").exists()
    # Not listed yet: the old key keeps signing.
    assert cli("issue", str(_training(tmp_path, 2)), "--out", str(tmp_path / "out"))[0] == 0
    assert f'"kid":"{old.kid}"' in _header(tmp_path / "out" / "training-2.jwt")

    overlap = [key_entry(old.public, now - timedelta(days=1), now + timedelta(days=30)),
               key_entry(new.public, now - timedelta(minutes=1))]
    assert _install(cli, tmp_path, signed_list(centre, PASSPHRASE, version=2, keys=overlap))[0] == 0
    assert cli("issue", str(_training(tmp_path, 3)), "--out", str(tmp_path / "out"))[0] == 0
    assert f'"kid":"{new.kid}"' in _header(tmp_path / "out" / "training-3.jwt")
    bundle = json.loads(centre.bundle_file.read_bytes())
    assert all(f'"kid":"{new.kid}"' in _header_of(j) for j in bundle["statusLists"])
    assert cli("verify", old_card)[0] == 0

    # The old key retires with its record: its genuine cards stay valid, a card signed with it
    # afterwards, dated before, is not.
    code, out, err = cli("key", "record", old.kid, "--out", str(tmp_path / "record.jwt"))
    assert code == 0 and "2 credential(s)" in out, err
    from passport.records import IssuanceRecord

    record = IssuanceRecord.from_jws((tmp_path / "record.jwt").read_text().strip())
    retired_at = datetime.now(UTC) + timedelta(seconds=1)  # after the last card it signed
    retired = [key_entry(old.public, now - timedelta(days=1), retired_at,
                         record=RecordRef(record.sha256, record.count)),
               key_entry(new.public, now - timedelta(minutes=1))]
    assert _install(cli, tmp_path, signed_list(centre, PASSPHRASE, version=3, keys=retired))[0] == 0
    assert cli("init")[0] == 0  # any command republishes the centre's bundle, with the record
    trust = TrustBundle.from_json(centre.bundle_file.read_bytes(), roots=authority_root())
    later = retired_at + timedelta(seconds=1)
    outcome = verify(old_card, at=later, trust=trust)
    assert outcome.valid, outcome.failures()
    from passport.jws import parse
    from passport.signing import sign_claims

    claims = json.loads(parse(old_card_jws(tmp_path)).payload)
    claims["id"] = "urn:skillpass:cred:BACKDATED001"
    forged = sign_claims(claims, old)[1]
    result = verify(forged, at=later, trust=trust)
    assert (result.verdict, result.check(Check.KEY_VALID).code) == \
        (Verdict.INVALID, Code.NOT_IN_ISSUANCE_RECORD)


def old_card_jws(tmp_path: Path) -> str:
    return (tmp_path / "out" / "training-1.jwt").read_text().strip()


def _header(path: Path) -> str:
    return _header_of(path.read_text().strip())


def _header_of(compact: str) -> str:
    from passport.b64 import b64u_decode

    return b64u_decode(compact.split(".")[0]).decode()


def test_the_web_refuses_to_issue_before_accreditation_with_what_to_do(
        centre: Home, tmp_path: Path) -> None:
    from tests.issuer.conftest import make_service, store_of
    from tests.issuer.workflow import register

    svc = make_service(centre, f"sqlite:///{centre.root / 'issuer.db'}", prefix="t-")
    candidate = register(svc)
    r = svc.call("assessor", "post", "/api/trainings", json={
        "candidateId": candidate["id"], "nationalId": "010234567", "course": COURSE,
        "start": "2026-10-05", "end": "2026-10-16"})
    assert r.status_code == 409 and "trust install" in r.get_json()["message"]
    assert svc.call(None, "get", "/trust-bundle.json").status_code == 404
    page = svc.client("admin").get("/admin/keys")
    assert page.status_code == 200 and centre.centre_keys(PASSPHRASE)[0].kid in page.get_data(
        as_text=True)
    store_of(svc.app).close()
