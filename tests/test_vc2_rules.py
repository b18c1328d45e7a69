"""The VC Data Model 2.0 rules and VC-JOSE-COSE claims, from the table in
tests/vectors/vc2/rules.json: with the issuer's key (a foreign credential, `--jwk` mode) and
against a trust bundle (the product's credential), each row's verdict and reason code."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from passport import vcdm
from passport.verify import Check, Code, verify
from tests.conftest import CHECK_AT, fixed_key
from tests.vc2_table import BASE, ROWS, edited, signed
from tests.world import World

FOREIGN_KEY = fixed_key("foreign issuer")
JWK_ROWS = [r for r in ROWS if r["jwk"] is not None]
TRUST_ROWS = [r for r in ROWS if "trust" in r]


def _expect(result: Any, expected: list[str]) -> None:
    verdict, check, code = expected
    assert (result.verdict.value, result.check(Check(check)).code.value) == (verdict, code), \
        [(c.check.value, c.code.value, c.message) for c in result.checks]


@pytest.mark.parametrize("row", JWK_ROWS, ids=[r["name"] for r in JWK_ROWS])
def test_a_foreign_credential_with_its_issuers_key(row: dict[str, Any]) -> None:
    token = signed(edited(BASE, row, CHECK_AT), row, FOREIGN_KEY)
    _expect(verify(token, at=CHECK_AT, key=FOREIGN_KEY.public), row["jwk"])


@pytest.mark.parametrize("row", TRUST_ROWS, ids=[r["name"] for r in TRUST_ROWS])
def test_the_products_credential_against_a_trust_bundle(row: dict[str, Any],
                                                        world: World) -> None:
    token = signed(edited(world.claims(), row, CHECK_AT), row, world.issuer_key)
    _expect(verify(token, at=CHECK_AT, trust=world.bundle()), row["trust"])


def test_every_data_model_rule_has_its_own_reason_code_and_a_row() -> None:
    codes = {r[k][2] for r in ROWS for k in ("jwk", "trust") if r.get(k)}
    assert {rule.value for rule in vcdm.Rule} <= codes
    assert {rule.value for rule in vcdm.Rule} <= {c.value for c in Code}
    assert {"token_expired", "token_not_yet_valid", "issued_in_future"} <= codes


def test_the_page_holds_the_same_protected_terms() -> None:
    source = (Path(__file__).parents[1] / "verifier" / "web" / "src" / "vcdm.js").read_text()
    listed = source.split("PROTECTED_TERMS = new Set(", 1)[1].split(");", 1)[0]
    assert set(json.loads(listed)) == vcdm.PROTECTED_TERMS


@pytest.mark.parametrize(("text", "instant"), [
    ("2023-01-01T00:00:00Z", (1672531200, "")),
    ("2023-01-01T00:00:00.123Z", (1672531200, "123")),
    ("2023-01-01T00:00:00.1200Z", (1672531200, "12")),
    ("2023-01-01T00:00:00-06:00", (1672552800, "")),
    ("2023-01-01T05:30:00+05:30", (1672531200, "")),
    ("0001-01-01T00:00:00Z", (-62135596800, "")),
    ("2024-02-29T23:59:59+14:00", (1709200799, "")),
])
def test_date_time_stamps_name_instants(text: str, instant: tuple[int, str]) -> None:
    assert vcdm.parse_date_time_stamp(text) == instant
    if not text.startswith("0001"):
        assert vcdm.parse_date_time_stamp(text).seconds == int(
            datetime.fromisoformat(text).timestamp())


@pytest.mark.parametrize("text", ["2023-01-01T00:00:00", "2023-01-01", "2023-1-01T00:00:00Z",
                                  "2023-02-29T00:00:00Z", "2023-01-01T24:00:00Z",
                                  "2023-01-01T00:00:60Z", "2023-01-01T00:00:00+14:30",
                                  "2023-01-01T00:00:00.Z", "0000-01-01T00:00:00Z",
                                  "2023-01-01t00:00:00z", "２０２３-01-01T00:00:00Z"])
def test_what_is_not_a_date_time_stamp(text: str) -> None:
    with pytest.raises(vcdm.DataModelError) as exc:
        vcdm.parse_date_time_stamp(text)
    assert exc.value.rule is vcdm.Rule.DATE_TIME and json.dumps(text, ensure_ascii=False) in str(exc.value)


def test_instants_order_by_their_fractions() -> None:
    at = datetime(2026, 1, 1, tzinfo=CHECK_AT.tzinfo)
    assert vcdm.Instant.of(at + timedelta(microseconds=250_000)) == (
        vcdm.parse_date_time_stamp("2026-01-01T00:00:00.25Z"))
    assert vcdm.parse_date_time_stamp("2026-01-01T00:00:00.05Z") < vcdm.parse_date_time_stamp(
        "2026-01-01T00:00:00.5Z") < vcdm.parse_date_time_stamp("2026-01-01T00:00:00.51Z")


@pytest.mark.parametrize(("name", "exit_code", "failed"), [
    ("valid-from-fraction", 0, []), ("valid-from-offset", 0, []), ("iss-equals-issuer-id", 0, []),
    ("typ-application-vc-jwt", 0, []), ("iat-iso-string", 0, []),
    ("exp-past", 1, ["token_expired"]), ("nbf-future", 1, ["token_not_yet_valid"]),
    ("valid-until-before-valid-from", 1, ["validity_inverted"]),
    ("evidence-without-type", 1, ["type_missing"]),
    ("context-redefines-protected-term", 1, ["protected_term_redefined"]),
])
def test_skillpass_verify_jwk_judges_by_vc2(name: str, exit_code: int, failed: list[str],
                                             tmp_path: Path, cli: Any) -> None:
    """What a third party runs: `skillpass verify FILE --jwk KEY --json`, exit code and codes."""
    row = next(r for r in ROWS if r["name"] == name)
    (tmp_path / "cred.jwt").write_text(signed(edited(BASE, row, CHECK_AT), row, FOREIGN_KEY))
    (tmp_path / "key.json").write_text(json.dumps(FOREIGN_KEY.public.jwk()))
    code, out, err = cli("verify", str(tmp_path / "cred.jwt"), "--jwk", str(tmp_path / "key.json"),
                         "--at", CHECK_AT.isoformat(), "--json")
    assert "Traceback" not in out + err
    assert code == exit_code, out + err
    result = json.loads(out)
    assert [c["code"] for c in result["checks"] if c["status"] == "fail"] == failed


def test_the_human_summary_names_a_vc2_refusal(tmp_path: Path, cli: Any) -> None:
    row = next(r for r in ROWS if r["name"] == "type-with-space")
    (tmp_path / "cred.jwt").write_text(signed(edited(BASE, row, CHECK_AT), row, FOREIGN_KEY))
    (tmp_path / "key.json").write_text(json.dumps(FOREIGN_KEY.public.jwk()))
    code, out, err = cli("verify", str(tmp_path / "cred.jwt"), "--jwk", str(tmp_path / "key.json"),
                         "--at", CHECK_AT.isoformat(), "--lang", "en")
    assert code == 1 and "Traceback" not in out + err
    assert '$.type: type "Example Credential" is neither a term nor an absolute URL' in out
