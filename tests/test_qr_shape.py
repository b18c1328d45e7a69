"""The QR template's unpacker builds each JSON document beside its bytes (passport/qrshape.py):
the document must be exactly what a JSON reader makes of those bytes (values, types, key
order), on every path through the template, or not be built at all."""

from __future__ import annotations

import copy
import json
import random
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from passport import base45, jsonread, qr, qrpack
from passport.credential import encode_claims
from passport.errors import InputTooLarge, QRFormatError
from passport.qrshape import Unstructured
from passport.verify import verify
from rpl_rubrics import catalogue
from rpl_rubrics.credentials import achievement_claims_for
from tests.attacks import qr2_repeated_text_bomb, signed, unit_results
from tests.conftest import TEST_KEYS
from tests.fuzz import mutate_bytes
from tests.world import World

VECTORS = Path(__file__).parent / "vectors"
FIELDS = 65  # the signature and the form byte; the template's fields follow


def exactly(a: Any, b: Any) -> bool:
    """Equal values of the same types, objects with their keys in the same order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(exactly(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(exactly(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def assert_documents_are_the_bytes(decoded: qr.Decoded) -> None:
    assert decoded.header_document is not None and decoded.payload_document is not None
    assert exactly(decoded.header_document.value, json.loads(decoded.header))
    assert exactly(decoded.payload_document.value, json.loads(decoded.payload))


def test_every_template_vector_decodes_to_its_documents() -> None:
    texts = sorted((VECTORS / "v2").glob("*.qr.txt"))
    templated = 0
    for path in texts:
        decoded = qr.decode_parts(path.read_text())
        if base45.decode(path.read_text().strip()[4:])[64] == qr.FORM_TEMPLATE:
            assert_documents_are_the_bytes(decoded)
            templated += 1
        else:  # the deflate form (and v1): read as JSON, as any JWS
            assert decoded.header_document is None and decoded.payload_document is None
    assert templated == 4
    for path in (VECTORS / "v1").glob("*.qr.txt"):
        assert qr.decode_parts(path.read_text()).payload_document is None


def test_the_template_v2_is_structured() -> None:
    template = qr.template(2)
    assert template.header_bounds == (1, 0)
    assert template.payload_bounds is not None and template.payload_bounds.depth == 6


# -- random credentials of every kind -----------------------------------------------------

_ALPHABETS = (
    "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-'",
    "ក ខ គ ឃ ង ច ឆ ជ ឈ ញ ដ ឋ ឌ ឍ ណ ត ថ ទ ធ ន ប ផ ព ភ ម យ រ ល វ ស ហ ឡ អ ា ិ ី ឹ ឺ ុ ូ ួ ើ ឿ ៀ េ ែ ៃ ោ ៅ ំ ះ ់ ្",
    "0123456789",
    "ÀÉÎÕÜßñç€™—“”…日本語한국어العربية",
    "\"\\\n\t\x00/:#",  # what the template may not carry: such a credential is deflated
)


def _text(rng: random.Random) -> str:
    alphabet = rng.choice(_ALPHABETS[:4] if rng.random() < 0.9 else _ALPHABETS)
    return "".join(rng.choice(alphabet) for _ in range(rng.choice((0, 1, 4, 12, 40, 90))))


def _vary(rng: random.Random, claims: dict[str, Any]) -> dict[str, Any]:
    """The free text and numbers of a credential changed at random (what is fixed, or
    repeated elsewhere in it, kept: the template describes it)."""
    claims = copy.deepcopy(claims)
    subject = claims["credentialSubject"]
    achievement = subject["achievement"]
    texts = [(subject, "name"), (subject, "nameKm"), (subject, "nationalIdLast4"),
             (achievement, "name"), (achievement, "nameKm"), (achievement, "description"),
             (achievement["criteria"], "narrative"),
             *((a, "targetName") for a in achievement["alignment"])]
    for place, key in texts:
        if rng.random() < 0.4:
            place[key] = _text(rng)
    for result in subject.get("result", ()):
        if rng.random() < 0.2:
            result["resultDescription"] = achievement["id"] + "#" + _text(rng)
    for place, key in ((subject, "birthYear"), (achievement, "learningHours")):
        if key in place and rng.random() < 0.3:
            place[key] = rng.choice((0, 7, 1990, 10**9, 10**14))
    return claims


def _credentials(rng: random.Random, world: World) -> list[dict[str, Any]]:
    out = []
    for rubric in catalogue.bundled().values():
        units = [u.code for u in rubric.units]
        out.append(world.claims(achievement=achievement_claims_for(rubric, full=True),
                                results=units))
        out.append(world.claims(achievement=achievement_claims_for(rubric, full=False),
                                results=rng.sample(units, rng.randint(1, len(units)))))
    training = world.claims(achievement=copy.deepcopy(out[0]["credentialSubject"]["achievement"]),
                            results=None)
    subject = training["credentialSubject"]
    subject["achievement"]["learningHours"] = 40
    subject["activityStartDate"], subject["activityEndDate"] = (
        "2026-10-05T00:00:00Z", "2026-10-16T00:00:00Z")
    out.append(training)
    return out


def _signed(world: World, claims: dict[str, Any], header: dict[str, Any] | None = None) -> str:
    head = header or {"alg": "EdDSA", "cty": "vc", "kid": world.issuer_key.kid, "typ": "vc+jwt"}
    return signed(json.dumps(head, separators=(",", ":")).encode(), encode_claims(claims),
                  world.issuer_key)


def test_random_credentials_of_every_kind_decode_to_their_documents() -> None:
    world = World(key_prefix=TEST_KEYS)
    rng = random.Random(2026)
    base = _credentials(rng, world)
    headers = [None, {"alg": "EdDSA", "cty": "vc", "kid": "another key id", "typ": "vc+jwt"},
               {"alg": "Ed25519", "cty": "vc+ld+json", "kid": world.issuer_key.kid,
                "typ": "application/vc+jwt"}]
    templated = deflated = 0
    for n in range(600):
        claims = _vary(rng, base[n % len(base)])
        if rng.random() < 0.3:  # validUntil dropped, or added after validFrom
            claims = {k: v for k, v in claims.items() if k != "validUntil"} \
                if "validUntil" in claims else dict(
                    (kv for k, v in claims.items()
                     for kv in ([(k, v), ("validUntil", "2031-01-01T00:00:00Z")]
                                if k == "validFrom" else [(k, v)])))
        if rng.random() < 0.2:
            claims["@context"] = claims["@context"][: rng.randint(1, len(claims["@context"]))]
        text = qr.encode(_signed(world, claims, rng.choice(headers)))
        decoded = qr.decode_parts(text)
        if base45.decode(text[4:])[64] == qr.FORM_TEMPLATE:
            assert_documents_are_the_bytes(decoded)
            templated += 1
        else:
            deflated += 1
    # Both forms were reached: the variations stayed mostly within the template.
    assert templated > 400 and deflated > 10


def test_damaged_packings_that_decode_have_their_documents() -> None:
    world = World(key_prefix=TEST_KEYS)
    rng = random.Random(7)
    cards = [base45.decode(qr.encode(_signed(world, c))[4:])
             for c in _credentials(rng, world)[::3]]
    read = 0
    for _ in range(4000):
        data = mutate_bytes(rng, rng.choice(cards), start=FIELDS)
        try:
            decoded = qr.decode_parts("SP2:" + base45.encode(data))
        except (QRFormatError, InputTooLarge):
            continue
        assert_documents_are_the_bytes(decoded)
        read += 1
    assert read > 100


# -- the grammar, on small templates --------------------------------------------------------

HEADER = ['{"alg":"', {"t": "str"}, '"}']


def _template(payload: list[Any], strings: tuple[str, ...] = ("a",)) -> qrpack.Template:
    return qrpack.Template({"version": 9, "header": HEADER, "payload": payload,
                            "strings": list(strings), "tokens": []})


STR, INT, TIME = {"t": "str"}, {"t": "int"}, {"t": "time"}

# (name, payload template, texts it packs); each text's document must be json.loads of it.
STRUCTURED = [
    ("an object of constants", ['{"a":[1,-2,true,false,null,{}],"b":{"c":[]}}'],
     ['{"a":[1,-2,true,false,null,{}],"b":{"c":[]}}']),
    ("white space between tokens", ['{ "a" : [ 1 , "x" ] ,\n"b":', INT, ' }'],
     ['{ "a" : [ 1 , "x" ] ,\n"b":5 }']),
    ("a list of strings", ['{"l":[', {"t": "repeat", "sep": ",", "items": ['"', STR, '"']}, "]}"],
     ['{"l":[]}', '{"l":["x"]}', '{"l":["x","yy","a"]}']),
    ("a list of objects", ['[', {"t": "repeat", "sep": ",", "items": ['{"n":', INT, "}"]}, "]"],
     ["[]", '[{"n":1},{"n":22}]']),
    ("an optional member", ['{"a":"', STR, '"', {"t": "choice", "alts": [
        [',"b":', INT], []]}, "}"], ['{"a":"x"}', '{"a":"x","b":3}']),
    ("alternatives that close an object", ['{"o":{"a":"x"', {"t": "choice", "alts": [
        ["}", ',"z":[', {"t": "repeat", "sep": ",", "items": [INT]}, "]"],
        [',"b":2}']]}, "}"], ['{"o":{"a":"x"},"z":[1,2]}', '{"o":{"a":"x","b":2}}']),
    ("a choice inside a string", ['{"u":"', {"t": "choice", "alts": [
        ["https://", {"t": "str", "stop": "/"}], [{"t": "str", "stop": "/"}]]}, '/x"}'],
     ['{"u":"https://h/x"}', '{"u":"ftp/x"}']),
    ("a capture and its ref", ['{"a":"', {"t": "capture", "name": "c", "items": [STR]},
                               '","b":"', {"t": "ref", "name": "c"}, '#', STR, '"}'],
     ['{"a":"k","b":"k#u"}']),
    ("digits and dates in strings", ['{"n":"', INT, '","t":"', TIME, '"}'],
     ['{"n":"42","t":"2026-01-02T03:04:05Z"}']),
    ("a number at the top", [INT], ["0", "4294967296"]),
    ("repeated keys (the last value, the first place)", ['{"a":1,"b":"', STR, '","a":2}'],
     ['{"a":1,"b":"x","a":2}']),
    ("Khmer and other text", ['{"km":"', STR, '","x":"é"}'],
     ['{"km":"សុខ","x":"é"}', '{"km":"日本","x":"é"}']),
]


@pytest.mark.parametrize(("payload", "texts"), [(p, t) for _, p, t in STRUCTURED],
                         ids=[name for name, _, _ in STRUCTURED])
def test_templates_whose_text_is_json_build_its_document(payload: list[Any],
                                                         texts: list[str]) -> None:
    template = _template(payload)
    assert template.payload_bounds is not None
    for text in texts:
        packed = template.pack(b'{"alg":"EdDSA"}', text.encode())
        assert packed is not None, text
        read = template.read(packed)
        assert read.payload == text.encode()
        assert read.payload_document is not None
        assert exactly(read.payload_document.value, json.loads(text))
        assert exactly(read.header_document and read.header_document.value, {"alg": "EdDSA"})


UNSTRUCTURED = [
    ("an escape in literal text", ['{"a":"x\\"y', STR, '"}']),
    ("a fraction", ['{"a":1.5}']),
    ("a number a field would extend", ['{"a":1', INT, "}"]),
    ("a text field outside a string", ['{"a":', STR, "}"]),
    ("a field in a key", ['{"', STR, '":1}']),
    ("a date outside a string", ['{"a":', TIME, "}"]),
    ("alternatives leaving different containers open", ['{"a":', {"t": "choice", "alts": [
        ["[1"], ["{}"]]}, "]}"]),
    ("a choice ending its string", ['{"a":"', {"t": "choice", "alts": [['x","b":"y'],
                                                                      ["z"]]}, '"}']),
    ("a list inside a string", ['{"a":"', {"t": "repeat", "sep": ",", "items": [STR]}, '"}']),
    ("a separator with a value", ['[', {"t": "repeat", "sep": ",0,", "items": [INT]}, "]"]),
    ("a capture outside a string", ['{"a":', {"t": "capture", "name": "c", "items": [INT]},
                                    "}"]),
    ("a capture across two strings", ['{"a":"', {"t": "capture", "name": "c", "items": [
        STR, '","b":"', STR]}, '"}']),
    ("not one document", ['{"a":1}{"b":2}']),
    ("an unclosed object", ['{"a":1']),
    ("a misplaced comma", ['{"a":1,}']),
]


@pytest.mark.parametrize("payload", [p for _, p in UNSTRUCTURED],
                         ids=[name for name, _ in UNSTRUCTURED])
def test_templates_not_provably_json_build_no_document(payload: list[Any]) -> None:
    with pytest.raises(Unstructured):
        qrpack._unpacker_source(qrpack._compile(payload), "unpack", structured=True)
    template = _template(payload)
    assert template.payload_bounds is None
    assert template.header_bounds is not None


def test_a_string_table_with_a_quote_builds_no_documents() -> None:
    # The table's strings are written as they are: one with a quote would end its string.
    template = _template(['{"a":"', STR, '"}'], strings=('x"y', "b"))
    assert template.header_bounds is None and template.payload_bounds is None
    read = template.read(template.pack(b'{"alg":"b"}', b'{"a":"b"}') or b"")
    assert read.payload == b'{"a":"b"}' and read.payload_document is None


# -- the reader takes a document only within its limits ----------------------------------

def test_a_document_is_taken_only_within_the_readers_limits() -> None:
    data = b'{"a":[[1]]}'
    built = jsonread.Document({"a": [[1]]}, depth=3, digits=1)
    taken = jsonread.loads(data, jsonread.Limits(100, unique_keys=False), built)
    assert taken is built.value
    # Beyond a limit the bytes are read, and refused as the reader refuses them.
    for limits, limit in ((jsonread.Limits(5, unique_keys=False), "max_bytes"),
                          (jsonread.Limits(100, max_depth=2, unique_keys=False), "max_depth")):
        with pytest.raises(jsonread.JSONRejected) as refused:
            jsonread.loads(data, limits, built)
        assert refused.value.limit == limit
    # A reader that refuses repeated keys reads the bytes itself.
    with pytest.raises(jsonread.JSONRejected, match="twice"):
        jsonread.loads(b'{"a":1,"a":2}', jsonread.Limits(100), jsonread.Document({"a": 2}, 1, 1))
    assert jsonread.loads(b"[12345]", jsonread.Limits(100, max_digits=9, unique_keys=False),
                          jsonread.Document([12345], 1, 15)) == [12345]


# -- a text whose content is over the limit is refused before it is built ---------------

def test_content_over_the_limit_is_refused_before_it_is_built() -> None:
    """A 4,294-character QR text whose results each repeat a long achievement id expands to
    some 34 MB: refused while the refs are counted, not after it is all written (and its
    document built)."""
    text = qr2_repeated_text_bomb(
        (VECTORS / "v2" / "full-certificate.jwt").read_text().strip())
    tracemalloc.start()
    try:
        with pytest.raises(InputTooLarge):
            qr.decode_parts(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # The limit is 16 KB: a reader that stops near it needs far less than this.
    assert peak < 4_000_000, f"{peak} bytes allocated to refuse a {len(text)}-character text"


def test_a_qr_text_carrying_a_jws_over_the_limit_is_refused_as_the_jws_is() -> None:
    # One credential, two transports, one answer: a template can unpack to a longer token
    # than a compact JWS may be.

    world = World(key_prefix=TEST_KEYS)
    claims = world.claims()
    unit_results(120)(claims)
    token = _signed(world, claims)
    text = qr.encode(token)
    assert len(token) > 16_384 and len(text) < qr.MAX_QR_TEXT
    answers = [verify(t, at=world.issued_at, trust=world.bundle()) for t in (token, text)]
    assert [(a.verdict, a.checks[0].code, a.checks[0].message) for a in answers] \
        == [(answers[0].verdict, answers[0].checks[0].code, answers[0].checks[0].message)] * 2
    assert answers[0].checks[0].code.value == "bad_jws"


def test_a_capture_that_repeats_itself_is_refused_near_the_limit() -> None:
    # A capture inside a list that refers to itself twice doubles with each element: forty
    # elements of no bytes each would be a terabyte. The refs are counted as they go.
    template = _template(['{"s":"', {"t": "capture", "name": "c", "items": [STR]}, '","l":[',
                          {"t": "repeat", "sep": ",", "items": [
                              '"', {"t": "capture", "name": "c", "items": [
                                  {"t": "ref", "name": "c"}, {"t": "ref", "name": "c"}]}, '"']},
                          "]}"])
    with pytest.raises(InputTooLarge, match="repeated text"):
        template.read(b"\x00" + b"\x00\x28" + bytes(40))
