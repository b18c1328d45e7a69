"""The whole workflow through the API, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from passport.bundle import TrustBundle
from passport.verify import Check, Code, Verdict, verify
from rpl_rubrics import catalogue
from tests.issuer.conftest import Service
from tests.issuer.workflow import assess, register


def _trust(svc: Service) -> TrustBundle:
    r = svc.call(None, "get", "/trust-bundle.json")
    assert r.status_code == 200
    return TrustBundle.from_json(r.data, roots=svc.home.root_keys())


def test_register_assess_issue_verify_revoke(svc: Service) -> None:
    candidate = register(svc)
    assert candidate["nationalIdLast4"] == "4567" and "nationalId" not in candidate
    rubric = catalogue.get("crop-harvest-c1")
    needs_two = [c.key for u in rubric.units if u.min_occasions > 1 for c in u.criteria]
    a = assess(svc, candidate["id"], rubric.id)
    decision = svc.call("assessor", "post", f"/api/assessments/{a['id']}/decision").get_json()
    gap = {u["code"] for u in decision["gapTraining"]}
    assert decision["award"] == "statement_of_attainment" and gap == {
        u.code for u in rubric.units if u.min_occasions > 1}
    assert needs_two

    wrong = svc.call("assessor", "post", f"/api/assessments/{a['id']}/credential",
                     json={"nationalId": "999999999"})
    assert wrong.status_code == 400 and wrong.get_json()["error"] == "invalid_body"
    r = svc.call("assessor", "post", f"/api/assessments/{a['id']}/credential",
                 json={"nationalId": "0102 34567"})
    assert r.status_code == 201, r.get_json()
    credential = r.get_json()
    again = svc.call("assessor", "post", f"/api/assessments/{a['id']}/credential",
                     json={"nationalId": "010234567"})
    assert again.status_code == 409

    now = datetime.now(UTC) + timedelta(seconds=5)
    result = verify(credential["qr"], at=now, trust=_trust(svc))
    assert result.verdict is Verdict.VALID, result.checks
    assert result.credential is not None and result.credential.holder.matches_national_id("010234567")
    units = [r.unit for r in result.credential.results]
    assert units == [u.code for u in rubric.units if u.code not in gap]

    passport = svc.call("registrar", "get", f"/api/candidates/{candidate['id']}/passport")
    assert passport.status_code == 200 and passport.get_json()["credentials"][0]["qr"] == credential["qr"]

    r = svc.call("admin", "post", f"/api/credentials/{credential['id']}/suspend",
                 json={"reason": "under review after a complaint"})
    assert r.status_code == 200 and r.get_json()["suspended"]
    result = verify(credential["qr"], at=now, trust=_trust(svc))
    assert result.check(Check.STATUS).code is Code.SUSPENDED
    assert svc.call("admin", "post", f"/api/credentials/{credential['id']}/reinstate",
                    json={"reason": "complaint withdrawn"}).status_code == 200
    assert verify(credential["qr"], at=now, trust=_trust(svc)).valid
    assert svc.call("admin", "post", f"/api/credentials/{credential['id']}/revoke",
                    json={"reason": "issued in error"}).status_code == 200
    assert verify(credential["qr"], at=now, trust=_trust(svc)).check(Check.STATUS).code is Code.REVOKED
    assert svc.call("admin", "post", f"/api/credentials/{credential['id']}/reinstate",
                    json={"reason": "asked again"}).status_code == 409

    chain = svc.call("admin", "get", "/api/audit").get_json()
    assert chain["intact"] and chain["entries"] >= 12


def test_training_record(svc: Service) -> None:
    candidate = register(svc, national_id="040567890", name="Vann Rithy", nameKm="វ៉ាន់ រិទ្ធី")
    body = {"candidateId": candidate["id"], "nationalId": "040567890",
            "course": {"id": "forklift-safety", "version": 1, "hours": 40, "isco08": "8344",
                       "cqfLevel": "C1", "title": {"en": "Forklift safety", "km": "សុវត្ថិភាពរថយន្តលើកទំនិញ"}},
            "start": "2026-10-05", "end": "2026-10-16"}
    r = svc.call("assessor", "post", "/api/trainings", json=body)
    assert r.status_code == 201, r.get_json()
    result = verify(r.get_json()["qr"], at=datetime.now(UTC) + timedelta(seconds=5),
                    trust=_trust(svc))
    assert result.valid and result.credential is not None
    assert result.credential.achievement.learning_hours == 40


def test_publication_is_cacheable(svc: Service) -> None:
    for path in ("/.well-known/jwks.json", "/status/revocation/1", "/status/suspension/1",
                 "/trust-bundle.json", "/contexts/skills-passport/v1"):
        first = svc.call(None, "get", path)
        assert first.status_code == 200 and first.headers["ETag"] and first.headers["Last-Modified"]
        again = svc.call(None, "get", path, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.data == b""
    jwks = json.loads(svc.call(None, "get", "/.well-known/jwks.json").data)
    assert jwks["keys"][0]["kty"] == "OKP" and "d" not in jwks["keys"][0]
    assert svc.call(None, "get", "/status/other/1").status_code == 404


def test_search(svc: Service) -> None:
    register(svc)
    register(svc, national_id="020345678", name="Chan Sophea", nameKm="ចាន់ សុភា")
    for q, expected in (("sok", ["Sok Dara"]), ("សុភា", ["Chan Sophea"]), ("5678", ["Chan Sophea"]),
                        ("0203 45678", ["Chan Sophea"]), ("nobody", [])):
        found = svc.call("assessor", "get", "/api/candidates", query_string={"q": q}).get_json()
        assert [c["name"] for c in found] == expected, q


def test_the_phone_verifier_page_is_served_with_this_issuers_trust(svc: Service) -> None:
    client = svc.client()
    assert client.get("/verify").status_code in (301, 302, 308)
    page = client.get("/verify/")
    assert page.status_code == 200 and b'<script type="module" src="app.js">' in page.data
    config = json.loads(client.get("/verify/verifier-config.json").data)
    assert config["rootKeys"] == [k.jwk() for k in svc.home.root_keys().keys]
    assert config["dictionaries"] == {"1": "qr-dict-v1.bin"}
    bundle = client.get("/verify/trust-bundle.json")
    assert bundle.status_code == 200 and json.loads(bundle.data)["type"] == "SkillsPassportTrustBundle"
    sw = client.get("/verify/sw.js")
    assert sw.status_code == 200 and sw.headers["Service-Worker-Allowed"] == "/verify/"
    assert client.get("/verify/../../etc/passwd").status_code == 404


def test_processes_starting_together_share_one_installation_secret(tmp_path: Path) -> None:
    # Two gunicorn workers used to write two different secrets for a home without one; a
    # candidate registered by one worker then failed the ID check in the other.
    import threading

    from issuer.home import Home

    home = Home(tmp_path / "old-home")
    seen: list[bytes] = []
    barrier = threading.Barrier(8)

    def read() -> None:
        barrier.wait()
        seen.append(home.secret())

    threads = [threading.Thread(target=read) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(seen) == 8 and len(set(seen)) == 1 and len(seen[0]) == 32
