"""The issuer publishes the product's JSON-LD context, and a card it issues expands with it.

Credentials name the context by its w3id.org URL, which redirects to a published copy such as
this route's (README, "JSON-LD context"); the copy must be the bundled bytes, public and
cacheable, in the JSON-LD media type.
"""

from __future__ import annotations

import json
from typing import Any

from pyld import jsonld

from passport import contexts, qr
from passport.b64 import b64u_decode
from tests.issuer.conftest import Service
from tests.issuer.workflow import assess, register
from tests.test_jsonld import key_paths, offline_loader

PATH = "/contexts/skills-passport/v1"


def test_the_context_is_served_public_cacheable_and_as_bundled(sqlite_svc: Service) -> None:
    r = sqlite_svc.app.test_client().get(PATH)
    assert r.status_code == 200 and r.mimetype == "application/ld+json"
    assert r.data == contexts.context_bytes(contexts.CONTEXT_V1)
    assert r.headers["Cache-Control"] == "public, max-age=86400"
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    again = sqlite_svc.app.test_client().get(PATH, headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and not again.data


def test_an_issued_card_expands_with_the_served_context(sqlite_svc: Service) -> None:
    candidate = register(sqlite_svc)
    a = assess(sqlite_svc, candidate["id"], "masonry-c1")
    assert sqlite_svc.call("assessor", "post", f"/api/assessments/{a['id']}/decision").status_code == 200
    r = sqlite_svc.call("assessor", "post", f"/api/assessments/{a['id']}/credential",
                        json={"nationalId": "010234567"})
    assert r.status_code == 201, r.get_json()
    claims = json.loads(b64u_decode(qr.decode(r.get_json()["qr"]).split(".")[1]))
    client = sqlite_svc.app.test_client()

    def loader(url: str, options: dict[str, Any]) -> dict[str, Any]:
        # What the w3id.org redirect would lead a processor to: this issuer's copy.
        if url == contexts.CONTEXT_V1:
            return {"contextUrl": None, "documentUrl": url,
                    "document": json.loads(client.get(PATH).data)}
        return offline_loader(url, options)

    options = {"documentLoader": loader}
    back = jsonld.compact(jsonld.expand(claims, options), {"@context": claims["@context"]}, options)
    assert set(key_paths(back)) == set(key_paths(claims))
    assert back["credentialSubject"]["nameKm"] == claims["credentialSubject"]["nameKm"]
