"""The one reader for JSON that comes from outside: sizes, nesting and numbers bounded.

Python's json module recurses once per nesting level and turns any run of digits into an
int: a 148-character QR text can nest deeper than the interpreter's stack, and a 5,000-digit
number is refused with a ValueError deep in the stack. Every untrusted document (QR payloads
and JWS headers, trust bundles and lists, API bodies, uploaded and input files) is read here
instead, against named limits, before and while parsing:

- size: refused before anything is decoded;
- nesting depth: measured by a scan that skips strings, before json.loads runs;
- numbers: at most `max_digits` digits, no NaN or Infinity;
- keys: an object naming a key twice is refused (which one would a reader believe?), except
  where a standard names the answer: JOSE headers and claims take the lexically last (RFC 7515
  section 4, RFC 7519 section 4), as every JSON parser of the phone page does too.

Each refusal is a `JSONRejected` naming the limit; callers turn it into their own error kind
(a bad credential, a bad trust bundle, a bad request body).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_DELTA = {"[": 1, "{": 1, "]": -1, "}": -1}


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_depth: int = 32
    max_digits: int = 32
    unique_keys: bool = True


class JSONRejected(ValueError):
    """Not JSON, or JSON beyond a limit; the message names which."""


def loads(data: bytes | str, limits: Limits) -> Any:
    size = len(data.encode("utf-8") if isinstance(data, str) else data)
    if size > limits.max_bytes:
        raise JSONRejected(f"{size} bytes, the limit is {limits.max_bytes}")
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JSONRejected(f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    else:
        text = data
    _check_depth(text, limits.max_depth)
    try:
        return json.loads(text, parse_int=_number(int, limits.max_digits),
                          parse_float=_number(float, limits.max_digits),
                          parse_constant=_constant,
                          object_pairs_hook=_unique if limits.unique_keys else None)
    except json.JSONDecodeError as exc:
        raise JSONRejected(f"not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") \
            from None
    except RecursionError:  # not reached after the scan; kept so no input can reach a trace
        raise JSONRejected(f"nested deeper than {limits.max_depth}") from None


def _check_depth(text: str, max_depth: int) -> None:
    # Fewer opening brackets than the limit cannot nest deeper than it: one count, done (the
    # common case, a credential on the scan path). Otherwise measure, strings left out.
    if text.count("[") + text.count("{") <= max_depth:
        return
    outside = "".join(text.split('"')[0::2]) if '\\"' not in text else _STRING.sub("", text)
    depth = 0
    for n, c in enumerate(_NOT_BRACKET.sub("", outside)):
        depth += _DELTA[c]
        if depth > max_depth:
            raise JSONRejected(f"nested deeper than {max_depth} levels (the limit), at the "
                               f"{n + 1}th bracket")


def _number(kind: type[int] | type[float], max_digits: int) -> Any:
    def parse(text: str) -> int | float:
        if sum(ch.isdigit() for ch in text) > max_digits:
            raise JSONRejected(f"a number of more than {max_digits} digits (the limit)")
        return kind(text)
    return parse


def _constant(name: str) -> Any:
    raise JSONRejected(f"{name} is not a JSON number")


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    doc = dict(pairs)
    if len(doc) != len(pairs):
        seen: set[str] = set()
        twice = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise JSONRejected(f"the key {twice[:40]!r} appears twice in one object")
    return doc
