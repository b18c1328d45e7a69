"""`make bench`: sizes and speeds of a typical RPL certificate, beside raw Ed25519.

A typical certificate: 6 unit results, Khmer and Latin names, ISCO-08 and CQF alignment,
revocation and suspension status entries. Raw pynacl sign/verify of the same signing input
is measured in the same run as the baseline. Results go to stdout and bench/results.json.
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

from passport import jws, qr
from passport.bundle import TrustBundle
from passport.credential import Credential
from passport.keys import PrivateKey
from passport.signing import sign_credential
from passport.verify import verify
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


def per_second(fn: Callable[[], object], seconds: float = 1.0) -> float:
    """Best of 5 rounds of ~seconds/5 each: the least disturbed estimate on a shared machine."""
    fn()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < 0.05:
        fn()
        n += 1
    batch = max(1, int(n * seconds / 5 / 0.05))
    rates = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(batch):
            fn()
        rates.append(batch / (time.perf_counter() - t0))
    return max(rates)


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
    assert qr.decode(text) == compact
    assert verify(text, at=AT, trust=bundle).valid

    token = jws.parse(compact)
    raw_key = nacl.signing.SigningKey(key.seed())
    raw_verify_key = raw_key.verify_key
    signed = raw_key.sign(token.signing_input)

    raw_sign = per_second(lambda: raw_key.sign(token.signing_input))
    raw_verify = per_second(lambda: raw_verify_key.verify(signed))
    sign = per_second(lambda: sign_credential(credential, key))
    verify_qr = per_second(lambda: verify(text, at=AT, trust=bundle))
    qr_encode = per_second(lambda: qr.encode(compact))

    results = {
        "credential_json_bytes": len(credential.payload()),
        "jws_chars": len(compact),
        "qr_text_chars": len(text),
        "qr_version_at_ecc_m": qr.qr_version(text, "M"),
        "qr_version_at_ecc_q": qr.qr_version(text, "Q"),
        "raw_pynacl_sign_per_s": round(raw_sign),
        "raw_pynacl_verify_per_s": round(raw_verify),
        "sign_credential_per_s": round(sign),
        "verify_from_qr_text_per_s": round(verify_qr),
        "qr_encode_per_s": round(qr_encode),
        "sign_time_vs_raw_x": round(raw_sign / sign, 2),
        "verify_from_qr_time_vs_raw_x": round(raw_verify / verify_qr, 2),
        "verify_from_qr_us_per_call": round(1e6 / verify_qr, 1),
        "machine": machine(),
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
