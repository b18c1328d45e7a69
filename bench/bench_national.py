"""`make bench`: the national trust bundle at the size of the plan, beside one centre's bundle.

30 accredited centres (three officials, two of whom sign), 500,000 credentials spread over
them, 1% revoked at random. Each centre publishes its bundle (its signed status lists); the
authority builds the national bundle from those files with `skillpass authority bundle`; an
employer's verifier syncs it over HTTP with `skillpass trust sync` and loads it; credentials
of several centres are verified against it. The same figures for one centre's own bundle
are measured in the same run, as the baseline.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_core import machine, report
from passport import qr
from passport.accreditation import accreditation_request
from passport.bundle import TrustBundle, bundle_document
from passport.cli import main as skillpass
from passport.credential import Kind, StatusPurpose
from passport.keys import PrivateKey
from passport.status import Bitstring, sign_status_list, status_list_claims
from passport.verify import verify
from tests.web.test_phone_verifier import _served
from tests.world import World

CENTRES, CREDENTIALS, REVOKED_SHARE, OFFICIALS, THRESHOLD = 30, 500_000, 0.01, 3, 2
SAMPLES_PER_CENTRE = 4


def _run(*argv: str) -> None:
    code = skillpass(list(argv))
    if code:
        raise RuntimeError(f"skillpass {' '.join(argv)}: exit {code}")


def _timed(argv: list[str], env: dict[str, str]) -> float:
    """Wall time of a command as a person runs it (interpreter start-up included)."""
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "passport.cli", *argv], env=env,
                          capture_output=True, check=False)
    seconds = time.perf_counter() - t0
    if done.returncode:
        raise RuntimeError(f"{argv}: {done.stderr.decode()[-2000:]}")
    return seconds


def _best(fn: Any, rounds: int = 5) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    rng = random.Random(2026)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        env = {**os.environ, "SKILLPASS_AUTHORITY_HOME": str(root / "authority"),
               "SKILLPASS_HOME": str(root / "employer")}
        env.update({f"SKILLPASS_PASSPHRASE_OFFICIAL_{n}": f"official {n} bench passphrase"
                    for n in range(1, OFFICIALS + 1)})
        os.environ.update(env)
        now = datetime.now(UTC)
        _run("authority", "init", "--officials", str(OFFICIALS), "--threshold", str(THRESHOLD))
        keys = {}
        for c in range(CENTRES):
            centre_id = f"https://c{c:02d}.tvet.bench.kh"
            keys[centre_id] = PrivateKey.generate()
            request = root / f"request-{c}.jwt"
            request.write_text(accreditation_request(
                centre_id=centre_id, name=f"Bench centre {c}", name_km="មជ្ឈមណ្ឌល",
                key=keys[centre_id], asks={Kind.RPL: ["*"], Kind.TVET: ["*"]}, created=now))
            _run("authority", "accredit", str(request))
        for n in range(1, THRESHOLD + 1):
            _run("authority", "sign", "--official", f"official-{n}")
        signed_list = json.loads((root / "authority" / "trust-list.json").read_bytes())

        # Each centre's credentials, 1% of them revoked at random, and its published bundle.
        per_centre = CREDENTIALS // CENTRES
        samples: list[tuple[str, bool]] = []
        sources = []
        time.sleep(1.1)  # lists signed after the keys' windows opened, by the second
        signed_at = datetime.now(UTC)
        for centre_id, key in keys.items():
            revoked = set(rng.sample(range(per_centre), round(per_centre * REVOKED_SHARE)))
            lists = []
            for purpose in StatusPurpose:
                bits = Bitstring()
                for i in revoked if purpose is StatusPurpose.REVOCATION else ():
                    bits.set(i)
                lists.append(sign_status_list(status_list_claims(
                    url=f"{centre_id}/status/{purpose.value}/1", issuer=centre_id,
                    purpose=purpose, bitstring=bits, valid_from=signed_at,
                    valid_for=timedelta(days=7)), key))
            path = root / "centres" / f"{centre_id.split('//')[1]}.json"
            path.parent.mkdir(exist_ok=True)
            path.write_text(json.dumps(bundle_document(signed_list, lists, signed_at)))
            sources += ["--status", f"{centre_id}={path}"]
            world = World(key_prefix="bench national", issuer_id=centre_id)
            for index in rng.sample(range(per_centre), SAMPLES_PER_CENTRE // 2) + \
                    rng.sample(sorted(revoked), SAMPLES_PER_CENTRE // 2):
                compact = world.issue(key, index=index, valid_from=signed_at,
                                      credential_id=f"urn:skillpass:cred:B{index:011d}")
                samples.append((qr.encode(compact), index in revoked))

        national = root / "national.json"
        bundle_seconds = statistics.median(
            _timed(["authority", "bundle", "--out", str(national), "--offline", *sources], env)
            for _ in range(3))
        root_file = root / "authority" / "root-keys.json"
        with _served(root) as url:
            sync_seconds = _timed(["trust", "sync", f"{url}national.json", "--root",
                                   str(root_file)], env)
        pinned = json.loads(root_file.read_bytes())
        from passport.trust import RootSet

        roots = RootSet.from_json(pinned)
        one_centre = (root / "centres").glob("c00.*")
        single = next(one_centre).read_bytes()
        figures: dict[str, Any] = {}
        for label, data, texts in (("national", national.read_bytes(), samples),
                                   ("single_centre", single, samples[:SAMPLES_PER_CENTRE])):
            bundle = TrustBundle.from_json(data, roots=roots)
            load = _best(lambda d=data: TrustBundle.from_json(d, roots=roots))
            at = signed_at + timedelta(seconds=5)  # the same for both bundles
            verdicts = [verify(t, at=at, trust=bundle) for t, _ in texts]
            assert [not v.valid for v in verdicts] == [r for _, r in texts], label
            per_verify = _best(lambda b=bundle, ts=texts, when=at: [
                verify(t, at=when, trust=b) for t, _ in ts]) / len(texts)
            figures[label] = {"bundle_bytes": len(data), "status_lists": len(bundle.status_lists),
                              "load_ms": round(load * 1000, 1),
                              "verify_us": round(per_verify * 1e6, 1)}
    results = {"centres": CENTRES, "credentials": CREDENTIALS, "revoked_share": REVOKED_SHARE,
               "officials": f"{THRESHOLD} of {OFFICIALS}",
               "authority_bundle_seconds": round(bundle_seconds, 2),
               "trust_sync_seconds": round(sync_seconds, 2), **figures,
               "machine": machine()}
    report(results, "results-national.json")


if __name__ == "__main__":
    main()
