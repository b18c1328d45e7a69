"""Hostile JSON at every entry point: refused by the one bounded reader, the limit named, the
command's own exit code, never a traceback; and QR text that is not canonical, refused.

tests/test_attacks.py holds the JWT attack catalogue; tests/test_fuzz.py the bounded fuzz.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from passport import base45, jsonread, qr
from passport.b64 import b64u_decode
from passport.errors import QRFormatError
from passport.keys import PublicKey
from passport.verify import verify
from tests.attacks import compact, signed
from tests.world import World

Cli = Callable[..., tuple[int, str, str]]
VECTORS = Path(__file__).parent / "vectors" / "v1"
TRUST = ["--trust", str(VECTORS / "trust-bundle.json"), "--root", str(VECTORS / "root-keys.json"),
         "--at", "2026-11-05T12:00:00Z"]
GENUINE = (VECTORS / "full-certificate.jwt").read_text().strip()
HEADER, PAYLOAD, SIGNATURE = (b64u_decode(p) for p in GENUINE.split("."))
DEEP_BUNDLE = b'{"type":' + b"[" * 40_000 + b"]" * 40_000 + b"}"


# -- the reader: each limit, named ------------------------------------------------------------
LIMITS = jsonread.Limits(max_bytes=100, max_depth=3, max_digits=5)


@pytest.mark.parametrize(("text", "named"), [
    ("[" * 101, "over the limit of 100 (max_bytes)"),
    ("[[[[]]]]", "nested deeper than 3 levels (max_depth)"),
    ('{"a":{"b":[{}]}}', "nested deeper than 3 levels (max_depth)"),
    ("123456", "more than 5 digits (max_digits)"),
    ("-1.23e456", "more than 5 digits (max_digits)"),
    ('{"a":1,"a":2}', "the key 'a' appears twice in one object (unique_keys)"),
    ("NaN", "NaN is not a JSON number"),
    ('"\\ud800"', "unpaired surrogate"),
    ('"\\udc00\\ud800"', "unpaired surrogate"),
    ('{"a":1', "not JSON: Expecting ',' delimiter at line 1, column 7"),
    ("\ufeff{}", "not JSON"),
])
def test_the_reader_names_the_limit(text: str, named: str) -> None:
    with pytest.raises(jsonread.JSONRejected) as refused:
        jsonread.loads(text.encode(), LIMITS)
    assert named in str(refused.value)


@pytest.mark.parametrize(("text", "value"), [
    ("[[[]]]", [[[]]]),  # exactly the depth limit
    ('["[[[[", "{{{{"]', ["[[[[", "{{{{"]),  # brackets in strings do not nest
    ('["\\"[[[[\\\\"]', ['"[[[[\\']),  # nor do they after escaped quotes
    ("12345", 12345),  # exactly the digit limit
    ('"\\ud83d\\ude00"', "\U0001F600"),  # a surrogate pair is one character
    ('"\\\\ud800"', "\\ud800"),  # an escaped backslash, then text
    (' {"a":1} \n', {"a": 1}),
])
def test_the_reader_takes_what_is_within_its_limits(text: str, value: object) -> None:
    assert jsonread.loads(text.encode(), LIMITS) == value


def test_jose_headers_and_claims_take_the_lexically_last_value() -> None:
    lenient = jsonread.Limits(max_bytes=100, unique_keys=False)
    assert jsonread.loads(b'{"alg":"none","alg":"EdDSA"}', lenient) == {"alg": "EdDSA"}


def test_text_with_a_lone_surrogate_is_refused_before_parsing() -> None:
    with pytest.raises(jsonread.JSONRejected, match="unpaired surrogate at character 3"):
        jsonread.loads('"x\ud800"', LIMITS)


# -- the verifier: QR payloads and headers ----------------------------------------------------
def _qr(header: bytes, payload: bytes) -> str:
    return qr.encode(compact(header, payload, SIGNATURE))


NESTED = b"[" * 1000 + b"]" * 1000
HOSTILE_CARDS = {
    "header nested 1,000 deep": (_qr(b'{"alg":"EdDSA","x":' + NESTED + b"}", PAYLOAD),
                                 "bad_jws", "nested deeper than 8 levels (max_depth)"),
    "payload nested 1,000 deep": (_qr(HEADER, b'{"x":' + NESTED + b"}"), "bad_payload",
                                  "nested deeper than 64 levels (max_depth)"),
    "a 5,000-digit number": (_qr(HEADER, b'{"x":' + b"9" * 5000 + b"}"), "bad_payload",
                             "more than 32 digits (max_digits)"),
    "a 40-digit number in the header": (_qr(b'{"alg":"EdDSA","x":' + b"9" * 40 + b"}", PAYLOAD),
                                        "bad_jws", "more than 32 digits (max_digits)"),
    "a 5,000-digit number in the header": (_qr(b'{"alg":"EdDSA","x":' + b"9" * 5000 + b"}",
                                               PAYLOAD), "bad_jws",
                                           "5020 bytes, over the limit of 2048 (max_bytes)"),
}


@pytest.mark.parametrize("name", HOSTILE_CARDS)
def test_skillpass_verify_refuses_hostile_cards(name: str, cli: Cli) -> None:
    text, code, named = HOSTILE_CARDS[name]
    exit_code, out, err = cli("verify", text, *TRUST, "--json")
    assert exit_code == 1 and err == ""
    result = json.loads(out)
    assert result["verdict"] == "invalid"
    assert result["checks"][0]["code"] == code and named in result["checks"][0]["message"]


def test_a_short_text_nested_1000_deep_is_refused() -> None:
    """The issue's crash took a 148-character text and no key."""
    text = _qr(b'{"alg":"EdDSA","x":' + NESTED + b"}", b"{}")
    assert len(text) < 160
    result = verify(text, at=datetime.now(UTC), key=PublicKey(b"\x00" * 32))
    assert result.checks[0].code.value == "bad_jws" and "max_depth" in result.checks[0].message


def test_the_console_script_prints_no_traceback() -> None:
    for text, _, named in HOSTILE_CARDS.values():
        proc = subprocess.run([sys.executable, "-m", "passport.cli", "verify", text, *TRUST],
                              capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr + proc.stdout
        assert named in proc.stdout


# -- trust bundles, root files, keys: exit 2, the limit named ----------------------------------
def test_verify_with_a_deeply_nested_bundle(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "deep.json").write_bytes(DEEP_BUNDLE)
    card = (VECTORS / "full-certificate.qr.txt").read_text().strip()
    code, out, err = cli("verify", card, "--trust", str(tmp_path / "deep.json"), "--root",
                         str(VECTORS / "root-keys.json"))
    assert code == 2 and out == ""
    assert err == "skillpass: trust bundle: nested deeper than 16 levels (max_depth), at " \
                  "bracket 17\n"


def test_trust_install_and_sync_refuse_a_deeply_nested_bundle(
        tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch,
        served: tuple[Path, str], world: World) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("SKILLPASS_HOME", str(home))
    root = tmp_path / "root-keys.json"
    root.write_text(json.dumps({"rootKeys": [world.root.public.jwk()]}))
    (tmp_path / "deep.json").write_bytes(DEEP_BUNDLE)
    code, _, err = cli("trust", "install", str(tmp_path / "deep.json"), "--root", str(root))
    assert code == 2 and "nested deeper than 16 levels (max_depth)" in err
    folder, url = served
    (folder / "bundle.json").write_bytes(DEEP_BUNDLE)
    code, _, err = cli("trust", "sync", url, "--root", str(root))
    assert code == 2 and "trust bundle: nested deeper than 16 levels (max_depth)" in err
    assert not home.exists()  # nothing written, not even the pin


def test_a_held_bundle_is_read_with_the_same_limits(tmp_path: Path, cli: Cli,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    world: World) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("SKILLPASS_HOME", str(home))
    (home / "root-keys.json").write_text(json.dumps({"rootKeys": [world.root.public.jwk()]}))
    (home / "trust-bundle.json").write_bytes(b'{"syncedAt":' + b"1" * 5000 + b"}")
    (tmp_path / "list.json").write_text(json.dumps(world.signed_trust_list()))
    code, _, err = cli("trust", "install", str(tmp_path / "list.json"))
    assert code == 2 and "trust-bundle.json: a number of more than 32 digits (max_digits)" in err


@pytest.mark.parametrize(("option", "named"), [
    ("--jwk", "nested deeper than 8 levels (max_depth)"),
    ("--root", "nested deeper than 8 levels (max_depth)"),
])
def test_key_and_root_files_are_read_with_limits(option: str, named: str, tmp_path: Path,
                                                 cli: Cli) -> None:
    (tmp_path / "deep.json").write_bytes(b'{"rootKeys":' + NESTED + b"}")
    card = (VECTORS / "full-certificate.qr.txt").read_text().strip()
    extra = [] if option == "--jwk" else ["--trust", str(VECTORS / "trust-bundle.json")]
    code, _, err = cli("verify", card, option, str(tmp_path / "deep.json"), *extra)
    assert code == 2 and named in err


# -- the authority's files ----------------------------------------------------------------------
def test_authority_refuses_deep_requests_and_proposals(tmp_path: Path, cli: Cli,
                                                       world: World) -> None:
    from authority.home import HOME_ENV

    deep = b'{"x":' + b"[" * 40_000 + b"]" * 40_000 + b"}"
    request = tmp_path / "request.jwt"  # within the size of a request (64 KiB), 1,000 deep
    request.write_text(signed(b'{"alg":"EdDSA","typ":"skillpass-accreditation-request+jwt"}',
                              b'{"x":' + NESTED + b"}", world.issuer_key))
    proposal = tmp_path / "proposal.json"
    proposal.write_bytes(deep)
    rotation = tmp_path / "rotation.json"
    rotation.write_bytes(b'{"payload":"x","signatures":[],"n":' + b"7" * 5000 + b"}")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(HOME_ENV, str(tmp_path / "authority"))
        mp.setenv("SKILLPASS_PASSPHRASE_OFFICIAL_1", "passphrase of official-1")
        assert cli("authority", "init", "--officials", "1", "--threshold", "1")[0] == 0
        for argv, named in [
            (["accredit", str(request)], "nested deeper than 8 levels (max_depth)"),
            (["sign", "--proposal", str(proposal), "--official", "official-1"],
             "nested deeper than 16 levels (max_depth)"),
            (["rotate-key", "https://ntti.edu.kh", str(rotation)],
             "a number of more than 32 digits (max_digits)"),
        ]:
            code, _, err = cli("authority", *argv)
            path = argv[-3] if argv[0] == "sign" else argv[-1]
            assert code == 2 and named in err and path in err, err


# -- input documents ----------------------------------------------------------------------------
def test_a_deeply_nested_rubric_names_the_file(tmp_path: Path, cli: Cli) -> None:
    rubric = tmp_path / "rubric.json"
    rubric.write_bytes(b'{"units":' + NESTED + b"}")
    code, _, err = cli("rubric", "check", str(rubric))
    assert code == 2
    assert err == f"skillpass: {rubric}: file: nested deeper than 32 levels (max_depth), at " \
                  "bracket 33\n"


# -- canonical QR text ----------------------------------------------------------------------------
CARD = (VECTORS / "full-certificate.qr.txt").read_text().strip()
PACKED = base45.decode(CARD[4:])


def _refused(text: str, reason: str) -> None:
    with pytest.raises(QRFormatError, match=reason):
        qr.decode(text)


def test_the_frozen_vectors_are_canonical() -> None:
    for path in sorted(VECTORS.glob("*.qr.txt")):
        text = path.read_text().strip()
        assert base45.encode(base45.decode(text[4:])) == text[4:]
        assert text.startswith("SP1:") and qr.decode(text) == \
            path.with_name(path.name.replace(".qr.txt", ".jwt")).read_text().strip()


def test_the_version_has_no_leading_zero() -> None:
    _refused("SP01:" + CARD[4:], "leading zero")
    _refused("SP001:" + CARD[4:], "leading zero")


def test_padding_bits_set_in_the_last_byte_are_refused() -> None:
    """Each padding bit set gives another text for the same JWS: every one is refused."""
    last, variants = PACKED[-1], 0
    for bit in range(8):
        text = "SP1:" + base45.encode(PACKED[:-1] + bytes((last | 1 << bit,)))
        if not last & 1 << bit and _inflates_alike(text):  # a padding bit, not a data bit
            variants += 1
            _refused(text, "padding bits set")
    assert variants > 0  # the card has padding bits to set (else this test tests nothing)


def _inflates_alike(text: str) -> bool:
    """Whether zlib alone, canonical or not, reads the same JWS from `text`."""
    import zlib

    body = zlib.decompressobj(-15, zdict=qr.dictionary(1)).decompress(base45.decode(text[4:])[64:])
    genuine = zlib.decompressobj(-15, zdict=qr.dictionary(1)).decompress(PACKED[64:])
    return body == genuine


def test_no_other_last_characters_decode_to_the_same_jws() -> None:
    """Two variants of the last Base45 character decoded to the same JWS (the issue)."""
    for position in (-1, -2, -3):
        for c in base45.ALPHABET:
            text = CARD[:position] + c + (CARD[position + 1:] if position < -1 else "")
            if text == CARD:
                continue
            with contextlib.suppress(QRFormatError):
                assert qr.decode(text) != GENUINE, (position, c)


def test_a_base45_group_out_of_range_and_trailing_data_are_refused() -> None:
    _refused("SP1:GGW" + CARD[7:], "out of range")  # 65536
    _refused("SP1:" + base45.encode(PACKED + b"\x00"), "after the compressed content")


@given(st.text(base45.ALPHABET, max_size=60))
def test_base45_text_that_decodes_is_the_one_encoding_of_its_bytes(text: str) -> None:
    try:
        data = base45.decode(text)
    except QRFormatError:
        return
    assert base45.encode(data) == text


def test_whitespace_around_the_text_is_ascii_only() -> None:
    assert qr.decode(f" \t{CARD}\r\n") == GENUINE
    for space in ("\u3000", "\u00a0", "\ufeff", "\x1c"):
        with pytest.raises(QRFormatError):
            qr.decode(space + CARD)
    # Not QR text, then: read as a compact JWS, and refused as one (as the page does).
    result = verify("\u3000" + CARD, at=datetime.now(UTC), key=PublicKey(b"\x00" * 32))
    assert result.checks[0].code.value == "bad_jws"


# -- photos of cards: a damaged file is "not a readable image", never a trace -----------------
DAMAGED_PNGS = {  # found by the fuzz run: Pillow raised ValueError and SyntaxError on them
    "IHDR cut short": "89504e470d0a1a0a00000005494844520000003c0000003c08000000001f",
    "a broken chunk": "89504e470d0a1a0a0000000d494844520000003c0000003c08000000001f9786ae000000"
                      "2849444154789cedcbb10d0000040030fcff333f3049dabdd9b157c461872bcbb22c41b2"
                      "2ccbb22cbfcd03a5d00177db6f00b20000",
}


@pytest.mark.parametrize("name", DAMAGED_PNGS)
def test_a_damaged_photo_is_not_a_readable_image(name: str, tmp_path: Path, cli: Cli) -> None:
    photo = tmp_path / "card.png"
    photo.write_bytes(bytes.fromhex(DAMAGED_PNGS[name]))
    code, out, err = cli("verify", str(photo), *TRUST)
    assert code == 2 and out == "" and "not a readable image" in err
