"""JSON Schema's `pattern` is an ECMA-262 regular expression: every Python validator must
match exactly what the phone page's `new RegExp(pattern, "u")` matches.

Python's `re` differs where it hurts: its `$` also matches before a final "\\n" (so
"https://c9.example\\n" passed here while every phone refused the whole bundle), its `.`
matches "\\r", U+2028 and U+2029, and its `\\d` and `\\w` match digits and letters of every
script. Every pattern of every schema is run on a table of strings in Python and in Node (the
page's JavaScript engine), and the answers must be the same.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from passport import schema, schemac
from passport.b64 import b64u_decode
from tests.conftest import suite_world

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"

# One string each pattern of the schemas accepts; the variants below are made from it.
SAMPLES = {
    "^(0|[1-9][0-9]{0,8})$": "7",
    "^([0-9]{4}|C[1-8])$": "7112",
    "^([0-9]{4}|\\*)$": "7112",
    "^(http://data\\.europa\\.eu/esco/isco/C[0-9]{4}|urn:skillpass:cqf:C[1-8])$":
        "http://data.europa.eu/esco/isco/C7112",
    "^C[1-8]$": "C1",
    "^SP[0-9]{1,3}:[0-9A-Z $%*+./:-]+$": "SP1:ABC $%*+./:-9",
    "^[0-9A-Z]{12}$": "0123456789AB",
    "^[0-9A-Z]{4}$": "0A1B",
    "^[0-9A-Za-z ]{6,20}$": "Ab 123 x",
    "^[0-9]{1,2}\\.[0-9]{1,2}$": "1.2",
    "^[0-9]{4}$": "1988",
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}$": "2026-11-02",
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$": "2026-11-02T09:00:00Z",
    "^[0-9a-f]{64}$": "0123456789abcdef" * 4,
    "^[A-Z0-9]+(-[A-Z0-9]+)*$": "MAS-01",
    "^[A-Z0-9]+(-[A-Z0-9]+)*/[0-9]{1,2}\\.[0-9]{1,2}$": "MAS-SET/1.1",
    "^[A-Za-z0-9_-]*$": "Ab0_-",
    "^[A-Za-z0-9_-]+$": "Ab0_-",
    "^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]{86}$": "eyJ.eyJ." + "A" * 86,
    "^[A-Za-z0-9_-]{12}$": "Ab0_-Ab0_-Ab",
    "^[A-Za-z0-9_-]{43}$": "A" * 42 + "9",
    "^[A-Za-z0-9_-]{86}$": "A" * 85 + "9",
    "^[^\\u0000-\\u001f<>]+$": "Sok Dara 1",
    "^[a-z0-9]+(-[a-z0-9]+)*$": "masonry-c1",
    "^https://[a-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?$": "https://c9.example:8443/a/1",
    "^sha256:[0-9a-f]{64}$": "sha256:" + "0a" * 32,
    "^sha256\\$[0-9a-f]{64}$": "sha256$" + "0a" * 32,
    "^u[A-Za-z0-9_-]+$": "uH4sI",
    "^urn:skillpass:(rubric|course):[a-z0-9-]{1,40}:[0-9]{1,4}:[A-Za-z0-9_-]{16}$":
        "urn:skillpass:rubric:masonry-c1:1:AbCdEfGhIjKlMnOp",
    "^urn:skillpass:cred:[0-9A-Z]{12}$": "urn:skillpass:cred:0123456789AB",
    "^urn:skillpass:rubric:[^#]+#[A-Za-z0-9._-]{1,32}$": "urn:skillpass:rubric:m:1:x#MAS-01",
}


def _first_digit(replacement: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        at = next((i for i, c in enumerate(text) if c.isdigit()), None)
        return text if at is None else text[:at] + replacement + text[at + 1:]
    return edit


# How an attacker varies a good string: line ends and separators around it, and digits of other
# scripts (Khmer, Arabic-Indic, fullwidth) in place of an ASCII one.
VARIANTS: list[tuple[str, Callable[[str], str]]] = [
    ("as is", lambda s: s),
    ("final LF", lambda s: s + "\n"),
    ("final CR LF", lambda s: s + "\r\n"),
    ("final CR", lambda s: s + "\r"),
    ("final U+2028", lambda s: s + "\u2028"),
    ("two final LF", lambda s: s + "\n\n"),
    ("leading LF", lambda s: "\n" + s),
    ("LF inside", lambda s: s[:1] + "\n" + s[1:]),
    ("final NUL", lambda s: s + "\0"),
    ("Khmer digit", _first_digit("\u17e7")),
    ("Arabic-Indic digit", _first_digit("\u0667")),
    ("fullwidth digit", _first_digit("\uff17")),
]
# Constructs the schemas do not use today, with the strings on which Python's reading differs.
EXTRA = [
    ("^a.b$", ["a.b", "a\nb", "a\rb", "a\u2028b", "a\u2029b", "a\u0085b", "ab"]),
    ("^\\d+$", ["7", "\u0667", "\u17e7", "7\n"]),
    ("^\\w+$", ["abc", "\u00e9", "\u17a2", "_"]),
    ("\\bx", ["x", "\u00e9x", "ax", " x"]),
    ("^[$]$", ["$", "$\n"]),
    ("^[[]$", ["[", "[\n"]),
    ("^(?:ab)+$", ["abab", "abab\n"]),
    ("^a(?=b)", ["ab", "ac"]),
    ("x$|^y", ["x", "x\n", "y"]),
]


def schema_patterns() -> set[str]:
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "pattern" and isinstance(value, str):
                    found.add(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in SCHEMAS.glob("*.json"):
        walk(json.loads(path.read_text(encoding="utf-8")))
    return found


def ecma_answers(cases: list[tuple[str, str]]) -> list[bool]:
    """What ECMA-262 (Node, the engine of the phone page) says for each (pattern, string)."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: 'make test' builds the page with it")
    script = ("const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
              "process.stdout.write(JSON.stringify(cases.map(([p, s]) => new RegExp(p, 'u')"
              ".test(s))));")
    done = subprocess.run([node, "-e", script], input=json.dumps(cases), capture_output=True,
                          text=True, check=True, timeout=60)
    answers: list[bool] = json.loads(done.stdout)
    return answers


def test_every_pattern_of_the_schemas_has_a_sample() -> None:
    assert schema_patterns() == set(SAMPLES), "add the new pattern and a string it accepts"


def test_python_matches_what_ecma_262_matches() -> None:
    cases = [(p, edit(s)) for p, s in SAMPLES.items() for _, edit in VARIANTS]
    cases += [(p, s) for p, strings in EXTRA for s in strings]
    ecma = ecma_answers(cases)
    python = [schemac.ecma_regex(p).search(s) is not None for p, s in cases]
    differ = [(p, s, e) for (p, s), e, py in zip(cases, ecma, python, strict=True) if e != py]
    assert differ == [], "Python and ECMA-262 disagree (pattern, string, ECMA's answer)"
    # The point of it all: a final newline is refused by every anchored pattern.
    for pattern, sample in SAMPLES.items():
        assert schemac.ecma_regex(pattern).search(sample), pattern
        assert not schemac.ecma_regex(pattern).search(sample + "\n"), pattern


@pytest.mark.parametrize("pattern", ["^a\\s$", "\\Aa", "a\\Z", "^[]$", "^(?i)a$", "^(?P<x>a)$",
                                     "^(?<=a)b", "[a-z"])
def test_a_construct_python_reads_otherwise_is_refused_not_guessed(pattern: str) -> None:
    root: dict[str, Any] = {"$id": "https://example.test/s.json", "pattern": pattern}
    with pytest.raises(schemac.UnsupportedSchema, match="pattern"):
        schemac.compile_schema(root, {root["$id"]: root})


def _documents() -> dict[str, Any]:
    world = suite_world()
    bundle = json.loads(world.bundle_bytes())
    return {
        "credential": world.claims(),
        "trust-bundle": bundle,
        "trust-list": json.loads(b64u_decode(bundle["trustList"]["payload"])),
        "status-list-credential": json.loads(b64u_decode(bundle["statusLists"][0]
                                                         .split(".")[1])),
        "issuance-record": {"type": "SkillsPassportIssuanceRecord", "issuer": world.issuer_id,
                            "kid": world.issuer_key.kid, "created": "2026-11-03T00:00:00Z",
                            "count": 0, "entries": ""},
        "accreditation-request": {"type": "SkillsPassportAccreditationRequest",
                                  "id": "https://c9.example", "name": "C9", "nameKm": "C9",
                                  "jwk": world.issuer_key.public.jwk(),
                                  "asks": [{"kind": "rpl", "occupations": ["7112"]}],
                                  "created": "2026-11-03T00:00:00Z"},
    }


DOCUMENTS = _documents()
# (schema, path to a string, the string with an ending ECMA-262 refuses)
ENDINGS: list[tuple[str, tuple[str | int, ...], Callable[[str], str]]] = [
    ("accreditation-request", ("id",), lambda s: s + "\n"),
    ("trust-list", ("issuers", 0, "id"), lambda s: s + "\n"),
    ("trust-list", ("issuers", 0, "keys", 0, "jwk", "kid"), lambda s: s + "\n"),
    ("trust-list", ("issued",), lambda s: s + "\n"),
    ("trust-list", ("issuers", 0, "accreditations", 0, "occupations", 0), lambda s: s + "\n"),
    ("credential", ("credentialStatus", 0, "statusListIndex"), lambda s: s + "\n"),
    ("credential", ("credentialStatus", 0, "statusListCredential"), lambda s: s + "\n"),
    ("credential", ("validFrom",), lambda s: s + "\n"),
    ("credential", ("id",), lambda s: s + "\n"),
    ("credential", ("credentialSubject", "nationalIdLast4"), lambda s: s + "\n"),
    ("credential", ("credentialSubject", "nationalIdLast4"), _first_digit("\u17e7")),
    ("status-list-credential", ("credentialSubject", "encodedList"), lambda s: s + "\n"),
    ("status-list-credential", ("id",), lambda s: s + "\r\n"),
    ("trust-bundle", ("syncedAt",), lambda s: s + "\n"),
    ("trust-bundle", ("statusLists", 0), lambda s: s + "\n"),
    ("issuance-record", ("kid",), lambda s: s + "\n"),
    ("issuance-record", ("issuer",), lambda s: s + "\n"),
]


def _path_text(path: tuple[str | int, ...]) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


@pytest.mark.parametrize(("name", "path", "edit"), ENDINGS,
                         ids=[f"{n}:{_path_text(p)}" for n, p, _ in ENDINGS])
def test_a_string_ecma_refuses_is_refused_by_both_python_engines(
        name: str, path: tuple[str | int, ...], edit: Callable[[str], str]) -> None:
    doc = copy.deepcopy(DOCUMENTS[name])
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    assert schema.is_valid(name, doc)
    parent[path[-1]] = edit(parent[path[-1]])
    assert not schema.is_valid(name, doc)
    assert [p for p, _ in schema.problems(name, doc)] == [_path_text(path)]
