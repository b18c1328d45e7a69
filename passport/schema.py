"""The JSON Schemas in `schemas/`, loaded once, used by code and tests alike."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
import referencing
import referencing.jsonschema

from passport.errors import SchemaError

SCHEMA_FILES = {
    "credential": "credential.schema.json",
    "vc-core": "vc-core.schema.json",
    "trust-list": "trust-list.schema.json",
    "status-list-credential": "status-list-credential.schema.json",
    "trust-bundle": "trust-bundle.schema.json",
}


@cache
def load(name: str) -> dict[str, Any]:
    text = resources.files("schemas").joinpath(SCHEMA_FILES[name]).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _registry() -> referencing.Registry[Any]:
    resources_ = [
        (load(n)["$id"], referencing.Resource.from_contents(load(n)))
        for n in SCHEMA_FILES
    ]
    return referencing.Registry().with_resources(resources_)


@cache
def validator(name: str) -> jsonschema.protocols.Validator:
    schema = load(name)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    v: jsonschema.protocols.Validator = cls(schema, registry=_registry())
    return v


def problems(name: str, document: Any) -> list[tuple[str, str]]:
    """Every schema violation as (JSON path, message), sorted by path."""
    errors = validator(name).iter_errors(document)
    found = [(_path(e.absolute_path), e.message) for e in errors]
    return sorted(found)


def check(name: str, document: Any, *, what: str | None = None) -> None:
    if not validator(name).is_valid(document):
        raise SchemaError(what or name, problems(name, document))


def _path(parts: Any) -> str:
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out
