"""`make bench`: the long fuzz run, at least 100,000 hostile inputs, and not one crash.

The targets of tests/fuzz.py (the QR codec, the verifier with a trust bundle and with one key,
the trust bundle loader; inputs mutated at every layer, or arbitrary), each from its own
`random.Random` seeded with SEED and its name, so the run is the same on every machine. Targets
take turns in batches until each has had its share or the time box is spent. An answer or one
of the project's own errors is fine; any other exception is a crash, recorded by its type and
the line that raised it (a second QR text for the genuine card counts as one too). Results go
to stdout and bench/results-fuzz.json.
"""

from __future__ import annotations

import random
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_core import machine, report
from passport.errors import Error
from tests.fuzz import TARGETS, material

SEED = 20261122
PER_TARGET = 14_000  # 8 targets: 112,000 inputs
TIME_BOX_S = 900.0
BATCH = 500


def main() -> None:
    m = material()
    rngs = {name: random.Random(f"{SEED}:{name}") for name in TARGETS}
    cases: Counter[str] = Counter()
    outcomes: dict[str, Counter[str]] = {name: Counter() for name in TARGETS}
    crashes: Counter[str] = Counter()
    started = time.perf_counter()
    while any(cases[n] < PER_TARGET for n in TARGETS) \
            and time.perf_counter() - started < TIME_BOX_S:
        for name, target in TARGETS.items():
            for _ in range(min(BATCH, PER_TARGET - cases[name])):
                cases[name] += 1
                try:
                    outcomes[name][target(rngs[name], m)] += 1
                except Error as exc:
                    outcomes[name][f"refused: {type(exc).__name__}"] += 1
                except Exception as exc:  # the point of the run: anything else is counted
                    where = traceback.extract_tb(exc.__traceback__)[-1]
                    crashes[f"{name}: {type(exc).__name__} at {Path(where.filename).name}:"
                            f"{where.lineno}"] += 1
    seconds = time.perf_counter() - started
    total = sum(cases.values())
    report({
        "seed": SEED,
        "cases": total,
        "seconds": round(seconds, 1),
        "crashes": sum(crashes.values()),
        "targets": {n: {"cases": cases[n], "outcomes": dict(outcomes[n].most_common())}
                    for n in TARGETS},
        "crash_kinds": dict(crashes),
        "machine": machine(),
    }, "results-fuzz.json")
    assert not crashes, f"crashes: {dict(crashes)}"
    assert total >= 100_000, f"only {total} inputs in the time box"


if __name__ == "__main__":
    main()
