"""Private keys are sealed at rest and refuse a wrong passphrase or an altered file."""

from __future__ import annotations

import json

import pytest

from passport.b64 import b64u_encode
from passport.errors import KeyFileError
from passport.keys import PrivateKey, PublicKey, seal, unseal
from tests.conftest import fixed_key


def test_seal_round_trip_and_no_seed_in_clear() -> None:
    key = fixed_key("issuer")
    doc = seal(key, "correct horse")
    text = json.dumps(doc)
    assert b64u_encode(key.seed()) not in text
    assert key.seed().hex() not in text
    assert unseal(json.loads(text), "correct horse").kid == key.kid
    assert "seed" not in repr(key) and key.seed().hex() not in repr(key)


def test_wrong_passphrase_and_tampering() -> None:
    doc = seal(fixed_key("issuer"), "correct horse")
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        unseal(doc, "wrong horse")
    doc["secretbox"] = doc["secretbox"][:-2] + ("AA" if doc["secretbox"][-2:] != "AA" else "BA")
    with pytest.raises(KeyFileError):
        unseal(doc, "correct horse")
    with pytest.raises(KeyFileError, match="passphrase is required"):
        seal(fixed_key("issuer"), "")


@pytest.mark.parametrize("jwk", [
    {"kty": "EC", "crv": "P-256", "x": "a", "y": "b"},
    {"kty": "OKP", "crv": "X25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
    {"kty": "OKP", "crv": "Ed25519", "x": "short"},
    {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "d": "x"},
    "not an object",
])
def test_only_public_ed25519_jwks_are_accepted(jwk: object) -> None:
    with pytest.raises(KeyFileError):
        PublicKey.from_jwk(jwk)


def test_generated_keys_differ() -> None:
    assert PrivateKey.generate().kid != PrivateKey.generate().kid
