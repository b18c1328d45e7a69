"""`skillpass verify` over many inputs and passports: rows, people, formats and exit codes."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from passport import qr
from passport.credential import Credential, HolderInput
from passport.holder_bundle import passport_bundle
from passport.jws import parse
from tests.world import ISSUED, SOK_DARA, World

Cli = Callable[..., tuple[int, str, str]]
ROOT = Path(__file__).resolve().parents[1]
VECTORS = Path(__file__).parent / "vectors" / "v1"
COMMON = ["--trust", str(VECTORS / "trust-bundle.json"), "--root", str(VECTORS / "root-keys.json"),
          "--at", "2026-11-05T12:00:00Z"]
GOOD = [VECTORS / f"{n}.qr.txt" for n in ("full-certificate", "statement-of-attainment",
                                          "training-record")]
REVOKED = VECTORS / "revoked.qr.txt"


def _text(path: Path) -> str:
    return path.read_text().strip()


def _csv_rows(out: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(out)))


def test_many_qr_texts_give_one_row_each_and_one_per_person(cli: Cli) -> None:
    code, out, err = cli("verify", *map(_text, GOOD), *COMMON, "--format", "csv")
    assert code == 0, err
    rows = _csv_rows(out)
    creds = [r for r in rows if r["row"] == "credential"]
    assert [r["verdict"] for r in creds] == ["valid"] * 3
    people = [r for r in rows if r["row"] == "person"]
    assert sum(len(p["source"].split()) for p in people) >= 1
    assert all(p["verdict"] == "valid" for p in people)


def test_one_not_valid_makes_exit_1_and_unreadable_exit_2(cli: Cli) -> None:
    code, out, _ = cli("verify", str(GOOD[0]), str(REVOKED), *COMMON, "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["exitCode"] == 1
    assert [c["verdict"] for c in doc["credentials"]] == ["valid", "invalid"]
    assert any(c["status"] == "fail" for c in doc["credentials"][1]["checks"])
    code, out, _ = cli("verify", str(GOOD[0]), "not-a-card-nor-a-file", *COMMON)
    assert code == 2
    assert out.startswith("VALID ") and "\nCould not be read " in out
    assert "not a signed credential ('not-a-card-nor-a-file' is neither QR text" in out


def test_warnings_are_not_valid(cli: Cli) -> None:
    # The same cards a year later: the status lists are out of date, a warning per card.
    code, out, _ = cli("verify", *map(str, GOOD), *COMMON[:4], "--at", "2027-11-05T12:00:00Z",
                       "--format", "csv")
    assert code == 1
    assert {r["verdict"] for r in _csv_rows(out) if r["row"] == "credential"} == {"warning"}


def test_folders_csv_stdin_and_out(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "cards"
    folder.mkdir()
    for path in GOOD:
        (folder / path.name).write_text(path.read_text())
    (folder / "trust-bundle.json").write_text((VECTORS / "trust-bundle.json").read_text())
    (folder / ".hidden.qr.txt").write_text("junk")
    code, out, err = cli("verify", str(folder), *COMMON, "--format", "csv")
    assert code == 0, err
    assert len([r for r in _csv_rows(out) if r["row"] == "credential"]) == 3  # no bundle, no junk

    sheet = tmp_path / "candidates.csv"
    sheet.write_text("name,QR\nDara," + _text(GOOD[0]) + "\nBopha,revoked.qr.txt\nNobody,\n")
    (tmp_path / "revoked.qr.txt").write_text(REVOKED.read_text())
    out_file = tmp_path / "result.csv"
    code, out, _ = cli("verify", str(sheet), *COMMON, "--format", "csv", "--out", str(out_file))
    assert code == 1 and out == ""
    rows = [r for r in _csv_rows(out_file.read_text()) if r["row"] == "credential"]
    assert [(r["source"], r["verdict"]) for r in rows] == [
        (f"{sheet}:2", "valid"), (f"{sheet}:3", "invalid")]

    headless = tmp_path / "plain.csv"
    headless.write_text(f"{_text(GOOD[1])},x\n{_text(GOOD[2])},y\n")
    code, out, _ = cli("verify", str(headless), *COMMON, "--format", "csv")
    assert code == 0 and len([r for r in _csv_rows(out) if r["row"] == "credential"]) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("name,phone\nDara,012\n")
    code, _, err = cli("verify", str(bad), *COMMON)
    assert code == 2 and "line 1: no column headed qr" in err and "Traceback" not in err

    lines = f"{_text(GOOD[0])}\n\n{GOOD[1]}\n{_text(REVOKED)}\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(lines.encode())))
    code, out, _ = cli("verify", "-", *COMMON, "--format", "json")
    assert code == 1
    assert [(c["source"], c["verdict"]) for c in json.loads(out)["credentials"]] == [
        ("stdin:1", "valid"), ("stdin:3", "valid"), ("stdin:4", "invalid")]


def test_one_line_on_stdin_keeps_the_single_summary(cli: Cli,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(GOOD[0].read_bytes())))
    code, out, _ = cli("verify", "-", *COMMON)
    assert code == 0 and out.startswith("Verdict: VALID (status as of 2026-11-02)\nHolder: ")


# -- passports --------------------------------------------------------------------------------


def _passport_world(tmp_path: Path, world: World) -> tuple[list[str], list[tuple[Credential, str, str]]]:
    (tmp_path / "bundle.json").write_bytes(world.bundle_bytes())
    (tmp_path / "root.json").write_text(json.dumps(world.root_set().to_json()))
    entries = []
    for n, cred_id in enumerate(("PASSPRT00001", "PASSPRT00002")):
        compact = world.issue(credential_id=f"urn:skillpass:cred:{cred_id}", index=10 + n)
        entries.append((Credential.from_payload(parse(compact).payload), compact,
                        qr.encode(compact)))
    at = (ISSUED + timedelta(days=1)).isoformat()
    return ["--trust", str(tmp_path / "bundle.json"), "--root", str(tmp_path / "root.json"),
            "--at", at], entries


def _write(path: Path, doc: dict[str, Any]) -> str:
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1))
    return str(path)


def test_a_passport_is_verified_whole(cli: Cli, tmp_path: Path, world: World) -> None:
    common, entries = _passport_world(tmp_path, world)
    doc = passport_bundle(entries, ISSUED)
    passport = _write(tmp_path / "passport.json", doc)
    code, out, err = cli("verify", passport, *common)
    assert code == 0, err
    assert "2 of 2 credentials valid" in out and "Sok Dara" in out

    code, out, _ = cli("verify", passport, *common, "--national-id", SOK_DARA.national_id,
                       "--format", "csv")
    person = [r for r in _csv_rows(out) if r["row"] == "person"]
    assert code == 0 and len(person) == 1 and person[0]["award"] == "national ID matches"
    code, out, _ = cli("verify", passport, *common, "--national-id", "999999999",
                       "--format", "csv")
    person = [r for r in _csv_rows(out) if r["row"] == "person"]
    assert code == 1 and "the national ID typed is not the holder's" in person[0]["problems"]


def test_a_passport_with_another_holders_credential_is_not_valid(
        cli: Cli, tmp_path: Path, world: World) -> None:
    common, entries = _passport_world(tmp_path, world)
    world.holder = HolderInput("Meas Bopha", "មាស បុប្ផា", 1987, "020345678")
    stranger = world.issue(credential_id="urn:skillpass:cred:PASSPRT00003", index=12)
    doc = passport_bundle(entries, ISSUED)
    doc["credentials"].append({"id": "urn:skillpass:cred:PASSPRT00003", "jws": stranger,
                               "qr": qr.encode(stranger)})
    code, out, _ = cli("verify", _write(tmp_path / "p.json", doc), *common, "--format", "json")
    result = json.loads(out)
    assert code == 1
    assert [c["verdict"] for c in result["credentials"]] == ["valid", "valid", "holder-mismatch"]
    assert "issued to Meas Bopha" in result["people"][0]["problems"]

    # An entry whose JWS is not the credential of its QR text.
    doc = passport_bundle(entries, ISSUED)
    doc["credentials"][0]["jws"] = entries[1][1]
    code, out, _ = cli("verify", _write(tmp_path / "q.json", doc), *common, "--format", "json")
    assert code == 1 and "different credentials" in json.loads(out)["credentials"][0]["problems"]


@pytest.mark.parametrize(("content", "expected"), [
    ('{"type": "SkillsPassportBundle", "version": 1,\n "holder": {}}', "line 2 at $.holder"),
    ('{"type": "SkillsPassportBundle",\n  "version": 1,,}', "line 2"),
    ('{"type": "SkillsPassportBundle", "a": ' + '{"a": ' * 40 + "1" + "}" * 41, "nest"),
])
def test_a_bad_passport_file_is_named_with_its_place(cli: Cli, tmp_path: Path, content: str,
                                                     expected: str) -> None:
    (tmp_path / "passport.json").write_text(content)
    code, out, err = cli("verify", str(tmp_path / "passport.json"), *COMMON)
    assert code == 2 and "Traceback" not in out + err
    assert expected in out and "passport.json" in out


def test_verify_does_not_load_the_issuer() -> None:
    """`skillpass verify` starts with what verification needs: not Flask, SQLAlchemy, the
    issuer or the rubric engine (a recruiter runs it once per card)."""
    code = ("import sys, runpy\n"
            "sys.argv = ['skillpass', 'verify', sys.argv[1], *sys.argv[2:]]\n"
            "from passport.cli import main\n"
            "rc = main()\n"
            "print('MODULES', ' '.join(sorted(sys.modules)), file=sys.stderr)\n"
            "late = [f'{m.__name__}.{k}' for m in list(sys.modules.values())\n"
            "        if m.__name__.split('.')[0] in ('passport', 'verifier')\n"
            "        for k, c in vars(m).items() if isinstance(c, type) and issubclass(c, tuple)\n"
            "        and c.__module__ == m.__name__\n"
            "        and any(isinstance(t, str) or type(t).__name__ == 'ForwardRef'\n"
            "                for t in getattr(c, '__annotations__', {}).values())]\n"
            "print('LATE', ' '.join(late), file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", code, str(GOOD[0]), *COMMON],
                          capture_output=True, text=True, check=False, cwd=ROOT, timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("Verdict: VALID"), done.stderr
    modules = done.stderr.split("MODULES", 1)[1].split("LATE", 1)[0].split()
    # A NamedTuple's annotation left as a string becomes a typing.ForwardRef, made with
    # compile(): the first compile() in a process builds the AST node types, ~1 ms of every
    # start. The modules a verification loads do without `from __future__ import annotations`.
    assert done.stderr.split("LATE", 1)[1].split() == []
    roots = {m.split(".")[0] for m in modules}
    for heavy in ("issuer", "flask", "sqlalchemy", "rpl_rubrics", "alembic", "authority",
                  "jsonschema", "jwt", "PIL", "zxingcpp"):
        assert heavy not in roots, heavy
    # Loaded only to sign, seal or write status lists: a verifier's start goes without them.
    for lazy in ("nacl.signing", "nacl.public", "nacl.utils", "nacl.pwhash", "gzip"):
        assert lazy not in modules, lazy
    # dataclasses brings inspect, ast, dis and tokenize (~5 ms of every start): the classes a
    # verification builds are NamedTuples. csv is for CSV input and `--format csv` only.
    for lazy in ("dataclasses", "inspect", "ast", "csv"):
        assert lazy not in modules, lazy
    # SHA-256 comes from libsodium, loaded anyway: hashlib and hmac would load OpenSSL too.
    for lazy in ("hashlib", "hmac", "_hashlib"):
        assert lazy not in modules, lazy


def test_a_long_run_shows_progress_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from verifier.cli import _progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert _progress(10) is None  # a short run: no bar
    show = _progress(100)
    assert show is not None
    for done in range(1, 101):
        show(done)
    assert terminal.getvalue().endswith("] 100/100\n")
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # a file or a pipe: no bar
    assert _progress(100) is None


def test_a_passport_on_standard_input(cli: Cli, tmp_path: Path, world: World,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    common, entries = _passport_world(tmp_path, world)
    data = json.dumps(passport_bundle(entries, ISSUED), indent=1).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, out, err = cli("verify", "-", *common, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert [c["source"] for c in doc["credentials"]] == ["stdin#credentials[0]",
                                                        "stdin#credentials[1]"]
    assert doc["people"][0]["credential"] == "2 of 2 valid"
