"""`make bench`: sizes and speeds of a typical RPL certificate, beside raw Ed25519.

A typical certificate: 6 unit results, Khmer and Latin names, ISCO-08 and CQF alignment,
revocation and suspension status entries. Raw pynacl sign/verify of the same signing input
is measured in the same run as the baseline. Results go to stdout and bench/results.json.

QR size per credential kind, v1 beside v2: the largest of each kind the product issues (every
bundled rubric; a statement of attainment lists all units but one), with the longest names in
the demo data, a 40-character course title, a status index near a list's end and an issuance
time with seconds, as a real one has.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nacl.signing

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from issuer.demo import demo_data
from passport import jws, qr
from passport.bundle import TrustBundle
from passport.credential import Credential, HolderInput
from passport.keys import PrivateKey
from passport.signing import sign_credential
from passport.verify import verify
from rpl_rubrics import catalogue
from rpl_rubrics.credentials import TrainingCompletion, achievement_claims_for
from tests.world import World

AT = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def typical_certificate() -> tuple[dict[str, object], PrivateKey, TrustBundle]:
    """The world's default credential (a masonry certificate with its 6 units) at a realistic
    status index, with its key and a bundle that vouches for it."""
    world = World(key_prefix="skills-passport bench key", issued_at=AT,
                  key_window=(AT - timedelta(days=30), None), trust_issued=AT - timedelta(days=30),
                  trust_expires=AT + timedelta(days=365), status_from=AT, synced_at=AT,
                  index=48_213)
    return world.claims(), world.issuer_key, world.bundle()


def longest_holder() -> HolderInput:
    """The longest Latin and Khmer names in the demo data (in UTF-8 bytes), on one holder."""
    people = demo_data()["assessments"] + demo_data()["trainings"]
    name = max((p["name"] for p in people), key=lambda n: len(n.encode()))
    name_km = max((p["nameKm"] for p in people), key=lambda n: len(n.encode()))
    return HolderInput(name, name_km, 1988, "010234567")


def qr_sizes_per_kind() -> dict[str, object]:
    """For each kind, the largest credential's QR text length and version at ECC Q, v1 and v2."""
    world = World(key_prefix="skills-passport bench key", issued_at=AT, index=131_000)
    holder = longest_holder()
    issued = AT + timedelta(minutes=37, seconds=13)
    course = TrainingCompletion.from_text(json.dumps({
        "type": "TrainingCompletion",
        "candidate": {"name": holder.name, "nameKm": holder.name_km, "birthYear": 1990,
                      "nationalId": holder.national_id},
        "course": {"id": "forklift-warehouse-safety", "version": 1, "hours": 40,
                   "isco08": "8344", "cqfLevel": "C2",
                   "title": {"en": "Forklift safety and warehouse operations",
                             "km": "សុវត្ថិភាពរថយន្តលើកទំនិញ និងប្រតិបត្តិការឃ្លាំង"}},
        "start": "2026-10-05", "end": "2026-10-16"}), "bench").request(issued=issued)
    kinds: dict[str, list[dict[str, object]]] = {"certificate": [], "statement": [], "training": []}
    for rubric in catalogue.bundled().values():
        units = [u.code for u in rubric.units]
        kinds["certificate"].append(world.claims(
            holder=holder, achievement=achievement_claims_for(rubric, full=True),
            results=units, valid_from=issued, credential_id=None))
        kinds["statement"].append(world.claims(
            holder=holder, achievement=achievement_claims_for(rubric, full=False),
            results=units[:-1], valid_from=issued, credential_id=None))
    kinds["training"].append(world.claims(
        holder=course.holder, achievement=course.achievement, results=None,
        activity=course.activity, valid_from=issued, credential_id=None))
    out: dict[str, object] = {"holder_name": holder.name, "holder_name_km": holder.name_km}
    for kind, claims_list in kinds.items():
        rows = []
        for claims in claims_list:
            compact = sign_credential(Credential.from_claims(claims), world.issuer_key)
            texts = {v: qr.encode(compact, version=v) for v in (1, 2)}
            assert all(qr.decode(t) == compact for t in texts.values())
            rows.append({f"v{v}_{what}": value for v, t in texts.items()
                         for what, value in (("chars", len(t)), ("version_q", qr.qr_version(t)))})
        for key in rows[0]:
            out[f"{kind}_{key}_max"] = max(int(str(r[key])) for r in rows)
        out[f"{kind}_count"] = len(rows)
    return out


def per_second(fn: Callable[[], object], seconds: float = 1.0) -> float:
    """Best of 5 rounds of ~seconds/5 each: the least disturbed estimate on a shared machine."""
    return side_by_side({"": fn}, seconds)[""]


def side_by_side(fns: dict[str, Callable[[], object]], seconds: float = 1.0,
                 rounds: int = 5) -> dict[str, float]:
    """Each function's best rate over `rounds` rounds of ~seconds/rounds each, the functions
    taking turns round by round: a figure and its baseline see the same machine (a slower
    spell falls on both, not on one)."""
    batches = {}
    for name, fn in fns.items():
        fn()
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < 0.05:
            fn()
            n += 1
        batches[name] = max(1, int(n * seconds / rounds / 0.05))
    best = dict.fromkeys(fns, 0.0)
    for _ in range(rounds):
        for name, fn in fns.items():
            batch = batches[name]
            t0 = time.perf_counter()
            for _ in range(batch):
                fn()
            best[name] = max(best[name], batch / (time.perf_counter() - t0))
    return best


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> None:
    claims, key, bundle = typical_certificate()
    credential = Credential.from_claims(claims)
    compact = sign_credential(credential, key)
    text = qr.encode(compact)
    text_v1 = qr.encode(compact, version=1)
    assert qr.decode(text) == compact == qr.decode(text_v1)
    assert verify(text, at=AT, trust=bundle).valid

    token = jws.parse(compact)
    raw_key = nacl.signing.SigningKey(key.seed())
    raw_verify_key = raw_key.verify_key
    signed = raw_key.sign(token.signing_input)

    signing = side_by_side({"raw": lambda: raw_key.sign(token.signing_input),
                            "sign": lambda: sign_credential(credential, key)})
    raw_sign, sign = signing["raw"], signing["sign"]
    # Verification and its baseline take turns, over more rounds: the ratio is the target.
    verifying = side_by_side({"raw": lambda: raw_verify_key.verify(signed),
                              "v2": lambda: verify(text, at=AT, trust=bundle),
                              "v1": lambda: verify(text_v1, at=AT, trust=bundle)},
                             seconds=3.0, rounds=15)
    raw_verify, verify_qr, verify_qr_v1 = verifying["raw"], verifying["v2"], verifying["v1"]
    qr_encode = per_second(lambda: qr.encode(compact))

    results = {
        "credential_json_bytes": len(credential.payload()),
        "jws_chars": len(compact),
        "qr_text_chars": len(text),
        "qr_version_at_ecc_m": qr.qr_version(text, "M"),
        "qr_version_at_ecc_q": qr.qr_version(text, "Q"),
        "qr_v1_text_chars": len(text_v1),
        "qr_v1_version_at_ecc_q": qr.qr_version(text_v1, "Q"),
        "raw_pynacl_sign_per_s": round(raw_sign),
        "raw_pynacl_verify_per_s": round(raw_verify),
        "sign_credential_per_s": round(sign),
        "verify_from_qr_text_per_s": round(verify_qr),
        "qr_encode_per_s": round(qr_encode),
        "sign_time_vs_raw_x": round(raw_sign / sign, 2),
        "verify_from_qr_time_vs_raw_x": round(raw_verify / verify_qr, 2),
        "verify_from_qr_us_per_call": round(1e6 / verify_qr, 1),
        "verify_from_qr_v1_time_vs_raw_x": round(raw_verify / verify_qr_v1, 2),
        "verify_from_qr_v1_us_per_call": round(1e6 / verify_qr_v1, 1),
        "machine": machine(),
        "per_kind": qr_sizes_per_kind(),
    }
    report(results, "results.json")


def report(results: dict[str, object], filename: str) -> None:
    """Print the figures and write them where README's table is taken from."""
    width = max(map(len, results))
    for name, value in results.items():
        print(f"{name:<{width}}  {value}")
    out = Path(__file__).with_name(filename)
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
