"""Decompression with a hard output bound: a small input never becomes a large allocation."""

from __future__ import annotations

import zlib

from passport.errors import InputTooLarge


def inflate_bounded(data: bytes, *, wbits: int, limit: int, what: str,
                    zdict: bytes | None = None) -> tuple[bytes, bool, bytes]:
    """Inflate at most `limit` bytes; returns (output, stream complete, bytes after the stream).

    Raises `InputTooLarge` past the limit and lets `zlib.error` through for corrupt input, so
    each caller names the problem in its own terms.
    """
    inflater = zlib.decompressobj(wbits, zdict=zdict) if zdict else zlib.decompressobj(wbits)
    out = inflater.decompress(data, limit + 1)
    if len(out) > limit or inflater.unconsumed_tail:
        raise InputTooLarge(what, len(out), limit)
    return out, inflater.eof, inflater.unused_data
