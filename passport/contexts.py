"""The product's own JSON-LD context, bundled with the package.

Credentials name it by `CONTEXT_V1` (the last entry of `credential.CONTEXTS`), a w3id.org
permanent identifier that redirects to a published copy (README, "JSON-LD context"). Nothing
here fetches it: the document ships in `schemas/contexts/`, the issuer serves those very bytes,
and `document_loader` hands them to a JSON-LD processor, so expanding a card needs no network
and cannot be steered by whoever answers for the URL on the day.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

from passport.credential import CONTEXTS
from passport.errors import UsageError

CONTEXT_V1 = CONTEXTS[2]
MEDIA_TYPE = "application/ld+json"
# URL -> file under schemas/. A released version's file never changes: cards signed under it
# must expand the same way forever. A new term means a new version and a new URL.
_BUNDLED = {CONTEXT_V1: "contexts/skills-passport-v1.jsonld"}
# When each version was released (the issuer's Last-Modified for it).
RELEASED = {CONTEXT_V1: datetime(2026, 11, 22, tzinfo=UTC)}

# What a JSON-LD processor's document loader returns (the shape pyld and jsonld.js share).
RemoteDocument = dict[str, Any]
DocumentLoader = Callable[[str, dict[str, Any]], RemoteDocument]


def bundled_urls() -> tuple[str, ...]:
    return tuple(_BUNDLED)


def context_bytes(url: str) -> bytes:
    """The bundled document named by `url`, byte for byte as published."""
    try:
        name = _BUNDLED[url]
    except KeyError:
        raise UsageError(f"{url} is not a Skills Passport context") from None
    return resources.files("schemas").joinpath(name).read_bytes()


@cache
def _parsed(url: str) -> dict[str, Any]:
    doc = json.loads(context_bytes(url))
    assert isinstance(doc, dict)
    return doc


def context_document(url: str) -> dict[str, Any]:
    """The bundled context as JSON (a fresh copy: processors may annotate what they get)."""
    doc = json.loads(json.dumps(_parsed(url)))
    assert isinstance(doc, dict)
    return doc


def document_loader(fallback: DocumentLoader | None = None) -> DocumentLoader:
    """A JSON-LD document loader that answers the product's context URLs from the package.

    Any other URL goes to `fallback`; with none it is refused, so a processor given this
    loader alone never reaches the network.
    """
    def load(url: str, options: dict[str, Any]) -> RemoteDocument:
        if url in _BUNDLED:
            return {"contentType": MEDIA_TYPE, "contextUrl": None, "documentUrl": url,
                    "document": context_document(url)}
        if fallback is None:
            raise UsageError(f"no bundled JSON-LD document for {url}")
        return fallback(url, options)

    return load
