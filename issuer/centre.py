"""The training centre this installation issues for: what the service needs beside the database.

A centre holds one or more keys (a new one after each rotation) and the trust list the
national authority signed, installed in its home. It signs with the newest of its keys that
the installed list names as valid now; it issues only what that list accredits it for. Until
the authority has accredited it (or while it is suspended, or its key is compromised),
every issuance is refused with what to do.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from issuer.home import Home, IssuerProfile
from issuer.service.errors import Conflict
from passport.card import CardFace
from passport.credential import Credential, Kind, StatusPurpose
from passport.errors import Error, StorageError
from passport.fileio import read_bytes
from passport.keys import PrivateKey
from passport.trust import CentreState, RootSet, TrustedIssuer, TrustList, TrustStore, newest
from rpl_rubrics.catalogue import unit_title_pairs

TRUST_FILE_LIMIT = 16 * 1024 * 1024


class NotAccredited(Conflict):
    """The installed trust list does not let this centre issue this (HTTP 409)."""


@dataclass(frozen=True)
class InstalledTrust:
    """The trust list installed in the home, checked against the pinned national root."""

    trust_list: TrustList
    root: RootSet
    history: tuple[dict[str, Any], ...]  # root rotations, for the centre's published bundle
    digest: bytes  # of the list and its history as installed: part of the bundle's ETag


@dataclass(frozen=True)
class Centre:
    home: Home
    profile: IssuerProfile
    keys: dict[str, PrivateKey]  # every key of the centre, by kid, unsealed for this process
    id_secret: bytes  # keys the candidates' national ID hashes
    _secret: str = field(default="", compare=False, repr=False)  # unseals keys added later
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def open(cls, home: Home, passphrase: str) -> Centre:
        home.require()
        installation = home.secret()
        keys = {k.kid: k for k in home.centre_keys(passphrase)}
        centre = cls(home, home.profile(), keys,
                     hmac.new(installation, b"national id", hashlib.sha256).digest(), passphrase)
        centre._cache["keys"] = centre._keys_stamp()
        return centre

    def _keys_stamp(self) -> tuple[int, int]:
        folder = self.home.root / "keys"
        return folder.stat().st_mtime_ns, len(list(folder.glob("issuer*.sealed.json")))

    def _refresh_keys(self) -> None:
        """A key added by another process (a rotation asked for on the command line while the
        server runs) is taken up without a restart."""
        stamp = self._keys_stamp()
        if self._cache.get("keys") != stamp and self._secret:
            for key in self.home.centre_keys(self._secret):
                self.keys.setdefault(key.kid, key)
            self._cache["keys"] = stamp

    def card_face_maker(self) -> Callable[[Credential, str], CardFace]:
        """How this centre's credentials print: its names, its verifier address, and the
        unit titles of its rubrics, on every card made from a credential and its QR text."""
        names = (self.profile.name, self.profile.name_km)
        address = self.profile.verifier_address

        def face(credential: Credential, qr_text: str) -> CardFace:
            return CardFace.from_credential(
                credential, qr_text, names, verify_url=address,
                unit_titles=unit_title_pairs(credential.achievement.id))
        return face

    def new_key(self) -> PrivateKey:
        """A further key, kept sealed in the home; it signs once the authority lists it."""
        key = PrivateKey.generate()
        self.home.add_key(key, self._secret)
        self.keys[key.kid] = key
        return key

    @property
    def id(self) -> str:
        return self.profile.id

    def national_id_hash(self, national_id: str) -> str:
        return hmac.new(self.id_secret, normalize_national_id(national_id).encode(),
                        hashlib.sha256).hexdigest()

    def status_url(self, purpose: StatusPurpose, number: int) -> str:
        return f"{self.profile.id}/status/{purpose.value}/{number}"

    # -- the installed trust list ----------------------------------------------------------
    def trust(self) -> InstalledTrust | None:
        """The installed list, or None before the first `skillpass trust install`.

        Read again only when the file changes (an install while the server runs)."""
        path = self.home.trust_list_file
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        cached = self._cache.get("trust")
        if cached is not None and cached[0] == stamp:
            return cached[1]  # type: ignore[no-any-return]
        installed = load_installed(self.home)
        self._cache["trust"] = (stamp, installed)
        return installed

    def entry(self) -> TrustedIssuer | None:
        installed = self.trust()
        return installed.trust_list.issuers.get(self.id) if installed else None

    def signing_key(self, at: datetime) -> PrivateKey:
        """The key to issue with now: the newest of ours the installed list lets sign at `at`,
        while the list is current and the centre not suspended."""
        installed = self.trust()
        entry = installed.trust_list.issuers.get(self.id) if installed else None
        if installed is not None and entry is not None:
            trust_list = installed.trust_list
            if entry.state is CentreState.SUSPENDED:
                raise NotAccredited(f"the national authority has suspended this centre's "
                                    f"accreditation (trust list version {trust_list.version})")
            if at >= trust_list.expires:
                raise NotAccredited(f"the installed trust list expired on "
                                    f"{trust_list.expires.date().isoformat()}: install the "
                                    "current one (skillpass trust install FILE)")
        return self.status_key(at)

    def status_key(self, at: datetime) -> PrivateKey:
        """The key to sign status lists with: as `signing_key`, but also while the centre is
        suspended or its list has expired. What it issued can always still be revoked or
        suspended; never by a key the list says is retired or compromised."""
        self._refresh_keys()
        installed = self.trust()
        if installed is None:
            raise NotAccredited(f"no trust list is installed in {self.home.root}: send "
                                f"{self.home.request_file.name} to the national authority, "
                                "then install the list it signs (skillpass trust install FILE)")
        trust_list = installed.trust_list
        entry = trust_list.issuers.get(self.id)
        if entry is None:
            raise NotAccredited(f"{self.id} is not in the installed trust list (version "
                                f"{trust_list.version}): send {self.home.request_file.name} to "
                                "the national authority, then install the list it signs")
        usable = newest(k for k in entry.keys if k.key.kid in self.keys and k.may_sign_at(at))
        if usable is None:
            raise NotAccredited("none of this centre's keys may sign now under the installed "
                                f"trust list (version {trust_list.version}): it was retired or "
                                "found compromised, or the new one is not listed yet")
        return self.keys[usable.key.kid]

    def require(self, kind: Kind, occupation: str, at: datetime) -> PrivateKey:
        """The signing key, if the installed list accredits this centre for kind x occupation."""
        key = self.signing_key(at)
        entry = self.entry()
        assert entry is not None
        if not entry.accredited_for(kind, occupation):
            may = sorted(entry.accreditations.get(kind, frozenset()))
            raise NotAccredited(f"this centre is not accredited to certify {kind.value} in "
                                f"ISCO-08 {occupation} (for {kind.value} it may certify: "
                                f"{', '.join(may) or 'nothing'})")
        return key


def load_installed(home: Home) -> InstalledTrust:
    """Check the home's installed trust list (and its root rotations) against its pinned root."""
    try:
        root = RootSet.from_json(json.loads(read_bytes(home.root_pub_file, limit=64 * 1024)))
        signed = json.loads(read_bytes(home.trust_list_file, limit=TRUST_FILE_LIMIT))
        history = tuple(json.loads(read_bytes(home.root_history_file, limit=TRUST_FILE_LIMIT))) \
            if home.root_history_file.exists() else ()
    except (ValueError, TypeError) as exc:
        raise StorageError(str(home.trust_list_file), f"not a trust list ({exc})") from None
    store = TrustStore(root)
    try:
        store.follow(history)
        current = store.current
        trust_list = current if current is not None and current.signed == signed \
            else store.update(signed)
    except Error as exc:
        raise StorageError(str(home.trust_list_file), exc.diagnostics()) from None
    digest = hashlib.sha256(json.dumps([signed, history], sort_keys=True).encode()).digest()
    return InstalledTrust(trust_list, root, history, digest)


def normalize_national_id(national_id: str) -> str:
    """The number as printed, without spaces and in upper case: one ID, one hash."""
    return "".join(national_id.split()).upper()
