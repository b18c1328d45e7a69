"""Base45 (RFC 9285): bytes as QR alphanumeric-mode characters."""

from __future__ import annotations

import struct

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

    Each group's digits go into 32-bit lanes of three big integers, so c + 45d + 2025e is
    computed for every group by two multiplications and two additions on whole integers.
    The largest possible lane value (91124) stays below 2**17: no carry crosses a lane.
    """
    n = len(values) // 3
    if n == 0:
        return b""
    lanes = []
    for k in range(3):
        buf = bytearray(4 * n)
        buf[3::4] = values[k::3]
        lanes.append(int.from_bytes(buf, "big"))
    total = (lanes[0] + 45 * lanes[1] + 2025 * lanes[2]).to_bytes(4 * n, "big")
    if total[1::4].count(0) != n:
        return None
    out = bytearray(2 * n)
    out[0::2] = total[2::4]
    out[1::2] = total[3::4]
    return bytes(out)
