"""The JWT attack catalogue, as data: each row turns a genuine credential into an attack.

A row names the attack, builds what an attacker would present from a genuine credential and
the fixed test keys of tests/world.py (the centre's own key stands for a centre's signature
over odd content: what a parser must survive even when the signature is right), and gives
the verdict and the reason code of the check that decides. tests/test_attacks.py runs every
row against the Python verifier; tests/vectors/make_verifier_cases.py copies every row into
the shared parity cases, so the phone page must give the same answers.

Rows are presented as QR text where the attack fits a QR (any header and payload bytes, a
64-byte signature) and as a compact JWS otherwise (a signature of another size, an encoding
the QR transport cannot carry).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from passport import base45, qr, qrpack
from passport.b64 import b64u_decode, b64u_encode
from passport.keys import PrivateKey

# The group order of Ed25519: a signature whose S is S + L is the same point, another encoding.
ED25519_L = 2**252 + 27742317777372353535851937790883648493


@dataclass(frozen=True)
class Forge:
    """What an attacker starts from: a genuine credential, and keys of the test world."""

    genuine: str  # the compact JWS of a valid credential
    issuer: PrivateKey  # the centre's key (rows that need a right signature over odd content)
    stranger: PrivateKey  # the attacker's own key
    other_kid: str  # a key id the trust bundle holds, not the centre's (a root key)

    @property
    def header(self) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(b64u_decode(self.genuine.split(".")[0]))
        return doc

    @property
    def payload(self) -> bytes:
        return b64u_decode(self.genuine.split(".")[1])

    @property
    def signature(self) -> bytes:
        return b64u_decode(self.genuine.split(".")[2])


@dataclass(frozen=True)
class Attack:
    name: str
    build: Callable[[Forge], str]
    verdict: str
    check: str  # the check whose code decides
    code: str


def _json(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


def compact(header: bytes, payload: bytes, signature: bytes) -> str:
    return ".".join(b64u_encode(p) for p in (header, payload, signature))


def signed(header: bytes, payload: bytes, key: PrivateKey) -> str:
    """A compact JWS over exactly these header and payload bytes, signed by `key`."""
    signing_input = f"{b64u_encode(header)}.{b64u_encode(payload)}".encode("ascii")
    return f"{signing_input.decode('ascii')}.{b64u_encode(key.sign(signing_input))}"


def header_of(f: Forge, **changes: Any) -> bytes:
    """The genuine header with members changed (a value None removes the member)."""
    doc = {**f.header, **changes}
    return _json({k: v for k, v in doc.items() if v is not None})


def _resigned_header(text: str) -> Callable[[Forge], str]:
    """The centre signs a header written as this exact text (`{kid}` is its key id)."""
    return lambda f: qr.encode(signed(text.replace("{kid}", f.issuer.kid).encode(), f.payload,
                                      f.issuer))


def _unsigned_header(text: str) -> Callable[[Forge], str]:
    """A header written as this exact text in front of the genuine payload and signature."""
    return lambda f: qr.encode(compact(text.replace("{kid}", f.issuer.kid).encode(), f.payload,
                                       f.signature))


def _with_header(**changes: Any) -> Callable[[Forge], str]:
    """The genuine header changed, the genuine signature kept (the attacker has no key)."""
    return lambda f: qr.encode(compact(header_of(f, **changes), f.payload, f.signature))


def _resigned(**changes: Any) -> Callable[[Forge], str]:
    """The genuine header changed and signed by the centre: only the header can refuse it."""
    return lambda f: qr.encode(signed(header_of(f, **changes), f.payload, f.issuer))


def _by_stranger(**changes: Any) -> Callable[[Forge], str]:
    return lambda f: qr.encode(signed(header_of(f, **changes), f.payload, f.stranger))


def _payload_text(edit: Callable[[str], str], *, sign: bool) -> Callable[[Forge], str]:
    """The genuine payload's JSON text edited, then signed by the centre or left unsigned."""
    def build(f: Forge) -> str:
        payload = edit(f.payload.decode("utf-8")).encode("utf-8")
        header = _json(f.header)
        token = signed(header, payload, f.issuer) if sign else compact(header, payload,
                                                                        f.signature)
        return qr.encode(token)
    return build


def _payload_bytes(edit: Callable[[bytes], bytes]) -> Callable[[Forge], str]:
    return lambda f: qr.encode(compact(_json(f.header), edit(f.payload), f.signature))


def _extra_claim(value: str) -> Callable[[str], str]:
    """A claim `x` with this JSON text, first in the object."""
    return lambda text: '{"x":' + value + "," + text[1:]


def _claims_edited(edit: Callable[[dict[str, Any]], None]) -> Callable[[Forge], str]:
    """The genuine claims edited and signed by the centre: only the claims can refuse it."""
    def build(f: Forge) -> str:
        claims: dict[str, Any] = json.loads(f.payload)
        edit(claims)
        return qr.encode(signed(_json(f.header), _json(claims), f.issuer))
    return build


def _final_newline(*path: str | int) -> Callable[[dict[str, Any]], None]:
    """A final "\\n" after a string: Python's `$` let it through, ECMA-262's does not."""
    def edit(claims: dict[str, Any]) -> None:
        parents: list[Any] = [claims]
        for part in path[:-1]:
            parents = [x for p in parents for x in (p if part == "*" else [p[part]])]
        for parent in parents:
            parent[path[-1]] += "\n"
    return edit


def unit_results(count: int) -> Callable[[dict[str, Any]], None]:
    """`count` results, each a unit of its own: a credential longer than a JWS may be, whose
    QR text (a byte or two a result) still fits."""
    def edit(claims: dict[str, Any]) -> None:
        subject = claims["credentialSubject"]
        prefix = subject["achievement"]["id"] + "#U"
        subject["result"] = [dict(subject["result"][0], resultDescription=f"{prefix}{n:03d}")
                             for n in range(count)]
    return edit


def _hs256_with_public_key(f: Forge) -> str:
    """The classic confusion: HMAC-SHA256 keyed with the issuer's public key (its raw bytes)."""
    header = header_of(f, alg="HS256")
    signing_input = f"{b64u_encode(header)}.{b64u_encode(f.payload)}".encode("ascii")
    mac = hmac.new(f.issuer.public.raw, signing_input, hashlib.sha256).digest()
    return f"{signing_input.decode('ascii')}.{b64u_encode(mac)}"


def _alg_none_no_signature(alg: str) -> Callable[[Forge], str]:
    return lambda f: compact(header_of(f, alg=alg), f.payload, b"")


def _signature_trailing_bits(f: Forge) -> str:
    """The last base64url character of the signature with its unused low bits set: the same
    64 bytes, another text."""
    head, sig = f.genuine.rsplit(".", 1)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(sig[-1])
    return f"{head}.{sig[:-1]}{alphabet[last | 0b11]}"


def _s_plus_l(f: Forge) -> str:
    r, s = f.signature[:32], int.from_bytes(f.signature[32:], "little")
    return qr.encode(compact(_json(f.header), f.payload, r + (s + ED25519_L).to_bytes(32, "little")))


def _standard_base64_header(f: Forge) -> str:
    """The header in base64 with padding, as a careless encoder writes it."""
    head = base64.b64encode(_json(f.header)).decode("ascii")
    return f"{head}.{'.'.join(f.genuine.split('.')[1:])}"


# -- the QR transport ------------------------------------------------------------------------
# The v1 rows build on v1's deflate layout (v1 cards are read forever); the qr2 rows on v2's.
def _v1(f: Forge) -> str:
    return qr.encode(f.genuine, version=1)


def _packed(f: Forge) -> bytes:
    return base45.decode(_v1(f)[4:])


def _packed2(f: Forge) -> bytes:
    packed = base45.decode(qr.encode(f.genuine, version=2)[4:])
    assert packed[64] == qr.FORM_TEMPLATE, "the genuine credential is packed by the template"
    return packed


def _qr2_edit(edit: Callable[[bytes], bytes]) -> Callable[[Forge], str]:
    """v2 text whose fields (after the signature and form byte) are edited."""
    return lambda f: "SP2:" + base45.encode(_packed2(f)[:65] + edit(_packed2(f)[65:]))


# v2 fields of the genuine credential: the header's choice (0) and key id (9 bytes), then the
# payload's @context list: its count, then each URL by its index in the template's table.
_CONTEXTS = 1 + 9


def _qr2_context_literal(fields: bytes) -> bytes:
    """The first context URL spelt out in UTF-8 instead of by its table index: the same JWS,
    a second text."""
    url = b"https://www.w3.org/ns/credentials/v2"
    assert fields[_CONTEXTS + 1] == qr.template(2).index[url.decode()] << 1
    literal = qrpack.varint(len(url) << 3 | 3) + url
    return fields[:_CONTEXTS + 1] + literal + fields[_CONTEXTS + 2:]


def qr2_repeated_text_bomb(genuine: str) -> str:
    """A v2 text of 4,294 characters whose results each repeat a long achievement id: written
    out, some 34 MB. The achievement id is 2,800-odd tokens of 24 bytes each, and a thousand
    results refer to it (each result costs one byte: its unit is table string 0)."""
    from passport.credential import encode_claims

    decoded = qr.decode_parts(qr.encode(genuine))
    claims = json.loads(decoded.payload)
    subject = claims["credentialSubject"]
    subject["achievement"]["id"] = "Z" * 20
    template = qr.template(2)
    result = dict(subject["result"][0], resultDescription="Z" * 20 + "#" + template.strings[0])
    subject["result"] = [result, result]
    packed = template.pack(decoded.header, encode_claims(claims))
    assert packed is not None
    field = b"\x51" + b"Z" * 20  # the id as 20 printable characters (tokens form)
    at = packed.index(field)
    count = packed.index(b"\x02\x00\x00", at + len(field))  # two results, each string 0
    token = template.token_codes[" កម្រិត "]  # eight characters, 24 bytes of UTF-8
    head, middle, tail = packed[:at], packed[at + len(field):count], packed[count + 3:]
    size = 2864 - 65 - len(head) - len(middle) - len(tail) - 1024 - 8
    body = (head + qrpack.varint(size << 2 | 1) + bytes([token]) * size + middle
            + qrpack.varint(1024) + bytes(1024) + tail)
    text = "SP2:" + base45.encode(decoded.signature + bytes([qr.FORM_TEMPLATE]) + body)
    assert len(text) <= qr.MAX_QR_TEXT
    return text


def _qr_last_char_variant(f: Forge) -> str:
    """The last byte with a padding bit set: the Base45 text's last characters change, the
    JWS inside does not."""
    packed = bytearray(_packed(f))
    packed[-1] |= 0x80
    return "SP1:" + base45.encode(bytes(packed))


def _qr_base45_out_of_range(f: Forge) -> str:
    """'GGW' is 65536: one more than two bytes hold, in the place of the first group."""
    return "SP1:GGW" + _v1(f)[7:]


def _deflated(body: bytes, level: int = 9) -> bytes:
    comp = zlib.compressobj(level, zlib.DEFLATED, -15, zdict=qr.dictionary(1))
    return comp.compress(body) + comp.flush()


def _body(f: Forge) -> bytes:
    header = _json(f.header)
    return bytes((len(header),)) + header + f.payload


def _qr_trailing_byte(f: Forge) -> str:
    return "SP1:" + base45.encode(_packed(f) + b"\x00")


def _qr_stored_block_bad_length(f: Forge) -> str:
    """A stored (uncompressed) block whose length check (NLEN, the complement) is wrong: zlib
    refuses it, a lenient inflater reads the card."""
    stored = bytearray(_deflated(_body(f), level=0))
    stored[3] ^= 0x01  # NLEN's low byte: byte 0 is the block header, 1-2 LEN, 3-4 NLEN
    return "SP1:" + base45.encode(f.signature + bytes(stored))


def _qr_bomb(f: Forge) -> str:
    """A payload padded with 200,000 spaces (JSON whitespace): a few hundred bytes deflated."""
    body = _body(f)
    return "SP1:" + base45.encode(f.signature + _deflated(body[:-1] + b" " * 200_000 + body[-1:]))


def _qr_truncated(chars: int) -> Callable[[Forge], str]:
    return lambda f: _v1(f)[:-chars]


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


ATTACKS: tuple[Attack, ...] = (
    # -- alg: only EdDSA (and its RFC 9864 name Ed25519) ----------------------------------
    Attack("alg-none", _alg_none_no_signature("none"), "invalid", "format", "alg_not_allowed"),
    Attack("alg-None", _alg_none_no_signature("None"), "invalid", "format", "alg_not_allowed"),
    Attack("alg-NONE", _alg_none_no_signature("NONE"), "invalid", "format", "alg_not_allowed"),
    Attack("alg-empty", _alg_none_no_signature(""), "invalid", "format", "alg_not_allowed"),
    Attack("alg-missing", _with_header(alg=None), "invalid", "format", "alg_not_allowed"),
    Attack("alg-none-signature-kept", _with_header(alg="none"), "invalid", "format",
           "alg_not_allowed"),
    Attack("alg-hs256-keyed-with-public-key", _hs256_with_public_key, "invalid", "format",
           "alg_not_allowed"),
    Attack("alg-rs256", _with_header(alg="RS256"), "invalid", "format", "alg_not_allowed"),
    Attack("alg-es256", _with_header(alg="ES256"), "invalid", "format", "alg_not_allowed"),
    Attack("alg-eddsa-lowercase", _resigned(alg="eddsa"), "invalid", "format", "alg_not_allowed"),
    Attack("alg-list", _resigned(alg=["EdDSA"]), "invalid", "format", "alg_not_allowed"),
    Attack("alg-ed25519-fully-specified", _resigned(alg="Ed25519"), "valid", "signature", "ok"),
    # -- keys named by the token itself: never used ---------------------------------------
    Attack("embedded-jwk", lambda f: qr.encode(signed(header_of(f, kid=f.stranger.kid,
                                                                jwk=f.stranger.public.jwk()),
                                                      f.payload, f.stranger)),
           "invalid", "format", "bad_jws"),
    Attack("jku", _by_stranger(jku="https://attacker.example/jwks.json"), "invalid", "format",
           "bad_jws"),
    Attack("x5u", _by_stranger(x5u="https://attacker.example/cert.pem"), "invalid", "format",
           "bad_jws"),
    Attack("x5c", _by_stranger(x5c=["MIIBszCCAVmgAwIBAgIUP"]), "invalid", "format", "bad_jws"),
    # -- kid injection: a kid only ever selects among the trust list's keys ---------------
    Attack("kid-path", _by_stranger(kid="../../../../dev/null"), "invalid", "signature",
           "unknown_key"),
    Attack("kid-sql", _by_stranger(kid="x' OR '1'='1"), "invalid", "signature", "unknown_key"),
    Attack("kid-another-key-in-the-bundle",
           lambda f: qr.encode(signed(header_of(f, kid=f.other_kid), f.payload, f.stranger)),
           "invalid", "signature", "unknown_key"),
    Attack("kid-number", _by_stranger(kid=7), "invalid", "signature", "unknown_key"),
    Attack("kid-missing", _by_stranger(kid=None), "invalid", "signature", "unknown_key"),
    Attack("kid-of-the-issuer-signed-by-stranger",
           lambda f: qr.encode(signed(_json(f.header), f.payload, f.stranger)), "invalid",
           "signature", "bad_signature"),
    # -- crit: no extension is understood, so any crit is refused -------------------------
    Attack("crit-unknown", _resigned(crit=["exp"], exp=1), "invalid", "format", "bad_jws"),
    Attack("crit-empty", _resigned(crit=[]), "invalid", "format", "bad_jws"),
    Attack("crit-not-a-list", _resigned(crit="b64"), "invalid", "format", "bad_jws"),
    Attack("crit-of-lists", _resigned(crit=[[]]), "invalid", "format", "bad_jws"),
    Attack("b64-false", _resigned(b64=False, crit=["b64"]), "invalid", "format", "bad_jws"),
    Attack("b64-false-not-critical", _resigned(b64=False), "invalid", "format", "bad_jws"),
    # -- a name twice: the lexically last value counts (RFC 7515 section 4) ---------------
    Attack("header-alg-twice-last-none",
           _resigned_header('{"alg":"EdDSA","kid":"{kid}","typ":"vc+jwt","cty":"vc","alg":"none"}'),
           "invalid", "format", "alg_not_allowed"),
    Attack("header-alg-twice-last-eddsa",
           _resigned_header('{"alg":"none","kid":"{kid}","typ":"vc+jwt","cty":"vc","alg":"EdDSA"}'),
           "valid", "signature", "ok"),
    Attack("header-kid-twice-last-unknown",
           _resigned_header('{"alg":"EdDSA","kid":"{kid}","typ":"vc+jwt","cty":"vc","kid":"x"}'),
           "invalid", "signature", "unknown_key"),
    Attack("claims-issuer-twice-last-genuine",
           _payload_text(lambda t: '{"issuer":{"id":"https://attacker.example"},' + t[1:],
                         sign=True), "valid", "signature", "ok"),
    Attack("claims-issuer-twice-last-attacker",
           _payload_text(lambda t: t[:-1] + ',"issuer":{"id":"https://attacker.example"}}',
                         sign=True), "invalid", "issuer_trusted", "unknown_issuer"),
    # -- nesting and numbers: refused by the bounded reader, never a crash ----------------
    Attack("header-nested-1000", _unsigned_header('{"alg":"EdDSA","x":' + _nested(1000) + "}"),
           "invalid", "format", "bad_jws"),
    Attack("header-nested-9", _resigned(x=json.loads(_nested(8))), "invalid", "format",
           "bad_jws"),
    Attack("payload-nested-1000", _payload_text(_extra_claim(_nested(1000)), sign=False),
           "invalid", "format", "bad_payload"),
    Attack("payload-nested-65-signed", _payload_text(_extra_claim(_nested(64)), sign=True),
           "invalid", "format", "bad_payload"),
    Attack("payload-number-5000-digits", _payload_text(_extra_claim("9" * 5000), sign=False),
           "invalid", "format", "bad_payload"),
    Attack("payload-number-33-digits-signed", _payload_text(_extra_claim("1" * 33), sign=True),
           "invalid", "format", "bad_payload"),
    Attack("payload-number-digits-split-signed",
           _payload_text(_extra_claim("1" * 17 + "." + "1" * 8 + "e" + "1" * 8), sign=True),
           "invalid", "format", "bad_payload"),
    Attack("header-number-5000-digits", _unsigned_header('{"alg":"EdDSA","x":' + "9" * 5000 + "}"),
           "invalid", "format", "bad_jws"),
    Attack("payload-nan-signed", _payload_text(_extra_claim("NaN"), sign=True), "invalid",
           "format", "bad_payload"),
    # -- text that is not UTF-8, or not characters --------------------------------------------
    Attack("header-invalid-utf8", lambda f: qr.encode(compact(b'{"alg":"EdDSA","x":"\xff"}',
                                                              f.payload, f.signature)),
           "invalid", "format", "bad_jws"),
    Attack("header-overlong-utf8", lambda f: qr.encode(compact(b'{"alg":"EdDSA","x":"\xc0\xaf"}',
                                                               f.payload, f.signature)),
           "invalid", "format", "bad_jws"),
    Attack("header-bom", lambda f: qr.encode(signed(b"\xef\xbb\xbf" + _json(f.header), f.payload,
                                                    f.issuer)), "invalid", "format", "bad_jws"),
    Attack("payload-invalid-utf8", _payload_bytes(lambda p: p.replace(b"Sok", b"S\xc3\x28k")),
           "invalid", "format", "bad_payload"),
    Attack("payload-bom-signed", lambda f: qr.encode(signed(_json(f.header),
                                                            b"\xef\xbb\xbf" + f.payload,
                                                            f.issuer)),
           "invalid", "format", "bad_payload"),
    Attack("payload-lone-surrogate-signed",
           _payload_text(_extra_claim('"\\ud800"'), sign=True), "invalid", "format", "bad_payload"),
    Attack("payload-surrogate-pair-signed",
           _payload_text(lambda t: t.replace('"Sok Dara"', '"Sok Dara \\ud83d\\ude00"'), sign=True),
           "valid", "signature", "ok"),
    Attack("header-lone-surrogate-signed", _resigned_header(
        '{"alg":"EdDSA","kid":"{kid}","typ":"vc+jwt","cty":"vc","x":"\\udc00"}'),
           "invalid", "format", "bad_jws"),
    # -- encodings: one text per signature -----------------------------------------------------
    Attack("signature-trailing-bits", _signature_trailing_bits, "invalid", "format", "bad_jws"),
    Attack("header-standard-base64", _standard_base64_header, "invalid", "format", "bad_jws"),
    Attack("signature-s-plus-l", _s_plus_l, "invalid", "signature", "bad_signature"),
    Attack("signature-zero", lambda f: qr.encode(compact(_json(f.header), f.payload, bytes(64))),
           "invalid", "signature", "bad_signature"),
    Attack("signature-63-bytes", lambda f: compact(_json(f.header), f.payload, f.signature[:63]),
           "invalid", "format", "bad_jws"),
    Attack("signature-65-bytes", lambda f: compact(_json(f.header), f.payload,
                                                   f.signature + b"\x00"),
           "invalid", "format", "bad_jws"),
    # -- truncations ------------------------------------------------------------------------------
    Attack("jws-two-parts", lambda f: f.genuine.rsplit(".", 1)[0], "invalid", "format", "bad_jws"),
    Attack("jws-signature-cut", lambda f: f.genuine[:-2], "invalid", "format", "bad_jws"),
    Attack("qr-cut-1", _qr_truncated(1), "invalid", "format", "bad_qr"),
    Attack("qr-cut-3", _qr_truncated(3), "invalid", "format", "bad_qr"),
    Attack("qr-prefix-only", lambda f: "SP1:", "invalid", "format", "bad_qr"),
    # -- the QR transport: canonical text only -----------------------------------------------
    Attack("qr-version-leading-zero", lambda f: "SP01:" + _v1(f)[4:], "invalid",
           "format", "bad_qr"),
    Attack("qr-version-unknown", lambda f: "SP9:" + _v1(f)[4:], "invalid",
           "format", "bad_qr"),
    Attack("qr-last-char-variant", _qr_last_char_variant, "invalid", "format", "bad_qr"),
    Attack("qr-base45-out-of-range", _qr_base45_out_of_range, "invalid", "format", "bad_qr"),
    Attack("qr-lowercase", lambda f: "SP1:" + _v1(f)[4:].lower(), "invalid",
           "format", "bad_qr"),
    Attack("qr-trailing-byte", _qr_trailing_byte, "invalid", "format", "bad_qr"),
    Attack("qr-stored-block-bad-length", _qr_stored_block_bad_length, "invalid", "format",
           "bad_qr"),
    Attack("qr-deflate-bomb", _qr_bomb, "invalid", "format", "too_large"),
    Attack("qr-unicode-space-before", lambda f: "\u3000" + qr.encode(f.genuine), "invalid",
           "format", "bad_jws"),
    Attack("qr-line-end-after", lambda f: qr.encode(f.genuine) + "\r\n", "valid", "format", "ok"),
    Attack("qr-version-arabic-indic-digit", lambda f: "SP\u0661:" + qr.encode(f.genuine)[4:],
           "invalid", "format", "bad_jws"),  # no QR prefix ('SP' and ASCII digits): a JWS?
    # -- the QR transport v2: its template fields have one encoding each ------------------------
    Attack("qr2-cut-1", lambda f: qr.encode(f.genuine)[:-1], "invalid", "format", "bad_qr"),
    Attack("qr2-cut-3", lambda f: qr.encode(f.genuine)[:-3], "invalid", "format", "bad_qr"),
    Attack("qr2-signature-only", lambda f: "SP2:" + base45.encode(f.signature), "invalid",
           "format", "bad_qr"),
    Attack("qr2-trailing-byte", _qr2_edit(lambda b: b + b"\x00"), "invalid", "format", "bad_qr"),
    Attack("qr2-unknown-form", lambda f: "SP2:" + base45.encode(
        _packed2(f)[:64] + b"\x07" + _packed2(f)[65:]), "invalid", "format", "bad_qr"),
    Attack("qr2-header-choice-out-of-range", _qr2_edit(lambda b: b"\x05" + b[1:]), "invalid",
           "format", "bad_qr"),
    Attack("qr2-unknown-string", _qr2_edit(
        lambda b: b[:_CONTEXTS + 1] + b"\xfe\x7f" + b[_CONTEXTS + 2:]), "invalid", "format", "bad_qr"),
    Attack("qr2-overlong-count", _qr2_edit(
        lambda b: b[:_CONTEXTS] + bytes((b[_CONTEXTS] | 0x80, 0)) + b[_CONTEXTS + 1:]),
        "invalid", "format", "bad_qr"),
    Attack("qr2-literal-of-table-string", _qr2_edit(_qr2_context_literal), "invalid", "format",
           "bad_qr"),
    Attack("qr2-jws-over-the-limit", _claims_edited(unit_results(120)), "invalid", "format",
           "bad_jws"),  # as the same credential's compact JWS is refused
    Attack("qr2-repeated-text-bomb", lambda f: qr2_repeated_text_bomb(f.genuine), "invalid",
           "format", "too_large"),
    Attack("qr2-list-longer-than-bytes", _qr2_edit(
        lambda b: b[:_CONTEXTS] + b"\xff\x03" + b[_CONTEXTS + 1:]), "invalid", "format", "bad_qr"),
    # -- media types --------------------------------------------------------------------------------
    Attack("typ-jwt", _resigned(typ="JWT"), "invalid", "format", "wrong_media_type"),
    Attack("typ-uppercase", _resigned(typ="VC+JWT"), "invalid", "format", "wrong_media_type"),
    Attack("typ-missing", _resigned(typ=None), "invalid", "format", "wrong_media_type"),
    Attack("cty-vc-ld-json", _resigned(cty="vc+ld+json"), "invalid", "format", "wrong_media_type"),
    Attack("cty-null", _resigned_header('{"alg":"EdDSA","kid":"{kid}","typ":"vc+jwt","cty":null}'),
           "invalid", "format", "wrong_media_type"),
    Attack("cty-missing", _resigned(cty=None), "valid", "format", "ok"),
    # -- claims that are not a VC-JOSE-COSE credential ---------------------------------------
    Attack("claims-vc-1.1-style", _payload_text(lambda t: '{"vc":' + t + "}", sign=True),
           "invalid", "format", "bad_payload"),
    Attack("claims-iss-differs",
           _payload_text(lambda t: '{"iss":"https://attacker.example",' + t[1:], sign=True),
           "invalid", "format", "bad_payload"),
    Attack("claims-array", _payload_text(lambda t: "[" + t + "]", sign=True), "invalid", "format",
           "bad_payload"),
    Attack("claims-date-that-does-not-exist",
           _payload_text(lambda t: t.replace('"validFrom":"2026-11-02T09:00:00Z"',
                                             '"validFrom":"2026-02-30T09:00:00Z"'), sign=True),
           "invalid", "schema", "date_time_invalid"),
    Attack("claims-hour-24",
           _payload_text(lambda t: t.replace('"validFrom":"2026-11-02T09:00:00Z"',
                                             '"validFrom":"2026-11-01T24:00:00Z"'), sign=True),
           "invalid", "schema", "date_time_invalid"),
    # -- a final newline after a pattern-checked string (JSON Schema patterns are ECMA-262) ----
    Attack("claims-status-index-final-newline",
           _claims_edited(_final_newline("credentialStatus", "*", "statusListIndex")),
           "invalid", "schema", "schema_invalid"),
    Attack("claims-status-list-url-final-newline",
           _claims_edited(_final_newline("credentialStatus", "*", "statusListCredential")),
           "invalid", "schema", "schema_invalid"),
    Attack("claims-valid-from-final-newline", _claims_edited(_final_newline("validFrom")),
           "invalid", "schema", "date_time_invalid"),
    Attack("claims-credential-id-final-newline", _claims_edited(_final_newline("id")),
           "invalid", "schema", "id_invalid"),
)
