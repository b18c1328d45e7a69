"""`make bench`: the centre's one store at scale, on SQLite and on PostgreSQL.

Publication: a centre with 1,000 credentials (the baseline) and one with 500,000, 1% of
them revoked at random through the real status service. For each, the issuer runs under
gunicorn and serves, over HTTP: a status list, a status list answered 304 (If-None-Match),
the trust bundle, and the trust bundle answered 304. The 1,000 credentials are issued
through the real issuance path; the other 499,000 are rows copied from them with their own
ids and status slots, taken from the real allocator (the credentials table holds real-sized
rows; publication never reads it, which is the point).

Growth: a centre issues through the real path on list 1, then has its allocator moved past
262,144 slots (bulk allocation), and issues on list 3; every credential is verified against
the trust bundle the centre publishes, and one on list 3 is revoked and checked.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select

from bench.bench_core import machine, report
from issuer.db import Candidate, CredentialRecord
from issuer.installation import Installation
from issuer.service import accounts, candidates, issuance, publication, status
from passport.bundle import TrustBundle
from passport.credential import HolderInput
from passport.verify import Check, Code, verify
from rpl_rubrics.credentials import TrainingCompletion
from tests.homes import accredited_home
from tests.issuer import postgres
from tests.ports import free_port, wait_until_listening

PASSPHRASE = "bench passphrase"
SIZES = (1_000, 500_000)
REVOKED_SHARE = 0.01
REQUESTS = 200
COURSE = {"id": "forklift-safety", "version": 1, "hours": 40, "isco08": "8344",
          "cqfLevel": "C1", "title": {"en": "Forklift safety", "km": "សុវត្ថិភាពរថយន្តលើកទំនិញ"}}


def _request(n: int, issued: datetime) -> tuple[HolderInput, Any]:
    completion = TrainingCompletion.from_text(json.dumps({
        "type": "TrainingCompletion",
        "candidate": {"name": f"Returnee {n}", "nameKm": "សុខ ដារា", "birthYear": 1980 + n % 25,
                      "nationalId": f"{300000000 + n}"},
        "course": COURSE, "start": "2026-10-05", "end": "2026-10-16"}), "bench")
    return completion.holder, completion.request(issued=issued)


def issue_real(installation: Installation, count: int, start: int = 0) -> list[str]:
    """`count` credentials through the one issuance path, one transaction each; their QR texts."""
    texts = []
    centre = installation.centre
    for n in range(start, start + count):
        holder, request = _request(n, datetime.now(UTC).replace(microsecond=0))
        with installation.store.transaction() as s:
            actor = accounts.command_line_user(s)
            candidate = candidates.find_or_create(s, centre, actor, holder, source="bench")
            texts.append(issuance.issue_credential(s, centre, actor, candidate, request).record.qr)
    return texts


def populate(installation: Installation, total: int) -> None:
    """1,000 real credentials, then rows copied from them up to `total`, 1% revoked."""
    real = min(total, 1_000)
    issue_real(installation, real)
    with installation.store.read() as s:
        pool = s.execute(select(CredentialRecord)).scalars().all()
        holders = [c.id for c in s.execute(select(Candidate)).scalars()]
    made, batch = real, 20_000
    now = datetime.now(UTC)
    while made < total:
        count = min(batch, total - made)
        with installation.store.transaction() as s:
            actor = accounts.command_line_user(s)
            slots = status.allocate(s, installation.centre, count)
            s.execute(insert(CredentialRecord), [{
                "id": f"urn:skillpass:cred:B{made + k:011d}",
                "candidate_id": holders[k % len(holders)], "assessment_id": None,
                "kind": pool[k % real].kind, "achievement_type": pool[k % real].achievement_type,
                "title": pool[k % real].title, "status_list": slot.list_number,
                "status_index": slot.index, "jws": pool[k % real].jws, "qr": pool[k % real].qr,
                "issued_at": now, "issued_by": actor.id, "revoked": False, "suspended": False,
                "status_reason": "", "status_changed_at": None, "request_key": None,
                "shared_slot": False} for k, slot in enumerate(slots)])
        made += count
    with installation.store.read() as s:
        ids = list(s.execute(select(CredentialRecord.id)).scalars())
    for credential_id in random.Random(7).sample(ids, round(total * REVOKED_SHARE)):
        with installation.store.transaction() as s:
            status.change(s, installation.centre, accounts.command_line_user(s), credential_id,
                          "revoke", "bench: revoked at random")


@contextmanager
def serving(home: Path, database_url: str) -> Iterator[int]:
    port = free_port()
    env = {**os.environ, "SKILLPASS_HOME": str(home), "SKILLPASS_PASSPHRASE": PASSPHRASE,
           "DATABASE_URL": database_url}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-b",
                               f"127.0.0.1:{port}", "--log-level", "warning",
                               "issuer.app:create_app()"], env=env)
    try:
        wait_until_listening(port, server)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=60)


def _get(port: int, path: str, etag: str | None = None) -> tuple[int, bytes, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path, headers={"If-None-Match": etag} if etag else {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data, response.getheader("ETag") or ""


def _median_ms(port: int, path: str, etag: str | None, expect: int) -> float:
    times = []
    for _ in range(REQUESTS):
        t0 = time.perf_counter()
        code, _, _ = _get(port, path, etag)
        times.append(time.perf_counter() - t0)
        if code != expect:
            raise RuntimeError(f"GET {path}: {code}, expected {expect}")
    return round(statistics.median(times) * 1000, 2)


def measure(home: Path, database_url: str) -> dict[str, Any]:
    with serving(home, database_url) as port:
        _, status_list, list_tag = _get(port, "/status/revocation/1")
        _, bundle, bundle_tag = _get(port, "/trust-bundle.json")
        return {
            "status_list_ms": _median_ms(port, "/status/revocation/1", None, 200),
            "status_list_304_ms": _median_ms(port, "/status/revocation/1", list_tag, 304),
            "trust_bundle_ms": _median_ms(port, "/trust-bundle.json", None, 200),
            "trust_bundle_304_ms": _median_ms(port, "/trust-bundle.json", bundle_tag, 304),
            "status_list_bytes": len(status_list),
            "trust_bundle_bytes": len(bundle),
            "status_lists_in_bundle": len(json.loads(bundle)["statusLists"]),
        }


def publication_at_scale(backend: str, database_url: Callable[[int], str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for size in SIZES:
        with tempfile.TemporaryDirectory() as tmp:
            home = accredited_home(Path(tmp) / "home", PASSPHRASE)
            url = database_url(size) if database_url else f"sqlite:///{home.root / 'issuer.db'}"
            t0 = time.perf_counter()
            with Installation.open(home, secret=PASSPHRASE, database_url=url) as installation:
                populate(installation, size)
            setup = time.perf_counter() - t0
            figures = measure(home.root, url)
            figures["setup_seconds"] = round(setup)
            out[str(size)] = figures
            print(backend, size, figures, file=sys.stderr)
    small, large = out[str(SIZES[0])], out[str(SIZES[1])]
    out["ratio_status_list"] = round(large["status_list_ms"] / small["status_list_ms"], 2)
    out["ratio_trust_bundle"] = round(large["trust_bundle_ms"] / small["trust_bundle_ms"], 2)
    return out


def growth() -> dict[str, Any]:
    """Issuance and verification on list 1 (baseline) and on list 3, in the same centre."""
    per_list = 100
    with tempfile.TemporaryDirectory() as tmp:
        home = accredited_home(Path(tmp) / "home", PASSPHRASE)
        with Installation.open(home, secret=PASSPHRASE) as installation:
            t0 = time.perf_counter()
            first = issue_real(installation, per_list)
            list1_ms = (time.perf_counter() - t0) * 1000 / per_list
            with installation.store.transaction() as s:
                with installation.store.read() as r:
                    used = len(r.execute(select(CredentialRecord.id)).all())
                status.allocate(s, installation.centre, 2 * status.LIST_SIZE - used)
            t0 = time.perf_counter()
            third = issue_real(installation, per_list, start=per_list)
            list3_ms = (time.perf_counter() - t0) * 1000 / per_list
            trust = TrustBundle.from_json(
                publication.trust_bundle(installation.store, installation.centre).build(),
                roots=home.root_keys())
            later = datetime.now(UTC) + timedelta(seconds=2)
            on = {n: [verify(t, at=later, trust=trust) for t in texts]
                  for n, texts in ((1, first), (3, third))}
            lists = {r.credential.status[0].list_url.rsplit("/", 1)[1]
                     for r in on[3] if r.credential}
            victim = on[3][0].claims
            assert victim is not None
            with installation.store.transaction() as s:
                status.change(s, installation.centre, accounts.command_line_user(s),
                              str(victim["id"]), "revoke", "bench: revoked on list 3")
            trust = TrustBundle.from_json(home.bundle_file.read_bytes(), roots=home.root_keys())
            revoked = verify(third[0], at=later, trust=trust).check(Check.STATUS).code

            def per_verify_us(texts: list[str]) -> float:
                t0 = time.perf_counter()
                for text in texts * 10:
                    verify(text, at=later, trust=trust)
                return round((time.perf_counter() - t0) * 1e6 / (10 * len(texts)), 1)

            return {
                "issued_per_list": per_list,
                "issue_ms_on_list_1": round(list1_ms, 2),
                "issue_ms_on_list_3": round(list3_ms, 2),
                "list_of_the_later_credentials": sorted(lists),
                "valid_on_list_1": sum(r.valid for r in on[1]),
                "valid_on_list_3": sum(r.valid for r in on[3]),
                "revoked_on_list_3_reads": revoked.value,
                "revoked_is_revoked": revoked is Code.REVOKED,
                "verify_us_list_1": per_verify_us(first),
                "verify_us_list_3": per_verify_us(third[1:]),
            }


def main() -> None:
    results: dict[str, Any] = {"growth": growth()}
    print("growth", results["growth"], file=sys.stderr)
    results["sqlite"] = publication_at_scale("sqlite", None)
    with postgres.server() as prefix:
        names = iter(range(100))
        results["postgresql"] = publication_at_scale(
            "postgresql", lambda size: postgres.create_database(prefix, f"bench_{size}_{next(names)}"))
    results["revoked_share"] = REVOKED_SHARE
    results["requests_per_figure"] = REQUESTS
    results["server"] = "gunicorn, 2 workers"
    results["machine"] = machine()
    report(results, "results-store.json")


if __name__ == "__main__":
    main()
