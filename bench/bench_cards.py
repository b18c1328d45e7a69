"""`make bench`: card issuance (sign + QR text + QR symbol + PNG) on one core.

Measured beside raw pynacl signing in the same run. Whole batches (`issue-batch`, with the
database, the files and the print sheet) are measured by bench/bench_batch.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nacl.signing

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_core import machine, per_second, report, typical_certificate
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

    results = {
        "card_png_bytes": len(png),
        "raw_pynacl_sign_per_s": round(raw_sign),
        "cards_per_s_one_core": round(cards),
        "card_ms": round(1000 / cards, 2),
        "machine": machine(),
    }
    report(results, "results-cards.json")


if __name__ == "__main__":
    main()
