"""The command line: exit 0 valid, 1 not valid, 2 bad usage or unreadable input; no traces."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from passport import qr
from tests.homes import accredited_home_from_env
from tests.world import World

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SKILLPASS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SKILLPASS_PASSPHRASE", "test passphrase")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return tmp_path / "home"


def test_demo_writes_credentials_that_verify(home: Path, tmp_path: Path, cli: Cli) -> None:
    accredited_home_from_env()
    out = tmp_path / "demo"
    code, _, err = cli("demo", "--out", str(out))
    assert code == 0, err
    names = sorted(p.name.removesuffix(".jwt") for p in out.glob("*.jwt"))
    # One credential per bundled rubric, the revoked sample, and one TVET record.
    from rpl_rubrics import catalogue

    assert len(names) == len(catalogue.bundled()) + 2
    kinds = {json.loads(cli("verify", str(out / f"{n}.jwt"), "--json")[1])["credential"]
             ["credentialSubject"]["achievement"]["achievementType"] for n in names}
    assert kinds == {"Certificate", "ext:StatementOfAttainment", "Course"}
    for name in names:
        compact = (out / f"{name}.jwt").read_text().strip()
        text = (out / f"{name}.qr.txt").read_text().strip()
        assert qr.decode(text) == compact
        # Issued with QR codec v2, whose template carries every kind within version 15 at
        # ECC Q (v1 needed up to 17 for the demo's own credentials).
        assert text.startswith("SP2:") and qr.qr_version(text) <= 15, (name, len(text))
        for presented in (str(out / f"{name}.jwt"), text):
            code, stdout, _ = cli("verify", presented, "--trust", str(out / "trust-bundle.json"),
                                  "--json")
            result = json.loads(stdout)
            expected = "invalid" if name == "revoked-sample" else "valid"
            assert result["verdict"] == expected
            assert code == (1 if name == "revoked-sample" else 0)
            assert {c["check"] for c in result["checks"]} >= {"signature", "status", "schema"}
    # Khmer and Latin names are in the credentials.
    sok = json.loads(cli("verify", str(out / "sok-dara.jwt"), "--json")[1])
    assert sok["credential"]["credentialSubject"]["nameKm"] == "សុខ ដារា"
    # Keys on disk are sealed.
    sealed = (home / "keys" / "issuer.sealed.json").read_text()
    assert "secretbox" in sealed and '"d"' not in sealed


def test_init_is_idempotent(home: Path, cli: Cli) -> None:
    accredited_home_from_env()
    assert cli("init")[0] == 0
    bundle = (home / "trust-bundle.json").read_bytes()
    code, out, _ = cli("init")
    assert code == 0 and "already exists" in out
    assert (home / "trust-bundle.json").read_bytes() == bundle


def test_qr_encode_and_decode(world: World, tmp_path: Path, cli: Cli) -> None:
    compact = world.issue()
    (tmp_path / "c.jwt").write_text(compact + "\n")
    code, text, _ = cli("qr", "encode", str(tmp_path / "c.jwt"))
    assert code == 0
    code, decoded, _ = cli("qr", "decode", text.strip())
    assert code == 0 and decoded.strip() == compact


@pytest.mark.parametrize(("argv", "message"), [
    (["verify", "SP1:%%%"], "QR text"),
    (["verify", "no-such-file.jwt"], "no-such-file.jwt: no such file"),
    (["verify", "neither-qr-nor-a-file"], "neither QR text"),
    (["qr", "decode", "SP1:A"], "dangling"),
    (["qr", "encode", "no-such-file.jwt"], "no such file"),
    (["verify", "SP1:AAA", "--trust", "missing-bundle.json"], "no trust bundle"),
])
def test_bad_input_is_a_clear_error(argv: list[str], message: str, home: Path, cli: Cli) -> None:
    accredited_home_from_env()
    assert cli("init")[0] == 0
    code, out, err = cli(*argv)
    assert code in (1, 2)
    assert message in out + err
    assert "Traceback" not in out + err


def test_unreadable_input_exits_2_and_invalid_exits_1(home: Path, tmp_path: Path, cli: Cli,
                                                      world: World) -> None:
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(world.bundle_bytes())
    (tmp_path / "root.json").write_text(json.dumps({"rootKeys": [world.root.public.jwk()]}))
    text = qr.encode(world.issue())
    common = ["--trust", str(bundle), "--root", str(tmp_path / "root.json"),
              "--at", "2026-11-04T12:00:00Z"]
    assert cli("verify", text, *common)[0] == 0
    assert cli("verify", text[:-6], *common)[0] == 1  # truncated: read, but not valid
    (tmp_path / "binary.jwt").write_bytes(b"\xff\xfe\x00")
    assert cli("verify", str(tmp_path / "binary.jwt"), *common)[0] == 2
    assert cli("verify", text, "--at", "yesterday", *common[:4])[0] == 2
    (tmp_path / "bad-bundle.json").write_text("{}")
    code, _, err = cli("verify", text, "--trust", str(tmp_path / "bad-bundle.json"),
                       "--root", str(tmp_path / "root.json"))
    assert code == 2 and "trust bundle" in err


def test_console_script_from_stdin_without_traceback(home: Path, world: World) -> None:
    env = {**os.environ, "SKILLPASS_HOME": str(home)}
    proc = subprocess.run([sys.executable, "-m", "passport.cli", "verify", "-"],
                          input=b"SP1:" + b"A" * 5000, capture_output=True, env=env, timeout=60)
    assert proc.returncode in (1, 2)
    assert b"Traceback" not in proc.stderr + proc.stdout


def test_verify_runs_without_the_issuers_dependencies() -> None:
    # A verifier-only install has no Flask, SQLAlchemy, Alembic, psycopg or gunicorn.
    vectors = Path(__file__).parent / "vectors" / "v1"
    script = (
        "import sys\n"
        "for m in ('flask', 'sqlalchemy', 'alembic', 'psycopg', 'gunicorn', 'werkzeug'):\n"
        "    sys.modules[m] = None\n"
        "from passport.cli import main\n"
        f"sys.exit(main(['verify', {str(vectors / 'full-certificate.qr.txt')!r}, '--trust', "
        f"{str(vectors / 'trust-bundle.json')!r}, '--root', {str(vectors / 'root-keys.json')!r}, "
        "'--at', '2026-11-05T12:00:00Z']))\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    assert b"Verdict: VALID" in proc.stdout


def test_a_file_named_like_a_token_is_read_as_a_file(world: World, tmp_path: Path, cli: Cli,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # "card.qr.txt" has two dots, like a compact JWS: the file in this folder is meant.
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(world.bundle_bytes())
    (tmp_path / "root.json").write_text(json.dumps({"rootKeys": [world.root.public.jwk()]}))
    (tmp_path / "card.qr.txt").write_text(qr.encode(world.issue()) + "\n")
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli("verify", "card.qr.txt", "--trust", "bundle.json", "--root", "root.json",
                       "--at", "2026-11-04T12:00:00Z")
    assert code == 0, out


def test_a_closed_pipe_is_a_quiet_exit(world: World, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(world.bundle_bytes())
    (tmp_path / "root.json").write_text(json.dumps({"rootKeys": [world.root.public.jwk()]}))
    text = qr.encode(world.issue())
    # The reader is gone before anything is written (as `| head -1` is after one line).
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run([sys.executable, "-m", "passport.cli", "verify", text, "--trust",
                               str(bundle), "--root", str(tmp_path / "root.json")],
                              stdout=write_end, stderr=subprocess.PIPE, timeout=120, check=False)
    finally:
        os.close(write_end)
    assert done.returncode == 1
    assert b"Traceback" not in done.stderr and b"BrokenPipe" not in done.stderr


def test_a_key_id_beginning_with_a_dash_is_an_argument() -> None:
    # One kid in 64 begins with "-": it must not be taken for an unknown option.
    from passport.cli import build_parser

    args = build_parser().parse_args(["key", "record", "-Ab3dEfGhIjK", "--out", "r.jwt"])
    assert (args.kid, args.out) == ("-Ab3dEfGhIjK", "r.jwt")
    args = build_parser().parse_args(["authority", "compromise", "https://a.kh", "-Ab3dEfGhIjK",
                                      "--since", "2026-11-01T00:00:00Z", "--record", "r.jwt"])
    assert args.kid == "-Ab3dEfGhIjK"
