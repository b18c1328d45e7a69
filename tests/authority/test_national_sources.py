"""Where the national bundle's status lists come from, and what a hostile source can do.

A source speaks for one centre only: a centre's source that also carries another centre's
(older, genuine) lists must not stand in for that centre, whose own URL is always fetched; of
several copies of a list the newest is kept whatever the order they come in; a bundle carries
one list per URL. Fetching: every redirect is checked as the first URL is, one deadline
bounds a source's whole answer, and a size limit holds while reading.
"""

from __future__ import annotations

import itertools
import json
import socket
import socketserver
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from authority import actions
from authority import national as builder
from authority.home import Home
from passport import jws
from passport.bundle import bundle_document
from passport.verify import Check, Code, verify
from tests.authority.centres import Centre, centre_a, centre_b
from tests.authority.conftest import Cli
from tests.authority.test_bundle import load, published, run_bundle

Web = dict[str, Path]


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Web, list[str]]]:
    """The centres' https sites, as files: what each URL serves, and every URL asked for."""
    sites: Web = {}
    asked: list[str] = []

    def fetch(url: str, *, timeout: float = 20, limit: int = 0) -> bytes:
        asked.append(url)
        if url not in sites:
            raise urllib.error.URLError("no such site")
        return sites[url].read_bytes()

    monkeypatch.setattr(builder, "fetch", fetch)
    yield sites, asked


def _bundle_of(home: Home, cli: Cli, out: Path, *argv: str) -> tuple[str, dict[str, Any]]:
    printed = run_bundle(cli, out, *argv)
    doc: dict[str, Any] = json.loads(out.read_bytes())
    return printed, doc


def test_a_centres_source_never_speaks_for_another_centre(
        national: Home, cli: Cli, tmp_path: Path, web: tuple[Web, list[str]]) -> None:
    """The attack: centre A's bundle carries B's lists from before B revoked card 5. B's own
    URL must still be fetched, and B's newer list, with card 5 revoked, must be the one."""
    sites, asked = web
    home, a, b = national, centre_a(), centre_b()
    start = published(home, cli, tmp_path, a, b)
    signed = home.current().signed
    before = start - timedelta(hours=2)
    b_old = b.status_lists(before)
    b_new = b.status_lists(start, revoked=[5])
    a_hostile = a.publish(tmp_path / "a-site.json", signed, a.status_lists(start) + b_old, start)
    sites[builder.default_source(a.id)] = a_hostile
    sites[builder.default_source(b.id)] = b.publish(tmp_path / "b-site.json", signed, b_new,
                                                     start)
    mirror = a.publish(tmp_path / "both.json", signed, a.status_lists(start) + b_old, start)
    card = b.card(5, start, number="REVOKED00005")
    at = start + timedelta(hours=1)
    for argv in ([], ["--status", f"{a.id}={builder.default_source(a.id)}"],
                 ["--status", builder.default_source(a.id)],
                 ["--status", str(mirror)]):  # a bare file of two centres' lists: for neither
        asked.clear()
        home.status_cache_file.unlink(missing_ok=True)  # each a first build
        printed, _ = _bundle_of(home, cli, tmp_path / "national.json", *argv)
        assert builder.default_source(b.id) in asked, argv
        bundle = load(home, (tmp_path / "national.json").read_bytes())
        assert sorted(s.jws for s in bundle.status_lists.values()) == sorted(
            a.status_lists(start) + b_new), argv
        assert verify(card, at=at, trust=bundle).check(Check.STATUS).code is Code.REVOKED
        if argv[-1:] == [str(mirror)]:
            assert "holds the lists of several centres" in printed, printed
        else:
            assert f"also carries status lists of {b.id}: not used" in \
                bundle.centres[a.id].problem, argv


@pytest.mark.parametrize("order", list(itertools.permutations(["old", "new", "more"])))
@pytest.mark.parametrize("cached", [None, "old", "new", "more"])
def test_of_several_copies_of_a_list_the_newest_is_kept_whatever_the_order(
        national: Home, cli: Cli, tmp_path: Path, order: tuple[str, ...],
        cached: str | None) -> None:
    """By validFrom; of two of the same validFrom (a centre re-signing twice within a second),
    the one that revokes more: never merely the copy seen last."""
    home, b = national, centre_b()
    start = published(home, cli, tmp_path, b)
    signed = home.current().signed
    copies = {"old": b.status_lists(start - timedelta(hours=3)),
              "new": b.status_lists(start, revoked=[5]),
              "more": b.status_lists(start, revoked=[5, 6])}
    files = {name: b.publish(tmp_path / f"{name}.json", signed, lists, start)
             for name, lists in copies.items()}
    out = tmp_path / "national.json"
    if cached is not None:
        run_bundle(cli, out, "--offline", "--status", f"{b.id}={files[cached]}")
    argv = [x for name in order for x in ("--status", f"{b.id}={files[name]}")]
    printed, doc = _bundle_of(home, cli, out, "--offline", *argv)
    urls = [json.loads(jws.parse(s).payload)["id"] for s in doc["statusLists"]]
    assert len(urls) == len(set(urls)) == 2  # one list per URL, never two
    # ("new" and "more" differ in their revocation list only: card 6 is revoked in "more")
    assert sorted(doc["statusLists"]) == sorted(copies["more"]), (order, cached)
    assert "two different copies" in printed or "gave an older" in printed


# -- fetching a hostile source ----------------------------------------------------------------

Behaviour = Callable[[socket.socket, str], None]


def _answer(body: bytes, *, headers: str = "") -> Behaviour:
    def act(conn: socket.socket, path: str) -> None:
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n{headers}"
                     "Connection: close\r\n\r\n".encode() + body)
    return act


def _drip(head: bytes, body: bytes, every: float) -> Behaviour:
    """The head at once, then the body one byte at a time: each read gets a byte in time."""
    def act(conn: socket.socket, path: str) -> None:
        conn.sendall(head)
        for byte in body:
            time.sleep(every)
            conn.sendall(bytes([byte]))
    return act


def _redirect(to: Callable[[str], str]) -> Behaviour:
    def act(conn: socket.socket, path: str) -> None:
        conn.sendall(f"HTTP/1.1 302 Found\r\nLocation: {to(path)}\r\nContent-Length: 0\r\n"
                     "Connection: close\r\n\r\n".encode())
    return act


@contextmanager
def hostile(routes: dict[str, Behaviour]) -> Iterator[str]:
    """A server on this machine answering each path as told; the base URL."""
    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            conn: socket.socket = self.request
            data = b""
            try:
                while b"\r\n\r\n" not in data and len(data) < 65536:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                path = data.split(b" ", 2)[1].decode()
                routes.get(path, _answer(b"", headers=""))(conn, path)
            except OSError:
                pass  # the client gave up: as it should

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _centre_bundle(centre: Centre, signed: dict[str, Any], at: datetime) -> bytes:
    return json.dumps(bundle_document(signed, centre.status_lists(at), at)).encode()


def test_every_redirect_is_checked_as_the_first_url_is(national: Home, cli: Cli,
                                                       tmp_path: Path) -> None:
    home, a = national, centre_a()
    start = published(home, cli, tmp_path, a)
    body = _centre_bundle(a, home.current().signed, start)
    routes: dict[str, Behaviour] = {"/bundle.json": _answer(body)}
    with hostile(routes) as base:
        port = base.rsplit(":", 1)[1]
        routes |= {
            "/to-127.0.0.2": _redirect(lambda _: f"http://127.0.0.2:{port}/bundle.json"),
            "/to-10.0.0.1": _redirect(lambda _: "http://10.0.0.1/bundle.json"),
            "/to-file": _redirect(lambda _: "file:///etc/passwd"),
            "/to-ftp": _redirect(lambda _: "ftp://127.0.0.1/bundle.json"),
            "/to-here": _redirect(lambda _: f"{base}/bundle.json"),
            "/relative": _redirect(lambda _: "/bundle.json"),
            "/loop": _redirect(lambda _: f"{base}/loop"),
        }
        for path, said in [("/to-127.0.0.2", f"redirected to http://127.0.0.2:{port}/bundle"),
                           ("/to-10.0.0.1", "redirected to http://10.0.0.1/bundle.json"),
                           ("/to-file", "file:///etc/passwd"), ("/to-ftp", "ftp://"),
                           ("/loop", "redirect")]:
            got = builder.read_source(f"{base}{path}", a.id, timeout=5)
            assert not got.lists and said in got.error, (path, got.error)
        for path in ("/to-here", "/relative"):
            got = builder.read_source(f"{base}{path}", a.id, timeout=5)
            assert got.lists and not got.error, (path, got.error)
    # A source elsewhere never leads to this machine, whose http:// is allowed only for itself.
    remote = urllib.request.Request("https://c1.example/trust-bundle.json")
    for target in ("http://127.0.0.1:8080/admin", "http://localhost/x"):
        with pytest.raises(urllib.error.URLError, match="redirected to"):
            builder._CheckedRedirects().redirect_request(remote, None, 302, "Found", {}, target)


@pytest.mark.parametrize("how", ["silent", "slow head", "slow body", "slow body, no length"])
def test_one_deadline_bounds_a_sources_whole_answer(how: str) -> None:
    body = b'{"type":"SkillsPassportTrustBundle","statusLists":[]}'
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    behaviour = {
        "silent": lambda conn, path: time.sleep(6),
        "slow head": _drip(b"", head + body, 0.2),
        "slow body": _drip(head, body, 0.2),
        "slow body, no length": _drip(b"HTTP/1.0 200 OK\r\n\r\n", body, 0.2),
    }[how]
    with hostile({"/b.json": behaviour}) as base:
        began = time.monotonic()
        got = builder.read_source(f"{base}/b.json", "https://c1.example", timeout=1.5)
        took = time.monotonic() - began
    assert "no complete answer within 1.5 s" in got.error, got.error
    assert took < 3, f"{how}: {took:.1f} s for a deadline of 1.5 s"


def test_a_size_limit_holds_while_reading() -> None:
    big = b"x" * 300_000
    with hostile({"/announced": _answer(big), "/lying": lambda conn, path: conn.sendall(
            b"HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\n" + big)}) as base:
        with pytest.raises(OSError, match="announces 300000 bytes, more than 100000"):
            builder.fetch(f"{base}/announced", timeout=5, limit=100_000)
        assert builder.fetch(f"{base}/lying", timeout=5, limit=100_000) == b"x" * 10

    def stream(conn: socket.socket, path: str) -> None:
        conn.sendall(b"HTTP/1.0 200 OK\r\n\r\n")
        for _ in range(1000):  # 64 MB if nobody stops reading
            conn.sendall(b"y" * 65536)

    with hostile({"/stream": stream}) as base, pytest.raises(OSError, match="more than 100000"):
        builder.fetch(f"{base}/stream", timeout=5, limit=100_000)


def test_a_slow_centre_does_not_stall_the_national_build(national: Home, cli: Cli,
                                                         tmp_path: Path) -> None:
    home, a = national, centre_a()
    published(home, cli, tmp_path, a)
    with hostile({"/slow": _drip(b"HTTP/1.0 200 OK\r\n\r\n", b"{" * 100, 0.25)}) as base:
        began = time.monotonic()
        result = actions.bundle(home, out=tmp_path / "n.json", folder=None,
                                sources=[f"{a.id}={base}/slow"], offline=True,
                                max_age=timedelta(hours=48), now=datetime.now(UTC), timeout=1)
        assert time.monotonic() - began < 3
    [report] = result.centres
    assert "no complete answer within 1 s" in report.problem, report.problem
