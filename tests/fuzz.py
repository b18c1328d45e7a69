"""Hostile inputs, made from genuine ones, for the fuzz test and the long fuzz run.

Each target draws one input from a seeded `random.Random` and hands it to one entry point: the
QR codec, the verifier (with a trust bundle, and with one explicit key), or the trust bundle
loader, and says what came of it (for a verification: the verdict and the first reason code,
which shows how deep the inputs reach). An entry point may answer anything, or raise the
project's own errors
(`passport.errors.Error`); any other exception is a crash. tests/test_fuzz.py runs a few
thousand inputs under hypothesis (which shrinks a crash to its smallest input);
bench/bench_fuzz.py runs more than 100,000 with a fixed seed and counts them.

Inputs are mutated at every layer a decoder has: the text (Base45, base64url), the bytes
under it (deflate), the JSON under those (structure and text), and documents signed again by
the test world's keys, so that mutations reach the checks behind a signature too; and image
files (a card's QR code, small files of each format Pillow reads, a PDF), damaged.
"""

from __future__ import annotations

import copy
import io
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import segno
from PIL import Image

from passport import base45, qr, scan
from passport.b64 import b64u_decode
from passport.bundle import TrustBundle
from passport.errors import Error
from passport.keys import PublicKey
from passport.status import sign_status_list
from passport.trust import RootSet, sign_trust_list
from passport.verify import verify
from tests.attacks import compact, signed
from tests.world import World

ISSUED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
AT = ISSUED + timedelta(days=3)
B64U = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# JSON text that has crashed, or could crash, a reader: depth, numbers, escapes, repeats.
NASTY = ("[" * 2000 + "]" * 2000, "{" * 40 + "}" * 40, "9" * 5000, "1" * 33, "-0.0e-99999",
         "1e400", "NaN", "Infinity", '"\\ud800"', '"\\udc00\\ud800"', '"\\u0000"', '"\\x"',
         "\"\u202e\u0000\"", '{"a":1,"a":2}', "[1,]", '"' + "\\\\" * 10 + '"', "true", "null",
         '"2026-02-30T25:61:00Z"', '"9999999999"', '"-1"', '""', "[]", "{}", "0", "-1",
         '"https://ntti.edu.kh/status/revocation/99999999999999999999"')


@dataclass(frozen=True)
class Material:
    """Genuine inputs of one test world, to mutate."""

    world: World
    claims: dict[str, Any]
    compact: str
    qr_text: str
    bundle_doc: dict[str, Any]
    bundle: TrustBundle
    roots: RootSet
    key: PublicKey
    images: tuple[bytes, ...]  # the card's QR code as a PNG, and small files of other formats


def material() -> Material:
    world = World(key_prefix="skills-passport fuzz key", issued_at=ISSUED, lists=2,
                  revoked={1: {3}}, status_from=ISSUED, synced_at=ISSUED)
    claims = world.claims(index=5)
    token = world.issue(index=5)
    text = qr.encode(token)
    card = io.BytesIO()
    segno.make_qr(text, error="q").save(card, kind="png", scale=2, border=2)
    images = [card.getvalue(), b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"]
    for kind in ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP"):
        out = io.BytesIO()
        Image.new("L", (40, 40), 255).save(out, format=kind)
        images.append(out.getvalue())
    return Material(world, claims, token, text, world.bundle_document(), world.bundle(),
                    world.root_set(), world.issuer_key.public, tuple(images))


# -- mutations ----------------------------------------------------------------------------------
def mutate_text(rng: random.Random, text: str, alphabet: str) -> str:
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(text) + 1)
        op = rng.randrange(6)
        if op == 0 and text:
            text = text[:i] + rng.choice(alphabet) + text[i + 1:]
        elif op == 1:
            text = text[:i] + rng.choice(alphabet) * rng.randint(1, 3) + text[i:]
        elif op == 2:
            text = text[:i] + text[i + rng.randint(1, 8):]
        elif op == 3:
            text = text[:i]
        elif op == 4:
            j = rng.randrange(len(text) + 1)
            text = text[:i] + text[min(i, j):max(i, j)] + text[i:]
        else:
            text = text[:i] + chr(rng.choice((0, 0x20, 0xA0, 0x3000, 0xD800, 0xFEFF, 0x1F600,
                                              rng.randrange(0x110000)))) + text[i:]
    return text


def mutate_bytes(rng: random.Random, data: bytes, start: int = 0) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(start, len(out) + 1)
        op = rng.randrange(5)
        if op == 0 and i < len(out):
            out[i] ^= 1 << rng.randrange(8)
        elif op == 1 and i < len(out):
            out[i] = rng.randrange(256)
        elif op == 2:
            out[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
        elif op == 3:
            del out[i:i + rng.randint(1, 8)]
        else:
            del out[max(i, start + 1):]
    return bytes(out)


def random_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(10 if depth < 3 else 7)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice((True, False))
    if kind == 2:
        return rng.choice((0, -1, 1, 2**31, 2**63, 10**30, 131072, 1988))
    if kind == 3:
        return rng.choice((0.5, -0.0, 1e300, 1988.0))
    if kind in (4, 5, 6):
        return rng.choice(("", "x", "2026-02-30T25:61:00Z", "2026-11-02T09:00:00Z",
                           "https://ntti.edu.kh", "urn:skillpass:cred:AAAAAAAAAAAA", "\u0000",
                           "rpl", "Certificate", "https://www.w3.org/ns/credentials/v2",
                           "9" * 40, "\U0001F600", "https://ntti.edu.kh/status/revocation/1"))
    if kind in (7, 8):
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(("id", "type", "x", "kind", "validFrom")): random_value(rng, depth + 1)
            for _ in range(rng.randint(0, 3))}


def mutate_json(rng: random.Random, doc: Any) -> Any:
    """The document with one to three values replaced, removed or added, anywhere in it."""
    doc = copy.deepcopy(doc)
    for _ in range(rng.randint(1, 3)):
        parent, key = _pick(rng, doc)
        if parent is None:
            return random_value(rng)
        op = rng.randrange(4)
        if op == 0:
            parent[key] = random_value(rng)
        elif op == 1 and isinstance(parent, dict):
            del parent[key]
        elif op == 2 and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
        elif isinstance(parent, dict):
            parent[rng.choice(("x", "vc", "iss", "crit", "@context"))] = random_value(rng)
        else:
            parent[key] = [parent[key]]
    return doc


def _pick(rng: random.Random, doc: Any) -> tuple[Any, Any]:
    """A random (container, key) in `doc`, or (None, None) when it holds nothing."""
    found: list[tuple[Any, Any]] = []

    def walk(node: Any) -> None:
        items = node.items() if isinstance(node, dict) else enumerate(node) \
            if isinstance(node, list) else ()
        for k, v in items:
            found.append((node, k))
            walk(v)
    walk(doc)
    return rng.choice(found) if found else (None, None)


def mutate_json_text(rng: random.Random, text: str) -> str:
    """Raw JSON text with a nasty snippet spliced in, or characters changed."""
    if rng.random() < 0.5:
        i = rng.randrange(len(text) + 1)
        return text[:i] + rng.choice(NASTY) + text[i:]
    return mutate_text(rng, text, '{}[]":,0123456789.eE+-\\u tnfrl')


# -- targets: each draws an input and runs one entry point ---------------------------------
@cache
def _text_of(compact: str, version: int) -> str:
    return qr.encode(compact, version=version)


def _qr_text(rng: random.Random, m: Material) -> str:
    """The card's text in a codec version read today: v2 (issued now) or v1 (read forever)."""
    return m.qr_text if rng.random() < 0.5 else _text_of(m.compact, 1)


def qr_decode_mutated(rng: random.Random, m: Material) -> str:
    original = _qr_text(rng, m)
    if rng.random() < 0.5:
        text = mutate_text(rng, original, base45.ALPHABET)
    else:
        packed = base45.decode(original[4:])
        text = original[:4] + base45.encode(mutate_bytes(rng, packed, start=64))
    decoded = qr.decode_parts(text)
    # QR text is canonical: no other text of its version may carry the same credential.
    if decoded.compact == m.compact and text.strip(qr.WHITESPACE) != original:
        raise AssertionError(f"{text!r} is another text for the same credential")
    # A document the template form builds is what a JSON reader makes of its bytes.
    for built, data in ((decoded.header_document, decoded.header),
                        (decoded.payload_document, decoded.payload)):
        if built is not None and json.dumps(built.value) != json.dumps(json.loads(data)):
            raise AssertionError(f"{text!r} built a document its bytes do not hold")
    return "decoded"


def qr_decode_arbitrary(rng: random.Random, m: Material) -> str:
    body = "".join(rng.choice(base45.ALPHABET) for _ in range(rng.randrange(0, 400)))
    qr.decode(rng.choice(("SP1:", "SP2:", "SP01:", "SP0:", "SP999:", "sp1:", "")) + body)
    return "decoded"


def verify_qr_mutated(rng: random.Random, m: Material) -> str:
    original = _qr_text(rng, m)
    packed = base45.decode(original[4:])
    choice = rng.randrange(3)
    if choice == 0:
        text = mutate_text(rng, original, base45.ALPHABET)
    elif choice == 1:
        text = original[:4] + base45.encode(mutate_bytes(rng, packed, start=64))
    else:  # the JSON inside, edited: the codec is passed, the readers behind it are not
        _, header, payload, signature, *_ = qr.decode_parts(m.qr_text)
        payload = mutate_json_text(rng, payload.decode()).encode("utf-8", "surrogatepass")
        text = qr.encode(compact(header, payload, signature)) if _fits(header, payload) \
            else compact(header, payload, signature)
    return _verify(rng, text, m)


def verify_jws_mutated(rng: random.Random, m: Material) -> str:
    return _verify(rng, mutate_text(rng, m.compact, B64U + "."), m)


def verify_arbitrary(rng: random.Random, m: Material) -> str:
    text = "".join(chr(rng.choice((rng.randrange(0x80), rng.randrange(0x110000))))
                   for _ in range(rng.randrange(0, 200)))
    return _verify(rng, rng.choice(("", "SP1:", "SP1:" + m.qr_text[4:40], m.compact[:40])) + text,
                   m)


def verify_signed(rng: random.Random, m: Material) -> str:
    """Claims and header mutated, then signed by the centre: every check behind the signature."""
    claims = mutate_json(rng, m.claims) if rng.random() < 0.8 else m.claims
    header: Any = {"alg": "EdDSA", "kid": m.world.issuer_key.kid, "typ": "vc+jwt", "cty": "vc"}
    if rng.random() < 0.2:
        header = mutate_json(rng, header)
    payload_text = json.dumps(claims, ensure_ascii=False, separators=(",", ":"))
    if rng.random() < 0.2:
        payload_text = mutate_json_text(rng, payload_text)
    header_bytes = json.dumps(header, separators=(",", ":")).encode()
    payload = payload_text.encode("utf-8", "surrogatepass")
    token = signed(header_bytes, payload, m.world.issuer_key)
    return _verify(rng, qr.encode(token) if _fits(header_bytes, payload) else token, m)


def bundle_mutated(rng: random.Random, m: Material) -> str:
    choice = rng.randrange(4)
    doc: Any = m.bundle_doc
    if choice == 0:
        data = json.dumps(mutate_json(rng, doc)).encode()
    elif choice == 1:
        data = mutate_json_text(rng, json.dumps(doc)).encode("utf-8", "surrogatepass")
    elif choice == 2:  # the trust list itself changed, and signed again by the root
        listed = json.loads(b64u_decode(doc["trustList"]["payload"]))
        data = json.dumps({**doc, "trustList": sign_trust_list(mutate_json(rng, listed),
                                                                [m.world.root])}).encode()
    else:  # a status list changed, and signed again by the centre
        lists = list(doc["statusLists"])
        n = rng.randrange(len(lists))
        claims = json.loads(b64u_decode(lists[n].split(".")[1]))
        try:
            lists[n] = sign_status_list(mutate_json(rng, claims), m.world.issuer_key)
        except Error:  # the signer refuses what its schema refuses: sign the bytes as they are
            lists[n] = signed(b64u_decode(lists[n].split(".")[0]),
                              json.dumps(mutate_json(rng, claims)).encode(), m.world.issuer_key)
        data = json.dumps({**doc, "statusLists": lists}).encode()
    TrustBundle.from_json(data, roots=m.roots)
    return "loaded"


def scan_mutated(rng: random.Random, m: Material) -> str:
    """A photo or PDF handed to `skillpass verify`, damaged (the file's magic kept)."""
    data = rng.choice(m.images)
    scan.qr_text(mutate_bytes(rng, data, start=8))
    return "read"


def _fits(header: bytes, payload: bytes) -> bool:
    return 0 < len(header) < 128 and len(header) + len(payload) < qr.MAX_INFLATED - 2


def _verify(rng: random.Random, text: str, m: Material) -> str:
    result = verify(text, at=AT, trust=m.bundle) if rng.random() < 0.8 \
        else verify(text, at=AT, key=m.key)
    failed = result.failures()
    return f"{result.verdict.value}: {failed[0].code.value}" if failed else result.verdict.value


TARGETS: dict[str, Callable[[random.Random, Material], str]] = {
    "qr.decode, mutated card": qr_decode_mutated,
    "qr.decode, arbitrary text": qr_decode_arbitrary,
    "verify, mutated QR text": verify_qr_mutated,
    "verify, mutated compact JWS": verify_jws_mutated,
    "verify, arbitrary text": verify_arbitrary,
    "verify, mutated claims signed by the centre": verify_signed,
    "TrustBundle.from_json, mutated bundle": bundle_mutated,
    "scan.qr_text, damaged image or PDF": scan_mutated,
}
