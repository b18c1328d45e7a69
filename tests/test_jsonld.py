"""Every credential kind the product issues expands under JSON-LD with no term lost.

A JSON-LD processor (here pyld) reads a card only through its @context list. The VC 2.0 and
Open Badges 3.0.3 contexts come from the npm packages that carry them (installed by the
page's `npm ci`), the product's own from the package (passport/contexts.py); the loader
answers nothing else, so the test never touches the network and fails if a context the
credentials name is missing.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld

from passport.b64 import b64u_decode
from passport.contexts import CONTEXT_V1, bundled_urls, context_bytes, context_document, document_loader
from passport.credential import CONTEXTS

REPO = Path(__file__).resolve().parents[1]
WEB = REPO / "verifier" / "web"
VECTORS = REPO / "tests" / "vectors" / "v1"
VOCAB = "https://w3id.org/skills-passport/vocab#"
# Where VC 2.0's undefined-terms context (or a 2.0 draft's @vocab) puts a term no context
# defines; the final VC 2.0 context has no @vocab, so such a term is dropped instead.
UNDEFINED = "https://www.w3.org/ns/credentials/issuer-dependent#"
XSD = "http://www.w3.org/2001/XMLSchema#"


@cache
def npm_contexts() -> dict[str, Any]:
    """The third-party contexts the credentials name, from their npm packages."""
    if not (WEB / "node_modules" / "@digitalcredentials" / "open-badges-context").is_dir():
        pytest.fail("the JSON-LD contexts come from npm: run 'npm ci' in verifier/web")
    urls = [u for u in CONTEXTS if u not in bundled_urls()]
    out = subprocess.run(["node", str(REPO / "tests" / "npm_contexts.mjs"), *urls], cwd=WEB,
                         capture_output=True, text=True, check=True, timeout=60)
    docs: dict[str, Any] = json.loads(out.stdout)
    return docs


def offline_loader(url: str, options: dict[str, Any]) -> dict[str, Any]:
    """The npm contexts; anything else is an error pyld reports as a loading failure."""
    docs = npm_contexts()
    if url not in docs:
        raise jsonld.JsonLdError(f"{url} is not bundled", "jsonld.LoadDocumentError",
                                 code="loading document failed")
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
            "document": json.loads(json.dumps(docs[url]))}


LOADER = document_loader(offline_loader)


def expand(doc: dict[str, Any]) -> list[Any]:
    expanded: list[Any] = jsonld.expand(doc, {"documentLoader": LOADER})
    return expanded


def key_paths(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every member name's path; array positions are not part of it (compaction folds a
    one-element array into its value)."""
    if isinstance(node, list):
        for item in node:
            yield from key_paths(item, path)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key != "@context":
                yield (*path, key)
                yield from key_paths(value, (*path, key))


def properties(node: Any) -> Iterator[tuple[str, Any]]:
    """Every (property IRI, value) of an expanded document."""
    if isinstance(node, list):
        for item in node:
            yield from properties(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if not key.startswith("@"):
                yield key, value
            yield from properties(value)


def issued_credentials() -> dict[str, dict[str, Any]]:
    """The claims of each kind the product issues, as the released v1 cards carry them."""
    out = {}
    for name in ("full-certificate", "statement-of-attainment", "training-record"):
        compact = (VECTORS / f"{name}.jwt").read_text().strip()
        out[name] = json.loads(b64u_decode(compact.split(".")[1]))
    return out


CREDENTIALS = issued_credentials()


def test_the_released_cards_cover_every_product_term() -> None:
    """The cards below use every term of the product's context, so the round trip tests all."""
    used = {p[-1] for c in CREDENTIALS.values() for p in key_paths(c)}
    assert set(context_document(CONTEXT_V1)["@context"]) - {"@version", "@protected"} <= used


@pytest.mark.parametrize("name", sorted(CREDENTIALS))
def test_every_member_survives_expansion(name: str) -> None:
    claims = CREDENTIALS[name]
    expanded = expand(claims)
    assert len(expanded) == 1
    # Compacting back with the card's own contexts gives every name again: a name that did
    # not expand to an IRI would be gone here.
    back = jsonld.compact(expanded, {"@context": claims["@context"]}, {"documentLoader": LOADER})
    assert sorted(set(key_paths(back))) == sorted(set(key_paths(claims)))
    iris = {iri for iri, _ in properties(expanded)}
    assert not {i for i in iris if i.startswith(UNDEFINED)}, "terms no context defines"
    assert all(i.startswith(("https://", "http://")) for i in iris), iris


@pytest.mark.parametrize("name", sorted(CREDENTIALS))
def test_product_terms_expand_into_the_product_vocabulary_typed(name: str) -> None:
    claims = CREDENTIALS[name]
    subject, achievement = claims["credentialSubject"], claims["credentialSubject"]["achievement"]
    found = {iri: value for iri, value in properties(expand(claims)) if iri.startswith(VOCAB)}
    # Holder and achievement each carry a Khmer name; both are Khmer-tagged strings.
    names_km = [v for iri, v in properties(expand(claims)) if iri == VOCAB + "nameKm"]
    assert sorted(v[0]["@value"] for v in names_km) == sorted([subject["nameKm"], achievement["nameKm"]])
    assert all(v[0]["@language"] == "km" for v in names_km)
    assert found[VOCAB + "birthYear"] == [{"@value": subject["birthYear"], "@type": XSD + "integer"}]
    assert found[VOCAB + "nationalIdLast4"] == [{"@value": subject["nationalIdLast4"],
                                                 "@type": XSD + "string"}]
    if "learningHours" in achievement:
        assert found[VOCAB + "learningHours"] == [{"@value": achievement["learningHours"],
                                                   "@type": XSD + "integer"}]


def test_a_dropped_term_is_caught() -> None:
    """The round trip above can fail: a member no context defines does not come back."""
    claims = json.loads(json.dumps(CREDENTIALS["full-certificate"]))
    claims["credentialSubject"]["achievement"]["nickname"] = "x"
    back = jsonld.compact(expand(claims), {"@context": claims["@context"]},
                          {"documentLoader": LOADER})
    assert ("credentialSubject", "achievement", "nickname") not in set(key_paths(back))


def test_without_the_product_context_the_product_terms_are_lost() -> None:
    """Why the context exists: with only the VC and OB contexts, the holder's Khmer name,
    birth year and ID digits, and the course hours, are silently not part of the linked data."""
    claims = json.loads(json.dumps(CREDENTIALS["training-record"]))
    claims["@context"] = claims["@context"][:2]
    expanded = expand(claims)
    assert not {iri for iri, _ in properties(expanded) if iri.startswith((VOCAB, UNDEFINED))}
    back = jsonld.compact(expanded, {"@context": claims["@context"]}, {"documentLoader": LOADER})
    lost = set(key_paths(claims)) - set(key_paths(back))
    assert {p[-1] for p in lost} == {"nameKm", "birthYear", "nationalIdLast4", "learningHours"}


def test_the_context_is_versioned_and_protected() -> None:
    ctx = context_document(CONTEXT_V1)["@context"]
    assert ctx["@version"] == 1.1 and ctx["@protected"] is True
    terms = {k: v for k, v in ctx.items() if not k.startswith("@")}
    assert terms and all(v["@id"] == VOCAB + k for k, v in terms.items())
    # A later context may not redefine a protected term: pyld refuses the whole document.
    claims = json.loads(json.dumps(CREDENTIALS["full-certificate"]))
    claims["@context"] = [*claims["@context"], {"birthYear": "https://example.org/age"}]
    with pytest.raises(jsonld.JsonLdError) as info:
        expand(claims)
    assert info.value.code == "protected term redefinition"


def test_the_loader_serves_the_bundled_bytes_and_nothing_from_the_network() -> None:
    assert json.loads(context_bytes(CONTEXT_V1)) == document_loader()(CONTEXT_V1, {})["document"]
    with pytest.raises(Exception, match="no bundled JSON-LD document"):
        document_loader()("https://www.w3.org/ns/credentials/v2", {})
