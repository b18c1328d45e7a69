"""SHA-256 and a constant-time comparison, from libsodium.

libsodium is loaded anyway (Ed25519 signatures); hashlib and hmac would load OpenSSL too,
~2.5 ms of every `skillpass verify` for the same few digests.
"""

from __future__ import annotations

from nacl.bindings import crypto_hash_sha256, sodium_memcmp


def digest(data: bytes) -> bytes:
    """The 32-byte SHA-256 of `data`."""
    return crypto_hash_sha256(data)


def hexdigest(data: bytes) -> str:
    """The SHA-256 of `data` as 64 lower-case hex digits."""
    return crypto_hash_sha256(data).hex()


def same(a: str, b: str) -> bool:
    """Whether two strings are equal, in time that does not depend on where they differ."""
    return sodium_memcmp(a.encode("utf-8"), b.encode("utf-8"))
