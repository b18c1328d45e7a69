"""`make bench`: 1,000 issuances through the HTTP API against SQLite.

Starts the issuer as it is deployed (gunicorn, 2 workers, one per core) on a throw-away home
folder, then issues TVET training records over keep-alive HTTP from 4 client threads, and
times 100 complete RPL assessments (start, judgments, issue) the same way.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_core import machine, report
from issuer.installation import Installation
from issuer.service import accounts
from rpl_rubrics import catalogue
from tests.homes import accredited_home
from tests.ports import free_port, wait_until_listening

ISSUANCES, ASSESSMENTS, CLIENTS = 1000, 100, 4
PASSPHRASE = "bench passphrase"


class Api:
    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        self.conn.request(method, path, json.dumps(body) if body is not None else None,
                          self.headers)
        response = self.conn.getresponse()
        data = response.read()
        if response.status != expect:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
        return json.loads(data)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = accredited_home(Path(tmp) / "home", PASSPHRASE)
        tokens = {}
        with Installation.open(home, secret=PASSPHRASE) as installation, \
                installation.store.transaction() as s:
            for role in ("assessor", "registrar"):
                user = accounts.create_user(s, "bench", f"bench-{role}", "bench password!", role,
                                            one_time=False)
                tokens[role] = accounts.create_token(s, "bench", user, "bench")
        port = free_port()
        env = {**os.environ, "SKILLPASS_HOME": str(home.root), "SKILLPASS_PASSPHRASE": PASSPHRASE}
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
             "--log-level", "warning", "issuer.app:create_app()"], env=env)
        try:
            wait_until_listening(port, server)
            results = _load(port, tokens)
        finally:
            server.terminate()
            server.wait(timeout=30)
    results["machine"] = machine()
    report(results, "results-api.json")


def _load(port: int, tokens: dict[str, str]) -> dict[str, Any]:
    registrar = Api(port, tokens["registrar"])
    candidates = [registrar.call("POST", "/api/candidates", {
        "name": f"Candidate {n}", "nameKm": "សុខ ដារា", "birthDate": "1988-04-12",
        "nationalId": f"{200000000 + n}"}, 201)["id"] for n in range(CLIENTS * 5)]
    course = {"id": "forklift-safety", "version": 1, "hours": 40, "isco08": "8344",
              "cqfLevel": "C1", "title": {"en": "Forklift safety", "km": "សុវត្ថិភាពរថយន្តលើកទំនិញ"}}
    errors: list[str] = []

    def issue(worker: int) -> None:
        api = Api(port, tokens["assessor"])
        try:
            for k in range(worker, ISSUANCES, CLIENTS):
                cid = candidates[k % len(candidates)]
                api.call("POST", "/api/trainings", {
                    "candidateId": cid, "nationalId": f"{200000000 + candidates.index(cid)}",
                    "course": course, "start": "2026-10-05", "end": "2026-10-16"}, 201)
        except RuntimeError as exc:
            errors.append(str(exc))

    t0 = time.perf_counter()
    workers = [threading.Thread(target=issue, args=(w,)) for w in range(CLIENTS)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    issuance_seconds = time.perf_counter() - t0
    if errors:
        raise RuntimeError(errors[0])

    rubric = catalogue.get("electronics-assembly-c1")
    api = Api(port, tokens["assessor"])
    ref = _upload(port, tokens["assessor"])
    t0 = time.perf_counter()
    for n in range(ASSESSMENTS):
        cid = candidates[n % len(candidates)]
        a = api.call("POST", "/api/assessments", {"candidateId": cid, "rubricId": rubric.id}, 201)
        judgments = [{"criterion": c.key, "result": "met", "evidence": [
            {"method": m.value, "ref": ref, "date": a["date"]} for m in sorted(c.required)]}
            for u in rubric.units for c in u.criteria]
        api.call("PUT", f"/api/assessments/{a['id']}/judgments", {"judgments": judgments})
        api.call("POST", f"/api/assessments/{a['id']}/credential",
                 {"nationalId": f"{200000000 + candidates.index(cid)}"}, 201)
    assessment_seconds = time.perf_counter() - t0
    return {
        "issuances": ISSUANCES,
        "client_threads": CLIENTS,
        "server": "gunicorn, 2 workers, SQLite",
        "issuances_seconds": round(issuance_seconds, 1),
        "issuances_per_s": round(ISSUANCES / issuance_seconds),
        "rpl_assessments_start_judge_issue": ASSESSMENTS,
        "rpl_assessments_seconds": round(assessment_seconds, 1),
    }


def _upload(port: int, token: str) -> str:
    """One evidence photo, uploaded once and referenced by every judgment."""
    boundary = "benchboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"photo.png\"\r\nContent-Type: image/png\r\n\r\n").encode() + \
        b"\x89PNG\r\n\x1a\nbench" + f"\r\n--{boundary}--\r\n".encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("POST", "/api/evidence", body, {
        "Authorization": f"Bearer {token}",
        "Content-Type": f"multipart/form-data; boundary={boundary}"})
    ref: str = json.loads(conn.getresponse().read())["ref"]
    return ref


if __name__ == "__main__":
    main()
