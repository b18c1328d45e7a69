"""The JSON document a QR template's text describes, built beside its bytes.

Verifying a card reads the credential's JSON right after the template unpacker
(passport/qrpack.py) has written it. The unpacker knows where each object, list, key and
value of that text begins and ends, so it can build the document as it writes the bytes:
objects and lists as Python displays, keys and literal values as constants, and each hole's
value from the field just read (a string's UTF-8, a number's integer). That skips reading the
text a second time (about a twentieth of a scan's time, measured by bench/bench_core.py).
This module runs only when that code is generated (tools/qr_template_module.py writes it
ahead); a scan runs the generated code alone.

`Shape` follows the template's literal text through the JSON grammar when the unpacker's code
is generated, and writes the lines that build the document. It does so only where it can
prove that, on every path through the template, the document is what a JSON parser reads from
the bytes; anything else raises `Unstructured`, and that template's unpacker builds no
document (the bytes are then read as JSON, as for any other JWS). What it holds to:

- literal text is JSON, with holes; a string in it has no escape and no control character;
- a text hole (string, date, id, hash, key id, a `ref`) lies inside a string, a number hole
  is a whole value; a `capture` lies inside one string (its `ref` repeats it in another);
- a `choice`'s alternatives each leave the same objects and lists open; inside a string, each
  writes a part of that string and nothing else; a `repeat` lies outside strings, and its body
  and its separator leave open what was open before it;
- every value a text hole writes is characters a JSON string holds as themselves: the
  unpacker refuses a quote, a backslash or a control character in a string it reads, and
  `qrpack.Template` builds no document if its own string table or tokens hold one.

tests/test_qr_shape.py holds the documents equal to `json.loads` of the bytes, key order
included, over every vector, random packings and damaged ones.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

# What the grammar expects next.
VALUE, VALUE_OR_CLOSE, KEY, KEY_OR_CLOSE, COLON, AFTER = (
    "value", "value or ]", "key", "key or }", "colon", "after a value")
_VALUES = frozenset((VALUE, VALUE_OR_CLOSE))
_KEYS = frozenset((KEY, KEY_OR_CLOSE))
_WHITESPACE = " \t\r\n"
# Integers and the three names: the templates hold no fractions (refused, as a text whose
# value a Python literal could not restore).
_LITERAL = re.compile(r"-?(?:0|[1-9][0-9]*)|true|false|null")
_DELIMITERS = frozenset(_WHITESPACE + ",}]")
_CONTROL = re.compile(r"[\x00-\x1f\\]")
# The unpacker writes an integer field as at most 15 digits (qrpack._int_text).
NUMBER_FIELD_DIGITS = 15


class Unstructured(Exception):
    """The template's text is not provably one JSON document on every path (say where)."""


@dataclass
class _Frame:
    """An open object or list: its members so far as source (while it is a display not yet
    written out), or the variable holding it (once written)."""

    kind: str  # "{" or "["
    var: str | None = None
    members: list[str] = field(default_factory=list)
    key: str | None = None  # an object's key whose value is being read


@dataclass
class _String:
    ident: int
    is_key: bool
    parts: list[tuple[bool, str]] = field(default_factory=list)  # (is literal text, source)


@dataclass(frozen=True)
class State:
    """Where the grammar is, between strings: what is open, and what comes next (a set:
    after a `repeat` or a `choice`, any of several)."""

    frames: tuple[tuple[str, str | None, str | None], ...]
    expect: frozenset[str]


class Shape:
    """Writes the document-building lines of one unpacker into `lines` (see the module)."""

    def __init__(self, lines: list[str], fresh: Callable[[], str]) -> None:
        self.lines, self.fresh = lines, fresh
        self.frames: list[_Frame] = []
        self.expect = frozenset((VALUE,))
        self.string: _String | None = None
        self.strings = 0
        self.depth = 0
        self.digits = 0

    # -- state, for choices and repeats ---------------------------------------------------

    def state(self) -> State:
        if self.string is not None:
            raise Unstructured("a branch or a list inside a string")
        if any(f.var is None or f.members for f in self.frames):
            raise Unstructured("a container is still a display at a branch (internal)")
        return State(tuple((f.kind, f.var, f.key) for f in self.frames), self.expect)

    def restore(self, state: State) -> None:
        self.frames = [_Frame(kind, var, [], key) for kind, var, key in state.frames]
        self.expect = state.expect

    def same_place(self, states: list[State], where: str) -> State:
        """The state after branches that must meet: the same containers open; any of their
        expectations."""
        first = states[0]
        if any(other.frames != first.frames for other in states[1:]):
            raise Unstructured(f"{where} leave different objects or lists open")
        return State(first.frames, frozenset().union(*(s.expect for s in states)))

    def write_out(self, ind: str) -> None:
        """Every open container into a variable (before code that branches or loops), the
        outermost first, each linked into its parent at its place."""
        for i, frame in enumerate(self.frames):
            if frame.var is not None:
                continue
            frame.var = self.fresh() + "j"
            self.lines.append(f"{ind}{frame.var} = {_display(frame)}")
            frame.members = []
            if i:
                self._link(self.frames[i - 1], frame.var, ind)
            else:
                self.lines.append(f"{ind}root = {frame.var}")

    # A choice inside a string (a URL's host, say) changes only that string: each branch
    # writes its part into one variable, and the containers around stay displays.

    def string_choice(self) -> tuple[_String, list[tuple[bool, str]]] | None:
        """The open value string and its parts so far, or None outside one."""
        string = self.string
        if string is None or string.is_key:
            return None
        parts, string.parts = string.parts, []
        return string, parts

    def string_branch(self, string: _String) -> None:
        self.string, string.parts = string, []

    def end_string_branch(self, string: _String, var: str, ind: str) -> None:
        if self.string is not string:
            raise Unstructured("a choice inside a string ends it")
        self.lines.append(f"{ind}{var} = {_bytes_source(string.parts)}")

    def end_string_choice(self, string: _String, parts: list[tuple[bool, str]],
                          var: str) -> None:
        self.string, string.parts = string, [*parts, (False, var)]

    # -- the template's items ----------------------------------------------------------

    def text(self, s: str, ind: str) -> None:
        i, n = 0, len(s)
        while i < n:
            if self.string is not None:
                end = s.find('"', i)
                chunk = s[i:] if end < 0 else s[i:end]
                if _CONTROL.search(chunk):
                    raise Unstructured(f"an escape or control character in {s!r}")
                if chunk:
                    self.string.parts.append((True, chunk))
                if end < 0:
                    return
                self._close_string(ind)
                i = end + 1
                continue
            c = s[i]
            if c in _WHITESPACE:
                i += 1
            elif c == '"':
                if self.expect <= _KEYS:
                    self.expect = frozenset((COLON,))
                    self._open_string(is_key=True)
                else:
                    self._need_value(s)
                    self._open_string(is_key=False)
                i += 1
            elif c in "{[":
                self._need_value(s)
                self.frames.append(_Frame(c))
                self.depth = max(self.depth, len(self.frames))
                self.expect = frozenset((KEY_OR_CLOSE if c == "{" else VALUE_OR_CLOSE,))
                i += 1
            elif c in "}]":
                opener = "{" if c == "}" else "["
                closable = {KEY_OR_CLOSE, AFTER} if c == "}" else {VALUE_OR_CLOSE, AFTER}
                if not self.frames or self.frames[-1].kind != opener \
                        or not self.expect <= closable:
                    raise Unstructured(f"{c!r} out of place in {s!r}")
                self._close_container(ind)
                i += 1
            elif c == ",":
                if not self.frames or self.expect != {AFTER}:
                    raise Unstructured(f"',' out of place in {s!r}")
                self.expect = frozenset((KEY if self.frames[-1].kind == "{" else VALUE,))
                i += 1
            elif c == ":":
                if self.expect != {COLON}:
                    raise Unstructured(f"':' out of place in {s!r}")
                self.expect = frozenset((VALUE,))
                i += 1
            else:
                m = _LITERAL.match(s, i)
                # A literal number ends within its text: a hole after it would extend it.
                if m is None or m.end() >= n or s[m.end()] not in _DELIMITERS:
                    raise Unstructured(f"not a whole JSON value at {s[i:i + 20]!r}")
                self._need_value(s)
                token = m.group()
                self.digits = max(self.digits, sum(ch.isdigit() for ch in token))
                self._place(repr(json.loads(token)), ind)
                i = m.end()

    def text_hole(self, source: str) -> None:
        """A field written as text (`source` evaluates to its UTF-8 bytes)."""
        if self.string is None or self.string.is_key:
            raise Unstructured("a text field outside a string value")
        self.string.parts.append((False, source))

    def number_hole(self, number: str, text: str, ind: str) -> None:
        """An integer field: a whole number value, or digits within a string."""
        if self.string is not None:
            self.text_hole(text)
            return
        self._need_value("an integer field")
        self.digits = max(self.digits, NUMBER_FIELD_DIGITS)
        self._place(number, ind)

    def in_string(self) -> int | None:
        return self.string.ident if self.string and not self.string.is_key else None

    def finish(self) -> None:
        if self.frames or self.string is not None or self.expect != {AFTER}:
            raise Unstructured("the text does not end as one whole document")

    # -- the grammar's steps -----------------------------------------------------------

    def _need_value(self, where: str) -> None:
        if not self.expect <= _VALUES:
            raise Unstructured(f"a value out of place at {where!r}")

    def _open_string(self, *, is_key: bool) -> None:
        self.strings += 1
        self.string = _String(self.strings, is_key)

    def _close_string(self, ind: str) -> None:
        string, self.string = self.string, None
        assert string is not None
        if string.is_key:
            if not all(literal for literal, _ in string.parts):
                raise Unstructured("a field in an object key")
            assert self.frames and self.frames[-1].kind == "{"
            self.frames[-1].key = "".join(text for _, text in string.parts)
            return
        if all(literal for literal, _ in string.parts):
            self._place(repr("".join(text for _, text in string.parts)), ind)
        else:
            self._place(f"{_bytes_source(string.parts)}.decode()", ind)

    def _close_container(self, ind: str) -> None:
        frame = self.frames.pop()
        if frame.var is None:
            self._place(_display(frame), ind)
            return
        # Written out earlier, and linked into its parent then.
        if self.frames and self.frames[-1].kind == "{":
            self.frames[-1].key = None
        self.expect = frozenset((AFTER,))

    def _place(self, source: str, ind: str) -> None:
        """A complete value: into its parent (a display's members, or the written-out
        container), or the document itself."""
        self.expect = frozenset((AFTER,))
        if not self.frames:
            self.lines.append(f"{ind}root = {source}")
            return
        parent = self.frames[-1]
        if parent.var is None:
            parent.members.append(f"{parent.key!r}: {source}" if parent.kind == "{" else source)
        else:
            self._link(parent, source, ind)
        parent.key = None

    def _link(self, parent: _Frame, source: str, ind: str) -> None:
        if parent.kind == "{":
            assert parent.key is not None
            self.lines.append(f"{ind}{parent.var}[{parent.key!r}] = {source}")
        else:
            self.lines.append(f"{ind}{parent.var}.append({source})")


def _display(frame: _Frame) -> str:
    body = ", ".join(frame.members)
    return f"{{{body}}}" if frame.kind == "{" else f"[{body}]"


def _bytes_source(parts: list[tuple[bool, str]]) -> str:
    pieces = [repr(source.encode("utf-8")) if literal else source for literal, source in parts]
    if not pieces:
        return "b''"
    if len(pieces) == 1:
        return pieces[0]
    if len(pieces) == 2:
        return f"({pieces[0]} + {pieces[1]})"
    return f"b''.join(({', '.join(pieces)},))"
