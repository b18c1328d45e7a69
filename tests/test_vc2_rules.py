"""The VC Data Model 2.0 rules and VC-JOSE-COSE claims, from the table in
tests/vectors/vc2/rules.json: with the issuer's key (a foreign credential, `--jwk` mode) and
against a trust bundle (the product's credential), each row's verdict and reason code."""

from __future__ import annotations

import copy
import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from passport import schema, vcdm
from passport.credential import Credential, check_vc_jose_claims, schema_content
from passport.errors import CredentialError, SchemaError
from passport.verify import Check, Code, _product_schema, _Run, verify
from rpl_rubrics import catalogue
from rpl_rubrics.credentials import TrainingCompletion, achievement_claims_for
from tests import fuzz
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


def test_the_utc_form_reads_as_the_general_form_does() -> None:
    """YYYY-MM-DDTHH:MM:SSZ has a fast reader; "+00:00" spells the same instant through the
    general one. Both agree on every day and time, and refuse the same texts the same way."""
    rng = random.Random(20261121)
    texts = [f"{y:04d}-{m:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}Z"
             for y in (0, 1, 1900, 1969, 1970, 2000, 2024, 2100, 9999) for m in (0, 1, 2, 12, 13)
             for d in (0, 1, 28, 29, 30, 31, 32) for h, mi, s in ((0, 0, 0), (23, 59, 59))]
    texts += [f"{rng.randrange(10000):04d}-{rng.randrange(14):02d}-{rng.randrange(33):02d}T"
              f"{rng.randrange(25):02d}:{rng.randrange(61):02d}:{rng.randrange(61):02d}Z"
              for _ in range(3000)]
    for text in texts:
        general = text[:-1] + "+00:00"
        try:
            expected: object = vcdm.parse_date_time_stamp(general)
        except vcdm.DataModelError as exc:
            expected = exc.message.replace(json.dumps(general), json.dumps(text))
        try:
            got: object = vcdm.parse_date_time_stamp(text)
        except vcdm.DataModelError as exc:
            got = exc.message
        assert got == expected, text


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


# -- trust mode tries the product schema first: the same first broken rule either way ---------

def _vc2_first(claims: dict[str, Any]) -> tuple[str, str] | None:
    """The schema check in the order the rules are written: every VC 2.0 rule (passport.vcdm),
    then the product schema and what it cannot state: its (code, message), or None."""
    try:
        vcdm.check(claims)
    except vcdm.DataModelError as exc:
        return exc.rule.value, str(exc)
    try:
        Credential.from_vc_claims(claims)
    except SchemaError as exc:
        return Code.SCHEMA_INVALID.value, exc.diagnostics()
    except CredentialError as exc:
        return Code.SCHEMA_INVALID.value, str(exc)
    return None


def _product_first(claims: dict[str, Any]) -> tuple[str, str] | None:
    """The same check as passport.verify runs it in trust mode."""
    run = _Run()
    if _product_schema(run, claims) is None:
        failed = run.results[Check.SCHEMA]
        return failed.code.value, failed.message
    try:
        Credential.from_schema_valid_claims(claims)
    except CredentialError as exc:
        return Code.SCHEMA_INVALID.value, str(exc)
    return None


def _same_either_way(claims: Any) -> bool:
    """Whether both orders agree on `claims` (claims VC-JOSE refuses never reach either);
    True when the product schema accepted them, so callers can count the telling cases."""
    try:
        check_vc_jose_claims(claims)
    except CredentialError:
        return False
    assert _product_first(claims) == _vc2_first(claims)
    accepted = schema.is_valid("credential", schema_content(claims))
    # What lets verify skip the VC 2.0 core schema once the product schema has accepted.
    assert not accepted or schema.is_valid("vc-core", claims)
    return accepted


def _genuine_claims() -> list[dict[str, Any]]:
    """A credential of every kind the product issues: a certificate and a statement of
    attainment (of a bundled rubric), and a training record."""
    world = World(key_prefix="skills-passport vc2 order key", issued_at=CHECK_AT, index=131_000)
    out = []
    for rubric in list(catalogue.bundled().values())[:1]:
        units = [u.code for u in rubric.units]
        out.append(world.claims(achievement=achievement_claims_for(rubric, full=True),
                                results=units, credential_id=None))
        out.append(world.claims(achievement=achievement_claims_for(rubric, full=False),
                                results=units[:-1], credential_id=None))
    course = TrainingCompletion.from_text(json.dumps({
        "type": "TrainingCompletion",
        "candidate": {"name": "Sok Dara", "nameKm": "សុខ ដារា", "birthYear": 1990,
                      "nationalId": "010234567"},
        "course": {"id": "forklift-safety", "version": 1, "hours": 40, "isco08": "8344",
                   "cqfLevel": "C2", "title": {"en": "Forklift safety", "km": "សុវត្ថិភាព"}},
        "start": "2026-10-05", "end": "2026-10-16"}), "test").request(issued=CHECK_AT)
    out.append(world.claims(holder=course.holder, achievement=course.achievement, results=None,
                            activity=course.activity, credential_id=None))
    return out


def _string_leaves(doc: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) \
        if isinstance(doc, list) else ()
    out = [path] if isinstance(doc, str) else []
    for key, value in items:
        out += _string_leaves(value, (*path, key))
    return out


# Values a schema pattern may let through where a VC 2.0 rule refuses them, or the reverse.
_TRICKY = ("", " ", "x y", "a\n", "\u0000", "urn:x", "https://a b", "2026-02-30T00:00:00Z",
           "2026-13-01T00:00:00Z", "0000-01-01T00:00:00Z", "2026-01-01T24:00:00Z",
           "1999-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-01-01T00:00:00.5Z",
           "2026-01-01T07:00:00+07:00", "@value", "https://www.w3.org/ns/credentials/v2")
# JWT claims the product schema never sees, with language value objects the rule refuses.
_JWT_EXTRAS: list[dict[str, Any]] = [
    {"iat": {"@value": "x", "@language": "not a tag"}},
    {"iat": [{"@value": 1, "@direction": "ltr"}]},
    {"iat": {"@value": "x", "@language": "km"}},
    {"exp": 2_000_000_000, "iat": {"a": [{"@direction": "up", "@value": "x"}]}},
    {"iat": "2026-01-01"},
]


def test_the_product_schema_is_a_closed_profile() -> None:
    """What makes "the product schema passes, so every structural VC 2.0 rule holds" true:
    every object it describes is closed, and @context and every type are constants."""
    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object":
                assert node.get("additionalProperties") is False, where
            for key, value in node.items():
                walk(value, f"{where}/{key}")
    doc = schema.load("credential")
    walk(doc, "#")
    # Nor can any language value object pass (no property, no constant names one): trust
    # mode looks for them only in the JWT claims beside (passport.verify._product_schema).
    assert "@language" not in json.dumps(doc) and "@direction" not in json.dumps(doc)
    assert doc["properties"]["@context"]["const"][0] == vcdm.CONTEXT_V2
    assert "const" in doc["properties"]["type"]


def test_every_rule_row_meets_the_same_first_rule_in_both_orders(world: World) -> None:
    accepted = 0
    for row in JWK_ROWS:
        _same_either_way(edited(BASE, row, CHECK_AT))
    for row in TRUST_ROWS:
        accepted += _same_either_way(edited(world.claims(), row, CHECK_AT))
    assert accepted


def test_genuine_credentials_edited_meet_the_same_first_rule_in_both_orders() -> None:
    accepted = refused_by_vc2 = 0
    for claims in _genuine_claims():
        assert _product_first(claims) is None
        variants = [{**claims, **extra} for extra in _JWT_EXTRAS]
        for path in _string_leaves(claims):
            for value in _TRICKY:
                variant = copy.deepcopy(claims)
                node: Any = variant
                for step in path[:-1]:
                    node = node[step]
                node[path[-1]] = value
                variants.append(variant)
        variants.append({**claims, "validUntil": "2020-01-01T00:00:00Z"})
        for variant in variants:
            if _same_either_way(variant):
                accepted += 1
                found = _product_first(variant)
                refused_by_vc2 += found is not None and found[0] != Code.SCHEMA_INVALID.value
    # Both branches were taken: accepted by the product schema, some then refused by VC 2.0.
    assert accepted and refused_by_vc2


def test_fuzzed_claims_meet_the_same_first_rule_in_both_orders() -> None:
    m = fuzz.material()
    rng = random.Random(20261121)
    for _ in range(2000):
        _same_either_way(fuzz.mutate_json(rng, m.claims))
