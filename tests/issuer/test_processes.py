"""Several processes on one home: command-line runs beside each other and beside the server.

The command line and the service used to count status slots separately (a counter file and
a database row) and handed out the same slots; parallel command-line runs shared the counter
file without a lock. Here they all run at once, as real processes, and no slot is shared.
"""

from __future__ import annotations

import csv
import http.client
import io
import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench.batch_csv import results_csv
from issuer.db import CredentialRecord
from issuer.home import Home
from issuer.installation import Installation
from issuer.service import accounts
from passport.bundle import TrustBundle
from passport.verify import verify
from tests.homes import accredited_home
from tests.issuer.conftest import PASSPHRASE
from tests.ports import free_port, wait_until_listening

COURSE = {"id": "forklift-safety", "version": 1, "hours": 40, "isco08": "8344", "cqfLevel": "C1",
          "title": {"en": "Forklift safety", "km": "សុវត្ថិភាពរថយន្តលើកទំនិញ"}}


def _env(home: Path, database_url: str) -> dict[str, str]:
    return {**os.environ, "SKILLPASS_HOME": str(home), "SKILLPASS_PASSPHRASE": PASSPHRASE,
            "DATABASE_URL": database_url}


def _skillpass(env: dict[str, str], *argv: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "passport.cli", *argv], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _finish(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        _out, err = p.communicate(timeout=600)
        assert p.returncode == 0, (p.args, err.decode()[-3000:])


def _training_file(folder: Path, n: int) -> Path:
    path = folder / f"training-{n}.json"
    path.write_text(json.dumps({
        "type": "TrainingCompletion",
        "candidate": {"name": f"Trainee {n}", "nameKm": "សុខ ដារា", "birthYear": 1990,
                      "nationalId": f"3{n:08d}"},
        "course": COURSE, "start": "2026-10-05", "end": "2026-10-16"}), encoding="utf-8")
    return path


def _init(tmp_path: Path, database_url: str) -> Path:
    home = tmp_path / "home"
    accredited_home(home, PASSPHRASE)
    init = _skillpass(_env(home, database_url), "init")
    _finish([init])
    return home


def _slots_and_bundle(home: Path, database_url: str) -> tuple[list[tuple[int, int]], list[str]]:
    with Installation.open(Home(home), secret=PASSPHRASE, database_url=database_url) as opened, \
            opened.store.read() as s:
        rows = s.execute(select(CredentialRecord.status_list, CredentialRecord.status_index,
                                CredentialRecord.qr)).all()
    return [(a, b) for a, b, _ in rows], [q for _, _, q in rows]


def _all_verify(home: Path, texts: list[str]) -> None:
    trust = TrustBundle.from_json((home / "trust-bundle.json").read_bytes(),
                                  roots=Home(home).root_keys())
    later = datetime.now(UTC)
    invalid = [t for t in texts if not verify(t, at=later, trust=trust).valid]
    assert not invalid, f"{len(invalid)} of {len(texts)} do not verify"


def test_parallel_command_line_issuance_shares_no_slot(tmp_path: Path, database_url: str) -> None:
    home = _init(tmp_path, database_url)
    env = _env(home, database_url)
    procs = [_skillpass(env, "issue", str(_training_file(tmp_path, n)), "--out",
                        str(tmp_path / "out")) for n in range(8)]
    _finish(procs)
    slots, texts = _slots_and_bundle(home, database_url)
    assert len(slots) == len(set(slots)) == 8
    _all_verify(home, texts)


def _api(port: int, token: str, method: str, path: str, body: Any) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request(method, path, json.dumps(body), {"Authorization": f"Bearer {token}",
                                                   "Content-Type": "application/json"})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, json.loads(data)


def test_command_line_and_server_at_once_share_no_slot(tmp_path: Path, database_url: str) -> None:
    home = _init(tmp_path, database_url)
    with Installation.open(Home(home), secret=PASSPHRASE, database_url=database_url) as opened, \
            opened.store.transaction() as s:
        tokens = {role: accounts.create_token(s, "test", accounts.create_user(
            s, "test", f"t-{role}", "a long test password", role, one_time=False), "test")
            for role in ("registrar", "assessor", "admin")}
    env = _env(home, database_url)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "passport.cli", "serve", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until_listening(port, server)
        status, candidate = _api(port, tokens["registrar"], "POST", "/api/candidates", {
            "name": "Sok Dara", "nameKm": "សុខ ដារា", "birthDate": "1988-04-12",
            "nationalId": "010234567"})
        assert status == 201, candidate
        web_codes: list[int] = []

        def web() -> None:
            for _ in range(20):
                code, _ = _api(port, tokens["assessor"], "POST", "/api/trainings", {
                    "candidateId": candidate["id"], "nationalId": "010234567", "course": COURSE,
                    "start": "2026-10-05", "end": "2026-10-16"})
                web_codes.append(code)

        batches = []
        for b in range(2):
            rows = list(csv.reader(io.StringIO(results_csv(12, datetime.now(UTC).date()))))
            for row in rows[1:]:  # distinct people per batch file
                row[3] = f"{b + 4}{row[3][1:]}"
            path = tmp_path / f"fair-{b}.csv"
            with path.open("w", newline="", encoding="utf-8") as fh:
                csv.writer(fh).writerows(rows)
            batches.append(path)
        thread = threading.Thread(target=web)
        thread.start()
        procs = [_skillpass(env, "issue-batch", str(p), "--out", str(tmp_path / p.stem))
                 for p in batches]
        procs += [_skillpass(env, "issue", str(_training_file(tmp_path, n)), "--out",
                             str(tmp_path / "out")) for n in range(3)]
        _finish(procs)
        thread.join()
        assert web_codes == [201] * 20
        # A revocation on the web while the command line runs: both see it at once.
        _, texts = _slots_and_bundle(home, database_url)
        victim = _skillpass(env, "verify", texts[0])
        _finish([victim])
        first = verify(texts[0], at=datetime.now(UTC), trust=TrustBundle.from_json(
            (home / "trust-bundle.json").read_bytes(), roots=Home(home).root_keys()))
        assert first.claims is not None
        code, _ = _api(port, tokens["admin"], "POST",
                       f"/api/credentials/{first.claims['id']}/revoke", {"reason": "test"})
        assert code == 200
        after = _skillpass(env, "verify", texts[0])
        after.communicate(timeout=120)
        assert after.returncode == 1
    finally:
        server.terminate()
        server.communicate(timeout=60)  # reaps it and closes its pipe
    slots, texts = _slots_and_bundle(home, database_url)
    assert len(slots) == len(set(slots)) == 20 + 24 + 3
    trust = TrustBundle.from_json((home / "trust-bundle.json").read_bytes(),
                                  roots=Home(home).root_keys())
    verdicts = [verify(t, at=datetime.now(UTC), trust=trust).verdict.value for t in texts]
    assert verdicts.count("invalid") == 1 and verdicts.count("valid") == len(texts) - 1
