"""The JSON Schemas in `schemas/`, loaded once, used by code and tests alike.

Two engines read the same files. Documents are first checked by validators compiled to
Python by `passport.schemac` (verification runs on every scan); only when a document fails
does jsonschema, the Draft 2020-12 reference, list every problem with its JSON path. Tests
compare the two engines' verdicts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from passport import jsonpos, schemac, sha256
from passport.errors import DocumentError, SchemaError
from passport.fileio import package_file

if TYPE_CHECKING:
    # jsonschema and referencing are imported where a document fails (or a test asks): a
    # valid document never needs them, and they cost a verifier's start-up ~50 ms.
    import jsonschema
    import referencing

SCHEMA_FILES = {
    "credential": "credential.schema.json",
    "vc-core": "vc-core.schema.json",
    "trust-list": "trust-list.schema.json",
    "status-list-credential": "status-list-credential.schema.json",
    "trust-bundle": "trust-bundle.schema.json",
    "rubric": "rubric.schema.json",
    "assessment": "assessment.schema.json",
    "training-completion": "training-completion.schema.json",
    "passport-bundle": "passport-bundle.schema.json",
    "issuance-record": "issuance-record.schema.json",
    "accreditation-request": "accreditation-request.schema.json",
    "key-rotation-request": "key-rotation-request.schema.json",
}

@cache
def load(name: str) -> dict[str, Any]:
    text = package_file("schemas", SCHEMA_FILES[name]).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _by_id() -> dict[str, dict[str, Any]]:
    return {load(n)["$id"]: load(n) for n in SCHEMA_FILES}


def registry() -> referencing.Registry[Any]:
    """Every schema of `schemas/`, by `$id`, for documents that refer to them."""
    return _registry()


@cache
def _registry() -> referencing.Registry[Any]:
    import referencing

    pairs = [(uri, referencing.Resource.from_contents(doc)) for uri, doc in _by_id().items()]
    return referencing.Registry().with_resources(pairs)


def _ecma_pattern(validator: Any, pattern: str, instance: Any,
                  schema: Any) -> Iterator[jsonschema.ValidationError]:
    """`pattern` as JSON Schema defines it (ECMA-262), not as Python's `re` reads it: the
    reference engine must explain exactly what the compiled one refuses."""
    import jsonschema

    if validator.is_type(instance, "string") and not schemac.ecma_regex(pattern).search(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def validator(name: str) -> jsonschema.protocols.Validator:
    import jsonschema

    schema = load(name)
    base = jsonschema.validators.validator_for(schema)
    base.check_schema(schema)
    cls = jsonschema.validators.extend(base, {"pattern": _ecma_pattern})  # type: ignore[no-untyped-call]
    v: jsonschema.protocols.Validator = cls(schema, registry=_registry())
    return v


# The schemas a verifier checks on every run: their validators are also generated into
# passport/_schemas_compiled.py (tools/schema_module.py), which imports from bytecode in a
# millisecond where compiling them costs ~10 ms at each `skillpass verify`.
PRECOMPILED = ("credential", "vc-core", "trust-list", "status-list-credential", "trust-bundle",
               "issuance-record", "passport-bundle")


def digest() -> str:
    """Of every schema file: the generated validators are used only while it matches."""
    parts = []
    for name, filename in sorted(SCHEMA_FILES.items()):
        data = package_file("schemas", filename).read_bytes()
        parts += [f"{name}\0{len(data)}\0".encode(), data]
    return sha256.hexdigest(b"".join(parts))


@cache
def _precompiled() -> dict[str, Callable[[Any], bool]]:
    try:
        from passport import _schemas_compiled as generated
    except ImportError:
        return {}
    # A schema edited since the module was generated: compile at run time instead.
    return dict(generated.ENTRIES) if digest() == generated.DIGEST else {}


@cache
def compiled(name: str) -> Callable[[Any], bool]:
    fn = _precompiled().get(name) if name in PRECOMPILED else None
    return fn or schemac.compile_schema(load(name), _by_id())


def module_source() -> str:
    """passport/_schemas_compiled.py as the schema files now make it."""
    return schemac.module_source({n: load(n) for n in PRECOMPILED}, _by_id(), digest())


def problems(name: str, document: Any) -> list[tuple[str, str]]:
    """Every schema violation as (JSON path, message), sorted by path."""
    return sorted((_path(p), m) for p, m in _raw_problems(name, document))


def _raw_problems(name: str, document: Any) -> list[tuple[tuple[str | int, ...], str]]:
    return [(tuple(e.absolute_path), e.message) for e in validator(name).iter_errors(document)]


def check_document(name: str, document: Any, *, text: str, source: str) -> None:
    """Like `check`, for a document read from `text`: each problem names its line."""
    if is_valid(name, document):
        return
    offsets = jsonpos.value_offsets(text)
    found = sorted(_raw_problems(name, document),
                   key=lambda pm: (jsonpos.line_for(text, pm[0], offsets) or 0, pm[1]))
    raise DocumentError(source, [(f"line {jsonpos.line_for(text, p, offsets)} at {_path(p)}", m)
                                 for p, m in found])


def is_valid(name: str, document: Any) -> bool:
    return compiled(name)(document)


def check(name: str, document: Any, *, what: str | None = None) -> None:
    if not compiled(name)(document):
        # The two engines agree (tests hold them to it); the fallback only guards a disagreement.
        found = problems(name, document) or [("$", "rejected by the compiled validator")]
        raise SchemaError(what or name, found)


def _path(parts: Any) -> str:
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out
