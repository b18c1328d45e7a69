"""Ed25519 keys: OKP JWKs (RFC 8037), thumbprint key ids (RFC 7638), encryption at rest.

A private key is never written in clear: `seal` encrypts its seed with a key derived from a
passphrase by Argon2id and locks it in a SecretBox (XSalsa20-Poly1305).
"""

from __future__ import annotations

import json
from functools import cached_property
from typing import TYPE_CHECKING, Any

import nacl.exceptions
from nacl.bindings import crypto_sign_open

if TYPE_CHECKING:
    import nacl.signing

from passport import sha256
from passport.b64 import b64u_decode, b64u_encode
from passport.errors import KeyFileError

SEALED_KEY_FORMAT = "skillpass-sealed-key-v1"
# A key id is the start of the key's RFC 7638 thumbprint: 72 bits name a key uniquely among
# every issuer's keys, and the 31 characters saved let a typical certificate fit a
# version-15 QR code at error correction Q.
KID_CHARS = 12


class PublicKey:
    """An Ed25519 public key; `kid` is the first KID_CHARS of its RFC 7638 thumbprint.

    Immutable, equal and hashed by its bytes. (A plain class, not a frozen dataclass: building
    one of those costs every start of the command line more than a verification.)"""

    raw: bytes

    def __init__(self, raw: bytes) -> None:
        if len(raw) != 32:
            raise KeyFileError("an Ed25519 public key is 32 bytes")
        self.__dict__["raw"] = raw

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a public key is immutable: cannot assign to {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a public key is immutable: cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        return self.raw == other.raw if type(other) is PublicKey else NotImplemented

    def __hash__(self) -> int:
        return hash((self.raw,))

    def __repr__(self) -> str:
        return f"PublicKey(raw={self.raw!r})"

    @cached_property
    def thumbprint(self) -> str:
        """RFC 7638 SHA-256 JWK thumbprint, base64url."""
        # Section 3.2: required members only, lexicographic order, no white space.
        canonical = json.dumps(
            {"crv": "Ed25519", "kty": "OKP", "x": b64u_encode(self.raw)},
            separators=(",", ":"), sort_keys=True,
        )
        return b64u_encode(sha256.digest(canonical.encode()))

    @cached_property
    def kid(self) -> str:
        return self.thumbprint[:KID_CHARS]

    def jwk(self) -> dict[str, str]:
        return {"kty": "OKP", "crv": "Ed25519", "x": b64u_encode(self.raw), "kid": self.kid}

    @classmethod
    def from_jwk(cls, jwk: object) -> PublicKey:
        if not isinstance(jwk, dict):
            raise KeyFileError("a JWK must be a JSON object")
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            raise KeyFileError(
                f"only Ed25519 OKP keys are accepted, not kty={jwk.get('kty')!r} "
                f"crv={jwk.get('crv')!r}"
            )
        if "d" in jwk:
            raise KeyFileError("this JWK holds a private key; give the public key only")
        x = jwk.get("x")
        try:
            raw = b64u_decode(x) if isinstance(x, str) else b""
        except ValueError:
            raw = b""
        if len(raw) != 32:
            raise KeyFileError("JWK member 'x' must be 32 bytes in base64url")
        key = cls(raw)
        if "kid" in jwk and not isinstance(jwk["kid"], str):
            raise KeyFileError("JWK member 'kid' must be a string")
        return key

    @cached_property
    def _verify_key(self) -> nacl.signing.VerifyKey:
        import nacl.signing  # verification itself calls libsodium directly (see `verify`)

        return nacl.signing.VerifyKey(self.raw)

    def verify(self, message: bytes, signature: bytes) -> bool:
        # libsodium's crypto_sign_open, as nacl.signing.VerifyKey.verify calls it, without
        # that wrapper's checks and encoder (a scan of a card checks one signature).
        if not isinstance(signature, bytes) or len(signature) != 64:
            return False
        try:
            crypto_sign_open(signature + message, self.raw)
        except (nacl.exceptions.BadSignatureError, ValueError, TypeError):
            return False
        return True


class PrivateKey:
    """An Ed25519 signing key. Deliberately not a dataclass: no repr, no equality."""

    __slots__ = ("_signing", "public")

    def __init__(self, seed: bytes) -> None:
        if len(seed) != 32:
            raise KeyFileError("an Ed25519 seed is 32 bytes")
        import nacl.signing  # signing only: a verifier's start never loads pynacl's key classes

        self._signing = nacl.signing.SigningKey(seed)
        self.public = PublicKey(bytes(self._signing.verify_key))

    @classmethod
    def generate(cls) -> PrivateKey:
        import nacl.utils

        return cls(nacl.utils.random(32))

    @property
    def kid(self) -> str:
        return self.public.kid

    def sign(self, message: bytes) -> bytes:
        return self._signing.sign(message).signature

    def seed(self) -> bytes:
        return bytes(self._signing)

    def __repr__(self) -> str:
        return f"PrivateKey(kid={self.kid!r})"


def seal(key: PrivateKey, passphrase: str, *, label: str = "") -> dict[str, Any]:
    """Encrypt a private key for storage. The result is safe to write to disk."""
    import nacl.pwhash  # sealing and unsealing only: a verifier holds no private key
    import nacl.secret
    import nacl.utils

    if not passphrase:
        raise KeyFileError("a passphrase is required to store a private key")
    salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
    ops = nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE
    mem = nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE
    box_key = nacl.pwhash.argon2id.kdf(
        nacl.secret.SecretBox.KEY_SIZE, passphrase.encode(), salt, opslimit=ops, memlimit=mem
    )
    sealed = nacl.secret.SecretBox(box_key).encrypt(key.seed())
    return {
        "format": SEALED_KEY_FORMAT,
        "label": label,
        "publicJwk": key.public.jwk(),
        "kdf": {"name": "argon2id", "opslimit": ops, "memlimit": mem, "salt": b64u_encode(salt)},
        "secretbox": b64u_encode(bytes(sealed)),
    }


def unseal(document: object, passphrase: str) -> PrivateKey:
    import nacl.pwhash
    import nacl.secret

    if not isinstance(document, dict) or document.get("format") != SEALED_KEY_FORMAT:
        raise KeyFileError(f"not a sealed key file (expected format {SEALED_KEY_FORMAT!r})")
    try:
        kdf = document["kdf"]
        if kdf["name"] != "argon2id":
            raise KeyFileError(f"unsupported key derivation {kdf['name']!r}")
        ops, mem = int(kdf["opslimit"]), int(kdf["memlimit"])
        if not (1 <= ops <= 16 and 8192 <= mem <= 2**31):
            raise KeyFileError("key derivation limits are out of range")
        salt = b64u_decode(kdf["salt"])
        box = b64u_decode(document["secretbox"])
        expected_kid = document["publicJwk"]["kid"]
    except (KeyError, TypeError, ValueError):
        raise KeyFileError("sealed key file is incomplete or malformed") from None
    box_key = nacl.pwhash.argon2id.kdf(
        nacl.secret.SecretBox.KEY_SIZE, passphrase.encode(), salt, opslimit=ops, memlimit=mem
    )
    try:
        seed = nacl.secret.SecretBox(box_key).decrypt(box)
    except nacl.exceptions.CryptoError:
        raise KeyFileError("wrong passphrase, or the key file was altered") from None
    key = PrivateKey(seed)
    if key.kid != expected_kid:
        raise KeyFileError("sealed key does not match its recorded public key")
    return key
