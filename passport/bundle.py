"""The trust bundle an offline verifier carries: trust list + status lists, checked together."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from passport import jws, schema
from passport.credential import format_time, parse_time
from passport.errors import CredentialError, InputTooLarge, TrustError
from passport.keys import PublicKey
from passport.status import StatusList, parse_status_list
from passport.trust import TrustList, TrustStore

MAX_BUNDLE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class TrustBundle:
    trust_list: TrustList
    status_lists: dict[str, StatusList]
    synced_at: datetime

    @classmethod
    def from_json(cls, data: bytes, *, roots: tuple[PublicKey, ...],
                  cached: TrustList | None = None) -> TrustBundle:
        """Parse and check a bundle: root signatures, version order, status list signatures.

        `cached` is the trust list already held; a bundle whose list is older is refused.
        """
        if len(data) > MAX_BUNDLE_BYTES:
            raise InputTooLarge("trust bundle", len(data), MAX_BUNDLE_BYTES)
        try:
            doc = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise TrustError(f"trust bundle: not JSON ({exc})") from None
        schema.check("trust-bundle", doc, what="trust bundle")
        store = TrustStore(roots)
        if cached is not None:
            store.current = cached
        trust_list = store.update(doc["trustList"])
        lists: dict[str, StatusList] = {}
        for compact in doc["statusLists"]:
            try:
                status, token = parse_status_list(compact)
            except CredentialError as exc:
                raise TrustError(f"trust bundle: bad status list ({exc})") from None
            issuer = trust_list.issuers.get(status.issuer)
            entry = issuer.key(token.kid) if issuer else None
            if entry is None or not jws.signature_valid(token, entry.key):
                raise TrustError(f"trust bundle: status list {status.url} is not signed by "
                                 "a key of its issuer in the trust list")
            if not status.url.startswith(status.issuer + "/"):
                raise TrustError(f"trust bundle: status list {status.url} is outside its "
                                 "issuer's URL space")
            lists[status.url] = status
        return cls(trust_list, lists, parse_time(doc["syncedAt"]))

    def to_json(self) -> bytes:
        return json.dumps(bundle_document(self.trust_list.signed,
                                          [s.jws for s in self.status_lists.values()],
                                          self.synced_at), indent=1).encode()


def bundle_document(signed_trust_list: dict[str, Any], status_jws: list[str],
                    synced_at: datetime) -> dict[str, Any]:
    return {
        "type": "SkillsPassportTrustBundle",
        "trustList": signed_trust_list,
        "statusLists": status_jws,
        "syncedAt": format_time(synced_at),
    }
