"""Debian's Chromium for the browser tests, and the issuer served on this machine for it."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.homes import accredited_home
from tests.issuer.conftest import Service, make_service, store_of

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextmanager
def launched(extra_args: Sequence[str] = ()) -> Iterator[Any]:
    """A headless Chromium (Debian's package, never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: 'make test' installs it")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=[*FLAGS, *extra_args])
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def issuer_served(root: Path) -> Iterator[tuple[Service, str]]:
    """An accredited centre's issuer service over HTTP on this machine, and its base URL."""
    svc = make_service(accredited_home(root / "home", "test passphrase"),
                       f"sqlite:///{root / 'issuer.db'}")
    server = make_server("127.0.0.1", 0, svc.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield svc, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        store_of(svc.app).close()
