"""Write the verifier parity cases: one trust bundle, eight presented credentials, and the
verdict and reason codes every verifier (Python and browser) must give for each.

    python tests/vectors/make_verifier_cases.py

Fixed keys and times make the file reproducible; the expectations come from the Python
verifier and are reviewed by hand when the file changes.
"""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from passport import jws, qr
from passport.b64 import b64u_decode, b64u_encode
from passport.bundle import TrustBundle, bundle_document
from passport.credential import HolderInput, Kind, StatusEntry, StatusPurpose, build_claims, encode_claims
from passport.keys import PrivateKey
from passport.signing import issue
from passport.status import Bitstring, sign_status_list, status_list_claims
from passport.trust import issuer_entry, sign_trust_list, trust_list_document
from passport.verify import verify
from rpl_rubrics import catalogue
from rpl_rubrics.credentials import achievement_claims_for

ISSUER = "https://ntti.edu.kh"
ISSUED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CHECK_AT = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)
OUT = Path(__file__).parent / "verifier" / "cases.json"


def key(label: str) -> PrivateKey:
    return PrivateKey(hashlib.sha256(f"skills-passport parity key: {label}".encode()).digest())


def main() -> None:
    root, issuer_key, stranger = key("root"), key("issuer"), key("stranger")
    masonry, welding = catalogue.get("masonry-c1"), catalogue.get("welding-c1")

    def claims(n: int, rubric: str = "masonry", **extra: object) -> dict[str, object]:
        r = masonry if rubric == "masonry" else welding
        args: dict[str, object] = dict(
            issuer=ISSUER, holder=HolderInput("Sok Dara", "សុខ ដារា", 1988, "010234567"),
            achievement=achievement_claims_for(r, full=True), valid_from=ISSUED,
            status=[StatusEntry(p, f"{ISSUER}/status/{p.value}/1", n) for p in StatusPurpose],
            results=[u.code for u in r.units], credential_id=f"urn:skillpass:cred:PARITY{n:06d}")
        args.update(extra)
        return build_claims(**args)  # type: ignore[arg-type]

    compact = {name: issue(c, issuer_key)[1] for name, c in {
        "valid": claims(1),
        "revoked": claims(2),
        "expired": claims(3, valid_until=ISSUED + timedelta(days=1)),
        "not-accredited": claims(4, rubric="welding"),
        "stale-status": claims(5),
    }.items()}
    compact["unknown-issuer"] = issue(claims(6, issuer="https://unknown.example.kh"), stranger)[1]
    payload = b64u_decode(compact["valid"].split(".")[1]).replace(b"Sok Dara", b"Sok Dana")
    parts = compact["valid"].split(".")
    compact["tampered"] = ".".join([parts[0], b64u_encode(payload), parts[2]])
    forged = jws.sign(encode_claims(claims(7)), stranger, typ="vc+jwt", cty="vc")
    header = json.loads(b64u_decode(forged.split(".")[0]))
    header["kid"] = issuer_key.kid
    compact["wrong-key"] = ".".join([b64u_encode(json.dumps(header, separators=(",", ":")).encode()),
                                     *forged.split(".")[1:]])

    revoked = Bitstring()
    revoked.set(2)
    lists = [sign_status_list(status_list_claims(
        url=f"{ISSUER}/status/{p.value}/1", issuer=ISSUER, purpose=p,
        bitstring=revoked if p is StatusPurpose.REVOCATION else Bitstring(),
        valid_from=ISSUED, valid_for=timedelta(days=7)), issuer_key) for p in StatusPurpose]
    trust = trust_list_document(
        version=1, issued=ISSUED - timedelta(days=30), expires=ISSUED + timedelta(days=3650),
        root_keys=[root.public],
        issuers=[issuer_entry(issuer_id=ISSUER, name="National Technical Training Institute",
                              name_km="វិទ្យាស្ថានជាតិបណ្តុះបណ្តាលបច្ចេកទេស",
                              keys=[(issuer_key.public, ISSUED - timedelta(days=30), None)],
                              accreditations={Kind.RPL: ["7112"], Kind.TVET: ["*"]})])
    bundle_doc = bundle_document(sign_trust_list(trust, [root]), lists, ISSUED)
    bundle = TrustBundle.from_json(json.dumps(bundle_doc).encode(), roots=(root.public,))
    cases = []
    for name, token in compact.items():
        at = CHECK_AT + timedelta(days=30) if name == "stale-status" else CHECK_AT
        text = qr.encode(token)
        result = verify(text, at=at, trust=bundle)
        cases.append({"name": name, "qr": text, "at": at.isoformat(),
                      "verdict": result.verdict.value,
                      "checks": {c.check.value: [c.outcome.value, c.code.value]
                                 for c in result.checks}})
    OUT.write_text(json.dumps({"rootKeys": [root.public.jwk()], "bundle": bundle_doc,
                               "cases": cases}, ensure_ascii=False, indent=1) + "\n")
    print({c["name"]: c["verdict"] for c in cases})


if __name__ == "__main__":
    main()
