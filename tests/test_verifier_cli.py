"""The verifier command line: PDFs, languages, exporting the page, syncing trust."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.world import World

Cli = Callable[..., tuple[int, str, str]]
VECTORS = Path(__file__).parent / "vectors" / "v1"
COMMON = ["--trust", str(VECTORS / "trust-bundle.json"), "--root", str(VECTORS / "root-keys.json"),
          "--at", "2026-11-05T12:00:00Z"]


def test_verify_a_booklet_pdf(tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import date

    from passport.credential import Credential
    from passport.jws import parse
    from passport.printing import BookletEntry, booklet_pages, pdf

    compact = (VECTORS / "full-certificate.jwt").read_text().strip()
    text = (VECTORS / "full-certificate.qr.txt").read_text().strip()
    entry = BookletEntry(Credential.from_payload(parse(compact).payload), text, ("I", "ស"), {})
    (tmp_path / "passport.pdf").write_bytes(pdf(booklet_pages([entry], printed=date(2026, 11, 21))))
    code, out, err = cli("verify", str(tmp_path / "passport.pdf"), *COMMON, "--json")
    assert code == 0, err
    assert json.loads(out)["credential"]["id"] == "urn:skillpass:cred:V1FULL000001"
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.7\n garbage")
    code, _, err = cli("verify", str(tmp_path / "broken.pdf"), *COMMON)
    assert code == 2 and "not a readable PDF" in err


@pytest.mark.parametrize(("lang", "expected"), [("ja", "判定: 有効"), ("ar", "النتيجة: صالحة"),
                                                 ("ms", "Keputusan: SAH"), ("ko", "판정: 유효")])
def test_summary_languages(cli: Cli, lang: str, expected: str) -> None:
    code, out, _ = cli("verify", str(VECTORS / "full-certificate.qr.txt"), *COMMON, "--lang", lang)
    assert code == 0 and out.startswith(expected)
    assert "ISCO-08 7112" in out and "code." not in out and "check." not in out


@pytest.mark.parametrize(("card", "noted"), [
    ("full-certificate", True), ("statement-of-attainment", True),
    ("training-record", False),  # not an RPL certificate
    ("revoked", False),  # not one that verifies
])
@pytest.mark.parametrize("lang", ["ja", "ko"])
def test_the_overseas_note_is_said_of_rpl_certificates_that_verify(
        cli: Cli, card: str, noted: bool, lang: str) -> None:
    from verifier.i18n import t

    code, out, _ = cli("verify", str(VECTORS / f"{card}.qr.txt"), *COMMON, "--lang", lang)
    assert code in (0, 1) and (t(lang, "note.overseas") in out) is noted


def test_export_writes_a_complete_offline_site(tmp_path: Path, cli: Cli) -> None:
    code, _, _ = cli("verifier", "export", str(tmp_path / "site"), "--trust",
                       str(VECTORS / "trust-bundle.json"), "--root", str(VECTORS / "root-keys.json"))
    assert code == 0
    site = tmp_path / "site"
    for name in ("index.html", "app.js", "sw.js", "zxing_reader.wasm", "qr-dict-v1.bin",
                 "trust-bundle.json", "verifier-config.json", "i18n/ar.json", "manifest.webmanifest"):
        assert (site / name).exists(), name
    config = json.loads((site / "verifier-config.json").read_text())
    assert config["rootKeys"] == json.loads((VECTORS / "root-keys.json").read_text())["rootKeys"]
    sw = (site / "sw.js").read_text()
    assert "trust-bundle.json" in sw and "__ASSETS__" not in sw
    # No third-party library code is committed: the page exists only as a build output.
    assert not any(p.suffix == ".js" for p in (Path(__file__).parents[1] / "verifier" / "web" / "src")
                   .glob("*.js") if "node_modules" in str(p))


CASES = json.loads((Path(__file__).parent / "vectors" / "verifier" / "cases.json").read_text())


def _trust_files(tmp_path: Path, trust: str) -> list[str]:
    """A parity case's trust world as the files the command line reads."""
    world = CASES["trusts"][trust]
    (tmp_path / "bundle.json").write_text(json.dumps(world["bundle"]))
    (tmp_path / "root.json").write_text(json.dumps(world["root"]))
    return ["--trust", str(tmp_path / "bundle.json"), "--root", str(tmp_path / "root.json")]


@pytest.mark.parametrize("name", ["compromised-key-thief", "retired-key-no-record",
                                  "suspended-centre"])
def test_national_trust_verdicts_in_khmer(tmp_path: Path, cli: Cli, name: str) -> None:
    from verifier.i18n import t

    case = next(c for c in CASES["cases"] if c["name"] == name)
    code, out, err = cli("verify", case["qr"], *_trust_files(tmp_path, case["trust"]),
                         "--at", case["at"], "--lang", "km")
    assert code == (0 if case["verdict"] == "valid" else 1), err
    assert out.startswith(f"{t('km', 'label.verdict')}: {t('km', 'verdict.' + case['verdict'])}")
    for outcome, reason in case["checks"].values():
        if outcome in ("fail", "warn"):
            assert t("km", f"code.{reason}") in out and t("km", f"code.{reason}") != t(
                "en", f"code.{reason}")


def test_every_reason_code_has_a_text_and_the_national_ones_every_language() -> None:
    from passport.verify import Code
    from verifier.i18n import LANGUAGES, table

    assert [c.value for c in Code if f"code.{c.value}" not in table("en")] == []
    national = [f"code.{c.value}" for c in (Code.KEY_COMPROMISED, Code.NOT_IN_ISSUANCE_RECORD,
                                            Code.ISSUANCE_RECORD_MISSING, Code.ISSUER_SUSPENDED,
                                            Code.STATUS_UNKNOWN)]
    page = ["label.centres", "label.no_status", "label.stale", "label.as_of"]
    assert {lang: [k for k in national + page if not table(lang).get(k)]
            for lang in LANGUAGES} == {lang: [] for lang in LANGUAGES}


def test_export_pins_the_root_files_threshold(tmp_path: Path, cli: Cli) -> None:
    files = _trust_files(tmp_path, "two-of-three")
    code, _, err = cli("verifier", "export", str(tmp_path / "site"), *files)
    assert code == 0, err
    config = json.loads((tmp_path / "site" / "verifier-config.json").read_text())
    assert config["threshold"] == 2 and len(config["rootKeys"]) == 3
    # A root file that says 3 must sign does not take a list two officials signed.
    world = CASES["trusts"]["two-of-three"]
    (tmp_path / "root.json").write_text(json.dumps({**world["root"], "threshold": 3}))
    code, _, err = cli("verifier", "export", str(tmp_path / "site3"), *files)
    assert code == 2 and "3 of its keys must sign, 2 did" in err


def test_trust_sync_and_show(tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch,
                             served: tuple[Path, str], world: World) -> None:
    folder, url = served
    home = tmp_path / "home"
    home.mkdir()
    (home / "root-keys.json").write_text(json.dumps({"rootKeys": [world.root.public.jwk()]}))
    monkeypatch.setenv("SKILLPASS_HOME", str(home))
    world.version = 3
    (folder / "bundle.json").write_bytes(world.bundle_bytes())
    code, out, _ = cli("trust", "sync", url)
    assert code == 0 and "trust list version 3" in out
    code, out, _ = cli("trust", "show")
    assert code == 0 and "Test Institute" in out and "version 3" in out
    kept = (home / "trust-bundle.json").read_bytes()

    world.version = 2  # a rollback is refused and the cached bundle stays
    (folder / "bundle.json").write_bytes(world.bundle_bytes())
    code, _, err = cli("trust", "sync", url)
    assert code == 2 and "rollback refused" in err
    assert (home / "trust-bundle.json").read_bytes() == kept

    from tests.conftest import fixed_key

    world.version, world.root = 4, fixed_key("impostor root")  # not the pinned root
    (folder / "bundle.json").write_bytes(world.bundle_bytes())
    code, _, err = cli("trust", "sync", url)
    assert code == 2 and "not signed by a trusted root" in err
    assert (home / "trust-bundle.json").read_bytes() == kept
    code, _, err = cli("trust", "sync", url.replace("bundle.json", "missing.json"))
    assert code == 2 and "the cached bundle stays" in err
    code, _, err = cli("trust", "sync", "http://example.org/bundle.json")
    assert code == 2 and "HTTPS" in err


@pytest.mark.parametrize(("lang", "title"), [
    ("km", "អនុវត្តនីតិវិធីសុវត្ថិភាព និងសុខភាពការងារ"),
    ("en", "Follow workplace health and safety procedures"),
    ("th", "ปฏิบัติตามขั้นตอนความปลอดภัยและอาชีวอนามัยในการทำงาน"),
    ("ja", "職場の安全衛生手順の遵守"),
])
def test_units_show_code_and_title_in_the_language(cli: Cli, lang: str, title: str) -> None:
    from rpl_rubrics import catalogue

    code, out, err = cli("verify", str(VECTORS / "statement-of-attainment.qr.txt"), *COMMON,
                         "--lang", lang)
    assert code == 0, err
    lines = out.splitlines()
    units = lines[lines.index(next(x for x in lines if x.startswith("  WLD-"))):][:3]
    assert units[0] == f"  WLD-WHS  {title}"
    # Only the three units the statement lists, each with its rubric title.
    welding = catalogue.get("welding-c1")
    assert [u.split()[0] for u in units] == [u.code for u in welding.units[:3]]
    assert all(u.strip() != u.split()[0] for u in units)
    assert not any(x.startswith("  WLD-") for x in lines[lines.index(units[-1]) + 1:])


def test_a_unit_outside_the_catalogue_shows_its_code() -> None:
    from verifier.units import unit_line

    assert unit_line("X-1", "urn:skillpass:rubric:other-c1:1:AAAAAAAAAAAAAAAA#X-1", "km") == "X-1"
