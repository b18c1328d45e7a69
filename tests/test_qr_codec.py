"""The QR transport: lossless, bounded, and clear about bad text."""

from __future__ import annotations

import json
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from passport import base45, qr
from passport.b64 import b64u_encode
from passport.errors import InputTooLarge, QRFormatError
from tests.conftest import TEST_KEYS
from tests.world import World

json_text = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner,
                                                                 max_size=5),
    max_leaves=30,
).map(lambda v: json.dumps(v, ensure_ascii=False).encode())


@settings(max_examples=200)
@given(header=json_text, payload=st.binary(max_size=3000) | json_text,
       signature=st.binary(min_size=64, max_size=64))
def test_round_trip_is_byte_identical(header: bytes, payload: bytes, signature: bytes) -> None:
    # Any JWS, not only the product's credentials: v2 carries what its template does not
    # describe by deflate, and v1 still encodes as it did.
    compact = ".".join(b64u_encode(p) for p in (header, payload, signature))
    for version in (1, 2):
        text = qr.encode(compact, version=version)
        assert text.startswith(f"SP{version}:")
        assert set(text[4:]) <= set(base45.ALPHABET)
        assert qr.decode(text) == compact


def test_real_credential_round_trip_and_alphanumeric(world: World) -> None:
    compact = world.issue()
    text = qr.encode(compact)
    assert text.startswith("SP2:")  # issuance writes the current codec
    assert qr.decode(text) == compact
    assert text == text.upper()
    assert len(text) < len(compact) / 4


def test_truncated_text_is_refused(world: World) -> None:
    text = qr.encode(world.issue())
    for cut in (len(text) - 3, len(text) // 2, 10):
        with pytest.raises(QRFormatError):
            qr.decode(text[:cut])


def test_non_base45_character_is_located(world: World) -> None:
    text = qr.encode(world.issue())
    bad = text[:40] + "#" + text[41:]
    with pytest.raises(QRFormatError) as info:
        qr.decode(bad)
    assert info.value.position == 40


def test_decompression_bomb_is_refused() -> None:
    comp = zlib.compressobj(9, zlib.DEFLATED, -15, zdict=qr.dictionary(1))
    bomb = comp.compress(b"\x01{" + b"A" * 2_000_000) + comp.flush()
    text = "SP1:" + base45.encode(b"\x00" * 64 + bomb)
    assert len(text) < qr.MAX_QR_TEXT
    with pytest.raises(InputTooLarge):
        qr.decode(text)


def test_oversized_text_is_refused_before_work() -> None:
    with pytest.raises(InputTooLarge):
        qr.decode("SP1:" + "0" * qr.MAX_QR_TEXT)


def test_unknown_version_and_missing_prefix() -> None:
    with pytest.raises(QRFormatError, match="unknown codec version 9"):
        qr.decode("SP9:AAAA")
    with pytest.raises(QRFormatError, match="prefix"):
        qr.decode("HC1:AAAA")


def test_non_canonical_jws_cannot_be_carried() -> None:
    # "e31" and "e30" both decode to "{}": only unused low bits differ, so the restored
    # JWS would not be the one that was signed.
    with pytest.raises(QRFormatError, match="canonical"):
        qr.encode("e31." + "e30." + b64u_encode(b"\x00" * 64))


def test_frozen_dictionary_and_template_are_pinned() -> None:
    import hashlib

    for version in qr.DICTIONARIES:
        data = qr.dictionary(version)
        assert hashlib.sha256(data).hexdigest() == qr.DICTIONARIES[version].sha256
    assert qr.template(2).strings  # loading checks the template's pinned hash


def test_typical_certificate_fits_version_13_at_q() -> None:
    # A full RPL certificate with six units, Khmer and Latin names, ISCO-08 and CQF alignment
    # and two status entries must stay scannable from a worn card: version 13 at ECC Q with
    # v2 (v1 needed 15).
    world = World(key_prefix=TEST_KEYS)  # the defaults: NTTI's typical masonry certificate
    assert world.results is not None and len(world.results) == 6
    text = qr.encode(world.issue())
    assert qr.qr_version(text, "Q") <= 13
    assert qr.qr_version(qr.encode(world.issue(), version=1), "Q") <= 15

