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
    full = len(values) // 3 * 3
    words = [a + 45 * b + 2025 * c for a, b, c in zip(values[0:full:3], values[1:full:3],
                                                        values[2:full:3], strict=True)]
    if words and max(words) > 0xFFFF:
        at = next(i for i, w in enumerate(words) if w > 0xFFFF) * 3
        raise QRFormatError("Base45 group is out of range", position=offset + at)
    out = struct.pack(f">{len(words)}H", *words)
    if len(values) % 3 == 2:
        last = values[-2] + 45 * values[-1]
        if last > 0xFF:
            raise QRFormatError("Base45 group is out of range", position=offset + full)
        out += bytes((last,))
    return out
