"""`make bench`: the verifier's own path, as `skillpass verify` runs it, median of many runs.

From a card photo (640 px wide JPEG, read by zxing-cpp) and from QR text, against the
frozen v1 trust bundle. Interpreter start-up is not included: it is the same for any input.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_core import machine, report
from passport.card import CardFace, render
from passport.credential import Credential
from passport.jws import parse
from passport.verify import verify
from verifier.inputs import read_presented
from verifier.trust import load_bundle

VECTORS = Path(__file__).resolve().parents[1] / "tests" / "vectors" / "v1"
AT = datetime.fromisoformat("2026-11-05T12:00:00+00:00")


def median_ms(fn: object, runs: int) -> float:
    assert callable(fn)
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    text = (VECTORS / "full-certificate.qr.txt").read_text().strip()
    compact = (VECTORS / "full-certificate.jwt").read_text().strip()
    credential = Credential.from_payload(parse(compact).payload)
    card = render(CardFace.from_credential(credential, text, ("Institute", "វិទ្យាស្ថាន"))).to_image()
    photo = card.convert("L").resize((640, round(640 * card.height / card.width)),
                                     Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    photo.convert("RGB").save(buf, "JPEG", quality=60)
    with tempfile.TemporaryDirectory() as tmp:
        # A home of its own: the verifier remembers the trust data it has seen in its home.
        os.environ["SKILLPASS_HOME"] = str(Path(tmp) / "home")
        bundle = load_bundle(str(VECTORS / "trust-bundle.json"), str(VECTORS / "root-keys.json"))
        photo_file = Path(tmp) / "card.jpg"
        photo_file.write_bytes(buf.getvalue())

        def from_photo() -> None:
            assert verify(read_presented(str(photo_file)), at=AT, trust=bundle).valid

        def from_text() -> None:
            assert verify(read_presented(text), at=AT, trust=bundle).valid

        results = {
            "verify_card_photo_640px_median_ms": round(median_ms(from_photo, 100), 2),
            "verify_qr_text_median_ms": round(median_ms(from_text, 2000), 3),
            "photo_bytes": len(buf.getvalue()),
            "machine": machine(),
        }
    report(results, "results-verifier.json")


if __name__ == "__main__":
    main()
