"""QR codec v2: the template form restores the signed bytes, is small, and reads hostile text
as a clear refusal (never a traceback, never a second text for one credential)."""

from __future__ import annotations

import json
import random

import pytest

from passport import base45, qr, qrpack
from passport.b64 import b64u_decode
from passport.errors import InputTooLarge, QRFormatError
from tests.conftest import TEST_KEYS
from tests.world import World

FIELDS = 65  # the signature, then the form byte, then the template's fields


def _packed(text: str) -> bytes:
    return base45.decode(text[4:])


def _text(packed: bytes) -> str:
    return "SP2:" + base45.encode(packed)


@pytest.fixture(scope="module")
def card() -> tuple[str, bytes]:
    compact = World(key_prefix=TEST_KEYS).issue()
    return compact, _packed(qr.encode(compact))


def test_the_product_credential_is_packed_by_the_template(card: tuple[str, bytes]) -> None:
    compact, packed = card
    assert packed[64] == qr.FORM_TEMPLATE
    assert qr.decode(_text(packed)) == compact
    payload = b64u_decode(compact.split(".")[1])
    # The fields are what varies: far fewer bytes than the credential's JSON.
    assert len(packed) - FIELDS < len(payload) // 10


def test_a_changed_credential_shape_falls_back_to_deflate() -> None:
    # Another context, a member the template does not know, keys in another order: the
    # template does not describe them, and the JWS still round-trips byte for byte.
    world = World(key_prefix=TEST_KEYS)
    claims = world.claims()
    claims["@context"].append("https://example.org/another-context/v1")
    extra = dict(claims, name="A credential name")
    reordered = dict(reversed(list(claims.items())))
    for variant in (claims, extra, reordered):
        compact = qr_jws(world, variant)
        text = qr.encode(compact)
        assert qr.decode(text) == compact
    # The added context alone is still a template credential (the context list is a field).
    assert _packed(qr.encode(qr_jws(world, claims)))[64] == qr.FORM_TEMPLATE
    assert _packed(qr.encode(qr_jws(world, reordered)))[64] == qr.FORM_DEFLATE


def qr_jws(world: World, claims: dict[str, object]) -> str:
    """Sign claims as they are (no parsing): the codec carries any JWS."""
    from passport import jws
    from passport.credential import encode_claims

    return jws.sign(encode_claims(claims), world.issuer_key, typ="vc+jwt", cty="vc")


def test_the_packer_checks_its_own_output() -> None:
    # A text the template would restore differently (an escaped character) is not packed.
    template = qr.template(2)
    header = b'{"alg":"EdDSA","cty":"vc","kid":"AAAAAAAAAAAA","typ":"vc+jwt"}'
    assert template.pack(header, b'{"@context":["a\\u0041"]}') is None
    assert template.pack(b'{"alg": "EdDSA"}', b"{}") is None


def test_every_truncation_is_refused(card: tuple[str, bytes]) -> None:
    _, packed = card
    for cut in range(FIELDS - 1, len(packed)):
        with pytest.raises(QRFormatError):
            qr.decode(_text(packed[:cut]))


def test_trailing_bytes_and_unknown_forms_are_refused(card: tuple[str, bytes]) -> None:
    _, packed = card
    with pytest.raises(QRFormatError, match="unexpected bytes after"):
        qr.decode(_text(packed + b"\x00"))
    for form in (2, 7, 0x80, 0xFF):
        with pytest.raises(QRFormatError, match=f"unknown packing form {form}"):
            qr.decode(_text(packed[:64] + bytes((form,)) + packed[65:]))
    with pytest.raises(QRFormatError, match="unknown codec version 3"):
        qr.decode("SP3:" + qr.encode(World(key_prefix=TEST_KEYS).issue())[4:])


def _fields(packed: bytes, edit: bytes, at: int, drop: int = 1) -> str:
    return _text(packed[:FIELDS + at] + edit + packed[FIELDS + at + drop:])


CONTEXTS = 1 + 9  # the header's choice and key id come first


def test_non_canonical_fields_are_refused(card: tuple[str, bytes]) -> None:
    _, packed = card
    first_context = packed[FIELDS + CONTEXTS + 1]
    cases = {
        # the context count 3 as two bytes (0x83 0x00): a redundant varint byte
        "redundant byte": _fields(packed, bytes((packed[FIELDS + CONTEXTS] | 0x80, 0)), CONTEXTS),
        # a table string spelt out in UTF-8
        "shortest form": _fields(
            packed, qrpack.varint(36 << 3 | 3) + b"https://www.w3.org/ns/credentials/v2",
            CONTEXTS + 1),
        # a string index past the table
        "unknown string": _fields(packed, b"\xfe\x7f", CONTEXTS + 1),
        # a choice past its alternatives (the header's first byte)
        "choice is out of range": _fields(packed, b"\x02", 0),
        # a list longer than the bytes left
        "longer than its bytes": _fields(packed, b"\xff\x03", CONTEXTS),
    }
    assert first_context == qr.template(2).index["https://www.w3.org/ns/credentials/v2"] << 1
    for message, text in cases.items():
        with pytest.raises(QRFormatError, match=message):
            qr.decode(text)


def test_field_codings_have_one_form() -> None:
    template = qr.template(2)

    def reader(data: bytes) -> qrpack._Reader:
        return qrpack._Reader(data, template, qr.MAX_INFLATED)

    # Dates: in their coarsest unit only (a whole day is not written in hours).
    day = 2_500
    assert reader(qrpack.varint(day << 2 | 0))._time() == "2026-11-05T00:00:00Z"
    with pytest.raises(QRFormatError, match="shortest"):
        reader(qrpack.varint(day * 24 << 2 | 1))._time()
    with pytest.raises(QRFormatError, match="out of range"):
        reader(qrpack.varint(10**12 << 2 | 0))._time()
    # The credential id's 60 bits in 8 bytes: the 4 spare bits are zero.
    with pytest.raises(QRFormatError, match="padding bits"):
        reader(b"\xf0" + bytes(7))._crock(12)
    # Digit strings as digits, Khmer text with some Khmer, and no escapes anywhere.
    with pytest.raises(QRFormatError, match="shortest form"):
        reader(qrpack.varint(4 << 3 | 3) + b"4567")._string('"')
    with pytest.raises(QRFormatError, match="no Khmer"):
        reader(qrpack.varint(2 << 4 | 15) + b"ab")._string('"')
    with pytest.raises(QRFormatError, match="longer than its length"):
        reader(qrpack.varint(2 << 4 | 7) + qrpack.varint(12345))._string('"')
    for bad in (b'a"b', b"a\\b", b"a\nb"):
        with pytest.raises(QRFormatError, match="character its place cannot"):
            reader(qrpack.varint(len(bad) << 3 | 3) + bad)._string('"')
    with pytest.raises(QRFormatError, match="not UTF-8"):
        reader(qrpack.varint(2 << 3 | 3) + b"\xc0\xaf")._string('"')


def test_random_mutations_never_escape_as_a_traceback(card: tuple[str, bytes]) -> None:
    compact, packed = card
    rng = random.Random(12)
    seen_valid = 0
    for _ in range(3000):
        data = bytearray(packed)
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(FIELDS, len(data))
            op = rng.randrange(3)
            if op == 0:
                data[i] = rng.randrange(256)
            elif op == 1:
                del data[i]
            else:
                data.insert(i, rng.randrange(256))
        try:
            out = qr.decode(_text(bytes(data)))
        except (QRFormatError, InputTooLarge):
            continue
        seen_valid += 1
        # Whatever decodes is one text for one JWS: encoding it again gives the same bytes
        # only for the genuine credential.
        assert out == compact or qr.encode(out) != _text(packed)
    assert seen_valid < 3000


def test_expansion_is_bounded() -> None:
    # Fields that name long table strings many times cannot unpack past MAX_INFLATED.
    template = qr.template(2)
    longest = max(range(len(template.strings)), key=lambda i: len(template.strings[i]))
    header = b"\x00" + bytes(9)
    contexts = qrpack.varint(1000) + qrpack.varint(longest << 1) * 1000
    with pytest.raises((InputTooLarge, QRFormatError)):
        template.unpack(header + contexts + bytes(200), limit=qr.MAX_INFLATED)


def test_v2_vectors_use_both_forms() -> None:
    from pathlib import Path

    folder = Path(__file__).parent / "vectors" / "v2"
    forms = {name: _packed((folder / f"{name}.qr.txt").read_text().strip())[64]
             for name in json.loads((folder / "expected.json").read_text())["cases"]}
    assert forms.pop("deflate-form") == qr.FORM_DEFLATE
    assert set(forms.values()) == {qr.FORM_TEMPLATE}
