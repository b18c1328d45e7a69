"""One store: the web, the API and every command-line path issue and change status through
the same service over the same database, and what verifiers see is derived from it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from issuer.db import CredentialRecord, StatusAllocator, StatusListRecord
from issuer.installation import Installation
from issuer.service import status
from passport.bundle import TrustBundle
from passport.status import MIN_ENTRIES, parse_status_list
from passport.verify import Check, Code, verify
from tests.homes import accredited_home_from_env
from tests.issuer.conftest import PASSPHRASE, Service, store_of
from tests.issuer.workflow import assess, bits_agree_with_records, register

Cli = Callable[..., tuple[int, str, str]]
COURSE = {"id": "forklift-safety", "version": 1, "hours": 40, "isco08": "8344", "cqfLevel": "C1",
          "title": {"en": "Forklift safety", "km": "សុវត្ថិភាពរថយន្តលើកទំនិញ"}}


@pytest.fixture
def on_home(svc: Service, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Service:
    """The command line pointed at the service's home and database, as on the centre's laptop."""
    monkeypatch.setenv("SKILLPASS_HOME", str(svc.home.root))
    monkeypatch.setenv("SKILLPASS_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("DATABASE_URL", database_url)
    return svc


def _training(svc: Service, candidate: dict[str, object], national_id: str) -> dict[str, object]:
    r = svc.call("assessor", "post", "/api/trainings", json={
        "candidateId": candidate["id"], "nationalId": national_id, "course": COURSE,
        "start": "2026-10-05", "end": "2026-10-16"})
    assert r.status_code == 201, r.get_json()
    return dict(r.get_json())


def test_web_revocation_is_seen_by_skillpass_verify_at_once(on_home: Service, cli: Cli,
                                                            tmp_path: Path) -> None:
    svc = on_home
    sok = register(svc)
    dara = register(svc, national_id="020345678", name="Chan Sophea", nameKm="ចាន់ សុភា")
    revoked, kept = _training(svc, sok, "010234567"), _training(svc, dara, "020345678")
    for c in (revoked, kept):
        assert cli("verify", c["qr"])[0] == 0
    r = svc.call("admin", "post", f"/api/credentials/{revoked['id']}/revoke",
                 json={"reason": "issued to the wrong person"})
    assert r.status_code == 200
    code, out, _ = cli("verify", revoked["qr"], "--json")  # the home's bundle, no sync
    assert code == 1 and json.loads(out)["checks"][7]["code"] == "revoked"
    assert cli("verify", kept["qr"])[0] == 0
    r = svc.call("admin", "post", f"/api/credentials/{kept['id']}/suspend",
                 json={"reason": "complaint under review"})
    assert r.status_code == 200
    assert cli("verify", kept["qr"])[0] == 1
    assert svc.call("admin", "post", f"/api/credentials/{kept['id']}/reinstate",
                    json={"reason": "cleared"}).status_code == 200
    assert cli("verify", kept["qr"])[0] == 0
    bits_agree_with_records(svc)


def test_command_line_status_changes_are_the_services(on_home: Service, cli: Cli) -> None:
    svc = on_home
    credential = _training(svc, register(svc), "010234567")
    number = str(credential["id"]).rsplit(":", 1)[1]
    code, _out, err = cli("suspend", number, "--reason", "card reported lost")
    assert code == 0, err
    assert svc.call("admin", "get", f"/api/credentials/{credential['id']}").get_json()["suspended"]
    bundle = TrustBundle.from_json(svc.call(None, "get", "/trust-bundle.json").data,
                                   roots=svc.home.root_keys())
    later = datetime.now(UTC) + timedelta(seconds=5)
    assert verify(str(credential["qr"]), at=later, trust=bundle).check(Check.STATUS).code \
        is Code.SUSPENDED
    assert cli("reinstate", number, "--reason", "card found")[0] == 0
    assert cli("revoke", str(credential["id"]), "--reason", "duplicate")[0] == 0
    code, _, err = cli("reinstate", number, "--reason", "again")
    assert code == 2 and "cannot be reinstated" in err
    code, _, err = cli("revoke", "NOSUCHCARD00", "--reason", "no such card")
    assert code == 2 and "no credential" in err
    chain = svc.call("admin", "get", "/api/audit").get_json()
    assert chain["intact"]
    with store_of(svc.app).read() as s:
        from issuer.db import AuditEntry

        actions = [(e.actor, e.action) for e in s.execute(select(AuditEntry)).scalars()]
    assert ("@cli", "credential.suspend") in actions and ("@cli", "credential.revoke") in actions
    bits_agree_with_records(svc)


def test_a_batch_credential_is_found_revoked_and_printed_on_the_web(
        on_home: Service, cli: Cli, tmp_path: Path) -> None:
    from bench.batch_csv import results_csv

    svc = on_home
    (tmp_path / "fair.csv").write_text(results_csv(6, datetime.now(UTC).date()), encoding="utf-8")
    code, _, err = cli("issue-batch", str(tmp_path / "fair.csv"), "--out", str(tmp_path / "out"))
    assert code == 0, err
    jwt = sorted((tmp_path / "out").glob("*.jwt"))[0]
    credential_id = verify(jwt.read_text().strip(), at=datetime.now(UTC),
                           trust=TrustBundle.from_json(svc.home.bundle_file.read_bytes(),
                                                       roots=svc.home.root_keys())).claims
    assert credential_id is not None
    cid = str(credential_id["id"])
    name = str(credential_id["credentialSubject"]["name"])
    found = svc.call("registrar", "get", "/api/candidates", query_string={"q": name}).get_json()
    assert found, name
    held = svc.call("registrar", "get", f"/api/candidates/{found[0]['id']}").get_json()
    assert cid in [c["id"] for c in held["credentials"]]
    assert svc.call("registrar", "get", f"/api/credentials/{cid}").status_code == 200
    # Printed by id from the database, on the web and on the command line.
    admin = svc.client("admin")
    assert admin.get(f"/credentials/{cid}/card.png").mimetype == "image/png"
    assert cli("card", cid, "--out", str(tmp_path / "card.png"))[0] == 0
    r = svc.call("admin", "post", f"/api/credentials/{cid}/revoke", json={"reason": "fraud"})
    assert r.status_code == 200
    assert cli("verify", str(jwt))[0] == 1
    code, _, err = cli("card", cid, "--out", str(tmp_path / "card2.png"))
    assert code == 2 and "not printed" in err


def test_a_full_list_opens_the_next_in_the_same_transaction(svc: Service) -> None:
    store = store_of(svc.app)
    centre = svc.app.extensions["skillpass.centre"]
    # Bulk allocation stands in for 131,071 issuances; the next two are real.
    with store.transaction() as s:
        taken = status.allocate(s, centre, MIN_ENTRIES - 1)
    assert taken[-1] == status.Slot(1, MIN_ENTRIES - 2)
    sok = register(svc)
    last, first = _training(svc, sok, "010234567"), _training(svc, sok, "010234567")
    assert (last["statusList"], last["statusIndex"]) == (1, MIN_ENTRIES - 1)
    assert (first["statusList"], first["statusIndex"]) == (2, 0)
    for purpose in ("revocation", "suspension"):
        assert svc.call(None, "get", f"/status/{purpose}/2").status_code == 200
    assert svc.call(None, "get", "/status/revocation/3").status_code == 404
    bundle_bytes = svc.call(None, "get", "/trust-bundle.json").data
    assert len(json.loads(bundle_bytes)["statusLists"]) == 4
    later = datetime.now(UTC) + timedelta(seconds=5)
    trust = TrustBundle.from_json(bundle_bytes, roots=svc.home.root_keys())
    assert verify(str(first["qr"]), at=later, trust=trust).valid
    assert svc.call("admin", "post", f"/api/credentials/{first['id']}/revoke",
                    json={"reason": "issued in error"}).status_code == 200
    trust = TrustBundle.from_json(svc.call(None, "get", "/trust-bundle.json").data,
                                  roots=svc.home.root_keys())
    assert verify(str(first["qr"]), at=later, trust=trust).check(Check.STATUS).code is Code.REVOKED
    assert verify(str(last["qr"]), at=later, trust=trust).valid
    bits_agree_with_records(svc)


def test_a_list_opened_by_a_transaction_that_fails_never_existed(svc: Service) -> None:
    store = store_of(svc.app)
    centre = svc.app.extensions["skillpass.centre"]
    with store.transaction() as s:
        status.allocate(s, centre, MIN_ENTRIES)

    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), store.transaction() as s:
        assert status.allocate(s, centre) == [status.Slot(2, 0)]
        raise Abandoned
    with store.read() as s:
        assert s.execute(select(StatusAllocator.list_number, StatusAllocator.next_index)).one() \
            == (1, MIN_ENTRIES)
        assert s.execute(select(StatusListRecord.number).where(StatusListRecord.number == 2)) \
            .first() is None


def test_publication_reads_cached_lists_and_answers_304(svc: Service) -> None:
    first = svc.call(None, "get", "/status/revocation/1")
    again = svc.call(None, "get", "/status/revocation/1",
                     headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    bundle = svc.call(None, "get", "/trust-bundle.json")
    assert svc.call(None, "get", "/trust-bundle.json",
                    headers={"If-None-Match": bundle.headers["ETag"]}).status_code == 304
    # The home's copy is the same document.
    assert svc.home.bundle_file.read_bytes() == bundle.data
    credential = _training(svc, register(svc), "010234567")
    assert svc.call("admin", "post", f"/api/credentials/{credential['id']}/revoke",
                    json={"reason": "issued in error"}).status_code == 200
    changed = svc.call(None, "get", "/status/revocation/1",
                       headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]
    assert svc.home.bundle_file.read_bytes() == svc.call(None, "get", "/trust-bundle.json").data


def test_status_lists_are_re_signed_daily_without_a_change(svc: Service) -> None:
    from issuer.service import publication

    store = store_of(svc.app)
    centre = svc.app.extensions["skillpass.centre"]
    today = publication.status_list(store, centre, "revocation", 1)
    tomorrow = publication.status_list(store, centre, "revocation", 1,
                                       now=datetime.now(UTC) + timedelta(days=1, minutes=1))
    assert tomorrow.etag != today.etag and tomorrow.modified > today.modified
    signed, _ = parse_status_list(tomorrow.build().decode())
    assert signed.valid_until - signed.valid_from == status.VALIDITY


def test_parallel_assessments_and_trainings_share_no_slot(svc: Service) -> None:
    import threading

    sok = register(svc)
    failures: list[str] = []

    def work(kind: str) -> None:
        for _ in range(4):
            try:
                if kind == "rpl":
                    a = assess(svc, int(sok["id"]), "electronics-assembly-c1")
                    r = svc.call("assessor", "post", f"/api/assessments/{a['id']}/credential",
                                 json={"nationalId": "010234567"})
                    assert r.status_code == 201, r.get_json()
                else:
                    _training(svc, sok, "010234567")
            except AssertionError as exc:
                failures.append(str(exc))

    threads = [threading.Thread(target=work, args=(k,)) for k in ("rpl", "tvet", "tvet")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    with store_of(svc.app).read() as s:
        slots = s.execute(select(CredentialRecord.status_list, CredentialRecord.status_index)).all()
    assert len(slots) == len(set(slots)) == 12


def test_demo_credentials_are_records_and_the_sample_is_revoked_there(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli) -> None:
    monkeypatch.setenv("SKILLPASS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SKILLPASS_PASSPHRASE", PASSPHRASE)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    accredited_home_from_env()
    assert cli("demo", "--out", str(tmp_path / "demo"))[0] == 0
    from issuer.home import Home

    with Installation.open(Home(tmp_path / "home"), secret=PASSPHRASE) as opened, \
            opened.store.read() as s:
        records = s.execute(select(CredentialRecord)).scalars().all()
        assert len(records) == len(list((tmp_path / "demo").glob("*.jwt")))
        assert [r.status_reason for r in records if r.revoked] == \
            ["demo: a sample of a revoked credential"]
    # Running the demo again on the same day finds the same inputs already issued.
    code, _out, _ = cli("demo", "--out", str(tmp_path / "demo"))
    assert code == 0
    with Installation.open(Home(tmp_path / "home"), secret=PASSPHRASE) as opened, \
            opened.store.read() as s:
        assert len(s.execute(select(CredentialRecord)).scalars().all()) == len(records)


def _cli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli) -> tuple[Path, str]:
    """A home set up on the command line, with one training record issued from a file."""
    monkeypatch.setenv("SKILLPASS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SKILLPASS_PASSPHRASE", PASSPHRASE)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    accredited_home_from_env()
    assert cli("init")[0] == 0
    source = tmp_path / "training.json"
    source.write_text(json.dumps({
        "type": "TrainingCompletion",
        "candidate": {"name": "Vann Rithy", "nameKm": "វ៉ាន់ រិទ្ធី", "birthYear": 1990,
                      "nationalId": "040567890"},
        "course": COURSE, "start": "2026-10-05", "end": "2026-10-16"}), encoding="utf-8")
    code, _, err = cli("issue", str(source), "--out", str(tmp_path / "out"))
    assert code == 0, err
    return tmp_path / "home", (tmp_path / "out" / "training.jwt").read_text().strip()


def test_a_home_keeps_its_one_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       cli: Cli) -> None:
    home, compact = _cli_home(tmp_path, monkeypatch, cli)
    bundle = (home / "trust-bundle.json").read_bytes()
    # DATABASE_URL set by mistake (or unset where the home lives on PostgreSQL): refused, before
    # a slot is handed out or a status published from the wrong store.
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'other.db'}")
    for argv in (("issue", str(tmp_path / "training.json"), "--out", str(tmp_path / "x")),
                 ("revoke", parse_id(compact), "--reason", "wrong database"), ("init",)):
        code, _, err = cli(*argv)
        assert code == 2 and "a home keeps one database" in err, (argv, err)
    assert (home / "trust-bundle.json").read_bytes() == bundle
    monkeypatch.delenv("DATABASE_URL")
    assert cli("revoke", parse_id(compact), "--reason", "right database")[0] == 0


def parse_id(compact: str) -> str:
    from issuer.service.credentials import parsed_jws

    return parsed_jws(compact).id


def test_a_revocation_reaches_the_home_bundle_even_if_the_process_dies_after_commit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli) -> None:
    import os
    import subprocess
    import sys

    _, compact = _cli_home(tmp_path, monkeypatch, cli)
    # The process is killed right after the commit, before it rewrites the home's bundle.
    script = ("import os, sys\n"
              "from issuer.service import publication\n"
              "publication.HomePublisher.after_commit = lambda self: os._exit(9)\n"
              "from passport.cli import main\n"
              "sys.exit(main(sys.argv[1:]))\n")
    done = subprocess.run([sys.executable, "-c", script, "revoke", parse_id(compact), "--reason",
                           "killed after commit"], env=dict(os.environ), capture_output=True,
                          timeout=120, check=False)
    assert done.returncode == 9, done.stderr.decode()[-2000:]
    code, out, _ = cli("verify", compact, "--json")
    assert code == 1 and json.loads(out)["checks"][7]["code"] == "revoked"


def test_a_revocation_the_home_bundle_cannot_show_is_not_made(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              cli: Cli) -> None:
    home, compact = _cli_home(tmp_path, monkeypatch, cli)
    # The home's copy cannot be written (here: a folder is in its way; in the field, a full
    # disk): the revocation is refused whole rather than committed and shown valid.
    (home / "trust-bundle.json").unlink()
    (home / "trust-bundle.json").mkdir()
    code, _, err = cli("revoke", parse_id(compact), "--reason", "cannot be shown")
    assert code == 2 and "trust-bundle.json" in err
    (home / "trust-bundle.json").rmdir()
    assert cli("init")[0] == 0  # any command republishes the home's copy
    assert cli("verify", compact)[0] == 0  # nothing was revoked
    assert cli("revoke", parse_id(compact), "--reason", "now it can")[0] == 0
    assert cli("verify", compact)[0] == 1


@pytest.mark.parametrize(("method", "path", "body", "expected"), [
    ("get", "/api/credentials/%00", None, 404),
    ("get", "/api/credentials/" + "A" * 5000, None, 404),
    ("post", "/api/credentials/urn:skillpass:cred:NOSUCH000000/revoke", {"reason": "a\x00b c"}, 400),
    ("get", "/status/revocation/01", None, 404),
    ("get", "/status/revocation/\uff11", None, 404),
    ("get", "/status/revocation/99999999999999999999", None, 404),
    ("get", "/status/revocation/-1", None, 404),
    ("get", "/status/other/1", None, 404),
])
def test_odd_status_requests_are_clear_4xx(svc: Service, method: str, path: str,
                                           body: object, expected: int) -> None:
    r = svc.call("admin", method, path, json=body) if body is not None \
        else svc.call("admin", method, path)
    assert r.status_code == expected, r.get_data(as_text=True)[:300]
    assert len(r.get_data()) < 2000  # an id is never echoed whole


@pytest.mark.parametrize("reason", ["bad \x00 byte", "lone \ud800 surrogate", "bell \x07 rung",
                                    "x" * 301])
def test_reasons_the_log_cannot_hold_are_refused(svc: Service, reason: str) -> None:
    credential = _training(svc, register(svc), "010234567")
    r = svc.call("admin", "post", f"/api/credentials/{credential['id']}/suspend",
                 data=json.dumps({"reason": reason}), content_type="application/json")
    assert r.status_code == 400, r.get_data(as_text=True)[:300]
    assert not svc.call("admin", "get", f"/api/credentials/{credential['id']}").get_json()["suspended"]


def test_a_weak_if_none_match_is_answered_304(svc: Service) -> None:
    tag = svc.call(None, "get", "/status/revocation/1").headers["ETag"]
    assert svc.call(None, "get", "/status/revocation/1",
                    headers={"If-None-Match": f"W/{tag}"}).status_code == 304


def test_processes_migrating_one_fresh_database_together(tmp_path: Path,
                                                         database_url: str) -> None:
    # gunicorn starts its workers at once, each migrating the same empty database.
    import concurrent.futures

    from issuer.demo import demo_profile
    from issuer.home import Home

    home = Home(tmp_path / "home")
    home.init(demo_profile(), PASSPHRASE, datetime.now(UTC))

    def start(_: int) -> int:
        with Installation.open(home, secret=PASSPHRASE, database_url=database_url) as opened, \
                opened.store.read() as s:
            return int(s.execute(select(StatusAllocator.list_number)).scalar_one())

    for _ in range(3):
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            assert list(pool.map(start, range(4))) == [1] * 4
        home.database_id_file.unlink()  # the next round: another fresh database
        database_url = database_url.rsplit("/", 1)[0] + f"/{uuid.uuid4().hex[:12]}"
        if database_url.startswith("postgresql"):
            from tests.issuer import postgres

            postgres.create_database(database_url.rsplit("/", 1)[0] + "/", database_url.rsplit("/", 1)[1])
