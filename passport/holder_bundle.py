"""The passport bundle file: all of one holder's credentials in one JSON document."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from passport import schema
from passport.credential import Credential, format_time
from passport.errors import UsageError


def passport_bundle(entries: Sequence[tuple[Credential, str, str]],
                    created: datetime) -> dict[str, Any]:
    """entries: (credential, compact JWS, QR text). Refuses credentials of different holders."""
    if not entries:
        raise UsageError("a passport needs at least one credential")
    first = entries[0][0].holder
    same = (first.name, first.name_km, first.birth_year, first.national_id_last4)
    for cred, _, _ in entries[1:]:
        h = cred.holder
        if (h.name, h.name_km, h.birth_year, h.national_id_last4) != same:
            raise UsageError(f"{cred.id} belongs to {h.name} ({h.birth_year}, …"
                             f"{h.national_id_last4}), not to {first.name} ({first.birth_year}, "
                             f"…{first.national_id_last4})")
    if len({c.id for c, _, _ in entries}) != len(entries):
        raise UsageError("a credential is listed twice")
    doc = {
        "type": "SkillsPassportBundle", "version": 1,
        "holder": {"name": first.name, "nameKm": first.name_km, "birthYear": first.birth_year,
                   "nationalIdLast4": first.national_id_last4},
        "credentials": [{"id": c.id, "jws": j, "qr": q} for c, j, q in entries],
        "created": format_time(created),
    }
    schema.check("passport-bundle", doc, what="passport bundle")
    return doc
