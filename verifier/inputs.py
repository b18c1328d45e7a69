"""Turning what a user hands the verifier (QR text, a .jwt file, stdin) into text to verify."""

from __future__ import annotations

import re
from pathlib import Path

from passport import qr, scan
from passport.errors import StorageError, UsageError
from passport.fileio import read_bytes

MAX_INPUT_BYTES = 1 << 20
_JWS_SHAPE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$")
# What a user types as a file name: a folder in it, or the extension of an input verify reads.
_FILE_NAME = re.compile(r"[/\\]|\.(jwt|txt|json|png|jpe?g|pdf|csv)$", re.IGNORECASE)


def read_presented(value: str, *, stdin: bytes | None = None) -> str:
    """QR text or a compact JWS given inline, in a file, or on standard input (`-`)."""
    if value == "-":
        data = stdin if stdin is not None else b""
        if scan.looks_like_image(data):
            return scan.qr_text(data)
        return _text(data, "standard input")
    if qr.is_qr_text(value):
        return value
    path = Path(value)
    try:
        # A file first: "card.qr.txt" has the shape of a compact JWS (two dots) too.
        is_file = len(value) < 4096 and path.exists()
    except OSError:  # a name too long for the file system: it is a token
        is_file = False
    if not is_file:
        if _JWS_SHAPE.match(value.strip()):
            return value
        if _FILE_NAME.search(value):  # meant as a file: say that it is not there
            raise StorageError(value[:200], "no such file")
        raise UsageError(f"{value[:80]!r} is neither QR text, a compact JWS, nor an existing file")
    data = read_bytes(path, limit=scan.MAX_IMAGE_BYTES)
    if scan.looks_like_image(data):
        return scan.qr_text(data)
    return _text(data, value)


def _text(data: bytes, where: str) -> str:
    if len(data) > MAX_INPUT_BYTES:
        raise UsageError(f"{where} is over {MAX_INPUT_BYTES} bytes")
    try:
        return data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise UsageError(f"{where} is neither text nor a PNG/JPEG image") from None
