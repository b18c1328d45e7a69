"""The service under a real gunicorn: a start-up error is one line and a clean exit; sign-in
throttling holds across its worker processes."""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from issuer.app import STARTUP_FAILED
from issuer.home import Home
from issuer.installation import Installation
from issuer.service import accounts
from tests.homes import accredited_home
from tests.issuer.conftest import PASSPHRASE, PASSWORD
from tests.ports import free_port, wait_until_listening

APP = "issuer.app:create_app()"


def _env(home: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "SKILLPASS_HOME": str(home), "SKILLPASS_PASSPHRASE": PASSPHRASE,
            "DATABASE_URL": f"sqlite:///{home / 'issuer.db'}", **extra}


def _gunicorn(env: dict[str, str], port: int, *options: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "gunicorn", *options, "-w", "2", "-b",
                             f"127.0.0.1:{port}", APP], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


@pytest.mark.parametrize(("setting", "value", "said"), [
    ("SKILLPASS_PASSPHRASE", "not the passphrase", "wrong passphrase"),
    ("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none", "OperationalError"),
    ("SKILLPASS_SECURE_COOKIES", "maybe", "SKILLPASS_SECURE_COOKIES"),
])
def test_a_start_up_error_is_one_line_and_a_clean_exit(tmp_path: Path, setting: str, value: str,
                                                       said: str) -> None:
    home = accredited_home(tmp_path / "home", PASSPHRASE)
    env = _env(home.root, **{setting: value})
    # As the README runs it (--preload): one line, before any worker starts.
    server = _gunicorn(env, free_port(), "--preload")
    out, err = server.communicate(timeout=120)
    assert server.returncode == STARTUP_FAILED
    lines = err.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("skillpass issuer: cannot start: "), lines
    assert said in lines[0]
    # Without --preload each worker says the same line once and exits with the same status:
    # no worker traceback. (How gunicorn's master then stops is its own affair: gunicorn 27
    # sometimes trips over two workers failing at once, hence --preload in the README.)
    server = _gunicorn(env, free_port())
    out, err = server.communicate(timeout=120)
    text = (out + err).decode()
    assert server.returncode != 0
    assert "Exception in worker process" not in text and "/issuer/" not in text, text
    ours = [line for line in text.splitlines() if "cannot start" in line]
    assert 1 <= len(ours) <= 2 and len(set(ours)) == 1 and said in ours[0]
    codes = re.findall(r"exited with code (\d+)", text)
    assert codes and set(codes) == {str(STARTUP_FAILED)}, text


@contextmanager
def _served(home: Path) -> Iterator[int]:
    port = free_port()
    server = _gunicorn(_env(home), port, "--preload")
    try:
        wait_until_listening(port, server, seconds=120)
        yield port
    finally:
        server.terminate()
        server.communicate(timeout=60)


def _sign_in(port: int, username: str, password: str) -> tuple[int, str | None]:
    """A browser's sign-in: fetch the form (its cookie and CSRF token), post it."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None  # a 302 is the answer to look at, not a page to go to

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())
    base = f"http://127.0.0.1:{port}"
    with opener.open(f"{base}/login", timeout=60) as page:
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode())
    assert found is not None
    form = urllib.parse.urlencode({"username": username, "password": password,
                                   "csrf_token": found.group(1)}).encode()

    try:
        with opener.open(f"{base}/login", data=form, timeout=60) as r:
            return r.status, r.headers.get("Retry-After")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Retry-After")


def test_throttling_holds_across_gunicorn_workers(tmp_path: Path) -> None:
    home = accredited_home(tmp_path / "home", PASSPHRASE)
    with Installation.open(Home(home.root), secret=PASSPHRASE,
                           database_url=f"sqlite:///{home.root / 'issuer.db'}") as opened, \
            opened.store.transaction() as s:
        accounts.create_user(s, "test", "registrar", PASSWORD, "registrar", one_time=False)
    with _served(home.root) as port:
        assert _sign_in(port, "registrar", PASSWORD)[0] == 302
        results: list[tuple[int, str | None]] = []

        def guess(n: int) -> None:
            results.append(_sign_in(port, "registrar", f"wrong password {n}"))

        threads = [threading.Thread(target=guess, args=(n,)) for n in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert Counter(code for code, _ in results) == {401: 5, 429: 7}
        assert all(after is not None and int(after) > 0 for code, after in results
                   if code == 429)
        assert _sign_in(port, "registrar", PASSWORD)[0] == 429
