"""The fixed-mask QR fast path: the same symbols as segno, read back by zxing-cpp."""

from __future__ import annotations

import segno
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from passport import qrsymbol

alnum_text = st.text(alphabet=qrsymbol.ALNUM, min_size=1, max_size=900)


def _image(symbol: qrsymbol.Symbol, scale: int = 4) -> Image.Image:
    q = qrsymbol.QUIET_ZONE
    side = symbol.size + 2 * q
    img = Image.new("L", (side, side), 255)
    px = img.load()
    assert px is not None
    for i in range(symbol.size):
        for j in range(symbol.size):
            if symbol.dark(i, j):
                px[j + q, i + q] = 0
    return img.resize((side * scale, side * scale), Image.Resampling.NEAREST)


def _ends_on_byte_boundary(text: str, version: int) -> bool:
    # segno appends a zero byte when terminator bits already end on a byte boundary;
    # ISO/IEC 18004 7.4.10 adds padding bits only to reach one. Both decode alike.
    count = 9 if version <= 9 else 11 if version <= 26 else 13
    bits = 4 + count + 11 * (len(text) // 2) + 6 * (len(text) % 2)
    capacity: int = sum(ec.num_data * ec.num_blocks
                        for ec in qrsymbol.consts.ECC[version][qrsymbol.ECC_Q]) * 8
    return (bits + min(4, capacity - bits)) % 8 == 0 and capacity - bits >= 4


@settings(max_examples=60, deadline=None)
@given(alnum_text)
def test_symbols_match_segno_and_decode(text: str) -> None:
    symbol = qrsymbol.encode(text)
    reference = segno.make_qr(text, error="q", mask=qrsymbol.MASK, boost_error=False,
                              mode="alphanumeric")
    assert symbol.version == reference.version
    if not _ends_on_byte_boundary(text, symbol.version):
        assert all(int(symbol.dark(i, j)) == reference.matrix[i][j]
                   for i in range(symbol.size) for j in range(symbol.size))
    found = zxingcpp.read_barcodes(_image(symbol))
    assert [b.text for b in found] == [text]


def test_version_matches_the_codec_capacity() -> None:
    from passport import qr

    for n in (1, 100, 426, 427, 600, 1500):
        text = "A" * n
        assert qrsymbol.version_for(text) == qr.qr_version(text, "Q")
