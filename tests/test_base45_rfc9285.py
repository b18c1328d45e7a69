"""Base45 against the examples of RFC 9285, plus its error cases."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from passport import base45
from passport.errors import QRFormatError

RFC_9285 = [(b"AB", "BB8"), (b"Hello!!", "%69 VD92EX0"), (b"base-45", "UJCLQE7W581"),
            (b"ietf!", "QED8WEX0"), (b"", "")]


@pytest.mark.parametrize(("raw", "text"), RFC_9285)
def test_rfc_9285_examples(raw: bytes, text: str) -> None:
    assert base45.encode(raw) == text
    assert base45.decode(text) == raw


@given(st.binary(max_size=600))
def test_round_trip(data: bytes) -> None:
    assert base45.decode(base45.encode(data)) == data


@pytest.mark.parametrize(("text", "position", "fragment"), [
    ("GGW", 0, "out of range"),          # RFC 9285 section 6: 65535 < value
    ("BB8a", 3, "not Base45"),           # lower case is outside the alphabet
    ("BB8#", 3, "not Base45"),
    ("BB8B", 3, "dangling"),
    ("BBड", 2, "not Base45"),
])
def test_errors_name_the_position(text: str, position: int, fragment: str) -> None:
    with pytest.raises(QRFormatError) as info:
        base45.decode(text)
    assert info.value.position == position
    assert fragment in str(info.value)
