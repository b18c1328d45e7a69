"""The training centre this installation issues for: what the service needs beside the database."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from issuer.home import Home, IssuerProfile
from passport.credential import StatusPurpose
from passport.keys import PrivateKey


@dataclass(frozen=True)
class Centre:
    home: Home
    profile: IssuerProfile
    key: PrivateKey  # the centre's signing key, unsealed for this process only
    id_secret: bytes  # keys the candidates' national ID hashes

    @classmethod
    def open(cls, home: Home, passphrase: str) -> Centre:
        home.require()
        installation = home.secret()
        return cls(home, home.profile(), home.issuer_key(passphrase),
                   hmac.new(installation, b"national id", hashlib.sha256).digest())

    @property
    def id(self) -> str:
        return self.profile.id

    def national_id_hash(self, national_id: str) -> str:
        return hmac.new(self.id_secret, normalize_national_id(national_id).encode(),
                        hashlib.sha256).hexdigest()

    def status_url(self, purpose: StatusPurpose, number: int) -> str:
        return f"{self.profile.id}/status/{purpose.value}/{number}"


def normalize_national_id(national_id: str) -> str:
    """The number as printed, without spaces and in upper case: one ID, one hash."""
    return "".join(national_id.split()).upper()
