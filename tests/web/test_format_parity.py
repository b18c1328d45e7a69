"""The page reads hostile text as Python does, up to the signature: 3,000 mutated cards.

The attack catalogue (tests/attacks.py) names the attacks; this runs the fuzz's mutations of a
genuine card (its Base45 text, the deflate bytes under it, the JSON of its header and claims,
the compact JWS) through the page's QR codec, JWS header reader and claims reader in node, and
through Python's, and wants the same reason code for every one.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from passport import base45, qr
from passport.credential import decode_claims
from passport.errors import AlgorithmNotAllowed, CredentialError, InputTooLarge, QRFormatError
from passport.verify import _parse_presented
from tests.attacks import compact
from tests.fuzz import B64U, material, mutate_bytes, mutate_json_text, mutate_text

SCRIPT = Path(__file__).with_name("format_stage.mjs")
CASES = 3000


def python_code(text: str) -> str:
    """What passport.verify reports for the format check, up to the media type."""
    try:
        token, payload_document = _parse_presented(text)  # as verify() reads it
    except InputTooLarge:
        return "too_large"
    except QRFormatError:
        return "bad_qr"
    except AlgorithmNotAllowed:
        return "alg_not_allowed"
    except CredentialError:
        return "bad_jws"
    try:
        decode_claims(token.payload, read=payload_document)
    except CredentialError:
        return "bad_payload"
    return "ok"


def hostile_texts(rng: random.Random) -> list[str]:
    m = material()
    # Mutated packed bytes of both codec versions: v2's template fields and v1's deflate.
    packed = {"SP2:": base45.decode(qr.encode(m.compact, version=2)[4:]),
              "SP1:": base45.decode(qr.encode(m.compact, version=1)[4:])}
    _, header, payload, signature, *_ = qr.decode_parts(m.qr_text)
    texts = []
    for n in range(CASES):
        kind = n % 5
        if kind == 0:
            texts.append(mutate_text(rng, m.qr_text, base45.ALPHABET))
        elif kind == 1:
            version = "SP2:" if n % 2 else "SP1:"
            texts.append(version + base45.encode(mutate_bytes(rng, packed[version], start=64)))
        elif kind in (2, 3):
            part = payload if kind == 2 else header
            edited = mutate_json_text(rng, part.decode()).encode("utf-8", "surrogatepass")
            parts = (header, edited) if kind == 2 else (edited, payload)
            token = compact(*parts, signature)
            texts.append(qr.encode(token) if 0 < len(parts[0]) < 128
                         and len(parts[0]) + len(parts[1]) < qr.MAX_INFLATED - 2 else token)
        else:
            texts.append(mutate_text(rng, m.compact, B64U + "."))
    return texts


def test_the_page_reads_hostile_text_as_python_does() -> None:
    if shutil.which("node") is None:
        pytest.fail("node is missing: 'make test' builds the page with it")
    texts = hostile_texts(random.Random(20261122))
    run = subprocess.run(["node", str(SCRIPT)], input="\n".join(json.dumps(t) for t in texts),
                         capture_output=True, text=True, timeout=300, check=True)
    page = json.loads(run.stdout)
    python = [python_code(t) for t in texts]
    differ = [(t[:60], p, js) for t, p, js in zip(texts, python, page, strict=True) if p != js]
    assert not differ, differ[:5]
    # The mutations reach every stage, or the comparison says little.
    assert {"bad_qr", "bad_jws", "bad_payload", "ok"} <= set(python), set(python)
