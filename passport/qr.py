"""The QR transport: a lossless, compact carriage of one exact compact JWS.

    v1: QR text = "SP1:" + Base45( signature || rawDeflate(zdict)( hlen || header || payload ) )
    v2: QR text = "SP2:" + Base45( signature || form || body )
        form 1: body = the template's fields for header and payload (passport/qrpack.py)
        form 0: body = rawDeflate(zdict)( hlen || header || payload ), as v1 (any other JWS)

`hlen` is the header's byte length as a LEB128 varint; header and payload are the decoded
bytes of the JWS's first two segments, the signature the raw 64 bytes. Decoding re-encodes
them as base64url, so the result is byte-identical to the signed JWS: one signature, two
transports. Each dictionary and template is frozen (its SHA-256 is pinned below) so that a
card printed today still decodes in twenty years. v2 packs the product's own credentials by
their structure (a template with the fixed text, and only the fields that vary), which is what
brings every credential kind within QR version 15 at ECC Q; a JWS the template does not
describe (another issuer's, or a later credential shape) still round-trips, deflated. v2's
deflate form uses v1's frozen dictionary.

Only canonical text decodes, so that a card's text cannot be varied while its credential
stays the same (a second text for one card would pass any check keyed on the text): the
version is written without leading zeros ('SP1:', never 'SP01:'); the Base45 is the one
encoding of its bytes (`base45.decode` refuses groups out of range); the deflate stream ends
in its last byte, whose padding bits (after the final block) are zero, as zlib writes them;
v2's form is a one-byte varint, and its template fields each have one encoding (qrpack).
Surrounding whitespace is not part of the text (a scanner or a file may add a newline).
"""

import re
import zlib
from functools import cache
from typing import NamedTuple

from passport import base45, jsonread, qrpack, sha256
from passport.b64 import b64u_decode, b64u_encode_bytes
from passport.errors import InputTooLarge, QRFormatError
from passport.fileio import package_file
from passport.jsonread import Document

# The largest QR code (version 40-L) holds 4296 alphanumeric characters.
MAX_QR_TEXT = 4296
# A credential's header plus payload never needs more; anything that inflates past this is
# refused while inflating, so a small QR cannot become a large allocation.
MAX_INFLATED = 16_384
SIGNATURE_BYTES = 64
CURRENT_VERSION = 2
# v2's forms: the template's packing of the product's credentials, or deflate of any JWS.
FORM_DEFLATE, FORM_TEMPLATE = 0, 1
# Error correction is the codec's choice, not the card's: Q survives 25% damage.
ECC_LEVEL = "Q"
# What may surround the text (a scanner's or a file's line end), and nothing else: Unicode's
# other spaces are no more part of a card than any other character (the page trims the same).
WHITESPACE = " \t\r\n"


class DictionaryVersion(NamedTuple):
    """A frozen data file of the codec: its version, file name and pinned SHA-256."""

    version: int
    filename: str
    sha256: str


DICTIONARIES = {
    1: DictionaryVersion(1, "qr-dict-v1.bin", "78f45050094f03c66d318d0accf82e77c7d58aa5551fb1e22c3e8194402bf182"),
    # v2 deflates what its template does not describe with v1's dictionary.
    2: DictionaryVersion(2, "qr-dict-v1.bin", "78f45050094f03c66d318d0accf82e77c7d58aa5551fb1e22c3e8194402bf182"),
}
TEMPLATES = {
    2: DictionaryVersion(2, "qr-template-v2.json", "ae10804f4bfdddf28c7f521b58b63c5d2c035c58a809fdd2b69a85143a273f77"),
}


@cache
def dictionary(version: int) -> bytes:
    spec = DICTIONARIES.get(version)
    if spec is None:
        raise QRFormatError(f"unknown codec version {version}", position=2)
    data = package_file("passport", "data", spec.filename).read_bytes()
    if sha256.hexdigest(data) != spec.sha256:
        # A frozen dictionary that changed would silently break every printed card.
        raise RuntimeError(f"QR dictionary v{version} does not match its pinned hash")
    return data


@cache
def template(version: int) -> qrpack.Template:
    return _template(version, _compiled_unpackers().get(TEMPLATES[version].sha256))


def _template(version: int, compiled: qrpack.Compiled | None) -> qrpack.Template:
    spec = TEMPLATES[version]
    data = package_file("passport", "data", spec.filename).read_bytes()
    if sha256.hexdigest(data) != spec.sha256:
        raise RuntimeError(f"QR template v{version} does not match its pinned hash")
    doc = jsonread.loads(data, jsonread.Limits(max_bytes=1 << 20, max_depth=32))
    assert isinstance(doc, dict)
    return qrpack.Template(doc, compiled)


def _compiled_unpackers() -> dict[str, qrpack.Compiled]:
    """The unpackers generated ahead (tools/qr_template_module.py), by template SHA-256."""
    try:
        from passport import _qr_templates_compiled as generated
    except ImportError:
        return {}
    return dict(generated.UNPACKERS)


def templates_module_source() -> str:
    """passport/_qr_templates_compiled.py as the pinned templates and qrpack now make it."""
    # Made afresh: the module written before may be a former generator's.
    return qrpack.module_source({spec.sha256: _template(v, None) for v, spec in TEMPLATES.items()})


def prefix(version: int) -> str:
    return f"SP{version}:"


def _deflate(data: bytes, zdict: bytes, cuts: list[int]) -> bytes:
    comp = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, zdict=zdict)
    out, start = [], 0
    for cut in cuts:
        out.append(comp.compress(data[start:cut]))
        out.append(comp.flush(zlib.Z_BLOCK))
        start = cut
    out.append(comp.compress(data[start:]))
    out.append(comp.flush())
    return b"".join(out)


_PREFIX = re.compile(r"SP([0-9]{1,3}):")  # ASCII digits, as the page reads it
# Long hexadecimal runs (an identity hash) code better in a Huffman block of their own.
_HEX_RUN = rb"[0-9a-f]{32,}"  # compiled on first use (encoding only)


def encode(compact_jws: str, *, version: int = CURRENT_VERSION) -> str:
    """Compact JWS -> QR text. Refuses a JWS that could not be restored byte for byte."""
    parts = compact_jws.split(".")
    if len(parts) != 3:
        raise QRFormatError("a compact JWS has 3 dot-separated parts")
    try:
        header, payload, signature = (b64u_decode(p) for p in parts)
    except ValueError as exc:
        raise QRFormatError(f"JWS segment is {exc}") from None
    if len(signature) != SIGNATURE_BYTES:
        raise QRFormatError("only 64-byte Ed25519 signatures are carried")
    body = qrpack.varint(len(header)) + header + payload
    if len(body) > MAX_INFLATED:
        raise InputTooLarge("JWS header and payload", len(body), MAX_INFLATED)
    zdict = dictionary(version)
    # Every candidate is valid raw deflate; the decoder does not care which was chosen.
    candidates = [_deflate(body, zdict, [])]
    for run in re.finditer(_HEX_RUN, body):
        candidates.append(_deflate(body, zdict, [run.start(), run.end()]))
    deflated = min(candidates, key=len)
    if version in TEMPLATES:
        # The template form when it is the shorter (it is, for every credential the product
        # issues; a credential of long repetitive text deflates better).
        fields = template(version).pack(header, payload)
        if fields is not None and len(fields) <= len(deflated):
            packed = signature + bytes((FORM_TEMPLATE,)) + fields
        else:
            packed = signature + bytes((FORM_DEFLATE,)) + deflated
    else:
        packed = signature + deflated
    text = prefix(version) + base45.encode(packed)
    if len(text) > MAX_QR_TEXT:
        raise InputTooLarge("QR text", len(text), MAX_QR_TEXT)
    return text


def decode(text: str) -> str:
    """QR text -> the exact compact JWS it carries, or a `QRFormatError` naming the place."""
    return decode_parts(text)[0]


class Decoded(NamedTuple):
    """What a QR text carries: the compact JWS and its parts, and the JSON documents of its
    header and payload where the template form builds them beside the bytes."""

    compact: str
    header: bytes
    payload: bytes
    signature: bytes
    signing_input: bytes
    header_document: Document | None = None
    payload_document: Document | None = None


def decode_parts(text: str) -> Decoded:
    """QR text -> the compact JWS, its parts and (the template form) their documents."""
    text = text.strip(WHITESPACE)
    if len(text) > MAX_QR_TEXT:
        raise InputTooLarge("QR text", len(text), MAX_QR_TEXT)
    match = _PREFIX.match(text)
    if not match:
        raise QRFormatError("does not start with a Skills Passport prefix such as 'SP1:'",
                            position=0)
    digits = match.group(1)
    if digits[0] == "0":
        raise QRFormatError("the codec version has a leading zero (canonical text starts "
                            "'SP1:')", position=2)
    version = int(digits)
    # Refused before anything is decoded; the dictionary itself is read only by the deflate
    # form (the template form has no use for it).
    if version not in DICTIONARIES:
        raise QRFormatError(f"unknown codec version {version}", position=2)
    end = match.end()
    packed = base45.decode(text[end:], offset=end)
    templated = version in TEMPLATES
    start = SIGNATURE_BYTES + templated
    if len(packed) <= start:
        raise QRFormatError("too short to hold a signed credential (truncated?)",
                            position=len(text) - 1)
    signature = packed[:SIGNATURE_BYTES]
    form = packed[SIGNATURE_BYTES] if templated else FORM_DEFLATE
    header_document = payload_document = None
    if form == FORM_TEMPLATE:
        header, payload, header_document, payload_document = template(version).read(
            packed[start:], MAX_INFLATED)
        if not header:
            raise QRFormatError("header length is out of range")
    elif form == FORM_DEFLATE:
        body = _inflate_canonical(packed[start:], dictionary(version), len(text) - 1)
        header_len, used = _read_varint(body)
        header = body[used:used + header_len]
        if len(header) != header_len or header_len == 0:
            raise QRFormatError("header length is out of range")
        payload = body[used + header_len:]
    else:
        raise QRFormatError(f"unknown packing form {form} (a newer codec?)", position=end)
    # Joined, not added: each `+` would copy the whole payload's text once more.
    signing_input = b".".join((b64u_encode_bytes(header), b64u_encode_bytes(payload)))
    compact = b".".join((signing_input, b64u_encode_bytes(signature))).decode("ascii")
    # Built without NamedTuple's Python-level __new__ (fields in order): every scan.
    return tuple.__new__(Decoded, (compact, header, payload, signature, signing_input,
                                   header_document, payload_document))


def _inflate_canonical(deflated: bytes, zdict: bytes, end: int) -> bytes:
    """Inflate a stream that ends in its last byte with zero padding bits, within the bound.

    Padding bits are the last byte's high bits, after the final block's end code. Whether the
    last byte's highest set bit is padding is asked of zlib itself, on a copy of the inflater
    taken before that byte: with the bit cleared, does the stream still end, with the same
    output? If so, the bit was never read, and the text is a variant of the one whose padding
    is zero. (A data bit cleared changes the end code, or what the last code writes.)
    """
    inflater = zlib.decompressobj(-15, zdict=zdict)
    try:
        head = inflater.decompress(deflated[:-1], MAX_INFLATED + 1)
        if len(head) > MAX_INFLATED or inflater.unconsumed_tail:
            raise InputTooLarge("inflated QR content", len(head), MAX_INFLATED)
        if inflater.eof:
            raise QRFormatError("unexpected data after the compressed content")
        probe = inflater.copy() if deflated[-1] else None
        tail = inflater.decompress(deflated[-1:], MAX_INFLATED + 1 - len(head))
    except zlib.error as exc:
        raise QRFormatError(f"compressed data is corrupt ({exc})") from None
    if len(head) + len(tail) > MAX_INFLATED or inflater.unconsumed_tail:
        raise InputTooLarge("inflated QR content", len(head) + len(tail), MAX_INFLATED)
    if not inflater.eof:
        raise QRFormatError("compressed data ends early (truncated?)", position=end)
    if probe is not None:
        last = deflated[-1]
        try:
            same = probe.decompress(bytes((last ^ 1 << (last.bit_length() - 1),)),
                                    MAX_INFLATED + 1) == tail and probe.eof
        except zlib.error:
            same = False
        if same:
            raise QRFormatError("the compressed data's last byte has padding bits set "
                                "(not canonical)", position=end)
    return head + tail


def _read_varint(data: bytes) -> tuple[int, int]:
    value = 0
    for i, byte in enumerate(data[:3]):
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            return value, i + 1
    raise QRFormatError("header length is malformed")


def is_qr_text(text: str) -> bool:
    return _PREFIX.match(text.lstrip(WHITESPACE)) is not None


def qr_version(text: str, ecc: str = ECC_LEVEL) -> int:
    """The smallest QR version that holds `text` at error-correction level `ecc`."""
    import segno

    code = segno.make_qr(text, error=ecc.lower(), boost_error=False)
    return int(code.version)
