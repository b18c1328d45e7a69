"""Base45 (RFC 9285): bytes as QR alphanumeric-mode characters."""

from __future__ import annotations

import struct
from functools import lru_cache

from passport.errors import QRFormatError

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
# bytes.translate table: alphabet characters to their value, everything else to 0xFF.
_TABLE = bytes(_VALUE.get(chr(b), 0xFF) for b in range(256))
# Every value below 45*45 as its two Base45 digits, low digit first.
_LOW_PAIR = [ALPHABET[i % 45] + ALPHABET[i // 45] for i in range(45 * 45)]


def encode(data: bytes) -> str:
    full = len(data) // 2 * 2
    out = [_LOW_PAIR[n % 2025] + ALPHABET[n // 2025]
           for (n,) in struct.iter_unpack(">H", data[:full])]
    if len(data) % 2:
        out.append(_LOW_PAIR[data[-1]])
    return "".join(out)


def decode(text: str, *, offset: int = 0) -> bytes:
    """Decode Base45 text; `offset` is added to positions in error messages."""
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError as exc:
        raise QRFormatError(
            f"character {text[exc.start]!r} is not Base45", position=offset + exc.start
        ) from None
    values = raw.translate(_TABLE)
    bad = values.find(b"\xff")
    if bad >= 0:
        raise QRFormatError(f"character {text[bad]!r} is not Base45", position=offset + bad)
    if len(values) % 3 == 1:
        raise QRFormatError(
            "Base45 text has a dangling character (truncated?)", position=offset + len(text) - 1
        )
    groups = len(values) // 3
    out = _decode_groups(values[: groups * 3])
    if out is None:
        at = next(i for i in range(groups)
                  if values[3 * i] + 45 * values[3 * i + 1] + 2025 * values[3 * i + 2] > 0xFFFF)
        raise QRFormatError("Base45 group is out of range", position=offset + 3 * at)
    full = groups * 3
    if len(values) % 3 == 2:
        last = values[-2] + 45 * values[-1]
        if last > 0xFF:
            raise QRFormatError("Base45 group is out of range", position=offset + full)
        out += bytes((last,))
    return out


def _decode_groups(values: bytes) -> bytes | None:
    """Decode whole 3-digit groups at C speed, or None if a group exceeds 16 bits.

    The digits, read as one big-endian integer, put each group in a 24-bit lane (c, d, e one
    byte each); three masks take out every lane's c, d and e at once, so c + 45d + 2025e is
    computed for every group by two multiplications and two additions on whole integers. The
    largest possible lane value (91124) stays below 2**24: no carry crosses a lane. A lane
    over 16 bits shows as a nonzero top byte; the top bytes are then dropped in one step.
    """
    n = len(values) // 3
    if n == 0:
        return b""
    digits, low = int.from_bytes(values, "big"), _low_bytes(n)
    total = ((digits >> 16) & low) + 45 * ((digits >> 8) & low) + 2025 * (digits & low)
    out = bytearray(total.to_bytes(3 * n, "big"))
    if out[0::3].count(0) != n:
        return None
    del out[0::3]
    return bytes(out)


@lru_cache(maxsize=8)
def _low_bytes(groups: int) -> int:
    """The mask of the low byte of each of `groups` 24-bit lanes."""
    return int.from_bytes(b"\x00\x00\xff" * groups, "big")
