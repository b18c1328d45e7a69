"""Where each value of a JSON document starts, so errors can name a line, not just a path."""

from __future__ import annotations

import json
import json.decoder
import re
from collections.abc import Callable

from passport import jsonread

Path = tuple[str | int, ...]
# An input document (a rubric, an assessment, a training file, a CSV row's JSON): the
# callers cap the bytes they read; a name given twice is refused (which would a person mean?).
DOCUMENT_LIMITS = jsonread.Limits(max_bytes=4 << 20, max_depth=32, max_digits=32)
# The stdlib's own string scanner, so string escapes are measured exactly as json reads them.
_scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
# Compiled on first use (only a document with a problem is walked): not at every start.
_WS = r"[ \t\n\r]*"
_NUMBER = r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?"


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def value_offsets(text: str) -> dict[Path, int]:
    """Map each JSON path to the offset of its value. Assumes `text` is valid JSON."""
    found: dict[Path, int] = {}
    ws, number = re.compile(_WS), re.compile(_NUMBER)

    def skip(i: int) -> int:
        m = ws.match(text, i)
        return m.end() if m else i

    def parse(i: int, path: Path) -> int:
        i = skip(i)
        found[path] = i
        c = text[i]
        if c == "{":
            i = skip(i + 1)
            if text[i] == "}":
                return i + 1
            while True:
                key, i = _scanstring(text, skip(i) + 1)
                i = skip(i)
                i = parse(i + 1, (*path, key))  # past ':'
                i = skip(i)
                if text[i] == "}":
                    return i + 1
                i += 1  # ','
        if c == "[":
            i = skip(i + 1)
            if text[i] == "]":
                return i + 1
            n = 0
            while True:
                i = skip(parse(i, (*path, n)))
                n += 1
                if text[i] == "]":
                    return i + 1
                i += 1
        if c == '"':
            return _scanstring(text, i + 1)[1]
        for literal in ("true", "false", "null"):
            if text.startswith(literal, i):
                return i + len(literal)
        m = number.match(text, i)
        if not m:
            raise ValueError(f"unexpected character at {i}")
        return m.end()

    parse(0, ())
    return found


def line_for(text: str, path: Path, offsets: dict[Path, int] | None = None) -> int | None:
    """The line of the deepest existing ancestor of `path` (a missing key points at its parent)."""
    offsets = offsets if offsets is not None else value_offsets(text)
    for cut in range(len(path), -1, -1):
        if path[:cut] in offsets:
            return line_of(text, offsets[path[:cut]])
    return None


def loads_located(text: str, source: str,
                  limits: jsonread.Limits = DOCUMENT_LIMITS) -> object:
    """The bounded reader, with an error that names the file (and the line and column)."""
    try:
        return jsonread.loads(text, limits)
    except jsonread.JSONRejected as exc:
        from passport.errors import DocumentError

        where = f"line {exc.line}, column {exc.column}" if exc.line is not None else "file"
        raise DocumentError(source, [(where, exc.reason)]) from None
