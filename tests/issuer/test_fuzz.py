"""A bounded fuzz of the API: every operation in openapi.json, with bodies built from its
schemas (valid ones, mutated ones, any JSON, any bytes) and ids of every size.

Every answer must be one of the project's own: a status below 500 with a JSON error naming
a known kind, and nothing logged as unexpected (what a 500 logs).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
import referencing
import referencing.jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issuer.web_common import OPENAPI_ID, openapi
from passport import schema as schemas
from tests.homes import accredited_home
from tests.issuer.conftest import Service, make_service, store_of
from tests.issuer.workflow import assess, register

KNOWN_ERRORS = {"invalid_body", "not_found", "conflict", "forbidden", "busy", "invalid",
                "bad_request", "csrf", "too_large", "throttled", "password_change_required",
                "method_not_allowed", "unauthenticated", "gone", "nothing_valid"}
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                max_size=4),
    max_leaves=16)


class _Unexpected(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Service, _Unexpected]]:
    root = tmp_path_factory.mktemp("fuzz")
    svc = make_service(accredited_home(root / "home", "test passphrase"),
                       f"sqlite:///{root / 'issuer.db'}")
    candidate = register(svc)  # id 1, with an assessment (id 1) to aim at
    assess(svc, candidate["id"])
    handler = _Unexpected()
    logger = logging.getLogger("skillpass.issuer")
    logger.addHandler(handler)
    yield svc, handler
    logger.removeHandler(handler)
    store_of(svc.app).close()


def _registry() -> referencing.Registry[Any]:
    resource = referencing.Resource.from_contents(
        openapi(), default_specification=referencing.jsonschema.DRAFT202012)
    registry: referencing.Registry[Any] = schemas.registry().with_resource(OPENAPI_ID, resource)
    return registry


def _valid(node: Any, resolver: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values valid against `node` (the subset of JSON Schema the API's bodies use)."""
    if "$ref" in node:
        found = resolver.lookup(node["$ref"])
        return _valid(found.contents, found.resolver, depth)
    if "enum" in node:
        return st.sampled_from(node["enum"])
    kind = node.get("type")
    if isinstance(kind, list):
        return st.one_of([_valid({**node, "type": k}, resolver, depth) for k in kind])
    if kind == "object":
        props = node.get("properties", {})
        required = set(node.get("required", ()))
        return st.fixed_dictionaries(
            {k: _valid(v, resolver, depth + 1) for k, v in props.items() if k in required},
            optional={k: _valid(v, resolver, depth + 1) for k, v in props.items()
                      if k not in required})
    if kind == "array":
        return st.lists(_valid(node.get("items", {}), resolver, depth + 1),
                        max_size=min(node.get("maxItems", 3), 3))
    if kind == "integer":
        return st.integers(node.get("minimum"), node.get("maximum"))
    if kind == "null":
        return st.none()
    if kind == "string":
        if "pattern" in node:
            text = st.from_regex(node["pattern"], fullmatch=False)
        else:
            text = st.text(min_size=node.get("minLength", 0), max_size=node.get("maxLength", 40))
        low, high = node.get("minLength", 0), node.get("maxLength", 10**6)
        return text.filter(lambda s: low <= len(s) <= high)
    return JSON_VALUES


def _mutated(body: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A valid body with one thing wrong: a key dropped, added, or holding anything."""
    def mutate(args: tuple[Any, str, str, Any]) -> Any:
        doc, how, key, value = args
        if not isinstance(doc, dict):
            return value
        doc = dict(doc)
        victim = sorted(doc)[len(key) % len(doc)] if doc else key
        if how == "drop":
            doc.pop(victim, None)
        elif how == "add":
            doc[key] = value
        else:
            doc[victim] = value
        return doc

    extremes: st.SearchStrategy[Any] = st.sampled_from([2**31, 2**63, -(2**63) - 1, 10**30, -1, 0, "", "x" * 5000,
                                [[[[[[[[[[]]]]]]]]]], {"a": {"b": {"c": {}}}}, "\x00", "\ud800",
                                1.5e308, True, None])
    return st.tuples(body, st.sampled_from(["drop", "add", "replace"]), st.text(max_size=10),
                     extremes | JSON_VALUES).map(mutate)


def _operations() -> list[tuple[str, str, str, dict[str, Any] | None]]:
    ops = []
    for path, item in openapi()["paths"].items():
        for method, op in item.items():
            roles = op.get("x-roles")
            content = op.get("requestBody", {}).get("content", {})
            body = content.get("application/json", {}).get("schema")
            ops.append((method, path, roles[0] if roles else "admin", body))
    return ops


_IDS = st.one_of(st.just("1"), st.integers(0, 10**25).map(str),
                 st.sampled_from(["-1", "1.5", "9" * 400, "%00", "x", "\u0661", "1;2"]))


@pytest.mark.parametrize(("method", "path", "role", "body"), _operations(),
                         ids=[f"{m} {p}" for m, p, _, _ in _operations()])
@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(data=st.data())
def test_no_body_or_path_gets_a_500(fuzzed: tuple[Service, _Unexpected], method: str, path: str,
                                    role: str, body: dict[str, Any] | None,
                                    data: st.DataObject) -> None:
    svc, unexpected = fuzzed
    unexpected.records.clear()
    concrete = re.sub(r"\{[^}]+\}", lambda m: data.draw(_IDS, label=m.group(0)), path)
    if body is None:
        payload: Any = data.draw(JSON_VALUES, label="body")
    else:
        valid = _valid(body, _registry().resolver(OPENAPI_ID))
        payload = data.draw(st.one_of(valid, _mutated(valid), JSON_VALUES, st.binary(max_size=64)),
                            label="body")
    if isinstance(payload, bytes):
        kwargs: dict[str, Any] = {"data": payload, "content_type": "application/json"}
    else:
        kwargs = {"data": json.dumps(payload), "content_type": "application/json"}
    r = svc.call(role, method, concrete, **kwargs)
    assert r.status_code < 500, (concrete, payload, r.get_data(as_text=True)[:500])
    if r.status_code >= 400 and r.mimetype == "application/json":
        assert r.get_json()["error"] in KNOWN_ERRORS, r.get_json()
    assert not unexpected.records, [rec.getMessage() for rec in unexpected.records]


def test_the_fuzz_builds_valid_bodies() -> None:
    """The generator itself: what it calls valid passes the API's own validation."""
    from hypothesis import find

    from issuer.web_common import validate

    for name in ("CandidateCreate", "TrainingIssue", "Judgments", "UserCreate", "TokenCreate"):
        node = {"$ref": f"#/components/schemas/{name}"}
        example = find(_valid(node, _registry().resolver(OPENAPI_ID)), lambda _: True,
                       settings=settings(database=None))
        assert validate(name, example) == example

