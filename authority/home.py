"""The authority's home folder ($SKILLPASS_AUTHORITY_HOME, default `instance-authority/`).

    authority.json            settings: trust list validity, the officials' names and key ids
    root-keys.json            the published root: {"rootKeys": [JWK...], "threshold": k}
    officials/NAME.sealed.json  an official's root key, sealed under their own passphrase
    draft.json                the next list's content (what accredit, suspend... change)
    trust-list.json           the current signed trust list
    history/trust-list-vN.json  every published version
    proposals/proposal-vN.json  the proposal being signed (at most one: current + 1)
    requests/                 the centres' requests the authority accepted, as received
    records/SHA256.jwt        the issuance records the trust list names by digest
    status-cache.json         the status lists the last bundle accepted, per URL

Commands read what they need, check everything, and only then write (`commit`), each file
atomically: bad input leaves the home as it was, byte for byte.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from authority.draft import Draft
from authority.proposal import MAX_PROPOSAL_BYTES, Proposal
from passport import jsonread
from passport.errors import CredentialError, StorageError, TrustError, UsageError
from passport.fileio import read_bytes, write_atomic
from passport.records import MAX_RECORD_CHARS
from passport.trust import TrustList, decode_signed

HOME_ENV = "SKILLPASS_AUTHORITY_HOME"
HOME_FORMAT = "skillpass-authority-home-v1"
FILE_LIMIT = 16 * 1024 * 1024  # a signed trust list of 2,000 centres


def home_path() -> Path:
    return Path(os.environ.get(HOME_ENV, "instance-authority")).resolve()


@dataclass(frozen=True)
class Official:
    name: str
    kid: str


@dataclass(frozen=True)
class Settings:
    validity: timedelta
    officials: tuple[Official, ...]

    def names(self) -> dict[str, str]:
        """Officials' names by key id, for messages."""
        return {o.kid: o.name for o in self.officials}

    def with_official(self, official: Official) -> Settings:
        for o in self.officials:
            if o.name == official.name and o.kid != official.kid:
                raise UsageError(f"an official named {o.name} already exists (key {o.kid})")
        if any(o.kid == official.kid for o in self.officials):
            return self
        return replace(self, officials=(*self.officials, official))

    def to_json(self) -> dict[str, Any]:
        return {"format": HOME_FORMAT, "validityDays": self.validity.days,
                "officials": [{"name": o.name, "kid": o.kid} for o in self.officials]}

    @classmethod
    def from_json(cls, doc: Any, source: str) -> Settings:
        try:
            if doc["format"] != HOME_FORMAT:
                raise StorageError(source, f"not an authority home (format {doc['format']!r})")
            return cls(timedelta(days=int(doc["validityDays"])),
                       tuple(Official(str(o["name"]), str(o["kid"])) for o in doc["officials"]))
        except (KeyError, TypeError, ValueError):
            raise StorageError(source, "authority settings are incomplete") from None


class Home:
    def __init__(self, root: Path) -> None:
        self.root = root

    # -- paths ---------------------------------------------------------------------------
    @property
    def settings_file(self) -> Path:
        return self.root / "authority.json"

    @property
    def root_keys_file(self) -> Path:
        return self.root / "root-keys.json"

    @property
    def draft_file(self) -> Path:
        return self.root / "draft.json"

    @property
    def trust_list_file(self) -> Path:
        return self.root / "trust-list.json"

    @property
    def status_cache_file(self) -> Path:
        return self.root / "status-cache.json"

    def history_file(self, version: int) -> Path:
        return self.root / "history" / f"trust-list-v{version}.json"

    def proposal_file(self, version: int) -> Path:
        return self.root / "proposals" / f"proposal-v{version}.json"

    def official_key_file(self, name: str) -> Path:
        return self.root / "officials" / f"{name}.sealed.json"

    def record_file(self, sha256: str) -> Path:
        return self.root / "records" / f"{sha256}.jwt"

    def request_file(self, name: str) -> Path:
        return self.root / "requests" / name

    # -- reading -------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.settings_file.exists()

    def require(self) -> None:
        if not self.exists():
            raise UsageError(f"no authority home at {self.root}: run 'skillpass authority init' "
                             f"(or set {HOME_ENV})")

    def read_json(self, path: Path, limit: int = FILE_LIMIT) -> Any:
        try:
            return jsonread.loads(read_bytes(path, limit=limit),
                                  jsonread.Limits(max_bytes=limit, max_depth=16))
        except jsonread.JSONRejected as exc:
            raise StorageError(str(path), f"{exc}") from None

    def settings(self) -> Settings:
        self.require()
        return Settings.from_json(self.read_json(self.settings_file), str(self.settings_file))

    def current_signed(self) -> dict[str, Any]:
        self.require()
        signed = self.read_json(self.trust_list_file)
        if not isinstance(signed, dict):
            raise StorageError(str(self.trust_list_file), "not a signed trust list")
        return signed

    def current(self) -> TrustList:
        return _parse_signed(self.current_signed(), self.trust_list_file)

    def draft(self) -> Draft:
        self.require()
        doc = self.read_json(self.draft_file)
        try:
            return Draft.from_content(doc)
        except (TrustError, CredentialError, KeyError, TypeError, ValueError) as exc:
            raise StorageError(str(self.draft_file), f"not a valid draft ({exc})") from None

    def history(self) -> list[TrustList]:
        """Every published list, oldest first."""
        self.require()
        found = []
        for path in (self.root / "history").glob("trust-list-v*.json"):
            signed = self.read_json(path)
            found.append(_parse_signed(signed if isinstance(signed, dict) else {}, path))
        return sorted(found, key=lambda t: t.version)

    def pending(self, version: int) -> Proposal | None:
        path = self.proposal_file(version)
        if not path.exists():
            return None
        return Proposal.from_bytes(read_bytes(path, limit=MAX_PROPOSAL_BYTES), str(path))

    def proposal_files(self) -> list[Path]:
        return sorted((self.root / "proposals").glob("proposal-v*.json"))

    def record(self, sha256: str) -> str:
        path = self.record_file(sha256)
        if not path.exists():
            raise StorageError(str(path), "the issuance record the trust list names is missing "
                                          "from the home")
        return read_bytes(path, limit=MAX_RECORD_CHARS).decode("ascii")

    # -- writing -------------------------------------------------------------------------
    def commit(self, writes: dict[Path, bytes], *, private: frozenset[Path] = frozenset(),
               delete: tuple[Path, ...] = ()) -> None:
        """Write every file (each atomically), then delete. Call only once all is checked."""
        for path, data in writes.items():
            write_atomic(path, data, mode=0o600 if path in private else 0o644)
        for path in delete:
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                raise StorageError(str(path), exc.strerror or str(exc)) from None


def as_json(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")


def _parse_signed(signed: dict[str, Any], path: Path) -> TrustList:
    """A list the home published: its own root signed it (checked: a home can be damaged)."""
    try:
        doc, sigs = decode_signed(signed)
        parsed = TrustList.from_document(doc, signed)
    except (TrustError, CredentialError, ValueError) as exc:
        raise StorageError(str(path), f"not a signed trust list ({exc})") from None
    if not parsed.root.signed(sigs):
        raise StorageError(str(path), "not signed by a threshold of its own root")
    return parsed
