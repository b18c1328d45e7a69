"""`make bench`: the phone pages on a slow link, in Debian's Chromium (headless).

The holder's passport (holder.html) against the verifier page (index.html) of the same folder,
in the same run: the bytes a first visit fetches before the page can be used, the time until
it can be used over an emulated slow mobile link (Chrome's "Slow 3G" profile: 400 ms round
trip, 400 kbit/s down), the bytes the service worker then keeps for offline use, and the time
an offline reopening takes. Each figure is the median of RUNS fresh browser profiles.
"""

from __future__ import annotations

import contextlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_core import machine, report
from tests.web.chromium import launched
from tests.web.test_phone_verifier import CASES, _served, wait_for
from verifier.webapp import export

RUNS = 5
SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400 * 1000 / 8,
           "uploadThroughput": 400 * 1000 / 8}
PAGES = {"holder": ("holder.html", "window.SkillsPassportHolder && window.SkillsPassportHolder.ready"),
         "verifier": ("", "window.SkillsPassport && window.SkillsPassport.ready")}
CACHED = """async () => {
    await navigator.serviceWorker.ready;
    const keys = await caches.keys();
    if (!keys.length) return 0;
    const cache = await caches.open(keys[0]);
    let total = 0;
    for (const request of await cache.keys()) total += (await (await cache.match(request)).arrayBuffer()).byteLength;
    return (await cache.keys()).length > 10 ? total : 0;
}"""


def visit(browser: Any, url: str, ready: str) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    fetched: list[int] = []

    def body_size(response: Any) -> None:
        # The page's own requests (not the service worker's caching of the rest).
        if response.frame is not None:
            with contextlib.suppress(Exception):  # a redirect or an aborted fetch has no body
                fetched.append(len(response.body()))

    page.on("response", body_size)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    started = time.perf_counter()
    page.goto(url, wait_until="commit")
    wait_for(page, ready, seconds=120)
    first_ms = (time.perf_counter() - started) * 1000
    first_bytes = sum(fetched)
    cache_bytes = wait_for(page, CACHED, seconds=300)
    context.set_offline(True)
    started = time.perf_counter()
    page.reload(wait_until="commit")
    wait_for(page, ready, seconds=60)
    offline_ms = (time.perf_counter() - started) * 1000
    context.close()
    return {"first_ms": first_ms, "first_bytes": first_bytes, "cache_bytes": cache_bytes,
            "offline_ms": offline_ms}


def main() -> None:
    results: dict[str, object] = {"machine": machine(), "runs": RUNS, "link": "emulated Slow 3G: "
                                  "400 ms round trip, 400 kbit/s down and up"}
    with tempfile.TemporaryDirectory() as tmp:
        export(Path(tmp), json.dumps(CASES["bundle"]).encode(), {"rootKeys": CASES["rootKeys"]})
        with _served(Path(tmp)) as site, launched() as browser:
            for name, (path, ready) in PAGES.items():
                runs = [visit(browser, site + path, ready) for _ in range(RUNS)]
                for figure in ("first_ms", "first_bytes", "cache_bytes", "offline_ms"):
                    value = statistics.median(r[figure] for r in runs)
                    results[f"{name}_{figure}"] = round(value) if figure.endswith("bytes") \
                        else round(value, 1)
    report(results, "results-pages.json")


if __name__ == "__main__":
    main()
