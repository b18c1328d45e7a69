"""The one reader for JSON that comes from outside: sizes, nesting and numbers bounded.

Python's json module recurses once per nesting level and turns any run of digits into an
int: a 148-character QR text can nest deeper than the interpreter's stack, and a 5,000-digit
number is refused with a ValueError deep in the stack. Every untrusted document (QR payloads
and JWS headers, trust bundles and lists, API bodies, uploaded and input files) is read here
instead, against named limits, before and while parsing:

- size (`max_bytes`): refused before anything is decoded;
- nesting depth (`max_depth`): measured by a scan that skips strings, before json.loads runs;
- numbers (`max_digits`): at most that many digits, no NaN or Infinity;
- keys (`unique_keys`): an object naming a key twice is refused (which one would a reader
  believe?), except where a standard names the answer: JOSE headers and claims take the
  lexically last (RFC 7515 section 4, RFC 7519 section 4), as every JSON parser of the phone
  page does too;
- text: an escaped lone surrogate (a \\ud800 with no partner) is refused: it is no character,
  cannot be printed or re-encoded as UTF-8, and I-JSON (RFC 7493) forbids it.

Each refusal is a `JSONRejected` naming the limit; callers turn it into their own error kind
(a bad credential, a bad trust bundle, a bad request body). The phone page reads QR payloads
and JWS headers with the same limits (verifier/web/src/jws.js, `readJson`).
"""

import json
import re
from typing import Any, NamedTuple

# Patterns as text: the scan path never needs them, and the re module compiles and keeps each
# on first use (compiling them all at import cost every start of the command line).
_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'
_NOT_BRACKET = r"[^\[\]{}]+"
_DELTA = {"[": 1, "{": 1, "]": -1, "}": -1}
# Escaped backslashes first (so "\\ud800" is a backslash and text), then whole pairs; a
# surrogate escape still left has no partner.
_ESCAPED_BACKSLASH = r"\\\\"
_SURROGATE_PAIR = r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
_SURROGATE = r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}"


class Limits:
    """The bounds one kind of document is read within (see the module's list). Immutable,
    equal and hashed by its four bounds. (A plain class, not a frozen dataclass: building one
    of those costs every start of the command line more than a verification.)"""

    __slots__ = ("decoder", "max_bytes", "max_depth", "max_digits", "unique_keys")
    max_bytes: int
    max_depth: int
    max_digits: int
    unique_keys: bool
    # One decoder per set of limits, built once: building one per call would cost more than
    # the parse of a JWS header (this is on the path of every scan).
    decoder: json.JSONDecoder

    def __init__(self, max_bytes: int, max_depth: int = 32, max_digits: int = 32,
                 unique_keys: bool = True) -> None:
        put = object.__setattr__
        put(self, "max_bytes", max_bytes)
        put(self, "max_depth", max_depth)
        put(self, "max_digits", max_digits)
        put(self, "unique_keys", unique_keys)
        put(self, "decoder", json.JSONDecoder(
            parse_int=_number(int, max_digits), parse_float=_number(float, max_digits),
            parse_constant=_constant, object_pairs_hook=_unique if unique_keys else None))

    def replace(self, *, max_bytes: int | None = None, max_depth: int | None = None,
                max_digits: int | None = None, unique_keys: bool | None = None) -> "Limits":
        """These limits with the bounds given changed."""
        return Limits(self.max_bytes if max_bytes is None else max_bytes,
                      self.max_depth if max_depth is None else max_depth,
                      self.max_digits if max_digits is None else max_digits,
                      self.unique_keys if unique_keys is None else unique_keys)

    def _bounds(self) -> tuple[int, int, int, bool]:
        return self.max_bytes, self.max_depth, self.max_digits, self.unique_keys

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"limits are immutable: cannot assign to {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"limits are immutable: cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        return self._bounds() == other._bounds() if type(other) is Limits else NotImplemented

    def __hash__(self) -> int:
        return hash(self._bounds())

    def __repr__(self) -> str:
        return (f"Limits(max_bytes={self.max_bytes!r}, max_depth={self.max_depth!r}, "
                f"max_digits={self.max_digits!r}, unique_keys={self.unique_keys!r})")


class JSONRejected(ValueError):
    """Not JSON, or JSON beyond a limit; the message names which.

    `limit` is the name of the limit exceeded (a field of `Limits`), or None when the text
    is not JSON at all; `line` and `column` say where a syntax error is (the message then
    ends with them, and `reason` is the message without them).
    """

    def __init__(self, reason: str, *, limit: str | None = None, line: int | None = None,
                 column: int | None = None) -> None:
        where = f" at line {line}, column {column}" if line is not None else ""
        super().__init__(reason + where)
        self.reason, self.limit, self.line, self.column = reason, limit, line, column


class Document(NamedTuple):
    """A JSON document read from its bytes by other means than this module's parser (the QR
    template's unpacker builds it as it writes them, passport/qrshape.py), with the most it
    can nest and the most digits a number in it can have."""

    value: Any
    depth: int
    digits: int


def loads(data: bytes | str, limits: Limits, read: Document | None = None) -> Any:
    """The JSON document in `data`, within `limits`, or a `JSONRejected` saying why.

    `read` is the same document built by other means: it is the answer when the limits
    would take it (its size, nesting and numbers within them, and no need to look for
    repeated keys), and saves reading the text again."""
    if read is not None and isinstance(data, bytes) and not limits.unique_keys \
            and len(data) <= limits.max_bytes \
            and read.depth <= limits.max_depth and read.digits <= limits.max_digits:
        return read.value
    if isinstance(data, str):
        try:
            data = data.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise JSONRejected(f"not text (an unpaired surrogate at character {exc.start + 1})") \
                from None
    if len(data) > limits.max_bytes:
        raise JSONRejected(f"{len(data)} bytes, over the limit of {limits.max_bytes} "
                           "(max_bytes)", limit="max_bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JSONRejected(f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    # Every scan of a card pays for these two tests, so they are the cheapest ones found: the
    # byte search of a one-byte needle is memchr (ten times faster than looking for "\\u"), and
    # replace finds brackets three times faster than count does.
    without = data.replace(b"[", b"").replace(b"{", b"")
    if len(data) - len(without) > limits.max_depth:
        _check_depth(text, limits.max_depth)
    if b"\\" in data:
        _check_surrogates(text)
    try:
        return _parse(text, limits.decoder)
    except json.JSONDecodeError as exc:
        raise JSONRejected(f"not JSON: {exc.msg}", line=exc.lineno, column=exc.colno) from None
    except RecursionError:  # not reached after the scan; kept so no input can reach a trace
        raise JSONRejected(f"nested deeper than {limits.max_depth} levels (max_depth)",
                           limit="max_depth") from None


def _parse(text: str, decoder: json.JSONDecoder) -> Any:
    # The scanner itself, as JSONDecoder.decode calls it, when one document fills the text
    # (a microsecond less a document on the path of every scan); any other text (white space
    # around it, no document, more after it) goes through decode, which says what is wrong.
    try:
        doc, end = decoder.scan_once(text, 0)  # type: ignore[attr-defined]
    except StopIteration:
        end = -1
    return doc if end == len(text) else decoder.decode(text)


def _check_depth(text: str, max_depth: int) -> None:
    # Called only when there are more opening brackets than the limit (fewer cannot nest
    # deeper than it: the common case, a credential on the scan path). Strings left out.
    outside = "".join(text.split('"')[0::2]) if '\\"' not in text else re.sub(_STRING, "", text)
    depth = 0
    for n, c in enumerate(re.sub(_NOT_BRACKET, "", outside)):
        depth += _DELTA[c]
        if depth > max_depth:
            raise JSONRejected(f"nested deeper than {max_depth} levels (max_depth), at "
                               f"bracket {n + 1}", limit="max_depth")


def _check_surrogates(text: str) -> None:
    rest = re.sub(_SURROGATE_PAIR, "", re.sub(_ESCAPED_BACKSLASH, "", text))
    lone = re.search(_SURROGATE, rest)
    if lone:
        raise JSONRejected(f"the escape {lone.group()} is half of a UTF-16 pair, not a "
                           "character (unpaired surrogate)")


def _number(kind: type[int] | type[float], max_digits: int) -> Any:
    def parse(text: str) -> int | float:
        if len(text) > max_digits and sum(ch.isdigit() for ch in text) > max_digits:
            raise JSONRejected(f"a number of more than {max_digits} digits (max_digits)",
                               limit="max_digits")
        return kind(text)
    return parse


def _constant(name: str) -> Any:
    raise JSONRejected(f"{name} is not a JSON number")


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    doc = dict(pairs)
    if len(doc) != len(pairs):
        seen: set[str] = set()
        twice = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise JSONRejected(f"the key {twice[:40]!r} appears twice in one object (unique_keys)",
                           limit="unique_keys")
    return doc
