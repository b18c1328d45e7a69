"""One installation's home folder ($SKILLPASS_HOME): keys, the trust list, the published bundle.

Everything of one installation lives under one folder so that two homes never mix. Private
keys are stored sealed (Argon2id + SecretBox) with the passphrase from SKILLPASS_PASSPHRASE.
What the centre issued and every status it set live in the database only (see
`issuer.store`); `trust-bundle.json` here is written from the database by
`issuer.service.publication` and never read back as a record.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from passport.accreditation import accreditation_request
from passport.credential import Kind
from passport.errors import StorageError, UsageError
from passport.fileio import read_bytes, write_atomic
from passport.keys import PrivateKey, seal, unseal
from passport.trust import RootSet

HOME_FILE_LIMIT = 16 * 1024 * 1024  # the largest JSON file of a home: a signed trust list


def home_path() -> Path:
    return Path(os.environ.get("SKILLPASS_HOME", "instance")).resolve()


def passphrase() -> str:
    value = os.environ.get("SKILLPASS_PASSPHRASE", "")
    if not value:
        raise UsageError("set SKILLPASS_PASSPHRASE: it unlocks the keys stored in the home folder")
    return value


MAX_VERIFY_URL = 48  # printed in one line under the QR code, at a readable size


def check_verify_url(value: str, where: str) -> str:
    """A verifier address fit to print on a card: https, no spaces, short; else UsageError."""
    if not (value.startswith("https://") and len(value) > len("https://")
            and value.isprintable() and " " not in value):
        raise UsageError(f"{where}: the verifier address {value[:80]!r} must be an https:// URL")
    if len(value) > MAX_VERIFY_URL:
        raise UsageError(f"{where}: the verifier address {value[:80]!r} has {len(value)} "
                         f"characters; a card has room for {MAX_VERIFY_URL}")
    return value


@dataclass(frozen=True)
class IssuerProfile:
    id: str
    name: str
    name_km: str
    accreditations: dict[Kind, list[str]]
    # Where a card's reader gets a verifier (issuer.json "verifyUrl"); empty: the default.
    verify_url: str = ""

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> IssuerProfile:
        verify_url = doc.get("verifyUrl", "")
        if verify_url:
            verify_url = check_verify_url(str(verify_url), "issuer.json verifyUrl")
        return cls(doc["id"], doc["name"], doc["nameKm"],
                   {Kind(k): list(v) for k, v in doc["accreditations"].items()}, verify_url)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"id": self.id, "name": self.name, "nameKm": self.name_km,
                               "accreditations": {k.value: v
                                                  for k, v in self.accreditations.items()}}
        if self.verify_url:
            doc["verifyUrl"] = self.verify_url
        return doc

    @property
    def verifier_address(self) -> str:
        """The address printed on cards: the setting, else the centre's own verifier page,
        which every issuer serves at /verify/ (without the scheme, to save room)."""
        address = self.verify_url or f"{self.id.rstrip('/')}/verify/"
        return address.removeprefix("https://")


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
    def trust_list_file(self) -> Path:
        """The national trust list, as the authority signed it and `trust install` put it."""
        return self.root / "trust-list.json"

    @property
    def root_history_file(self) -> Path:
        """The signed lists at which the national root changed, for verifiers pinned earlier."""
        return self.root / "root-history.json"

    @property
    def records_dir(self) -> Path:
        """Issuance records of the centre's keys, as exported (`skillpass key record`)."""
        return self.root / "records"

    @property
    def request_file(self) -> Path:
        """What the centre sends the authority to be accredited (written by `init`)."""
        return self.root / "accreditation-request.jwt"

    @property
    def root_pub_file(self) -> Path:
        return self.root / "root-keys.json"

    @property
    def publish_lock_file(self) -> Path:
        return self.root / ".publish.lock"

    @property
    def database_id_file(self) -> Path:
        """The id of the one database this home uses (see issuer.migrate)."""
        return self.root / "database.id"

    @property
    def uploads(self) -> Path:
        return self.root / "uploads"

    def key_file(self, name: str) -> Path:
        return self.root / "keys" / f"{name}.sealed.json"

    @property
    def secret_file(self) -> Path:
        return self.root / "keys" / "installation.secret"

    @property
    def wave1_status_dir(self) -> Path:
        """Where an earlier version kept a status counter and bit files beside the database."""
        return self.root / "status"

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

    def exists(self) -> bool:
        return self.config_file.exists()

    def require(self) -> None:
        if not self.exists():
            raise UsageError(f"no Skills Passport home at {self.root}: run 'skillpass init'")

    # -- set-up --------------------------------------------------------------------------
    def init(self, profile: IssuerProfile, secret: str, at: datetime) -> bool:
        """Create a centre's home: its sealed key and its accreditation request.

        Returns False (and changes nothing) if one exists. The centre issues nothing until
        the national authority accredits the key and the signed trust list is installed
        (`skillpass trust install`); there is no root key here.
        """
        if self.exists():
            return False
        key = PrivateKey.generate()
        # Key first, configuration last: a crash midway leaves no usable half-home.
        write_atomic(self.key_file("issuer"), _json(seal(key, secret, label=profile.id)), mode=0o600)
        write_atomic(self.request_file, accreditation_request(
            centre_id=profile.id, name=profile.name, name_km=profile.name_km, key=key,
            asks=profile.accreditations, created=at).encode() + b"\n")
        self.secret()
        write_atomic(self.config_file, _json(profile.to_json()))
        return True

    def add_key(self, key: PrivateKey, secret: str) -> Path:
        """Keep a further key of the centre (a rotation), sealed like the first."""
        path = self.root / "keys" / f"issuer-{key.kid}.sealed.json"
        write_atomic(path, _json(seal(key, secret, label=self.profile().id)), mode=0o600)
        return path

    def centre_keys(self, secret: str) -> list[PrivateKey]:
        """Every key of the centre: the first, and one per rotation."""
        self.require()
        files = [self.key_file("issuer"), *sorted((self.root / "keys").glob("issuer-*.sealed.json"))]
        return [unseal(self._read_json(f), secret) for f in files if f.exists()]

    def profile(self) -> IssuerProfile:
        if self._profile is None:
            self._profile = IssuerProfile.from_json(self._read_json(self.config_file))
        return self._profile

    def issuer_key(self, secret: str) -> PrivateKey:
        """The centre's first key (an earlier version's homes have only this one)."""
        return unseal(self._read_json(self.key_file("issuer")), secret)

    def root_keys(self) -> RootSet:
        """The national root this home pinned when its trust list was first installed."""
        return RootSet.from_json(self._read_json(self.root_pub_file))

    def signed_trust_list(self) -> bytes:
        """The signed trust list exactly as installed (JWS JSON)."""
        self.require()
        return read_bytes(self.trust_list_file, limit=HOME_FILE_LIMIT)

    def _read_json(self, path: Path) -> Any:
        self.require()
        try:
            return json.loads(read_bytes(path, limit=HOME_FILE_LIMIT))
        except json.JSONDecodeError as exc:
            raise StorageError(str(path), f"not JSON ({exc})") from None


def _json(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")
