"""The QR codec v2's structure-aware packer: a credential's JSON as a template plus fields.

A template (passport/data/qr-template-v<N>.json, pinned by hash in passport/qr.py) is the
credential's JSON text with holes: literal text, and fields that carry only what varies
(a date as an integer, the credential id's random part as 60 bits, the identity hash as 32
raw bytes, a known string as an index into the template's string table). `choice` and
`repeat` cover optional members and lists; `capture` names a span that a later `ref` repeats
for nothing (the salt is the credential id's random part; a status list URL starts with the
issuer id). The template is data: it can describe a changed credential in a later version
without code, and a credential it does not describe is simply not packed (the caller falls
back to deflate).

Unpacking concatenates text, so it restores the exact bytes the packer read. The packer
proves that of its own output (pack, unpack, compare) and answers None otherwise. Each field
has one encoding, and the unpacker refuses the others (an overlong varint, a literal of a
string in the table, a Khmer string written as UTF-8...), so packed bytes cannot be varied
while their credential stays the same.
"""

import re
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any, NamedTuple, cast

from passport.b64 import b64u_decode, b64u_encode, b64u_encode_bytes
from passport.errors import InputTooLarge, QRFormatError
from passport.jsonread import Document

# Fields are counted from 2020-01-01T00:00:00Z: no credential of the product is older.
EPOCH = 1_577_836_800
MAX_SECONDS = 253_402_300_799 - EPOCH  # 9999-12-31T23:59:59Z, the last the text form holds
MAX_REPEAT = 1024
MAX_DIGITS = 19  # below 2**63: one varint, and JavaScript reads it exactly below 2**53...
MAX_DIGITS_JS_SAFE = 15  # ...so digit strings longer than this are carried as text
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
KHMER_FIRST = 0x1780  # Khmer block U+1780..U+17FF: one byte each in a Khmer literal

# Opcodes of a compiled template.
LIT, STR, REF, TIME, INT, HEX, CROCK, B64, CHOICE, REPEAT, CAPTURE = range(11)

# Packing's patterns, as text: a verifier only unpacks, and the re module compiles and keeps
# each on first use.
_TIME_TEXT = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"
_INT_TEXT = r"0|[1-9][0-9]{0,14}"
_B64_TEXT = r"[A-Za-z0-9_-]*"
_HEX_TEXT = r"[0-9a-f]*"
_CROCK_INDEX = {c: i for i, c in enumerate(CROCKFORD)}
# What a JSON string cannot hold as itself (a quote, a backslash, a control character), and
# what UTF-8 cannot hold (a lone surrogate).
_JSON_ESCAPED = "[\"\\\\\x00-\x1f\ud800-\udfff]"
_MODE_UNITS = (86_400, 3_600, 60, 1)  # a time is counted in days, hours, minutes or seconds

Items = tuple[tuple[Any, ...], ...]
_named = tuple.__new__


class Bounds(NamedTuple):
    """How deep a template's JSON document nests, and the most digits a number in it has."""

    depth: int
    digits: int
# An unpacker writes one part's bytes into the list and returns its JSON document, or None.
Unpacker = Callable[["_Reader", list[bytes]], Any]
# A template's two unpackers and the bounds of the documents they build (None: they build
# none), as `module_source` writes them ahead.
Compiled = tuple[Unpacker, Unpacker, Bounds | None, Bounds | None]


class Unpacked(NamedTuple):
    """A packed credential's header and payload bytes, and their JSON documents where the
    template builds them (passport/qrshape.py)."""

    header: bytes
    payload: bytes
    header_document: Document | None
    payload_document: Document | None


class Template:
    """A compiled template: header and payload item lists and the string table."""

    def __init__(self, doc: dict[str, Any], compiled: Compiled | None = None) -> None:
        self.strings: tuple[str, ...] = tuple(doc["strings"])
        self.index = {s: i for i, s in enumerate(self.strings)}
        # Unpacking writes UTF-8 bytes directly (no text to encode at the end).
        self.strings_utf8: tuple[bytes, ...] = tuple(s.encode("utf-8") for s in self.strings)
        self.index_utf8 = frozenset(self.strings_utf8)
        # A table index as the unpacker reads it inline: one byte (an index below 64) by
        # the byte, two bytes (their one encoding) by the pair.
        size = len(self.strings)
        self.one_byte: tuple[bytes | None, ...] = tuple(
            self.strings_utf8[b >> 1] if b < 128 and not b & 1 and b >> 1 < size else None
            for b in range(256))
        self.two_byte: dict[bytes, bytes] = {varint(i << 1): self.strings_utf8[i]
                                             for i in range(64, size)}
        # A text literal's bytes: printable ASCII is itself, every other byte a token.
        token_bytes = [*range(0x00, 0x20), *range(0x7F, 0x100)]
        self.text_bytes = [chr(b) for b in range(256)]
        self.token_codes: dict[str, int] = {}
        for b, token in zip(token_bytes, doc["tokens"], strict=False):
            self.text_bytes[b] = token
            self.token_codes[token] = b
        self.longest_token = max(map(len, self.token_codes), default=1)
        self.text_utf8 = [t.encode("utf-8", "surrogatepass") for t in self.text_bytes]
        self.header = _compile(doc["header"])
        self.payload = _compile(doc["payload"])
        # Unpacking runs on every scan of a card: each item list becomes straight-line Python
        # (the data's strings enter the source only as repr() literals), about four times
        # faster than walking the items. `compiled` is that code generated ahead (see
        # `module_source`): compiling it costs a few ms of every `skillpass verify`.
        # The documents the unpackers build (passport/qrshape.py) are the text's only if
        # every string the table and the tokens write is one a JSON string holds as itself,
        # as UTF-8; otherwise the unpackers build none.
        clean = re.search(_JSON_ESCAPED, "".join((*self.strings, *self.token_codes))) is None
        if compiled is None or not clean:
            (header, header_bounds), (payload, payload_bounds) = (
                _generate(self.header, structured=clean),
                _generate(self.payload, structured=clean))
        else:
            header, payload, header_bounds, payload_bounds = compiled
        self._unpack_header, self._unpack_payload = header, payload
        self.header_bounds, self.payload_bounds = header_bounds, payload_bounds

    def pack(self, header: bytes, payload: bytes) -> bytes | None:
        """The packed form of (header, payload), or None if the template does not fit them."""
        try:
            h, p = header.decode("utf-8"), payload.decode("utf-8")
        except UnicodeDecodeError:
            return None
        out = bytearray()
        for items, text in ((self.header, h), (self.payload, p)):
            env: dict[str, str] = {}
            try:
                end = self._match(items, text, 0, out, env)
            except _NoMatch:
                return None
            if end != len(text):
                return None
        packed = bytes(out)
        try:
            if self.unpack(packed) != (header, payload):
                return None
        except (QRFormatError, InputTooLarge):
            return None
        return packed

    def unpack(self, data: bytes, limit: int = 16_384) -> tuple[bytes, bytes]:
        """Packed bytes -> (header, payload), each exactly as signed; refuses any other form."""
        unpacked = self.read(data, limit)
        return unpacked.header, unpacked.payload

    def read(self, data: bytes, limit: int = 16_384) -> Unpacked:
        """`unpack`, with the JSON documents of the header and payload where the template
        builds them (passport/qrshape.py): what a JSON reader would make of the bytes."""
        reader = _Reader(data, self, limit)
        try:
            header, header_doc = reader.run(self._unpack_header)
            payload, payload_doc = reader.run(self._unpack_payload)
        except IndexError:
            raise QRFormatError("packed credential ends early (truncated?)") from None
        if reader.pos != len(data):
            raise QRFormatError("unexpected bytes after the packed credential")
        hb, pb = self.header_bounds, self.payload_bounds
        # Built without NamedTuple's Python-level __new__ (fields in order): every scan.
        return _named(Unpacked, (
            header, payload,
            None if hb is None else _named(Document, (header_doc, *hb)),
            None if pb is None else _named(Document, (payload_doc, *pb))))

    # -- packing: match the template against the text, writing fields ----------------------

    def _match(self, items: Items, text: str, pos: int, out: bytearray,
               env: dict[str, str]) -> int:
        for item in items:
            op = item[0]
            if op == LIT:
                if not text.startswith(item[1], pos):
                    raise _NoMatch
                pos += len(item[1])
            elif op == STR:
                end = _scan(text, pos, item[2])
                value = text[pos:end]
                out += self._string(value)
                if item[1]:
                    env[item[1]] = value
                pos = end
            elif op == REF:
                known = env.get(item[1])
                if known is None or not text.startswith(known, pos):
                    raise _NoMatch
                pos += len(known)
            elif op == TIME:
                value = text[pos:pos + 20]
                if not re.fullmatch(_TIME_TEXT, value):
                    raise _NoMatch
                try:
                    parsed = time.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
                except ValueError:  # a date that does not exist (31 April) is carried as is
                    raise _NoMatch from None
                import calendar  # encoding only: a verifier never loads it (nor locale)

                seconds = calendar.timegm(parsed) - EPOCH
                if not 0 <= seconds <= MAX_SECONDS:
                    raise _NoMatch
                mode = next(m for m, unit in enumerate(_MODE_UNITS) if seconds % unit == 0)
                out += varint((seconds // _MODE_UNITS[mode]) << 2 | mode)
                pos += 20
            elif op == INT:
                m = re.compile(_INT_TEXT).match(text, pos)
                if not m:
                    raise _NoMatch
                out += varint(int(m.group()))
                pos = m.end()
            elif op == HEX:
                value = text[pos:pos + 2 * item[1]]
                if len(value) != 2 * item[1] or not re.fullmatch(_HEX_TEXT, value):
                    raise _NoMatch
                out += bytes.fromhex(value)
                pos += len(value)
            elif op == CROCK:
                value = text[pos:pos + item[1]]
                if len(value) != item[1] or any(c not in _CROCK_INDEX for c in value):
                    raise _NoMatch
                n = 0
                for c in value:
                    n = n << 5 | _CROCK_INDEX[c]
                out += n.to_bytes((5 * item[1] + 7) // 8, "big")
                if item[2]:
                    env[item[2]] = value
                pos += item[1]
            elif op == B64:
                m = re.compile(_B64_TEXT).match(text, pos)
                assert m is not None  # the pattern matches the empty string
                try:
                    raw = b64u_decode(m.group())
                except ValueError:
                    raise _NoMatch from None
                if b64u_encode(raw) != m.group() or (item[1] and len(raw) != item[1]):
                    raise _NoMatch
                # A field of fixed size (a key id, a content hash) needs no length.
                out += (b"" if item[1] else varint(len(raw))) + raw
                pos = m.end()
            elif op == CHOICE:
                for i, alt in enumerate(item[1]):
                    trial, trial_env = bytearray(varint(i)), dict(env)
                    try:
                        pos_after = self._match(alt, text, pos, trial, trial_env)
                    except _NoMatch:
                        continue
                    out += trial
                    env.update(trial_env)
                    pos = pos_after
                    break
                else:
                    raise _NoMatch
            elif op == REPEAT:
                sep, body = item[1], item[2]
                count, trial = 0, bytearray()
                while count < MAX_REPEAT:
                    try:
                        pos_after = self._match(body, text, pos, trial, env)
                    except _NoMatch:
                        if count:
                            raise  # a separator was read, so another element must follow
                        break
                    count += 1
                    pos = pos_after
                    if not text.startswith(sep, pos):
                        break
                    pos += len(sep)
                out += varint(count) + trial
            else:  # CAPTURE
                start = pos
                pos = self._match(item[2], text, pos, out, env)
                env[item[1]] = text[start:pos]
        return pos

    def _string(self, value: str) -> bytes:
        """One string field. Its header varint's low bits say how it is carried: a table
        index (..0), text of tokens (.01), UTF-8 (011), digits (0111) or Khmer (1111)."""
        i = self.index.get(value)
        if i is not None:
            return varint(i << 1)
        if 0 < len(value) <= MAX_DIGITS_JS_SAFE and value.isascii() and value.isdigit():
            return varint(len(value) << 4 | 7) + varint(int(value))
        raw = value.encode("utf-8")
        forms = [varint(len(raw) << 3 | 3) + raw]
        tokens = self._tokenize(value)
        if tokens is not None:
            forms.insert(0, varint(len(tokens) << 2 | 1) + tokens)
        khmer = _khmer_bytes(value)
        if khmer is not None:
            forms.append(varint(len(khmer) << 4 | 15) + khmer)
        return min(forms, key=len)

    def _tokenize(self, value: str) -> bytes | None:
        """The fewest token bytes that spell `value` (printable ASCII stands for itself)."""
        n = len(value)
        best: list[tuple[int, int, int] | None] = [(0, 0, 0)] + [None] * n
        longest = self.longest_token
        for end in range(1, n + 1):
            for start in range(max(0, end - longest), end):
                prev = best[start]
                if prev is None:
                    continue
                piece = value[start:end]
                code = self.token_codes.get(piece)
                if code is None and len(piece) == 1 and 0x20 <= ord(piece) < 0x7F:
                    code = ord(piece)
                if code is None:
                    continue
                here = best[end]
                if here is None or prev[0] + 1 < here[0]:
                    best[end] = (prev[0] + 1, start, code)
        if best[n] is None:
            return None
        out = bytearray()
        end = n
        while end:
            step = best[end]
            assert step is not None
            out.append(step[2])
            end = step[1]
        return bytes(reversed(out))


class _NoMatch(Exception):
    """The template does not describe this text (the packer then answers None)."""


class _Reader:
    """Unpacking: one pass over the packed bytes, appending text (kept lean: every scan of a
    card runs it)."""

    def __init__(self, data: bytes, template: Template, limit: int) -> None:
        self.data, self.pos, self.template, self.limit = data, 0, template, limit

    def run(self, unpack: Unpacker) -> tuple[bytes, Any]:
        out: list[bytes] = []
        doc = unpack(self, out)
        data = b"".join(out)
        if len(data) > self.limit:
            raise InputTooLarge("unpacked QR content", len(data), self.limit)
        return data, doc

    def fail(self, message: str) -> None:
        raise QRFormatError(message)

    def too_large(self, repeated: int) -> None:
        """Refuse content whose repeated text alone is over the limit (counted before it
        is written)."""
        raise InputTooLarge("unpacked QR content's repeated text", repeated, self.limit)

    def _varint(self) -> int:
        data, pos = self.data, self.pos
        if pos < len(data) and data[pos] < 0x80:  # the common case: one byte
            self.pos = pos + 1
            return data[pos]
        value, self.pos = _varint_at(data, pos)
        return value

    def _bytes(self, n: int) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise QRFormatError("packed credential ends early (truncated?)")
        chunk = self.data[self.pos:end]
        self.pos = end
        return chunk

    # The slow paths `_generate`'s code calls (a variable-length key id), and single fields
    # read as text (for tests of each field's one encoding).

    def _b64(self, size: int) -> str:
        return b64u_encode(self._bytes(size or self._varint()))

    def _time(self) -> str:
        return _time_text(self._varint()).decode("ascii")

    def _crock(self, chars: int) -> str:
        return _crockford(self._bytes((5 * chars + 7) // 8), chars).decode("ascii")

    def _string(self, stop: str) -> str:
        value, self.pos = _read_string(self.template, self.data, self.pos, stop.encode())
        return value.decode("utf-8")


def _varint_at(d: bytes, p: int) -> tuple[int, int]:
    """A varint at `p`: (value, the position after it); at most 36 bits, no redundant byte."""
    value, shift = 0, 0
    while True:
        if p >= len(d):
            raise QRFormatError("packed credential ends early (truncated?)")
        byte = d[p]
        p += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            break
        shift += 7
        if shift > 35:
            raise QRFormatError("a packed number is too long")
    if byte == 0 and shift:
        raise QRFormatError("a packed number has a redundant byte (not canonical)")
    return value, p


def _read_string(template: Template, d: bytes, p: int, stop: bytes) -> tuple[bytes, int]:
    """A string field at `p` (see `Template._string`), as UTF-8: (value, the position after)."""
    h = d[p] if p < len(d) else 0x80
    if h < 0x80:
        p += 1
    else:
        h, p = _varint_at(d, p)
    if not h & 1:
        if h >> 1 >= len(template.strings):
            raise QRFormatError(f"unknown string {h >> 1} in the packed credential")
        return template.strings_utf8[h >> 1], p
    if h & 15 == 7:
        n = h >> 4
        if not 0 < n <= MAX_DIGITS_JS_SAFE:
            raise QRFormatError("a packed digit string has a bad length")
        if p + 1 < len(d) and d[p] >= 0x80 > d[p + 1] > 0:  # two bytes, as 4 digits are
            number, p = d[p] & 0x7F | d[p + 1] << 7, p + 2
        else:
            number, p = _varint_at(d, p)
        value = b"%0*d" % (n, number)
        if len(value) != n:
            raise QRFormatError("a packed digit string is longer than its length")
        if value in template.index_utf8:
            raise QRFormatError("a packed string is in the table (not canonical)")
        return value, p
    n = h >> (2 if h & 3 == 1 else 3 if h & 7 == 3 else 4)
    raw = d[p:p + n]
    if len(raw) != n:
        raise QRFormatError("packed credential ends early (truncated?)")
    p += n
    if h & 3 == 1:
        value = b"".join(map(template.text_utf8.__getitem__, raw))
    elif h & 7 == 3:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            raise QRFormatError("a packed string is not UTF-8") from None
        value = raw
    else:
        if not raw or max(raw) < 0x80:
            raise QRFormatError("a packed Khmer string has no Khmer (not canonical)")
        value = b"".join(map(_KHMER_UTF8.__getitem__, raw))
    if value in template.index_utf8 or (0 < len(value) <= MAX_DIGITS_JS_SAFE
                                        and value.isdigit()):
        raise QRFormatError("a packed string is not in its shortest form (not canonical)")
    if (_UNCLEAN.get(stop) or _unclean(stop)).search(value) is not None:
        raise QRFormatError("a packed string holds a character its place cannot")
    return value, p


# A Khmer literal's bytes as UTF-8: printable ASCII is itself, 0x80 + i is U+1780 + i.
_KHMER_UTF8 = [(chr(KHMER_FIRST - 0x80 + b) if b & 0x80 else chr(b)).encode("utf-8")
               for b in range(256)]


def _scan(text: str, pos: int, stop: str) -> int:
    """The end of a string field: its first stop character. JSON escapes are not packed."""
    for end in range(pos, len(text)):
        c = text[end]
        if c in stop:
            return end
        if c == "\\" or c < " ":
            raise _NoMatch
    raise _NoMatch


def _unclean(stop: bytes) -> re.Pattern[bytes]:
    """What a string packed before `stop` cannot hold: a stop character, a backslash or a
    control character."""
    pattern = _UNCLEAN[stop] = re.compile(b"[" + re.escape(stop) + b"\\\\\\x00-\\x1f]")
    return pattern


_UNCLEAN: dict[bytes, re.Pattern[bytes]] = {}


def _khmer_bytes(value: str) -> bytes | None:
    """A string of printable ASCII and Khmer, with some Khmer, as one byte a character."""
    out = bytearray()
    khmer = False
    for c in value:
        o = ord(c)
        if 0x20 <= o < 0x7F:
            out.append(o)
        elif KHMER_FIRST <= o < KHMER_FIRST + 0x80:
            out.append(o - KHMER_FIRST + 0x80)
            khmer = True
        else:
            return None
    return bytes(out) if khmer else None


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _compile(items: list[Any]) -> Items:
    out: list[tuple[Any, ...]] = []
    for item in items:
        if isinstance(item, str):
            out.append((LIT, item))
            continue
        t = item["t"]
        if t == "str":
            out.append((STR, item.get("name"), '"' + item.get("stop", "")))
        elif t == "ref":
            out.append((REF, item["name"]))
        elif t == "time":
            out.append((TIME,))
        elif t == "int":
            out.append((INT,))
        elif t == "hex":
            out.append((HEX, item["bytes"]))
        elif t == "crock":
            out.append((CROCK, item["chars"], item.get("name")))
        elif t == "b64":
            out.append((B64, item.get("bytes", 0)))
        elif t == "choice":
            out.append((CHOICE, tuple(_compile(alt) for alt in item["alts"])))
        elif t == "repeat":
            out.append((REPEAT, item["sep"], _compile(item["items"])))
        elif t == "capture":
            inner = _compile(item["items"])
            if len(inner) == 1 and inner[0][0] == STR and inner[0][1] is None:
                # One string captured is that string, named: no span of the text to join.
                out.append((STR, item["name"], inner[0][2]))
            else:
                out.append((CAPTURE, item["name"], inner))
        else:
            raise ValueError(f"unknown template item {t!r}")
    return tuple(out)


def _generate(items: Items, *, structured: bool = True) -> tuple[Unpacker, Bounds | None]:
    """`unpacker_source` compiled."""
    namespace: dict[str, Any] = {"_time_text": _time_text, "_int_text": _int_text,
                                 "P": _CROCK_PAIRS, "b64u_encode_bytes": b64u_encode_bytes,
                                 "_read_string": _read_string, "_varint_at": _varint_at}
    source, bounds = unpacker_source(items, structured=structured)
    exec(compile(source, "<qr template>", "exec"), namespace)
    return cast(Unpacker, namespace["unpack"]), bounds


def unpacker_source(items: Items, name: str = "unpack", *, structured: bool = True
                    ) -> tuple[str, Bounds | None]:
    """Straight-line Python that unpacks `items`, reading the packed bytes `d` at `p`, and
    the bounds of the JSON document it builds beside them (None: it builds none).

    Every scan of a card runs it, so the common cases are inline: one-byte numbers, strings
    from the table, fixed-size bytes; text goes out in runs (`extend`), and named values are
    locals. The rest calls the reader's methods. Reading past the end raises IndexError or
    meets a short slice, which `Template.unpack` reports as a truncated text. The function
    returns the document (passport/qrshape.py) when the template's text provably is one on
    every path, and None otherwise.
    """
    from passport.qrshape import Unstructured  # generating only: a scan never needs it

    try:
        if structured:
            return _unpacker_source(items, name, structured=True)
    except Unstructured:
        pass
    return _unpacker_source(items, name, structured=False)


def _unpacker_source(items: Items, name: str, *, structured: bool) -> tuple[str, Bounds | None]:
    from passport.qrshape import Shape, State, Unstructured

    # `left`: what a `ref` may still write. Every other field writes a bounded multiple of its
    # packed bytes, but a ref repeats a capture for nothing: a repeat of refs to a long
    # capture could write megabytes from a few thousand characters, so refs are counted as
    # they go (the whole is held to the limit after).
    lines = [f"def {name}(r, out):", " emit = out.extend", " d = r.data",
             " T1 = r.template.one_byte", " T2 = r.template.two_byte", " p = r.pos",
             " left = r.limit", " root = None"]
    names = sorted(_names(items))
    lines += [f" n_{name} = None" for name in names]
    counter = [0]

    def fresh() -> str:
        counter[0] += 1
        return f"v{counter[0]}"

    shape = Shape(lines, fresh) if structured else None

    def gen(items: Items, ind: str) -> None:
        pending: list[str] = []  # expressions of the run of text not yet emitted

        def flush() -> None:
            if pending:
                lines.append(f"{ind}emit(({', '.join(pending)},))")
                pending.clear()

        def number(v: str) -> None:
            # One byte, or two (the second nonzero: canonical) inline; longer by `_varint_at`.
            w = f"{v}w"
            lines.extend([f"{ind}{v} = d[p]", f"{ind}if {v} < 128:", f"{ind} p += 1",
                          f"{ind}elif 0 < ({w} := d[p + 1]) < 128:",
                          f"{ind} {v} = {v} & 127 | {w} << 7", f"{ind} p += 2",
                          f"{ind}else:", f"{ind} {v}, p = _varint_at(d, p)"])

        def take(v: str, n: int) -> None:
            lines.extend([f"{ind}{v} = d[p:p + {n}]", f"{ind}if len({v}) != {n}:",
                          f"{ind} r.fail('packed credential ends early (truncated?)')",
                          f"{ind}p += {n}"])

        def text(source: str) -> None:
            """A field's text (a variable holding its UTF-8), out and into the document."""
            pending.append(source)
            if shape:
                shape.text_hole(source)

        lines.append(f"{ind}pass")
        for item in items:
            op = item[0]
            if op == LIT:
                pending.append(repr(item[1].encode("utf-8")))
                if shape:
                    shape.text(item[1], ind)
            elif op == STR:
                # A table index by the byte (T1) or by its one two-byte encoding (T2), as
                # `_read_string` reads them; any other form by `_read_string`.
                v = fresh()
                lines.extend([
                    f"{ind}{v} = T1[d[p]]",
                    f"{ind}if {v} is not None:",
                    f"{ind} p += 1",
                    f"{ind}elif ({v} := T2.get(d[p:p + 2])) is not None:",
                    f"{ind} p += 2",
                    f"{ind}else:",
                    f"{ind} {v}, p = _read_string(r.template, d, p, {item[2].encode()!r})"])
                if item[1]:
                    lines.append(f"{ind}n_{item[1]} = {v}")
                text(v)
            elif op == REF:
                # Read now: a later capture of the same name must not change what was read.
                v = fresh()
                lines.extend([f"{ind}{v} = n_{item[1]}", f"{ind}if {v} is None:",
                              f"{ind} r.fail('packed credential refers to an absent {item[1]}')",
                              f"{ind}left -= len({v})", f"{ind}if left < 0:",
                              f"{ind} r.too_large(r.limit - left)"])
                text(v)
            elif op == TIME:
                v = fresh()
                number(v)
                lines.append(f"{ind}{v} = _time_text({v})")
                text(v)
            elif op == INT:
                v = fresh()
                number(v)
                lines.append(f"{ind}{v}t = _int_text({v})")
                pending.append(f"{v}t")
                if shape:
                    shape.number_hole(v, f"{v}t", ind)
            elif op == HEX:
                v = fresh()
                take(v, item[1])
                lines.append(f"{ind}{v} = {v}.hex().encode()")
                text(v)
            elif op == CROCK:
                # `_crockford`, unrolled: two digits for each 10 bits.
                v, chars = fresh(), item[1]
                take(v, (5 * chars + 7) // 8)
                pairs = (5 * chars + 9) // 10
                shift = 5 * (chars % 2)  # a final half pair, dropped
                lines.extend([
                    f"{ind}{v} = int.from_bytes({v}, 'big')",
                    f"{ind}if {v} >> {5 * chars}:",
                    f"{ind} r.fail('a packed id has padding bits set (not canonical)')",
                    f"{ind}{v} = b''.join(("
                    + "".join(f"P[{_bits(v, shift, 10 * (pairs - 1 - i))}], " for i in range(pairs))
                    + f")){'[:-1]' if shift else ''}"])
                if item[2]:
                    lines.append(f"{ind}n_{item[2]} = {v}")
                text(v)
            elif op == B64:
                v = fresh()
                if item[1]:
                    take(v, item[1])
                    lines.append(f"{ind}{v} = b64u_encode_bytes({v})")
                else:
                    lines.extend([f"{ind}r.pos = p", f"{ind}{v} = r._b64(0).encode()",
                                  f"{ind}p = r.pos"])
                text(v)
            elif op == CHOICE:
                flush()
                v = fresh()
                inside = shape.string_choice() if shape else None
                if shape and not inside:
                    shape.write_out(ind)
                    entry, ends = shape.state(), []
                lines.extend([f"{ind}{v} = d[p]", f"{ind}p += 1"])
                for i, alt in enumerate(item[1]):
                    lines.append(f"{ind}{'if' if i == 0 else 'elif'} {v} == {i}:")
                    if shape and inside:
                        shape.string_branch(inside[0])
                    elif shape:
                        shape.restore(entry)
                    gen(alt, ind + " ")
                    if shape and inside:
                        shape.end_string_branch(inside[0], f"{v}s", ind + " ")
                    elif shape:
                        shape.write_out(ind + " ")
                        ends.append(shape.state())
                lines.append(f"{ind}else:")
                lines.append(f"{ind} r.fail('a packed choice is out of range')")
                if shape and inside:
                    shape.end_string_choice(*inside, f"{v}s")
                elif shape:
                    shape.restore(shape.same_place(ends, "a choice's alternatives"))
            elif op == REPEAT:
                flush()
                v = fresh()
                if shape:
                    if shape.string is not None or item[1].strip(" \t\r\n,"):
                        raise Unstructured("a list inside a string, or a separator with a value")
                    shape.write_out(ind)
                number(f"{v}n")
                lines.extend([
                    # Every element costs at least one byte: a list cannot outgrow its text.
                    f"{ind}if {v}n > {MAX_REPEAT} or {v}n > len(d) - p:",
                    f"{ind} r.fail('a packed list is longer than its bytes')",
                    f"{ind}for {v} in range({v}n):",
                              f"{ind} if {v}:", f"{ind}  out.append({item[1].encode()!r})"])
                if not shape:
                    gen(item[2], ind + " ")
                    continue
                before = shape.state()
                expect = before.expect
                mark, count = len(lines), counter[0]
                while True:  # the body from any place it can start: the first, or after sep
                    shape.restore(State(before.frames, expect))
                    gen(item[2], ind + " ")
                    shape.write_out(ind + " ")
                    after = shape.state()
                    shape.text(item[1], ind + " ")
                    again = shape.state()
                    shape.same_place([before, after, again], "a list's items")
                    if again.expect <= expect:
                        break
                    expect |= again.expect
                    del lines[mark:]
                    counter[0] = count
                shape.restore(shape.same_place([before, after], "a list"))
            else:  # CAPTURE
                flush()
                v = fresh()
                lines.append(f"{ind}{v} = len(out)")
                where = shape.in_string() if shape else None
                if shape and where is None:
                    raise Unstructured(f"the capture {item[1]!r} is not inside a string")
                gen(item[2], ind)
                if shape and shape.in_string() != where:
                    raise Unstructured(f"the capture {item[1]!r} spans more than one string")
                lines.append(f"{ind}n_{item[1]} = b''.join(out[{v}:])")
        flush()

    gen(items, " ")
    lines.append(" r.pos = p")
    if shape:
        shape.finish()
        lines.append(" return root")
    return "\n".join(lines) + "\n", Bounds(shape.depth, shape.digits) if shape else None


def module_source(templates: dict[str, Template]) -> str:
    """passport/_qr_templates_compiled.py: the unpackers of `templates` (the SHA-256 of each
    template file -> its compiled template), generated ahead so that no scan compiles them."""
    out = ['"""QR template unpackers generated by passport.qrpack from passport/data/qr-template-v*.json:',
           "written by tools/qr_template_module.py, never edited. passport.qr uses an entry only",
           "for the template file whose SHA-256 it is keyed by; otherwise it generates the code",
           'at run time."""', "# mypy: ignore-errors", "# ruff: noqa", "",
           "from passport.b64 import b64u_encode_bytes",
           "from passport.qrpack import _CROCK_PAIRS as P",
           "from passport.qrpack import _int_text, _read_string, _time_text, _varint_at",
           "from passport.qrpack import Bounds", ""]
    entries = []
    for sha256, template in sorted(templates.items()):
        names = (f"_header_{sha256[:16]}", f"_payload_{sha256[:16]}")
        bounds = []
        for name, items in zip(names, (template.header, template.payload), strict=True):
            source, bound = unpacker_source(items, name)
            out += ["", source]
            bounds.append(bound)
        entries.append(f"    {sha256!r}: ({names[0]}, {names[1]}, {bounds[0]!r}, {bounds[1]!r}),")
    return "\n".join([*out, "", "UNPACKERS = {", *entries, "}", ""])


def _bits(v: str, shift: int, right: int) -> str:
    """Source for the 10 bits of `v << shift` from bit `right` up."""
    shifted = f"({v} << {shift})" if shift else v
    return f"{shifted} >> {right} & 1023" if right else f"{shifted} & 1023"


def _names(items: Items) -> set[str]:
    out: set[str] = set()
    for item in items:
        if item[0] in (STR, REF):
            out |= {item[1]} if item[1] else set()
        elif item[0] == CROCK and item[2]:
            out.add(item[2])
        elif item[0] == CAPTURE:
            out.add(item[1])
            out |= _names(item[2])
        elif item[0] == CHOICE:
            for alt in item[1]:
                out |= _names(alt)
        elif item[0] == REPEAT:
            out |= _names(item[2])
    return out


def _time_text(v: int) -> bytes:
    mode, seconds = v & 3, (v >> 2) * _MODE_UNITS[v & 3]
    if seconds > MAX_SECONDS:
        raise QRFormatError("a packed date is out of range")
    if mode and seconds % _MODE_UNITS[mode - 1] == 0:
        raise QRFormatError("a packed date is not in its shortest form")
    days, rest = divmod(seconds, 86_400)
    return b"%sT%02d:%02d:%02dZ" % (_day_text(days), rest // 3600, rest // 60 % 60, rest % 60)


@lru_cache(maxsize=4096)
def _day_text(days: int) -> bytes:
    return time.strftime("%Y-%m-%d", time.gmtime(EPOCH + 86_400 * days)).encode("ascii")


def _int_text(v: int) -> bytes:
    if v >= 10 ** 15:
        raise QRFormatError("a packed number is out of range")
    return b"%d" % v


# Two Crockford digits for each 10 bits: a 60-bit id is six lookups.
_CROCK_PAIRS = [(a + b).encode("ascii") for a in CROCKFORD for b in CROCKFORD]


def _crockford(raw: bytes, chars: int) -> bytes:
    """`chars` base-32 digits from their bits, right-aligned in `raw` (the spare bits zero)."""
    bits = 5 * chars
    n = int.from_bytes(raw, "big")
    if n >> bits:
        raise QRFormatError("a packed id has padding bits set (not canonical)")
    if chars % 2:
        n <<= 5  # a final half pair, dropped below
    pairs = (bits + 9) // 10
    text = b"".join([_CROCK_PAIRS[(n >> 10 * (pairs - 1 - i)) & 1023] for i in range(pairs)])
    return text[:chars]
