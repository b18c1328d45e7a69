"""Ed25519 and JWS against RFC 8032 and RFC 8037 test vectors; pyjwt interop."""

from __future__ import annotations

from typing import Any, cast

import jwt
from jwt.algorithms import OKPAlgorithm

from passport import jws
from passport.b64 import b64u_decode, b64u_encode
from passport.keys import PrivateKey, PublicKey
from tests.world import World

# RFC 8037 appendix A.1 to A.4
D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
JWS_A4 = ("eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
          "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg")


def test_rfc8037_public_key_and_thumbprint() -> None:
    key = PrivateKey(b64u_decode(D))
    assert b64u_encode(key.public.raw) == X
    assert key.public.thumbprint == THUMBPRINT
    assert key.kid == THUMBPRINT[:12]
    assert key.public.jwk() == {"kty": "OKP", "crv": "Ed25519", "x": X, "kid": THUMBPRINT[:12]}


def test_rfc8037_a4_signature_is_reproduced_and_verifies() -> None:
    key = PrivateKey(b64u_decode(D))
    header, payload, _ = JWS_A4.split(".")
    signature = key.sign(f"{header}.{payload}".encode())
    assert b64u_encode(signature) == JWS_A4.split(".")[2]
    token = jws.parse(JWS_A4)
    assert jws.signature_valid(token, PublicKey.from_jwk({"kty": "OKP", "crv": "Ed25519", "x": X}))


def test_rfc8032_test_1_empty_message() -> None:
    secret = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    public = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    expected = bytes.fromhex(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
    key = PrivateKey(secret)
    assert key.public.raw == public
    assert key.sign(b"") == expected
    assert key.public.verify(b"", expected)
    assert not key.public.verify(b"x", expected)


def test_plain_pyjwt_verifies_our_credential(world: World) -> None:
    compact = world.issue()
    public = OKPAlgorithm.from_jwk(world.issuer_key.public.jwk())
    header = jwt.get_unverified_header(compact)
    assert header == {"alg": "EdDSA", "cty": "vc", "kid": world.issuer_key.kid, "typ": "vc+jwt"}
    claims = jwt.decode(compact, cast(Any, public), algorithms=["EdDSA"])
    assert claims["issuer"]["id"] == "https://ntti.test.skillpass.kh"
    assert claims["credentialSubject"]["name"] == "Sok Dara"
