"""The compiled validator and jsonschema (the 2020-12 reference) must agree, always."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from passport import schema, schemac
from rpl_rubrics import catalogue
from tests.conftest import suite_world

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3000) | st.floats(allow_nan=False,
                                                                  allow_infinity=False)
    | st.sampled_from(["", "x", "Competent", "urn:skillpass:cred:0123456789AB", "ext:Occupation",
                       "2026-11-02T09:00:00Z", "https://a.kh", "C1", "7112", "revocation"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=8,
)


def _documents() -> list[tuple[str, Any]]:
    world = suite_world()
    bundle = json.loads(world.bundle_bytes())
    rubric_text = (catalogue.rubric_dir() / "masonry-c1.json").read_text()
    docs: list[tuple[str, Any]] = [
        ("credential", world.claims()),
        ("vc-core", world.claims()),
        ("trust-bundle", bundle),
        ("rubric", json.loads(rubric_text)),
    ]
    from passport.b64 import b64u_decode

    docs.append(("trust-list", json.loads(b64u_decode(bundle["trustList"]["payload"]))))
    status = json.loads(b64u_decode(bundle["statusLists"][0].split(".")[1]))
    docs.append(("status-list-credential", status))
    return docs


DOCUMENTS = _documents()


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, (*prefix, i))
    return out


def _mutate(doc: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    doc = copy.deepcopy(doc)
    if not path:
        return value
    parent = doc
    for p in path[:-1]:
        parent = parent[p]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "add" and isinstance(parent[last], dict):
        parent[last]["extra"] = value
    elif action == "append" and isinstance(parent[last], list):
        parent[last].append(value)
    else:
        parent[last] = value
    return doc


@pytest.mark.parametrize(("name", "doc"), DOCUMENTS, ids=[n for n, _ in DOCUMENTS])
def test_valid_documents_are_valid_to_both(name: str, doc: Any) -> None:
    assert schema.is_valid(name, doc)
    assert schema.validator(name).is_valid(doc)


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_engines_agree_on_mutations(data: st.DataObject) -> None:
    name, doc = data.draw(st.sampled_from(DOCUMENTS))
    path = data.draw(st.sampled_from(_paths(doc)))
    action = data.draw(st.sampled_from(["replace", "delete", "add", "append"]))
    if action == "delete" and not path:
        action = "replace"
    mutated = _mutate(doc, path, action, data.draw(json_values))
    assert schema.is_valid(name, mutated) == schema.validator(name).is_valid(mutated)


@pytest.mark.parametrize(("node", "good", "bad"), [
    ({"const": True}, [True], [1, 1.0, "true"]),
    ({"const": 1}, [1, 1.0], [True, "1"]),
    ({"type": "integer"}, [1, 2.0, -5], [1.5, True, "1"]),
    ({"type": "number", "minimum": 0}, [0, 0.5], [-1, False]),
    ({"type": "array", "uniqueItems": True}, [[1, "1"], [True, 1]], [[1, 1.0], [{"a": 1}, {"a": 1}]]),
    ({"oneOf": [{"type": "string"}, {"minLength": 2}]}, ["a", 5], ["ab"]),
    ({"type": "object", "additionalProperties": {"type": "integer"}}, [{"a": 1}], [{"a": "x"}]),
    ({"type": "array", "contains": {"const": "v2"}}, [["x", "v2"]], [["x"], []]),
])
def test_tricky_json_semantics(node: dict[str, Any], good: list[Any], bad: list[Any]) -> None:
    root = {"$id": "https://example.test/s.json", **node}
    fn = schemac.compile_schema(root, {root["$id"]: root})
    for value in good:
        assert fn(value), value
    for value in bad:
        assert not fn(value), value


def test_unsupported_keywords_are_refused_not_ignored() -> None:
    root: dict[str, Any] = {"$id": "https://example.test/s.json", "prefixItems": [{"const": 1}]}
    with pytest.raises(schemac.UnsupportedSchema, match="prefixItems"):
        schemac.compile_schema(root, {root["$id"]: root})
