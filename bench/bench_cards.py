"""`make bench`: card issuance (sign + QR text + QR symbol + PNG) and a 1,000-row batch.

The card rate is measured on one core beside raw pynacl signing in the same run. The batch
is the real `issue-batch` path (validation, decisions, ledger, credentials, cards, one print
sheet) against a throw-away home folder.
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import nacl.signing

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.batch_csv import results_csv
from bench.bench_core import machine, per_second, report, typical_certificate
from issuer.batch import Progress, issue_batch
from issuer.demo import demo_profile
from issuer.home import Home
from issuer.installation import Installation
from passport import qr
from passport.card import CardFace, render
from passport.credential import Credential
from passport.signing import sign_credential

ISSUER = ("National Technical Training Institute", "វិទ្យាស្ថានជាតិបណ្តុះបណ្តាលបច្ចេកទេស")


def main() -> None:
    claims, key, _ = typical_certificate()
    credential = Credential.from_claims(claims)
    signing_input = sign_credential(credential, key).rsplit(".", 1)[0].encode()
    raw = nacl.signing.SigningKey(key.seed())

    def card() -> bytes:
        compact = sign_credential(credential, key)
        text = qr.encode(compact)
        return render(CardFace.from_credential(credential, text, ISSUER)).to_png()

    png = card()
    raw_sign = per_second(lambda: raw.sign(signing_input))
    cards = per_second(card, seconds=2.0)

    rows = 1000
    with tempfile.TemporaryDirectory() as tmp:
        home = Home(Path(tmp) / "home")
        home.init(demo_profile(), "bench", datetime.now(UTC))
        source = Path(tmp) / "results.csv"
        source.write_text(results_csv(rows, datetime.now(UTC).date()), encoding="utf-8")
        with Installation.open(home, secret="bench") as installation:
            t0 = time.perf_counter()
            batch = issue_batch(installation, source, Path(tmp) / "out", at=datetime.now(UTC),
                                progress=lambda n: Progress(n, io.StringIO()))
            batch_seconds = time.perf_counter() - t0
        assert batch.issued + batch.no_award == rows

    results = {
        "card_png_bytes": len(png),
        "raw_pynacl_sign_per_s": round(raw_sign),
        "cards_per_s_one_core": round(cards),
        "card_ms": round(1000 / cards, 2),
        "batch_rows": rows,
        "batch_seconds": round(batch_seconds, 1),
        "machine": machine(),
    }
    report(results, "results-cards.json")


if __name__ == "__main__":
    main()
