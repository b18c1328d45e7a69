"""The issuer serves the phone verifier page with its Content-Security-Policy as a header (and
frame-ancestors, which only a header can carry), and with its pin written into the service
worker, which answers verifier-config.json from there, not from a cache page script can write."""

from __future__ import annotations

import json
import re

from tests.issuer.conftest import Service


def _directives(policy: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}


def test_every_file_of_the_page_comes_with_the_pages_policy(svc: Service) -> None:
    client = svc.client()
    page = client.get("/verify/")
    meta = re.search(rb'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page.data)
    assert meta is not None
    header = page.headers["Content-Security-Policy"]
    assert header == meta.group(1).decode() + "; frame-ancestors 'none'"
    csp = _directives(header)
    assert csp["script-src"] == ["'self'", "'wasm-unsafe-eval'"] and csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    for name in ("", "index.html", "app.js", "sw.js", "verifier-config.json", "trust-bundle.json",
                 "i18n/en.json", "style.css"):
        r = client.get(f"/verify/{name}")
        assert r.status_code == 200, name
        assert r.headers["Content-Security-Policy"] == header, name
        assert r.headers["X-Content-Type-Options"] == "nosniff", name
        assert r.headers["X-Frame-Options"] == "DENY", name


def test_the_service_worker_carries_the_pin_it_serves(svc: Service) -> None:
    client = svc.client()
    config = client.get("/verify/verifier-config.json").data.decode()
    assert json.loads(config)["rootKeys"] == [k.jwk() for k in svc.home.root_keys().keys]
    sw = client.get("/verify/sw.js").data.decode()
    assert f"const CONFIG = {json.dumps(config)};" in sw
    assert '"__CONFIG__"' not in sw
