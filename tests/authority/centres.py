"""Training centres as the authority meets them, built with the passport API only: their
requests, their credentials, status lists, published bundles and issuance records. (The
centres' real service is the issuer's; these tests are about what the authority receives.)"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from passport.accreditation import accreditation_request, key_rotation_request
from passport.bundle import bundle_document
from passport.credential import HolderInput, Kind, StatusEntry, StatusPurpose, build_claims
from passport.jws import parse
from passport.keys import PrivateKey
from passport.records import Entry, sign_record, signature_digest
from passport.signing import sign_claims
from passport.status import Bitstring, sign_status_list, status_list_claims
from tests.conftest import rpl_achievement
from tests.world import SOK_DARA, derived_key

KEYS = "skills-passport authority test key"


def key(label: str) -> PrivateKey:
    return derived_key(KEYS, label)


@dataclass
class Centre:
    id: str
    name: str
    name_km: str
    key: PrivateKey
    asks: dict[Kind, list[str]] = field(
        default_factory=lambda: {Kind.RPL: ["7112", "7115", "7411"], Kind.TVET: ["*"]})

    def request(self, created: datetime, key: PrivateKey | None = None) -> str:
        return accreditation_request(centre_id=self.id, name=self.name, name_km=self.name_km,
                                     key=key or self.key, asks=self.asks, created=created)

    def rotation(self, new: PrivateKey, created: datetime,
                 old: PrivateKey | None = None) -> dict[str, Any]:
        return key_rotation_request(centre_id=self.id, old=old or self.key, new=new,
                                    created=created)

    def status_url(self, purpose: StatusPurpose) -> str:
        return f"{self.id}/status/{purpose.value}/1"

    def card(self, index: int, issued: datetime, *, key: PrivateKey | None = None,
             holder: HolderInput = SOK_DARA, number: str = "0123456789AB",
             isco: str = "7112") -> str:
        claims = build_claims(
            issuer=self.id, holder=holder, achievement=rpl_achievement(isco=isco),
            valid_from=issued, results=[f"MAS-0{i}" for i in range(1, 7)],
            status=[StatusEntry(p, self.status_url(p), index) for p in StatusPurpose],
            credential_id=f"urn:skillpass:cred:{number}")
        return sign_claims(claims, key or self.key)[1]

    def status_lists(self, valid_from: datetime, *, revoked: Iterable[int] = (),
                     key: PrivateKey | None = None,
                     valid_for: timedelta = timedelta(days=7)) -> list[str]:
        signed = []
        for purpose in StatusPurpose:
            bits = Bitstring()
            for index in revoked if purpose is StatusPurpose.REVOCATION else ():
                bits.set(index)
            signed.append(sign_status_list(status_list_claims(
                url=self.status_url(purpose), issuer=self.id, purpose=purpose, bitstring=bits,
                valid_from=valid_from, valid_for=valid_for), key or self.key))
        return signed

    def publish(self, path: Path, trust_list: dict[str, Any], lists: list[str],
                at: datetime) -> Path:
        """The centre's own trust-bundle.json, as its server publishes it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(bundle_document(trust_list, lists, at)))
        return path

    def record(self, kid: str, cards: list[tuple[str, int, datetime]], created: datetime,
               key: PrivateKey | None = None, issuer: str | None = None) -> str:
        """The centre's signed issuance record for key `kid`: (card, index, issued) each."""
        entries = [Entry(1, index, issued, signature_digest(parse(card).signature))
                   for card, index, issued in cards]
        return sign_record(issuer=issuer or self.id, kid=kid, entries=entries, created=created,
                           key=key or self.key)


def centre_a() -> Centre:
    return Centre("https://ntti.test.skillpass.kh", "National Technical Training Institute",
                  "វិទ្យាស្ថានជាតិបណ្តុះបណ្តាលបច្ចេកទេស", key("centre a"))


def centre_b() -> Centre:
    return Centre("https://pp-poly.test.skillpass.kh", "Preah Kossomak Polytechnic",
                  "វិទ្យាស្ថានពហុបច្ចេកទេសព្រះកុសុមៈ", key("centre b"),
                  {Kind.RPL: ["*"], Kind.TVET: ["*"]})
