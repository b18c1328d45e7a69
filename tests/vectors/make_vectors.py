"""Write the frozen test vectors of one QR codec version. Run once per version, then commit.

    python tests/vectors/make_vectors.py v1

Fixed keys, ids and times make the output reproducible. A released version's folder is never
regenerated: its files are the proof that cards printed with that version still verify.
"""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from passport import qr
from passport.bundle import bundle_document
from passport.credential import HolderInput, Kind, StatusEntry, StatusPurpose, build_claims
from passport.keys import PrivateKey
from passport.signing import issue
from passport.status import Bitstring, sign_status_list, status_list_claims
from passport.trust import issuer_entry, sign_trust_list, trust_list_document
from rpl_rubrics import catalogue
from rpl_rubrics.credentials import TrainingCompletion, achievement_claims_for

ISSUER = "https://ntti.edu.kh"
ISSUED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CHECK_AT = "2026-11-05T12:00:00Z"


def key(label: str) -> PrivateKey:
    return PrivateKey(hashlib.sha256(f"skills-passport vector key: {label}".encode()).digest())


def statuses(index: int) -> list[StatusEntry]:
    return [StatusEntry(p, f"{ISSUER}/status/{p.value}/1", index) for p in StatusPurpose]


def main(version: str) -> None:
    out = Path(__file__).parent / version
    if out.exists():
        raise SystemExit(f"{out} exists: released vectors are never regenerated")
    root, issuer = key("root"), key("issuer")
    masonry, welding = catalogue.get("masonry-c1"), catalogue.get("welding-c1")
    course = TrainingCompletion.from_text(json.dumps({
        "type": "TrainingCompletion",
        "candidate": {"name": "Vann Rithy", "nameKm": "វ៉ាន់ រិទ្ធី", "birthYear": 1990,
                      "nationalId": "040567890"},
        "course": {"id": "forklift-safety", "version": 1, "hours": 40, "isco08": "8344",
                   "cqfLevel": "C1", "title": {"en": "Forklift safety short course",
                                               "km": "វគ្គខ្លីសុវត្ថិភាពរថយន្តលើកទំនិញ"}},
        "start": "2026-10-05", "end": "2026-10-16"}), "vector").request(issued=ISSUED)
    cases = {
        "full-certificate": build_claims(
            issuer=ISSUER, holder=HolderInput("Sok Dara", "សុខ ដារា", 1988, "010234567"),
            achievement=achievement_claims_for(masonry, full=True), valid_from=ISSUED,
            status=statuses(11), results=[u.code for u in masonry.units],
            credential_id="urn:skillpass:cred:V1FULL000001"),
        "statement-of-attainment": build_claims(
            issuer=ISSUER, holder=HolderInput("Chan Sophea", "ចាន់ សុភា", 1992, "020345678"),
            achievement=achievement_claims_for(welding, full=False), valid_from=ISSUED,
            status=statuses(12), results=[u.code for u in welding.units[:3]],
            credential_id="urn:skillpass:cred:V1PART000002"),
        "training-record": build_claims(
            issuer=ISSUER, holder=course.holder, achievement=course.achievement,
            valid_from=ISSUED, status=statuses(13), activity=course.activity,
            credential_id="urn:skillpass:cred:V1TVET000003"),
        "revoked": build_claims(
            issuer=ISSUER, holder=HolderInput("Meas Bopha", "មាស បុប្ផា", 1987, "050678901"),
            achievement=achievement_claims_for(masonry, full=True), valid_from=ISSUED,
            status=statuses(14), results=[u.code for u in masonry.units],
            credential_id="urn:skillpass:cred:V1REVK000004"),
    }
    out.mkdir(parents=True)
    expected = {}
    for name, claims in cases.items():
        _, compact = issue(claims, issuer)
        (out / f"{name}.jwt").write_text(compact + "\n")
        (out / f"{name}.qr.txt").write_text(qr.encode(compact) + "\n")
        expected[name] = {"verdict": "invalid" if name == "revoked" else "valid",
                          "failed": ["revoked"] if name == "revoked" else []}
    revoked = Bitstring()
    revoked.set(14)
    lists = [sign_status_list(status_list_claims(
        url=f"{ISSUER}/status/{p.value}/1", issuer=ISSUER, purpose=p,
        bitstring=revoked if p is StatusPurpose.REVOCATION else Bitstring(),
        valid_from=ISSUED, valid_for=timedelta(days=7)), issuer) for p in StatusPurpose]
    trust = trust_list_document(
        version=1, issued=ISSUED - timedelta(days=30), expires=ISSUED + timedelta(days=3650),
        root_keys=[root.public],
        issuers=[issuer_entry(issuer_id=ISSUER, name="National Technical Training Institute",
                              name_km="វិទ្យាស្ថានជាតិបណ្តុះបណ្តាលបច្ចេកទេស",
                              keys=[(issuer.public, ISSUED - timedelta(days=30), None)],
                              accreditations={Kind.RPL: ["*"], Kind.TVET: ["*"]})])
    (out / "trust-bundle.json").write_text(json.dumps(
        bundle_document(sign_trust_list(trust, [root]), lists, ISSUED), indent=1) + "\n")
    (out / "root-keys.json").write_text(json.dumps({"rootKeys": [root.public.jwk()]}) + "\n")
    (out / "expected.json").write_text(json.dumps({"checkAt": CHECK_AT, "cases": expected},
                                                  indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
