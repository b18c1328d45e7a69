"""What the API and the pages share: the centre, its store, body validation."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
import referencing
from flask import current_app, request
from sqlalchemy.orm import Session

from issuer.centre import Centre
from issuer.store import Store
from passport import jsonread, schema
from passport.errors import DocumentError
from passport.jsonread import Limits

OPENAPI_ID = "https://w3id.org/skills-passport/openapi/v1.json"


class BadBody(DocumentError):
    pass


@cache
def openapi() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(resources.files("issuer").joinpath("openapi.json")
                                     .read_text(encoding="utf-8"))
    return doc


@cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    resource = referencing.Resource.from_contents(
        openapi(), default_specification=referencing.jsonschema.DRAFT202012)
    registry = schema.registry().with_resource(OPENAPI_ID, resource)
    ref = {"$ref": f"{OPENAPI_ID}#/components/schemas/{name}"}
    validator: jsonschema.protocols.Validator = jsonschema.Draft202012Validator(ref, registry=registry)
    return validator


def validate(name: str, data: Any, *, source: str = "body") -> dict[str, Any]:
    """`data` if it is valid against components/schemas/<name>; else every problem, located."""
    errors = sorted(_validator(name).iter_errors(data), key=lambda e: list(map(str, e.path)))
    if errors:
        raise BadBody(source, [("$" + "".join(f".{p}" if isinstance(p, str) else f"[{p}]"
                                              for p in e.absolute_path), _short(e.message))
                               for e in errors])
    assert isinstance(data, dict)
    return data


# An API body is a few fields, or one assessment's judgments (a rubric's criteria, each with
# its evidence): far below these. Evidence files come as multipart uploads, not JSON.
BODY_LIMITS = Limits(max_bytes=1024 * 1024, max_depth=16, max_digits=20)


def _short(message: str, limit: int = 300) -> str:
    # A message quotes the offending value, which may be most of a megabyte.
    return message if len(message) <= limit else message[:limit] + "…"


def body(name: str) -> dict[str, Any]:
    """The request's JSON body, valid against components/schemas/<name>, or a 400 naming
    what is wrong (not JSON, or past one of BODY_LIMITS)."""
    if not request.is_json:
        raise BadBody("body", [("$", "the request body must be JSON (Content-Type: "
                                     "application/json)")])
    if (request.content_length or 0) > BODY_LIMITS.max_bytes:
        raise BadBody("body", [("$", f"{request.content_length} bytes, the limit is "
                                     f"{BODY_LIMITS.max_bytes}")])
    try:
        data = jsonread.loads(request.get_data(cache=True), BODY_LIMITS)
    except jsonread.JSONRejected as exc:
        raise BadBody("body", [("$", str(exc))]) from None
    return validate(name, data)


def centre() -> Centre:
    value: Centre = current_app.extensions["skillpass.centre"]
    return value


def store() -> Store:
    value: Store = current_app.extensions["skillpass.store"]
    return value


def transaction() -> AbstractContextManager[Session]:
    """The store's one transaction rule: constraint races are 409s, lock timeouts 503s."""
    return store().transaction()
