"""`make bench`: `skillpass verify` as a recruiter runs it, start-up included.

- 1,000 QR texts (200 candidates, 5 cards each) in ONE `skillpass verify -` call, one text
  per line on standard input, `--format csv`: the wall time of the whole subprocess;
- the cold start of `skillpass verify QR` (one card), against a bare interpreter start
  (`python -c pass`) measured in the same run, interleaved, median of each.

Both use the test world's trust bundle (a national root, one accredited centre, its status
lists), checked against the root keys as a verifier does. Bytecode is compiled first, as pip
does when it installs the package: an installed verifier never compiles its sources at start.
"""

from __future__ import annotations

import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_core import machine, report
from passport import qr
from passport.credential import HolderInput
from tests.world import World

ROOT = Path(__file__).resolve().parents[1]
AT = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
CANDIDATES, CARDS_EACH = 200, 5
SKILLPASS = str(Path(sys.executable).with_name("skillpass"))


def world() -> World:
    return World(key_prefix="skills-passport bench key", issued_at=AT,
                 key_window=(AT - timedelta(days=30), None), trust_issued=AT - timedelta(days=30),
                 trust_expires=AT + timedelta(days=365), status_from=AT, synced_at=AT)


def qr_texts(w: World) -> list[str]:
    texts = []
    for person in range(CANDIDATES):
        w.holder = HolderInput(f"Candidate {person}", "បេក្ខជន", 1980 + person % 20,
                               f"{100_000_000 + person}")
        for card in range(CARDS_EACH):
            n = person * CARDS_EACH + card
            texts.append(qr.encode(w.issue(credential_id=f"urn:skillpass:cred:B{n:011d}",
                                           index=100 + n)))
    return texts


def timed(cmd: list[str], *, stdin: bytes | None = None, env: dict[str, str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, input=stdin, capture_output=True, env=env, check=False)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"{cmd[:3]} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return seconds, done.stdout.decode()


def main() -> None:
    for package in ("passport", "verifier", "schemas"):
        compileall.compile_dir(ROOT / package, quiet=1)
    w = world()
    texts = qr_texts(w)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "SKILLPASS_HOME": str(Path(tmp) / "home")}
        (Path(tmp) / "bundle.json").write_bytes(w.bundle_bytes())
        (Path(tmp) / "root.json").write_text(json.dumps(w.root_set().to_json()))
        trust = ["--trust", str(Path(tmp) / "bundle.json"), "--root", str(Path(tmp) / "root.json"),
                 "--at", (AT + timedelta(hours=1)).isoformat()]
        lines = ("\n".join(texts) + "\n").encode()
        bulk_runs = []
        for _ in range(5):
            seconds, out = timed([SKILLPASS, "verify", "-", *trust, "--format", "csv"],
                                 stdin=lines, env=env)
            rows = out.splitlines()[1:]
            assert sum(r.startswith("credential,") and ",valid," in r for r in rows) == len(texts)
            assert sum(r.startswith("person,") for r in rows) == CANDIDATES
            bulk_runs.append(seconds)
        bare, single = [], []
        for _ in range(30):  # interleaved: a busy moment slows both alike
            bare.append(timed([sys.executable, "-c", "pass"], env=env)[0])
            seconds, out = timed([SKILLPASS, "verify", texts[0], *trust], env=env)
            assert out.startswith("Verdict: VALID")
            single.append(seconds)
    bare_ms, single_ms = statistics.median(bare) * 1000, statistics.median(single) * 1000
    results = {
        "qr_texts": len(texts),
        "candidates": CANDIDATES,
        "bulk_verify_seconds": round(statistics.median(bulk_runs), 3),
        "bulk_verify_per_s": round(len(texts) / statistics.median(bulk_runs)),
        "single_verify_cold_ms": round(single_ms, 1),
        "bare_python_start_ms": round(bare_ms, 1),
        "single_vs_bare_x": round(single_ms / bare_ms, 2),
        "machine": machine(),
    }
    report(results, "results-bulk.json")


if __name__ == "__main__":
    main()
