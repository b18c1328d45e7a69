"""QR symbols for card printing: a fixed-mask, alphanumeric-only fast path.

The QR codec's text is always Base45 behind an alphanumeric prefix, so a symbol needs only
alphanumeric mode at the codec's ECC level. Everything that depends only on the version is
computed once and cached: the function patterns with format and version information, the
placement order of data modules (as a C-level gather), the mask over data modules, and
Reed-Solomon tables that give each block's error-correction bytes as an XOR of one table
entry per data byte. A symbol then costs a few hundred microseconds instead of milliseconds.

The mask is fixed instead of chosen by penalty score (ISO/IEC 18004 7.8.3): every mask gives
a valid symbol, and compressed data is already close to random. Symbols equal segno's for
the same mask (tests), and zxing-cpp reads them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from typing import Any

from segno import consts as _consts
from segno import encoder as _encoder

from passport.errors import UsageError

# segno's ISO/IEC 18004 tables and function-pattern helpers carry no type annotations.
consts: Any = _consts
segno_encoder: Any = _encoder

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_ALNUM_VALUE = {c: i for i, c in enumerate(ALNUM)}
ECC_Q = consts.ERROR_LEVEL_Q
MASK = 0
QUIET_ZONE = 4

_MASKS: dict[int, Callable[[int, int], bool]] = {
    0: lambda i, j: (i + j) % 2 == 0,
    1: lambda i, j: i % 2 == 0,
    2: lambda i, j: j % 3 == 0,
    3: lambda i, j: (i + j) % 3 == 0,
    4: lambda i, j: (i // 2 + j // 3) % 2 == 0,
    5: lambda i, j: (i * j) % 2 + (i * j) % 3 == 0,
    6: lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
    7: lambda i, j: ((i + j) % 2 + (i * j) % 3) % 2 == 0,
}

# GF(256) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1.
_EXP = [0] * 512
_LOG = [0] * 256
_x = 1
for _i in range(255):
    _EXP[_i] = _x
    _LOG[_x] = _i
    _x <<= 1
    if _x & 0x100:
        _x ^= 0x11D
for _i in range(255, 512):
    _EXP[_i] = _EXP[_i - 255]


def _gf_mul(a: int, b: int) -> int:
    return 0 if a == 0 or b == 0 else _EXP[_LOG[a] + _LOG[b]]


@cache
def _generator(n: int) -> tuple[int, ...]:
    poly = [1]
    for i in range(n):
        nxt = [0] * (len(poly) + 1)
        for k, c in enumerate(poly):
            nxt[k] ^= c
            nxt[k + 1] ^= _gf_mul(c, _EXP[i])
        poly = nxt
    return tuple(poly[1:])  # monic: the leading 1 is implied


@cache
def _rs_tables(n: int, max_data: int) -> tuple[tuple[int, ...], ...]:
    """tables[j][b]: ECC bytes (as an n-byte int) of byte b followed by j zero bytes."""
    gen = _generator(n)

    def remainder(msg: list[int]) -> int:
        rem = [0] * n
        for byte in msg:
            factor = byte ^ rem[0]
            rem = [*rem[1:], 0]
            if factor:
                for k in range(n):
                    rem[k] ^= _gf_mul(gen[k], factor)
        return int.from_bytes(bytes(rem), "big")

    # Linearity: ecc(b, 0, ..., 0) for each b and each distance from the end.
    first = [remainder([b]) for b in range(256)]
    tables = [tuple(first)]
    for j in range(1, max_data):
        tables.append(tuple(remainder([b] + [0] * j) for b in range(256)))
    return tuple(tables)


@dataclass(frozen=True)
class _Layout:
    version: int
    size: int
    blocks: tuple[tuple[int, int], ...]  # (data bytes, ecc bytes) per block
    data_modules: int
    template: int  # function patterns, format and version information, as a raster int
    mask: int  # the mask over data modules, as a raster int
    gather: Callable[[str], tuple[str, ...]]


@cache
def _layout(version: int) -> _Layout:
    size = version * 4 + 17
    matrix = segno_encoder.make_matrix(size, size)
    segno_encoder.add_finder_patterns(matrix, size, size)
    segno_encoder.add_alignment_patterns(matrix, size, size)
    segno_encoder.add_version_info(matrix, version)
    segno_encoder.add_format_info(matrix, version, ECC_Q, MASK)
    # Placement order (ISO/IEC 18004 7.7.3): two-module columns from the right, alternately
    # upwards and downwards, skipping the vertical timing pattern in column 6.
    order: list[tuple[int, int]] = []
    right, upwards = size - 1, True
    while right > 0:
        if right == 6:
            right -= 1
        rows = range(size - 1, -1, -1) if upwards else range(size)
        for i in rows:
            for j in (right, right - 1):
                if matrix[i][j] == 0x2:
                    order.append((i, j))
        right -= 2
        upwards = not upwards
    position = {p: k for k, p in enumerate(order)}
    sentinel = len(order)  # index of a "0" appended to the data bits
    gather_idx = [position.get((i, j), sentinel) for i in range(size) for j in range(size)]
    template = int("".join("1" if matrix[i][j] == 0x1 else "0"
                           for i in range(size) for j in range(size)), 2)
    is_masked = _MASKS[MASK]
    mask = int("".join("1" if (i, j) in position and is_masked(i, j) else "0"
                       for i in range(size) for j in range(size)), 2)
    blocks = tuple((ec.num_data, ec.num_total - ec.num_data)
                   for ec in consts.ECC[version][ECC_Q] for _ in range(ec.num_blocks))
    return _Layout(version, size, blocks, len(order), template, mask, itemgetter(*gather_idx))


def _count_bits(version: int) -> int:
    return 9 if version <= 9 else 11 if version <= 26 else 13


def _data_capacity(version: int) -> int:
    return sum(ec.num_data * ec.num_blocks for ec in consts.ECC[version][ECC_Q])


def version_for(text: str) -> int:
    """The smallest version that holds `text` in alphanumeric mode at ECC Q."""
    for version in range(1, 41):
        bits = 4 + _count_bits(version) + 11 * (len(text) // 2) + 6 * (len(text) % 2)
        if bits <= _data_capacity(version) * 8:
            return version
    raise UsageError(f"{len(text)} characters do not fit any QR version at ECC Q")


@dataclass(frozen=True)
class Symbol:
    """A QR symbol: `size` x `size` modules, `bits` row-major with the top-left module first."""

    version: int
    size: int
    bits: int

    def dark(self, row: int, col: int) -> bool:
        return bool(self.bits >> ((self.size - 1 - row) * self.size + (self.size - 1 - col)) & 1)

    def rows(self) -> list[int]:
        mask = (1 << self.size) - 1
        return [(self.bits >> ((self.size - 1 - r) * self.size)) & mask for r in range(self.size)]


def encode(text: str) -> Symbol:
    """Encode alphanumeric text as a QR symbol at ECC Q with the fixed mask."""
    try:
        values = [_ALNUM_VALUE[c] for c in text]
    except KeyError as exc:
        raise UsageError(f"character {exc.args[0]!r} has no QR alphanumeric code") from None
    version = version_for(text)
    layout = _layout(version)
    capacity = _data_capacity(version) * 8
    acc, nbits = 0b0010, 4
    acc = (acc << _count_bits(version)) | len(values)
    nbits += _count_bits(version)
    pairs = len(values) // 2
    for k in range(pairs):
        acc = (acc << 11) | (values[2 * k] * 45 + values[2 * k + 1])
    nbits += 11 * pairs
    if len(values) % 2:
        acc, nbits = (acc << 6) | values[-1], nbits + 6
    terminator = min(4, capacity - nbits)
    acc, nbits = acc << terminator, nbits + terminator
    acc, nbits = acc << (-nbits % 8), nbits + (-nbits % 8)
    data = bytearray(acc.to_bytes(nbits // 8, "big"))
    pad = capacity // 8 - len(data)
    data += (b"\xec\x11" * (pad // 2 + 1))[:pad]
    # Error correction per block, then interleave (ISO/IEC 18004 7.6).
    data_blocks, ecc_blocks, start = [], [], 0
    for n_data, n_ecc in layout.blocks:
        block = data[start:start + n_data]
        start += n_data
        tables = _rs_tables(n_ecc, max(b for b, _ in layout.blocks))
        ecc = 0
        for k, byte in enumerate(block):
            ecc ^= tables[n_data - 1 - k][byte]
        data_blocks.append(bytes(block))
        ecc_blocks.append(ecc.to_bytes(n_ecc, "big"))
    longest = max(len(b) for b in data_blocks)
    stream = bytearray(b[k] for k in range(longest) for b in data_blocks if k < len(b))
    stream += bytes(e[k] for k in range(layout.blocks[0][1]) for e in ecc_blocks)
    bitstring = format(int.from_bytes(stream, "big"), f"0{len(stream) * 8}b")
    bitstring = bitstring.ljust(layout.data_modules, "0") + "0"  # remainder bits, sentinel
    raster = int("".join(layout.gather(bitstring)), 2) ^ layout.mask | layout.template
    return Symbol(version, layout.size, raster)
