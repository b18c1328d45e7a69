"""`make bench`: `skillpass issue-batch` at 500 and 5,000 rows: time and peak memory.

Each run is the real command in its own process (validation, decisions, candidates, the
issuing transactions, credentials, cards, the streamed print sheet) against a throw-away
home, and its peak RSS is read from the kernel after it exits. The baseline, in the same
run, is the peak RSS of a process that only loads the same code (`skillpass issue-batch
--help`): what the batch adds above it must not grow with the rows.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.batch_csv import results_csv
from bench.bench_core import machine, report
from tests.homes import accredited_home

ROWS = (500, 5_000)
PASSPHRASE = "bench passphrase"

# Runs `argv` as a child and prints the child's peak RSS in KiB (Linux: ru_maxrss is KiB).
_MEASURE = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
if done.returncode:
    sys.stderr.write(done.stderr.decode()[-3000:]); sys.exit(done.returncode)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def peak_rss_mib(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _MEASURE, *argv], env=env, capture_output=True,
                          check=False)
    seconds = time.perf_counter() - t0
    if done.returncode:
        raise RuntimeError(f"{argv}: {done.stderr.decode()[-2000:]}")
    return round(int(done.stdout) / 1024, 1), round(seconds, 1)


def main() -> None:
    skillpass = [sys.executable, "-m", "passport.cli"]
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "SKILLPASS_PASSPHRASE": PASSPHRASE}
        env.pop("DATABASE_URL", None)
        env["SKILLPASS_HOME"] = str(Path(tmp) / "empty-home")
        results["baseline_load_only_mib"] = peak_rss_mib([*skillpass, "issue-batch", "--help"],
                                                         env)[0]
        for rows in ROWS:
            env["SKILLPASS_HOME"] = str(Path(tmp) / f"home-{rows}")
            accredited_home(Path(env["SKILLPASS_HOME"]), PASSPHRASE)
            subprocess.run([*skillpass, "init"], env=env, check=True, capture_output=True)
            source = Path(tmp) / f"results-{rows}.csv"
            source.write_text(results_csv(rows, datetime.now(UTC).date()), encoding="utf-8")
            out = Path(tmp) / f"out-{rows}"
            mib, seconds = peak_rss_mib([*skillpass, "issue-batch", str(source), "--out",
                                         str(out)], env)
            sheet = out / "sheet.pdf"
            results[f"rows_{rows}"] = {
                "peak_rss_mib": mib, "seconds": seconds,
                "rows_per_s": round(rows / seconds),
                "credentials": len(list(out.glob("*.jwt"))),
                "sheet_pdf_mib": round(sheet.stat().st_size / 2**20, 1),
            }
            print(rows, results[f"rows_{rows}"], file=sys.stderr)
    results["machine"] = machine()
    report(results, "results-batch.json")


if __name__ == "__main__":
    main()
