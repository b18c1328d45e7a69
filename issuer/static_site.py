"""What `make run` serves until the issuer web service exists: the demo home, read-only.

Stdlib only. Pages: an index of the demo credentials with their QR codes and live
verification results, a GET form that verifies pasted QR text, and the trust bundle file.
"""

from __future__ import annotations

import html
import http.server
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

import segno

from issuer.demo import write_demo
from issuer.home import Home
from passport import qr
from passport.bundle import TrustBundle
from passport.verify import VerificationResult, verify

MAX_QUERY = 8192


def _page(title: str, body: str) -> bytes:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>"
        "body{font-family:'Noto Sans Khmer',system-ui,sans-serif;max-width:60rem;margin:auto;"
        "padding:1rem}.card{border:1px solid #ccc;border-radius:.5rem;padding:1rem;margin:1rem 0;"
        "display:flex;gap:1rem;flex-wrap:wrap}.valid{color:#065f46}.invalid{color:#b91c1c}"
        ".warning{color:#92400e}code{word-break:break-all;font-size:.7rem}</style></head><body>"
        f"{body}</body></html>"
    ).encode()


def _result_html(result: VerificationResult) -> str:
    rows = "".join(
        f"<li>{html.escape(c.check.value)}: <b>{c.outcome.value}</b> {html.escape(c.message)}</li>"
        for c in result.checks)
    return (f"<p class='{result.verdict.value}'><b>{result.verdict.value.upper()}</b></p>"
            f"<ul>{rows}</ul>")


class _Handler(http.server.BaseHTTPRequestHandler):
    server_version = "skillpass"
    demo_dir: Path
    bundle: TrustBundle

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, ctype: str = "text/html; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        if len(self.path) > MAX_QUERY:
            self._send(414, _page("Too long", "<p>Request is too long.</p>"))
        elif url.path == "/":
            self._send(200, self._index())
        elif url.path == "/verify":
            text = urllib.parse.parse_qs(url.query).get("qr", [""])[0]
            result = verify(text, at=datetime.now(UTC), trust=self.bundle)
            self._send(200, _page("Verification", "<h1>Verification</h1>" + _result_html(result)
                                  + "<p><a href='/'>back</a></p>"))
        elif url.path == "/trust-bundle.json":
            self._send(200, (self.demo_dir / "trust-bundle.json").read_bytes(), "application/json")
        else:
            self._send(404, _page("Not found", "<p>Not found.</p>"))

    def _index(self) -> bytes:
        cards = []
        for qr_file in sorted(self.demo_dir.glob("*.qr.txt")):
            text = qr_file.read_text().strip()
            result = verify(text, at=datetime.now(UTC), trust=self.bundle)
            cred = result.credential
            who = (f"{html.escape(cred.holder.name_km)} / {html.escape(cred.holder.name)}<br>"
                   f"{html.escape(cred.achievement.name)}<br>{html.escape(cred.achievement.name_km)}"
                   if cred else html.escape(qr_file.name))
            svg = segno.make_qr(text, error=qr.ECC_LEVEL.lower()).svg_inline(scale=2)
            cards.append(f"<div class='card'>{svg}<div><p>{who}</p>{_result_html(result)}"
                         f"<p>{len(text)} characters</p></div></div>")
        form = ("<form action='/verify' method='get'><label>QR text "
                "<input name='qr' size='40' autocomplete='off'></label>"
                "<button>Verify</button></form>")
        return _page("Skills Passport", "<h1>Skills Passport: demo credentials</h1>" + form
                     + "".join(cards) + "<p><a href='/trust-bundle.json'>trust bundle</a></p>")


def serve(home: Home, secret: str, host: str, port: int) -> None:
    demo_dir = home.root / "demo"
    if not (demo_dir / "trust-bundle.json").exists():
        write_demo(home, secret, demo_dir, datetime.now(UTC))
    bundle = TrustBundle.from_json((demo_dir / "trust-bundle.json").read_bytes(),
                                   roots=home.root_keys())
    handler = type("Handler", (_Handler,), {"demo_dir": demo_dir, "bundle": bundle})
    httpd = http.server.ThreadingHTTPServer((host, port), handler)
    print(f"Skills Passport on http://{host}:{port}/  (home {home.root}; Ctrl-C stops)")
    try:
        httpd.serve_forever()
    finally:
        httpd.server_close()
