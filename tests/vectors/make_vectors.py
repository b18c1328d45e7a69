"""Write the frozen test vectors of one QR codec version. Run once per version, then commit.

    python tests/vectors/make_vectors.py v1
    python tests/vectors/make_vectors.py v2

Fixed keys, ids and times make the output reproducible. A released version's folder is never
regenerated: its files are the proof that cards printed with that version still verify. A
test writes them again into a temporary folder and compares, so this script stays the true
recipe of what was released.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from passport import qr
from passport.credential import HolderInput, Kind
from passport.signing import sign_claims
from rpl_rubrics import catalogue
from rpl_rubrics.credentials import TrainingCompletion, achievement_claims_for
from tests.world import World

ISSUER = "https://ntti.edu.kh"
ISSUED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CHECK_AT = "2026-11-05T12:00:00Z"


def main(version: str, out_dir: Path | None = None) -> None:
    """Write `version`'s vectors into `out_dir` (default: its folder beside this script)."""
    out = out_dir or Path(__file__).parent / version
    if out.exists():
        raise SystemExit(f"{out} exists: released vectors are never regenerated")
    # Every parameter spelled out: a change of the builder's defaults must not move a release.
    world = World(
        key_prefix="skills-passport vector key", issuer_id=ISSUER,
        issuer_name="National Technical Training Institute",
        issuer_name_km="វិទ្យាស្ថានជាតិបណ្តុះបណ្តាលបច្ចេកទេស",
        accreditations={Kind.RPL: ["*"], Kind.TVET: ["*"]},
        key_window=(ISSUED - timedelta(days=30), None),
        trust_issued=ISSUED - timedelta(days=30), trust_expires=ISSUED + timedelta(days=3650),
        lists=1, revoked={1: {14}}, status_from=ISSUED, status_valid_for=timedelta(days=7),
        synced_at=ISSUED, issued_at=ISSUED)
    # The rubric versions these vectors were released with; later versions have other ids.
    masonry, welding = catalogue.get("masonry-c1", 1), catalogue.get("welding-c1", 1)
    course = TrainingCompletion.from_text(json.dumps({
        "type": "TrainingCompletion",
        "candidate": {"name": "Vann Rithy", "nameKm": "វ៉ាន់ រិទ្ធី", "birthYear": 1990,
                      "nationalId": "040567890"},
        "course": {"id": "forklift-safety", "version": 1, "hours": 40, "isco08": "8344",
                   "cqfLevel": "C1", "title": {"en": "Forklift safety short course",
                                               "km": "វគ្គខ្លីសុវត្ថិភាពរថយន្តលើកទំនិញ"}},
        "start": "2026-10-05", "end": "2026-10-16"}), "vector").request(issued=ISSUED)
    # v1's ids are kept as released; v2's are in the product's own id alphabet (Crockford
    # base32), so that its vectors are packed by the template, and one v1-style id shows the
    # deflate form that carries any other credential.
    ids = {"v1": ("V1FULL000001", "V1PART000002", "V1TVET000003", "V1REVK000004")}.get(
        version, ("V2CERT000001", "V2PART000002", "V2TVET000003", "V2REVK000004"))
    cases = {
        "full-certificate": world.claims(
            holder=HolderInput("Sok Dara", "សុខ ដារា", 1988, "010234567"),
            achievement=achievement_claims_for(masonry, full=True), index=11,
            results=[u.code for u in masonry.units], credential_id="urn:skillpass:cred:" + ids[0]),
        "statement-of-attainment": world.claims(
            holder=HolderInput("Chan Sophea", "ចាន់ សុភា", 1992, "020345678"),
            achievement=achievement_claims_for(welding, full=False), index=12,
            results=[u.code for u in welding.units[:3]], credential_id="urn:skillpass:cred:" + ids[1]),
        "training-record": world.claims(
            holder=course.holder, achievement=course.achievement, index=13, results=None,
            activity=course.activity, credential_id="urn:skillpass:cred:" + ids[2]),
        "revoked": world.claims(
            holder=HolderInput("Meas Bopha", "មាស បុប្ផា", 1987, "050678901"),
            achievement=achievement_claims_for(masonry, full=True), index=14,
            results=[u.code for u in masonry.units], credential_id="urn:skillpass:cred:" + ids[3]),
    }
    if version != "v1":
        cases["deflate-form"] = world.claims(
            holder=HolderInput("Keo Sreymom", "កែវ ស្រីមុំ", 1995, "060789012"),
            achievement=achievement_claims_for(welding, full=True), index=15,
            results=[u.code for u in welding.units], credential_id="urn:skillpass:cred:V2FULL000005")
    out.mkdir(parents=True)
    expected = {}
    for name, claims in cases.items():
        _, compact = sign_claims(claims, world.issuer_key)
        (out / f"{name}.jwt").write_text(compact + "\n")
        (out / f"{name}.qr.txt").write_text(qr.encode(compact, version=int(version[1:])) + "\n")
        expected[name] = {"verdict": "invalid" if name == "revoked" else "valid",
                          "failed": ["revoked"] if name == "revoked" else []}
    (out / "trust-bundle.json").write_text(json.dumps(world.bundle_document(), indent=1) + "\n")
    (out / "root-keys.json").write_text(json.dumps({"rootKeys": [world.root.public.jwk()]}) + "\n")
    (out / "expected.json").write_text(json.dumps({"checkAt": CHECK_AT, "cases": expected},
                                                  indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
