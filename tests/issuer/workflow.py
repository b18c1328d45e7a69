"""API steps the issuer tests share: a candidate assessed and certified through HTTP."""

from __future__ import annotations

import io
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from issuer.db import CredentialRecord, StatusListRecord
from passport.status import parse_status_list
from rpl_rubrics import catalogue
from tests.issuer.conftest import PASSWORD, Service, store_of

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def register(svc: Service, national_id: str = "010234567", **extra: Any) -> dict[str, Any]:
    body = {"name": "Sok Dara", "nameKm": "សុខ ដារា", "birthDate": "1988-04-12",
            "nationalId": national_id, "phone": "+855 12 345 678", "province": "Banteay Meanchey",
            "occupationAbroad": "bricklayer", "languages": ["km", "th"], **extra}
    r = svc.call("registrar", "post", "/api/candidates", json=body)
    assert r.status_code == 201, r.get_json()
    return dict(r.get_json())


def upload(svc: Service, content: bytes = PNG, role: str = "assessor") -> str:
    r = svc.call(role, "post", "/api/evidence",
                 data={"file": (io.BytesIO(content), "photo.png", "image/png")},
                 content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()
    return str(r.get_json()["ref"])


def judgments(rubric_id: str, ref: str, day: str, not_met: tuple[str, ...] = ()
              ) -> list[dict[str, Any]]:
    rubric = catalogue.get(rubric_id)
    return [{"criterion": c.key, "result": "not_met" if c.key in not_met else "met",
             "evidence": [{"method": m.value, "ref": ref, "date": day}
                          for m in (sorted(c.required) or [sorted(c.accepted)[0]])]}
            for u in rubric.units for c in u.criteria]


def assess(svc: Service, candidate_id: int, rubric_id: str = "masonry-c1",
           not_met: tuple[str, ...] = (), role: str = "assessor") -> dict[str, Any]:
    r = svc.call(role, "post", "/api/assessments",
                 json={"candidateId": candidate_id, "rubricId": rubric_id})
    assert r.status_code == 201, r.get_json()
    a = r.get_json()
    # minOccasions: evidence on the day itself and on the same day is one occasion, so
    # units that need two occasions fail unless not_met says otherwise; use one date and
    # rubrics whose units need one, or add a second upload date in the caller.
    ref = upload(svc, role=role)
    body = {"judgments": judgments(rubric_id, ref, a["date"], not_met)}
    r = svc.call(role, "put", f"/api/assessments/{a['id']}/judgments", json=body)
    assert r.status_code == 200, r.get_json()
    return dict(a)


def bits_agree_with_records(svc: Service) -> None:
    """Every set bit is a credential's status, and every credential's status is its bit."""
    with store_of(svc.app).read() as s:
        lists = {(r.purpose, r.number): r for r in s.execute(select(StatusListRecord)).scalars()}
        for c in s.execute(select(CredentialRecord)).scalars():
            for purpose, expected in (("revocation", c.revoked), ("suspension", c.suspended)):
                bits = lists[(purpose, c.status_list)].bits
                assert bool(bits[c.status_index // 8] & (0x80 >> (c.status_index % 8))) is expected
        for row in lists.values():
            claims = parse_status_list(str(row.jws))[0]
            assert bytes(claims.bitstring.bits) == bytes(row.bits)  # the signed list is the row


def browser(svc: Service, username: str, password: str = PASSWORD,
            expect: int = 302) -> tuple[FlaskClient, str]:
    """A browser signed in as `username` (its sign-in answered `expect`), and its CSRF token."""
    client = svc.app.test_client()
    client.get("/login")
    r = client.post("/login", data={"username": username, "password": password,
                                    "csrf_token": csrf(client)})
    assert r.status_code == expect, r.get_data(as_text=True)[-500:]
    return client, csrf(client)


def csrf(client: FlaskClient) -> str:
    """The session's CSRF token, as a page hands it out (the sign-in page, to anyone)."""
    with client.session_transaction() as s:
        if "csrf" in s:
            return str(s["csrf"])
    client.get("/login")
    with client.session_transaction() as s:
        return str(s["csrf"])
