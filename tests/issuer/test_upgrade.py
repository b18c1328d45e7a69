"""Upgrading a home the first version wrote, which kept status in files beside the database.

The homes in tests/fixtures/wave1 were made by that version's own code (see make_homes.py
there): `cli` was used from the command line only, `shared` also through the web service,
so both handed out slots 0..2 of list 1. Until `skillpass upgrade` imports the files, every
other command refuses such a home and changes nothing; the upgrade keeps every slot taken
and every revoked card revoked, and refuses bad input the same way.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, create_engine, insert, inspect, select, text
from sqlalchemy.engine import Connection

from issuer import migrate
from issuer.app import create_app
from issuer.db import AuditEntry, make_engine
from issuer.home import Home
from issuer.wave1 import Wave1HomeError
from passport import qr
from passport.b64 import b64u_decode
from passport.credential import Credential, format_time
from passport.jws import parse
from passport.keys import unseal
from passport.trust import sign_trust_list
from tests.issuer import postgres
from tests.issuer.conftest import Service, make_service, store_of
from tests.issuer.workflow import bits_agree_with_records

Cli = Callable[..., tuple[int, str, str]]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wave1"
PASSPHRASE = "wave1 fixture passphrase"  # make_homes.py sealed the homes' keys with it
STATUS_FILES = ("next-index", "revocation-1.bits", "suspension-1.bits")
COURSE = {"id": "forklift-safety", "version": 1, "hours": 40, "isco08": "8344", "cqfLevel": "C1",
          "title": {"en": "Forklift safety", "km": "សុវត្ថិភាពរថយន្តលើកទំនិញ"}}


@dataclass(frozen=True)
class Wave1:
    """A copy of a fixture: `home/` (with issuer.db), and the output folders `demo/`, `batch/`."""

    root: Path
    url: str | None = None  # DATABASE_URL, where the earlier version kept it elsewhere

    @property
    def database_url(self) -> str:
        return self.url or f"sqlite:///{self.db}"

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def db(self) -> Path:
        return self.home / "issuer.db"

    @property
    def folders(self) -> tuple[str, str]:
        return str(self.root / "demo"), str(self.root / "batch")

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        engine = create_engine(self.database_url)  # no pragmas: reading changes nothing
        try:
            with engine.connect() as connection:
                yield connection
        finally:
            engine.dispose()

    def revision(self) -> str:
        with self.connect() as db:
            return str(db.execute(text("SELECT version_num FROM alembic_version")).scalar_one())

    def state(self) -> tuple[dict[str, tuple[list[str], list[str]]], dict[str, bytes]]:
        """Every table's columns and rows, and the status files: what a refusal leaves as it was."""
        tables = MetaData()
        with self.connect() as db:
            tables.reflect(db)
            content = {t.name: ([c.name for c in t.columns],
                                sorted(repr(tuple(r)) for r in db.execute(select(t))))
                       for t in tables.sorted_tables}
        status = self.home / "status"
        return content, {p.name: p.read_bytes() for p in sorted(status.iterdir())}

    def credentials(self) -> dict[str, str]:
        """Every credential the command line wrote: id -> compact JWS (.jwt files and ledger)."""
        found = {}
        for path in sorted((self.root / "demo").glob("*.jwt")) + \
                sorted((self.root / "batch").glob("*.jwt")):
            compact = path.read_text(encoding="utf-8").strip()
            found[_credential(compact).id] = compact
        return found

    def ledger_ids(self) -> list[str]:
        lines = (self.root / "batch" / "ledger.jsonl").read_text(encoding="utf-8").splitlines()
        return [json.loads(line)["claims"]["id"] for line in lines]


def _credential(compact: str) -> Credential:
    return Credential.from_payload(parse(compact).payload)


def _renew_trust_list(home: Path) -> None:
    """The fixture's demo trust list expires a year after the day it was made: the suite signs
    the next version with the home's own demo root key, so it does not expire with it."""
    signed = json.loads((home / "trust-list.json").read_bytes())
    doc = json.loads(b64u_decode(signed["payload"]))
    now = datetime.now(UTC)
    doc.update(version=doc["version"] + 1, issued=format_time(now - timedelta(days=1)),
               expires=format_time(now + timedelta(days=365)))
    root = unseal(json.loads((home / "keys" / "root.sealed.json").read_bytes()), PASSPHRASE)
    (home / "trust-list.json").write_text(json.dumps(sign_trust_list(doc, [root])),
                                          encoding="utf-8")


@pytest.fixture(scope="session")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each fixture home once per session: issuer.db rebuilt from its dump, trust list renewed."""
    made = {}
    for name in ("cli", "shared"):
        root = tmp_path_factory.mktemp("wave1") / name
        shutil.copytree(FIXTURES / name, root)
        with closing(sqlite3.connect(root / "home" / "issuer.db")) as db:
            db.executescript((root / "issuer.sql").read_text(encoding="utf-8"))
        (root / "issuer.sql").unlink()
        _renew_trust_list(root / "home")
        made[name] = root
    return made


def _copy(prepared: dict[str, Path], name: str, tmp_path: Path,
          monkeypatch: pytest.MonkeyPatch) -> Wave1:
    home = Wave1(tmp_path / name)
    shutil.copytree(prepared[name], home.root)
    monkeypatch.setenv("SKILLPASS_HOME", str(home.home))
    monkeypatch.setenv("SKILLPASS_PASSPHRASE", PASSPHRASE)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return home


@pytest.fixture
def cli_home(prepared: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Wave1:
    return _copy(prepared, "cli", tmp_path, monkeypatch)


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_anywhere(request: pytest.FixtureRequest, prepared: dict[str, Path], tmp_path: Path,
                    monkeypatch: pytest.MonkeyPatch) -> Wave1:
    """The shared home, its database in the home (SQLite) or on PostgreSQL (DATABASE_URL)."""
    home = _copy(prepared, "shared", tmp_path, monkeypatch)
    if request.param == "sqlite":
        return home
    prefix = request.getfixturevalue("postgres_prefix")
    if prefix is None:
        pytest.skip("PostgreSQL is not available here (and this is not CI)")
    url = postgres.create_database(prefix, f"w1_{uuid.uuid4().hex[:12]}")
    _copy_database(home.db, url)
    home.db.unlink()
    monkeypatch.setenv("DATABASE_URL", url)
    return replace(home, url=url)


def _copy_database(source: Path, url: str) -> None:
    """The fixture's database as the earlier version kept it on PostgreSQL: revision 0001's
    schema (unchanged since that version), the same rows, each id sequence past its rows."""
    config = Config()
    config.set_main_option("script_location", str(Path(migrate.__file__).with_name("migrations")))
    engine, reader = make_engine(url), make_engine(f"sqlite:///{source}")
    try:
        with engine.begin() as connection, reader.connect() as rows:
            config.attributes["connection"] = connection
            command.upgrade(config, "0001")
            target, origin = MetaData(), MetaData()
            target.reflect(connection)
            origin.reflect(rows)
            tables = [t for t in target.sorted_tables if t.name != "alembic_version"]
            for table in reversed(tables):  # the rows revision 0001 starts with, replaced
                connection.execute(table.delete())
            for table in tables:
                data = [dict(r._mapping) for r in rows.execute(select(origin.tables[table.name]))]
                if data:
                    connection.execute(insert(table), data)
                for column in table.primary_key:
                    sequence = connection.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                                  {"t": table.name, "c": column.name}).scalar()
                    if sequence is not None and data:
                        connection.execute(text(f"SELECT setval('{sequence}', MAX({column.name})) "
                                                f"FROM {table.name}"))
    finally:
        engine.dispose()
        reader.dispose()


@contextmanager
def _service(home: Wave1) -> Iterator[Service]:
    # The earlier version's `init` created a user 'admin': the test's users are named apart.
    svc = make_service(Home(home.home), home.database_url, secret=PASSPHRASE, prefix="t-")
    try:
        yield svc
    finally:
        store_of(svc.app).close()


def _training_file(folder: Path) -> Path:
    path = folder / "training.json"
    path.write_text(json.dumps({
        "type": "TrainingCompletion",
        "candidate": {"name": "Nou Sreypov", "nameKm": "នូ ស្រីពៅ", "birthYear": 1994,
                      "nationalId": "400000001"},
        "course": COURSE, "start": "2026-10-05", "end": "2026-10-16"}), encoding="utf-8")
    return path


def _verdict(cli: Cli, compact: str) -> tuple[int, str]:
    """`skillpass verify` of the card's QR text against the home's bundle: exit code, status."""
    code, out, err = cli("verify", qr.encode(compact), "--json")
    assert code in (0, 1), err
    checks = {c["check"]: c["code"] for c in json.loads(out)["checks"]}
    return code, checks["status"]


def _refused(code: int, err: str) -> None:
    assert code == 2, err
    assert "skillpass upgrade" in err and "Traceback" not in err


# -- until the upgrade: every other command refuses ----------------------------------------

@pytest.mark.parametrize("name", ["cli", "shared"])
def test_every_other_command_refuses_a_wave1_home(name: str, prepared: dict[str, Path],
                                                  tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  cli: Cli) -> None:
    home = _copy(prepared, name, tmp_path, monkeypatch)
    before = home.state()
    some_id = next(iter(home.credentials()))
    out = tmp_path / "out"
    commands = [
        ("init",), ("demo", "--out", str(out)),
        ("issue", str(_training_file(tmp_path)), "--out", str(out)),
        ("issue-batch", str(FIXTURES / "results.csv"), "--out", str(out)),
        ("revoke", some_id, "--reason", "test"), ("suspend", some_id, "--reason", "test"),
        ("card", some_id, "--out", str(out / "card.png")),
    ]
    for argv in commands:
        code, _, err = cli(*argv)
        _refused(code, err)
        assert "--credentials" in err, argv
    with pytest.raises(Wave1HomeError, match="skillpass upgrade"):
        create_app(Home(home.home), secret=PASSPHRASE, testing=True)  # what `serve` runs
    assert home.revision() == "0001"
    assert home.state() == before
    assert not out.exists()


# -- a home used from the command line only ------------------------------------------------

def test_upgrade_imports_a_command_line_home(cli_home: Wave1, cli: Cli, tmp_path: Path) -> None:
    home = cli_home
    written = home.credentials()
    # A batch row the earlier version never finished: its ledger line has no credential file.
    # Ledgers are not signed, so such a line is never signed into a credential here; neither
    # is a forged one, which would otherwise mint a card in the centre's name.
    lost = sorted((home.root / "batch").glob("*.jwt"))[0]
    lost_id = _credential(written.pop(_credential(lost.read_text().strip()).id)).id
    lost.unlink()
    ledger = home.root / "batch" / "ledger.jsonl"
    forged = json.loads(ledger.read_text().splitlines()[0])
    forged["claims"]["id"] = "urn:skillpass:cred:F0RGED000001"
    forged["claims"]["credentialSubject"]["name"] = "Mallory Attacker"
    ledger.write_text(ledger.read_text() + json.dumps(forged) + "\n")
    assert len(written) == 19

    code, out, err = cli("upgrade", "--credentials", *home.folders)
    assert code == 0, err
    assert "imported 19 credential(s)" in out and "slots continue at 20" in out
    assert out.count("no credential file matches this ledger line") == 2
    assert "1 slot(s) the command line handed out have no credential" in out
    assert not (home.home / "status").exists()
    assert home.revision() == migrate.head_revision()

    with _service(home) as svc:
        for credential_id, compact in written.items():
            name = _credential(compact).holder.name
            found = svc.call("registrar", "get", "/api/candidates", query_string={"q": name})
            held = [c["id"] for person in found.get_json() for c in svc.call(
                "registrar", "get", f"/api/candidates/{person['id']}").get_json()["credentials"]]
            assert credential_id in held, name
            record = svc.call("registrar", "get", f"/api/credentials/{credential_id}").get_json()
            assert record["jws"] == compact and not record["sharedSlot"]
        bits_agree_with_records(svc)
        for absent in (lost_id, "urn:skillpass:cred:F0RGED000001"):
            assert svc.call("registrar", "get", f"/api/credentials/{absent}").status_code == 404

    revoked = _credential((home.root / "demo" / "revoked-sample.jwt").read_text().strip()).id
    for credential_id, compact in written.items():
        assert _verdict(cli, compact) == ((1, "revoked") if credential_id == revoked else (0, "ok"))
    # Printed by id from the database (the number on the card), but never a revoked one.
    number = next(i for i in written if i != revoked).rsplit(":", 1)[1]
    assert cli("card", number, "--out", str(tmp_path / "card.png"))[0] == 0
    assert (tmp_path / "card.png").read_bytes().startswith(b"\x89PNG")
    code, _, err = cli("card", revoked, "--out", str(tmp_path / "revoked.png"))
    assert code == 2 and "not printed" in err

    # The next credential takes a slot neither counter handed out.
    code, _, err = cli("issue", str(_training_file(tmp_path)), "--out", str(tmp_path / "new"))
    assert code == 0, err
    new = _credential(next((tmp_path / "new").glob("*.jwt")).read_text().strip())
    assert new.status[0].list_index >= 20

    code, out, _ = cli("upgrade", "--credentials", *home.folders)
    assert code == 0 and "nothing to import" in out
    # The old batch file again: its rows were imported with their ledger keys.
    code, out, err = cli("issue-batch", str(FIXTURES / "results.csv"), "--out",
                         str(tmp_path / "again"))
    assert code == 0, err
    # The unfinished row is issued now, once; the others were imported with their row keys.
    assert "Issued 1 new credential(s); 5 were issued before; 1 row(s) with no award" in out
    assert cli("audit", "verify")[0] == 0


def test_a_wave1_home_that_never_made_a_database(cli_home: Wave1, cli: Cli,
                                                 tmp_path: Path) -> None:
    """The earlier `skillpass demo` and `issue` never opened the database: a home used only
    that way has status files and no issuer.db."""
    home = cli_home
    home.db.unlink()
    code, _, err = cli("issue", str(_training_file(tmp_path)), "--out", str(tmp_path / "new"))
    _refused(code, err)
    assert (home.home / "status" / "next-index").exists()
    with home.connect() as db:  # the refused schema was rolled back with the import
        assert inspect(db).get_table_names() == []
    code, out, err = cli("upgrade", "--credentials", *home.folders)
    assert code == 0, err
    assert "imported 20 credential(s)" in out
    assert cli("issue", str(_training_file(tmp_path)), "--out", str(tmp_path / "new"))[0] == 0
    new = _credential(next((tmp_path / "new").glob("*.jwt")).read_text().strip())
    assert new.status[0].list_index >= 20


# -- a home used from the command line and the web service: shared slots ------------------

def test_shared_slots_refuse_without_the_flag(shared_anywhere: Wave1, cli: Cli) -> None:
    home = shared_anywhere
    before = home.state()
    with home.connect() as db:
        web = sorted(db.execute(text("SELECT id FROM credentials")).scalars())
    assert len(web) == 3
    code, _, err = cli("upgrade", "--credentials", *home.folders)
    assert code == 2, err
    assert "--accept-shared-slots" in err and "slots 0 to 2" in err
    assert all(credential_id in err for credential_id in web)
    assert home.revision() == "0001"
    assert home.state() == before


def test_shared_slots_import_with_the_flag(shared_anywhere: Wave1, cli: Cli) -> None:
    home = shared_anywhere
    written = home.credentials()
    with home.connect() as db:
        web = {i: bool(revoked) for i, revoked in db.execute(text(
            "SELECT id, revoked FROM credentials"))}
    revoked_before = {i for i, revoked in web.items() if revoked}
    revoked_before.add(_credential((home.root / "demo" / "revoked-sample.jwt")
                                   .read_text().strip()).id)
    assert len(revoked_before) == 2

    code, out, err = cli("upgrade", "--credentials", *home.folders, "--accept-shared-slots")
    assert code == 0, err
    assert "imported 20 credential(s)" in out and "3 slot(s) of list 1 are shared" in out
    assert not (home.home / "status").exists()

    with _service(home) as svc:
        records = {}
        for credential_id in [*written, *web]:
            r = svc.call("admin", "get", f"/api/credentials/{credential_id}")
            assert r.status_code == 200, credential_id
            records[credential_id] = r.get_json()
        slots: dict[int, list[str]] = {}
        for credential_id, record in records.items():
            slots.setdefault(record["statusIndex"], []).append(credential_id)
            assert record["sharedSlot"] is (record["statusIndex"] < 3), credential_id
        assert sorted(len(slots[i]) for i in (0, 1, 2)) == [2, 2, 2]
        bits_agree_with_records(svc)
        # Each reason says what happened: the command line revoked its sample; the command
        # line's cards in slots 1 and 2 took the status the web service set for its own.
        sample = (revoked_before - set(web)).pop()
        assert records[sample]["statusReason"] == \
            "revoked through the command line of an earlier version"
        for index, column in ((1, "revoked"), (2, "suspended")):
            partner = next(i for i in slots[index] if i in written)
            assert records[partner][column]
            assert records[partner]["statusReason"] == \
                f"{column} in an earlier version (its status slot is shared with another credential)"

        # Nothing revoked before, by a bit file or in the database, verifies valid now; nor
        # does the suspended card, nor the cards that share a slot with either.
        for credential_id, record in records.items():
            code, status = _verdict(cli, record["jws"])
            if credential_id in revoked_before:
                assert (code, status) == (1, "revoked"), credential_id
            elif record["revoked"] or record["suspended"]:
                assert code == 1 and record["statusIndex"] in (1, 2), credential_id
            else:
                assert (code, status) == (0, "ok"), credential_id

        # A status change of one card in a shared slot changes every card in that slot.
        first, second = sorted(slots[0], key=lambda i: i in web)  # the command line's first
        assert first in written and second in web
        code, _, err = cli("revoke", first, "--reason", "re-issued with a slot of its own")
        assert code == 0, err
        for credential_id in (first, second):
            record = svc.call("admin", "get", f"/api/credentials/{credential_id}").get_json()
            assert record["revoked"], credential_id
            assert _verdict(cli, record["jws"]) == (1, "revoked")
        with store_of(svc.app).read() as s:
            entries = s.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars().all()
            upgrade = [e for e in entries if e.action == "home.upgrade"]
            revoke = [e for e in entries if e.action == "credential.revoke" and e.subject == first]
            assert len(upgrade) == 1 and len(revoke) == 1
            assert upgrade[0].details["sharedSlots"] == 3 and upgrade[0].details["imported"] == 20
            assert revoke[0].details["sharedWith"] == [second]
        bits_agree_with_records(svc)
    code, out, _ = cli("audit", "verify")
    assert code == 0 and "intact" in out


# -- status files the database never imported, and bad input ------------------------------

def test_status_files_beside_a_database_that_never_imported_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("SKILLPASS_HOME", str(home))
    monkeypatch.setenv("SKILLPASS_PASSPHRASE", PASSPHRASE)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert cli("init", "--demo")[0] == 0
    shutil.copytree(FIXTURES / "cli" / "home" / "status", home / "status")
    for argv in (("issue", str(_training_file(tmp_path)), "--out", str(tmp_path / "out")),
                 ("upgrade", "--credentials", str(FIXTURES / "cli" / "demo"))):
        code, _, err = cli(*argv)
        assert code == 2, err
        assert f"{home / 'status'} holds status files, but this database never imported" in err
    assert sorted(p.name for p in (home / "status").iterdir()) == sorted(STATUS_FILES)
    assert not (tmp_path / "out").exists()


def _not_a_folder(home: Wave1) -> list[str]:
    return ["--credentials", str(FIXTURES / "results.csv")]


def _no_such_folder(home: Wave1) -> list[str]:
    return ["--credentials", str(home.root / "no-such-folder")]


def _corrupt_counter(home: Wave1) -> list[str]:
    (home.home / "status" / "next-index").write_text("2O")
    return ["--credentials", *home.folders]


def _short_bits(home: Wave1) -> list[str]:
    (home.home / "status" / "revocation-1.bits").write_bytes(bytes(100))
    return ["--credentials", *home.folders]


def _long_bits(home: Wave1) -> list[str]:
    (home.home / "status" / "suspension-1.bits").write_bytes(bytes(16385))
    return ["--credentials", *home.folders]


def _missing_counter(home: Wave1) -> list[str]:
    (home.home / "status" / "next-index").unlink()
    return ["--credentials", *home.folders]


def _stray_bit(home: Wave1) -> list[str]:
    bits = bytearray((home.home / "status" / "revocation-1.bits").read_bytes())
    bits[200 // 8] |= 0x80 >> (200 % 8)  # slot 200: the counter stands at 20
    (home.home / "status" / "revocation-1.bits").write_bytes(bytes(bits))
    return ["--credentials", *home.folders]


def _two_in_one_slot(home: Wave1) -> list[str]:
    # Another card in Sok Dara's slot, signed with this home's key (a restored backup that
    # handed a slot out again): which of the two is this home's is a person's call.
    from passport.signing import sign_credential

    key = unseal(json.loads((home.home / "keys" / "issuer.sealed.json").read_bytes()), PASSPHRASE)
    sok = _credential((home.root / "demo" / "sok-dara.jwt").read_text().strip())
    other = Credential.from_claims({**sok.claims, "id": "urn:skillpass:cred:0THERCARD001"})
    (home.root / "restored").mkdir()
    (home.root / "restored" / "other.jwt").write_text(sign_credential(other, key))
    return ["--credentials", *home.folders, str(home.root / "restored")]


@pytest.mark.parametrize(("spoil", "expected"), [
    (_missing_counter, "status/next-index is missing beside the earlier version's bit files"),
    (_stray_bit, "revocation-1.bits: bit 200 is set, but the counter (20) never handed"),
    (_two_in_one_slot, "are two credentials in the same status slot"),
    (_not_a_folder, f"{FIXTURES / 'results.csv'}: not a folder"),
    (_no_such_folder, "no-such-folder: not a folder"),
    (_corrupt_counter, "status/next-index: not a status index counter ('2O')"),
    (_short_bits, "status/revocation-1.bits: 100 bytes, a status list has 16384"),
    (_long_bits, "status/suspension-1.bits: file is 16385 bytes, the limit is 16384"),
])
def test_bad_input_to_upgrade_changes_nothing(
        spoil: Callable[[Wave1], list[str]], expected: str, cli_home: Wave1, cli: Cli) -> None:
    home = cli_home
    argv = spoil(home)
    before = home.state()
    code, _, err = cli("upgrade", *argv)
    assert code == 2, err
    assert expected in err and "Traceback" not in err
    assert home.revision() == "0001"
    assert home.state() == before


def test_upgrade_asks_for_the_folders_before_leaving_cards_unfindable(cli_home: Wave1,
                                                                       cli: Cli) -> None:
    home = cli_home
    before = home.state()
    code, _, err = cli("upgrade")
    assert code == 2 and "--credentials" in err and "--without-credentials" in err
    assert home.state() == before and home.revision() == "0001"
    code, out, err = cli("upgrade", "--without-credentials")
    assert code == 0, err
    assert "imported 0 credential(s)" in out and "20 slot(s)" in out and "stay taken" in out
    # The revocation in the bit file stays, though its card has no record.
    revoked = (home.root / "demo" / "revoked-sample.jwt").read_text().strip()
    assert _verdict(cli, revoked) == (1, "revoked")
    sok = (home.root / "demo" / "sok-dara.jwt").read_text().strip()
    assert _verdict(cli, sok) == (0, "ok")


def test_a_later_issuance_completes_an_imported_holder(cli_home: Wave1, cli: Cli,
                                                       tmp_path: Path) -> None:
    """Imported credentials carry no full ID number, so their holder's record has none; the
    first issuance that gives the number (same names, birth year, last 4) completes it."""
    home = cli_home
    assert cli("upgrade", "--credentials", *home.folders)[0] == 0
    sok = _credential((home.root / "demo" / "sok-dara.jwt").read_text().strip())
    training = tmp_path / "sok.json"
    training.write_text(json.dumps({
        "type": "TrainingCompletion",
        "candidate": {"name": sok.holder.name, "nameKm": sok.holder.name_km,
                      "birthYear": sok.holder.birth_year, "nationalId": "010234567"},
        "course": COURSE, "start": "2026-10-05", "end": "2026-10-16"}), encoding="utf-8")
    assert sok.holder.matches_national_id("010234567")
    with _service(home) as svc:
        people = svc.call("registrar", "get", "/api/candidates", query_string={"q": "Sok Dara"})
        before = {p["id"] for p in people.get_json()}
        code, _, err = cli("issue", str(training), "--out", str(tmp_path / "new"))
        assert code == 0, err
        found = svc.call("registrar", "get", "/api/candidates",
                         query_string={"q": "010234567"}).get_json()
        assert len(found) == 1 and found[0]["id"] in before  # found by the full number now
        held = svc.call("registrar", "get", f"/api/candidates/{found[0]['id']}").get_json()
        assert sok.id in [c["id"] for c in held["credentials"]] and len(held["credentials"]) >= 2
    with home.connect() as db:
        actions = db.execute(select(AuditEntry.action)).scalars().all()
    assert "candidate.link" in actions
