"""What the API and the pages share: transactions, body validation, error mapping."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
import referencing
from flask import current_app, request
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from issuer.service import Conflict, Issuer
from passport import schema
from passport.errors import DocumentError

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
                                              for p in e.absolute_path), e.message)
                               for e in errors])
    assert isinstance(data, dict)
    return data


def body(name: str) -> dict[str, Any]:
    """The request's JSON body, valid against components/schemas/<name>, or a 400."""
    data = request.get_json(silent=True)
    if data is None:
        raise BadBody("body", [("$", "the request body must be JSON (Content-Type: "
                                     "application/json)")])
    return validate(name, data)


def issuer() -> Issuer:
    value: Issuer = current_app.extensions["skillpass.issuer"]
    return value


@contextmanager
def transaction() -> Iterator[Session]:
    """One transaction per operation; constraint races become 409s, lock timeouts 503s."""
    sessions = current_app.extensions["skillpass.sessions"]
    try:
        with sessions() as session, session.begin():
            yield session
    except IntegrityError as exc:
        raise Conflict(f"the change conflicts with another one ({exc.orig.__class__.__name__}); "
                       "try again") from None
    except OperationalError as exc:
        raise Busy(str(exc.orig)) from None


class Busy(Exception):
    """The database could not take the change now (lock timeout); the client may retry."""
