"""Write the verifier parity cases: one trust bundle, the presented credentials, and the
verdict and reason codes every verifier (Python and browser) must give for each.

    python tests/vectors/make_verifier_cases.py

Fixed keys and times make the file reproducible (a test regenerates it and compares); the
expectations come from the Python verifier and are reviewed by hand when the file changes.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from passport import jws, qr
from passport.b64 import b64u_decode, b64u_encode
from passport.bundle import TrustBundle
from passport.credential import Kind, encode_claims
from passport.signing import sign_claims
from passport.verify import verify
from rpl_rubrics import catalogue
from rpl_rubrics.credentials import achievement_claims_for
from tests.world import World

ISSUER = "https://ntti.edu.kh"
ISSUED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CHECK_AT = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)
OUT = Path(__file__).parent / "verifier" / "cases.json"


def main(out: Path = OUT) -> None:
    # Every parameter spelled out: the committed file must not move with the builder's defaults.
    world = World(
        key_prefix="skills-passport parity key", issuer_id=ISSUER,
        issuer_name="National Technical Training Institute",
        issuer_name_km="វិទ្យាស្ថានជាតិបណ្តុះបណ្តាលបច្ចេកទេស",
        accreditations={Kind.RPL: ["7112"], Kind.TVET: ["*"]},
        key_window=(ISSUED - timedelta(days=30), None),
        trust_issued=ISSUED - timedelta(days=30), trust_expires=ISSUED + timedelta(days=3650),
        # Lists 1..3 of each purpose. Index 8 is also taken on list 2 (by another credential,
        # revoked and suspended), so a verifier that reads any list but the one a credential
        # names gets "valid-on-list-3" or "revoked-on-list-2" wrong.
        lists=3, revoked={1: {2}, 2: {8, 9}}, suspended={2: {8}},
        status_from=ISSUED, status_valid_for=timedelta(days=7), synced_at=ISSUED, issued_at=ISSUED)
    stranger = world.key("stranger")
    masonry, welding = catalogue.get("masonry-c1"), catalogue.get("welding-c1")

    def claims(n: int, rubric: str = "masonry", **extra: Any) -> dict[str, Any]:
        r = masonry if rubric == "masonry" else welding
        return world.claims(index=n, achievement=achievement_claims_for(r, full=True),
                            results=[u.code for u in r.units],
                            credential_id=f"urn:skillpass:cred:PARITY{n:06d}", **extra)

    compact = {name: sign_claims(c, world.issuer_key)[1] for name, c in {
        "valid": claims(1),
        "revoked": claims(2),
        "expired": claims(3, valid_until=ISSUED + timedelta(days=1)),
        "not-accredited": claims(4, rubric="welding"),
        "stale-status": claims(5),
    }.items()}
    compact["unknown-issuer"] = sign_claims(claims(6, issuer="https://unknown.example.kh"), stranger)[1]
    payload = b64u_decode(compact["valid"].split(".")[1]).replace(b"Sok Dara", b"Sok Dana")
    parts = compact["valid"].split(".")
    compact["tampered"] = ".".join([parts[0], b64u_encode(payload), parts[2]])
    forged = jws.sign(encode_claims(claims(7)), stranger, typ="vc+jwt", cty="vc")
    header = json.loads(b64u_decode(forged.split(".")[0]))
    header["kid"] = world.issuer_key.kid
    compact["wrong-key"] = ".".join([b64u_encode(json.dumps(header, separators=(",", ":")).encode()),
                                     *forged.split(".")[1:]])
    # A full list 1 makes the centre open list 2, 3...: status entries then name a later list.
    compact["valid-on-list-3"] = sign_claims(claims(8, list_no=3), world.issuer_key)[1]
    compact["revoked-on-list-2"] = sign_claims(claims(9, list_no=2), world.issuer_key)[1]

    bundle_doc = world.bundle_document()
    bundle = TrustBundle.from_json(json.dumps(bundle_doc).encode(), roots=(world.root.public,))
    cases = []
    for name, token in compact.items():
        at = CHECK_AT + timedelta(days=30) if name == "stale-status" else CHECK_AT
        text = qr.encode(token)
        result = verify(text, at=at, trust=bundle)
        cases.append({"name": name, "qr": text, "at": at.isoformat(),
                      "verdict": result.verdict.value,
                      "checks": {c.check.value: [c.outcome.value, c.code.value]
                                 for c in result.checks}})
    out.write_text(json.dumps({"rootKeys": [world.root.public.jwk()], "bundle": bundle_doc,
                               "cases": cases}, ensure_ascii=False, indent=1) + "\n")
    print({c["name"]: c["verdict"] for c in cases})


if __name__ == "__main__":
    main()
