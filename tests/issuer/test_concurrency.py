"""Concurrent issuance never hands out a status index twice and never loses a credential."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from typing import Any

from sqlalchemy import func, select

from issuer import audit
from issuer.db import CredentialRecord
from tests.issuer.conftest import PASSPHRASE, Service, store_of
from tests.issuer.workflow import register

COURSE = {"id": "forklift-safety", "version": 1, "hours": 40, "isco08": "8344", "cqfLevel": "C1",
          "title": {"en": "Forklift safety", "km": "សុវត្ថិភាពរថយន្តលើកទំនិញ"}}


def _training(candidate_id: int, national_id: str) -> dict[str, Any]:
    return {"candidateId": candidate_id, "nationalId": national_id, "course": COURSE,
            "start": "2026-10-05", "end": "2026-10-16"}


def _check(svc: Service, expected: int) -> None:
    with store_of(svc.app).read() as s:
        indexes = s.execute(select(CredentialRecord.status_index)).scalars().all()
        assert len(indexes) == expected
        assert len(set(indexes)) == expected
        assert s.execute(select(func.max(CredentialRecord.status_index))).scalar() == expected - 1
        report = audit.verify_chain(s)
        assert report.intact, report.problems


def test_threads(svc: Service) -> None:
    candidate = register(svc)
    threads, per_thread = 8, 5
    failures: list[str] = []

    def work() -> None:
        client = svc.client("assessor")
        for _ in range(per_thread):
            r = client.post("/api/trainings", json=_training(candidate["id"], "010234567"))
            if r.status_code != 201:
                failures.append(f"{r.status_code} {r.get_json()}")

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not failures
    _check(svc, threads * per_thread)


def test_two_processes_against_one_database(svc: Service, database_url: str) -> None:
    candidate = register(svc)
    script = textwrap.dedent(f"""
        import json, sys
        from issuer.app import create_app
        from issuer.home import Home
        app = create_app(Home(__import__("pathlib").Path({str(svc.home.root)!r})),
                         secret={PASSPHRASE!r}, database_url={database_url!r})
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = "Bearer {svc.tokens['assessor']}"
        body = json.loads(sys.argv[1])
        codes = [client.post("/api/trainings", json=body).status_code for _ in range(15)]
        print(json.dumps(codes))
    """)
    body = json.dumps(_training(candidate["id"], "010234567"))
    procs = [subprocess.Popen([sys.executable, "-c", script, body], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err.decode()[-2000:]
        assert json.loads(out) == [201] * 15
    _check(svc, 30)
