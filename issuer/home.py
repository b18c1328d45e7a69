"""One installation's home folder ($SKILLPASS_HOME): keys, status lists, trust bundle.

Everything of one installation lives under one folder so that two homes never mix. Private
keys are stored sealed (Argon2id + SecretBox) with the passphrase from SKILLPASS_PASSPHRASE.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from passport.bundle import TrustBundle, bundle_document
from passport.credential import (
    AchievementType,
    Credential,
    HolderInput,
    Kind,
    StatusEntry,
    StatusPurpose,
    build_claims,
)
from passport.errors import StorageError, UsageError
from passport.fileio import read_bytes, write_atomic
from passport.keys import PrivateKey, PublicKey, seal, unseal
from passport.signing import issue
from passport.status import Bitstring, sign_status_list, status_list_claims
from passport.trust import issuer_entry, sign_trust_list, trust_list_document

STATUS_VALIDITY = timedelta(days=7)
TRUST_LIST_VALIDITY = timedelta(days=365)
HOME_FILE_LIMIT = 16 * 1024 * 1024  # the largest JSON file of a home: a signed trust list
LIST_NUMBER = 1  # one list of 131,072 entries per purpose until issue volume needs more


def home_path() -> Path:
    return Path(os.environ.get("SKILLPASS_HOME", "instance")).resolve()


def passphrase() -> str:
    value = os.environ.get("SKILLPASS_PASSPHRASE", "")
    if not value:
        raise UsageError("set SKILLPASS_PASSPHRASE: it unlocks the keys stored in the home folder")
    return value


@dataclass(frozen=True)
class IssuerProfile:
    id: str
    name: str
    name_km: str
    accreditations: dict[Kind, list[str]]

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> IssuerProfile:
        return cls(doc["id"], doc["name"], doc["nameKm"],
                   {Kind(k): list(v) for k, v in doc["accreditations"].items()})

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "nameKm": self.name_km,
                "accreditations": {k.value: v for k, v in self.accreditations.items()}}


class Home:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._profile: IssuerProfile | None = None

    # -- paths ---------------------------------------------------------------------------
    @property
    def config_file(self) -> Path:
        return self.root / "issuer.json"

    @property
    def bundle_file(self) -> Path:
        return self.root / "trust-bundle.json"

    @property
    def root_pub_file(self) -> Path:
        return self.root / "root-keys.json"

    def key_file(self, name: str) -> Path:
        return self.root / "keys" / f"{name}.sealed.json"

    def bits_file(self, purpose: StatusPurpose) -> Path:
        return self.root / "status" / f"{purpose.value}-{LIST_NUMBER}.bits"

    @property
    def secret_file(self) -> Path:
        return self.root / "keys" / "installation.secret"

    def secret(self) -> bytes:
        """32 random bytes created once: keys sessions and candidates' ID hashes.

        Created with O_EXCL, so server processes starting together all read the one secret
        the first of them wrote (a second secret would hash the same ID differently).
        """
        if not self.secret_file.exists():
            self.secret_file.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(self.secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(secrets.token_bytes(32))
                    fh.flush()
                    os.fsync(fh.fileno())
        for _ in range(100):  # another process may still be writing it
            data = read_bytes(self.secret_file, limit=64)
            if len(data) == 32:
                return data
            time.sleep(0.01)
        raise StorageError(str(self.secret_file), "installation secret is not 32 bytes")

    def database_url(self) -> str:
        return os.environ.get("DATABASE_URL") or f"sqlite:///{self.root / 'issuer.db'}"

    @property
    def counter_file(self) -> Path:
        return self.root / "status" / "next-index"

    def exists(self) -> bool:
        return self.config_file.exists()

    # -- set-up --------------------------------------------------------------------------
    def init(self, profile: IssuerProfile, secret: str, at: datetime) -> bool:
        """Create a demo-ready home. Returns False (and changes nothing) if one exists."""
        if self.exists():
            return False
        root_key, issuer_key = PrivateKey.generate(), PrivateKey.generate()
        # Keys first, configuration last: a crash midway leaves no usable half-home.
        write_atomic(self.key_file("root"), _json(seal(root_key, secret, label="national root (demo)")), mode=0o600)
        write_atomic(self.key_file("issuer"), _json(seal(issuer_key, secret, label=profile.id)), mode=0o600)
        write_atomic(self.root_pub_file, _json({"rootKeys": [root_key.public.jwk()]}))
        for purpose in StatusPurpose:
            write_atomic(self.bits_file(purpose), bytes(Bitstring().bits))
        write_atomic(self.counter_file, b"0")
        doc = trust_list_document(
            version=1, issued=at, expires=at + TRUST_LIST_VALIDITY,
            root_keys=[root_key.public],
            issuers=[issuer_entry(issuer_id=profile.id, name=profile.name,
                                  name_km=profile.name_km,
                                  keys=[(issuer_key.public, at - timedelta(days=1), None)],
                                  accreditations=profile.accreditations)],
        )
        write_atomic(self.root / "trust-list.json", _json(sign_trust_list(doc, [root_key])))
        self.secret()
        write_atomic(self.config_file, _json(profile.to_json()))
        self.publish(issuer_key, at)
        return True

    def profile(self) -> IssuerProfile:
        if self._profile is None:
            self._profile = IssuerProfile.from_json(self._read_json(self.config_file))
        return self._profile

    def issuer_key(self, secret: str) -> PrivateKey:
        return unseal(self._read_json(self.key_file("issuer")), secret)

    def root_keys(self) -> tuple[PublicKey, ...]:
        doc = self._read_json(self.root_pub_file)
        return tuple(PublicKey.from_jwk(k) for k in doc["rootKeys"])

    def _read_json(self, path: Path) -> Any:
        if not self.exists():
            raise UsageError(f"no Skills Passport home at {self.root}: run 'skillpass init'")
        try:
            return json.loads(read_bytes(path, limit=HOME_FILE_LIMIT))
        except json.JSONDecodeError as exc:
            raise StorageError(str(path), f"not JSON ({exc})") from None

    # -- status lists --------------------------------------------------------------------
    def status_url(self, purpose: StatusPurpose) -> str:
        return f"{self.profile().id}/status/{purpose.value}/{LIST_NUMBER}"

    def allocate_index(self) -> int:
        return self.allocate_indexes(1)[0]

    def allocate_indexes(self, count: int) -> list[int]:
        """Reserve `count` status-list indexes; the counter is saved before any is used."""
        start = int(read_bytes(self.counter_file, limit=32))
        if start + count > Bitstring().size:
            raise UsageError("status list is full; a second list is needed")
        write_atomic(self.counter_file, str(start + count).encode())
        return list(range(start, start + count))

    def set_status(self, purpose: StatusPurpose, index: int, value: bool = True) -> None:
        bits = Bitstring(bytearray(read_bytes(self.bits_file(purpose), limit=1 << 20)))
        bits.set(index, value)
        write_atomic(self.bits_file(purpose), bytes(bits.bits))

    def publish(self, key: PrivateKey, at: datetime) -> TrustBundle:
        """Re-sign the status lists and write the trust bundle verifiers sync."""
        profile = self.profile()
        lists = []
        for purpose in StatusPurpose:
            bits = Bitstring(bytearray(read_bytes(self.bits_file(purpose), limit=1 << 20)))
            claims = status_list_claims(url=self.status_url(purpose), issuer=profile.id,
                                        purpose=purpose, bitstring=bits, valid_from=at,
                                        valid_for=STATUS_VALIDITY)
            lists.append(sign_status_list(claims, key))
        signed_list = self._read_json(self.root / "trust-list.json")
        data = _json(bundle_document(signed_list, lists, at))
        bundle = TrustBundle.from_json(data, roots=self.root_keys())
        write_atomic(self.bundle_file, data)
        return bundle

    # -- issuance ------------------------------------------------------------------------
    def claims(self, *, holder: HolderInput, achievement: dict[str, Any],
               results: list[str] | None, at: datetime, index: int,
               activity: tuple[datetime, datetime] | None = None) -> dict[str, Any]:
        kind = AchievementType(achievement["achievementType"]).kind
        status = [StatusEntry(p, self.status_url(p), index) for p in StatusPurpose]
        return build_claims(issuer=self.profile().id, holder=holder, achievement=achievement,
                            valid_from=at, status=status,
                            results=results if kind is Kind.RPL else None, activity=activity)

    def issue(self, key: PrivateKey, *, holder: HolderInput, achievement: dict[str, Any],
              results: list[str] | None, at: datetime,
              activity: tuple[datetime, datetime] | None = None) -> tuple[Credential, str]:
        claims = self.claims(holder=holder, achievement=achievement, results=results, at=at,
                             index=self.allocate_index(), activity=activity)
        return issue(claims, key)


def _json(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")
