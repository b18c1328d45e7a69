"""The national trust bundle: the signed trust list, the root rotations leading to it, every
accredited centre's current status lists, and the issuance records the list names.

A centre's lists come from its own source: its published bundle (`<centre id>/trust-bundle.json`),
or a file or URL the operator gives for it. A source counts for one centre only, and only that
centre's lists are taken from it: another centre's lists in it (an old copy from before a
revocation) are left out and said so, and every centre whose own source was not given is
fetched from its own URL. Each list is checked here against that centre's keys in the
current trust list, as every verifier will check it; a list that fails is left out and said
so. Of several copies of one list (by URL), the newest by validFrom is kept, never merely the
last seen. A centre whose lists are missing, refused or old is still listed, with how old its lists
are and what is wrong, so that a verifier says "status as of ..." rather than nothing.
Lists accepted by an earlier build are kept until a newer one arrives: a centre's server
being down must not make the nation forget a revocation.
"""

from __future__ import annotations

import html
import http.client
import io
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from passport import centreid, jsonread, jws
from passport.bundle import BUNDLE_LIMITS, CentreFreshness, bundle_document
from passport.credential import format_time
from passport.errors import CredentialError, DocumentError, TrustError, UsageError
from passport.fileio import read_bytes
from passport.status import StatusList, parse_status_list
from passport.trust import CentreState, TrustList

CENTRE_BUNDLE_LIMIT = 64 * 1024 * 1024
FETCH_TIMEOUT = 20.0  # seconds for a source's whole answer, redirects included
MAX_REDIRECTS = 5
PROBLEM_CHARS = 300  # the bundle schema's limit on a centre's problem text
_LOCAL_HOSTS = ("127.0.0.1", "localhost")


def default_source(centre_id: str) -> str:
    return centre_id.rstrip("/") + "/trust-bundle.json"


def split_source(text: str, centres: Iterable[str]) -> tuple[str | None, str]:
    """`CENTRE=SOURCE` names the centre a source is for (so that a failure is reported
    against it); a bare SOURCE is attributed by the lists it holds."""
    centre, sep, location = text.partition("=")
    return (centre, location) if sep and centre in set(centres) else (None, text)


def is_url(location: str) -> bool:
    return "://" in location


def _local(url: str) -> bool:
    return urllib.parse.urlsplit(url).hostname in _LOCAL_HOSTS


def fetchable(url: str) -> bool:
    """HTTPS, or plain HTTP to this machine only (tests, a local mirror)."""
    parts = urllib.parse.urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http"
                                       and parts.hostname in _LOCAL_HOSTS)


def _shown(text: str, limit: int = 120) -> str:
    """Text a remote server chose, made safe to print: printable ASCII, cut to `limit`."""
    safe = "".join(c if " " <= c <= "~" else "?" for c in text)
    return safe if len(safe) <= limit else safe[:limit - 1] + "…"


@dataclass(frozen=True)
class Fetched:
    """What one source gave: its signed status lists, or why it gave none."""

    location: str
    for_centre: str | None  # the centre this source is for (see `attributed`)
    lists: tuple[str, ...] = ()
    error: str = ""


def lists_in(data: bytes, source: str) -> tuple[str, ...]:
    """The `statusLists` of a centre's published trust bundle (its trust list is not used)."""
    try:
        doc = jsonread.loads(data, BUNDLE_LIMITS)
    except jsonread.JSONRejected as exc:
        raise DocumentError(source, [("file", f"{exc}")]) from None
    if not isinstance(doc, dict) or doc.get("type") != "SkillsPassportTrustBundle":
        raise DocumentError(source, [("type", "not a trust bundle (SkillsPassportTrustBundle)")])
    lists = doc.get("statusLists")
    if not isinstance(lists, list) or not all(isinstance(s, str) for s in lists):
        raise DocumentError(source, [("statusLists", "must be a list of signed status lists")])
    return tuple(lists)


# -- fetching: every redirect checked, one deadline for the whole answer, a size limit --------

class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds, self.end = seconds, time.monotonic() + seconds

    def left(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no complete answer within {self.seconds:g} s")
        return left


class _DeadlineReader(io.RawIOBase):
    """Reads a socket with what is left of the deadline as each read's timeout: a server
    sending a byte now and then cannot stretch the answer past the deadline."""

    def __init__(self, owner: _DeadlineSocket) -> None:
        super().__init__()
        self._owner = owner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        sock = self._owner.sock
        sock.settimeout(self._owner.deadline.left())
        n: int = sock.recv_into(buffer)
        return n

    def close(self) -> None:
        if not self.closed:
            self._owner.release()
        super().close()


class _DeadlineSocket:
    """A connected socket whose every read and write is bounded by the deadline. As with
    `socket.makefile`, the socket closes once it and every reader made from it are closed."""

    def __init__(self, sock: Any, deadline: _Deadline) -> None:
        self.sock, self.deadline = sock, deadline
        self._refs, self._closed = 1, False

    def makefile(self, mode: str = "r", *args: Any, **kwargs: Any) -> io.BufferedReader:
        self._refs += 1
        return io.BufferedReader(_DeadlineReader(self))

    def sendall(self, data: Any) -> None:
        self.sock.settimeout(self.deadline.left())
        self.sock.sendall(data)

    def release(self) -> None:
        self._refs -= 1
        if self._refs == 0:
            self.sock.close()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.release()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sock, name)


class _Connection(http.client.HTTPConnection):
    def __init__(self, *args: Any, deadline: _Deadline, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deadline = deadline

    def connect(self) -> None:
        self.timeout = self.deadline.left()  # connecting counts too
        super().connect()
        self.sock = _DeadlineSocket(self.sock, self.deadline)


class _TLSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, deadline: _Deadline, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deadline = deadline

    def connect(self) -> None:
        self.timeout = self.deadline.left()  # connecting and the TLS handshake count too
        super().connect()
        self.sock = _DeadlineSocket(self.sock, self.deadline)


class _HTTP(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_Connection, req,  # type: ignore[arg-type]  # a keyword more
                            deadline=self._deadline)


class _HTTPS(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_TLSConnection, req,  # type: ignore[arg-type]  # a keyword more
                            deadline=self._deadline)


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Every redirect target must pass `fetchable` too, and a source elsewhere never leads to
    this machine: else any centre could make the authority fetch what it may not."""

    max_redirections = MAX_REDIRECTS

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                         headers: Any, newurl: str) -> urllib.request.Request | None:
        if not fetchable(newurl) or (_local(newurl) and not _local(req.full_url)):
            raise urllib.error.URLError(f"redirected to {_shown(newurl)}, which is not "
                                        "fetched: https:// only (or this machine, from this "
                                        "machine)")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(url: str, *, timeout: float = FETCH_TIMEOUT,
          limit: int = CENTRE_BUNDLE_LIMIT) -> bytes:
    """GET a URL: `timeout` is for the whole answer (connecting, redirects, every byte), at
    most `limit` bytes are read, and every redirect is checked. Raises OSError-like errors."""
    deadline = _Deadline(timeout)
    opener = urllib.request.build_opener(_HTTP(deadline), _HTTPS(deadline), _CheckedRedirects())
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with opener.open(request, timeout=deadline.left()) as response:
            length = response.headers.get("Content-Length", "")
            if length.isdigit() and len(length) < 20 and int(length) > limit:
                raise OSError(f"it announces {int(length)} bytes, more than {limit}")
            data: bytes = response.read(limit + 1)
    except (TimeoutError, urllib.error.URLError) as exc:
        timed_out = isinstance(exc, TimeoutError) or isinstance(exc.reason, TimeoutError)
        if timed_out and time.monotonic() >= deadline.end:
            raise TimeoutError(f"no complete answer within {timeout:g} s") from None
        raise
    if len(data) > limit:
        raise OSError(f"more than {limit} bytes")
    return data


def read_source(location: str, for_centre: str | None = None, *,
                timeout: float = FETCH_TIMEOUT) -> Fetched:
    """A file the operator named must be readable (else an error); a URL may fail (the
    failure is reported against its centre, and the build goes on)."""
    if not is_url(location):
        data = read_bytes(Path(location), limit=CENTRE_BUNDLE_LIMIT)
        return Fetched(location, for_centre, lists_in(data, location))
    if not fetchable(location):
        raise UsageError(f"status source {location}: fetch over https:// only (or from this "
                         "machine, http://127.0.0.1)")
    try:
        return Fetched(location, for_centre, lists_in(fetch(location, timeout=timeout),
                                                      location))
    except DocumentError as exc:
        return Fetched(location, for_centre, error=exc.diagnostics())
    except (urllib.error.URLError, http.client.HTTPException, TimeoutError, OSError,
            ValueError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        return Fetched(location, for_centre, error=f"could not fetch {location} ({reason})")


def _issuer_of(compact: str) -> str | None:
    try:
        return parse_status_list(compact)[0].issuer
    except (CredentialError, TrustError, ValueError):
        return None


def attributed(trust_list: TrustList, source: Fetched) -> Fetched:
    """The source with the centre it is for: the one the operator named (`CENTRE=SOURCE`),
    else the centre whose URL space holds its URL, else the one accredited centre whose
    lists it holds. A source holding several centres' lists is for none of them."""
    if source.for_centre is not None:
        return source
    by_url = centreid.owner(source.location, trust_list.issuers) if is_url(source.location) \
        else None
    if by_url is not None:
        return replace(source, for_centre=by_url)
    issuers = {i for i in map(_issuer_of, source.lists) if i in trust_list.issuers}
    return replace(source, for_centre=issuers.pop()) if len(issuers) == 1 else source


def centres_covered(fetched: Iterable[Fetched]) -> set[str]:
    """The centres a source was given for: the others' own sources are fetched."""
    return {source.for_centre for source in fetched if source.for_centre is not None}


def judge(trust_list: TrustList, compact: str) -> tuple[str | None, StatusList | str]:
    """(centre, the checked list) or (centre if known, why it is refused)."""
    try:
        status, token = parse_status_list(compact)
    except (CredentialError, TrustError, ValueError) as exc:
        return None, f"an unreadable status list ({exc})"
    centre = trust_list.issuers.get(status.issuer)
    if centre is None:
        return None, f"status list {status.url} is issued by {status.issuer}, not an accredited centre"
    outside = centreid.outside(status.url, centre.id, trust_list.issuers)
    if outside is not None:
        return centre.id, f"status list {status.url} {outside}"
    key = centre.key(token.kid)
    if key is None or not jws.signature_valid(token, key.key):
        return centre.id, f"status list {status.url} is not signed by a key of the centre"
    if key.compromised_since is not None:
        # The thief holds that key too: a list it signed could clear any revocation.
        return centre.id, (f"status list {status.url} is signed with key {key.key.kid}, "
                           "compromised: the centre must sign its lists with its new key")
    if key.valid_until is not None and status.valid_from >= key.valid_until:
        # A retired key may be kept with less care than a live one: it signs nothing new.
        return centre.id, (f"status list {status.url} is signed with key {key.key.kid}, "
                           f"retired since {format_time(key.valid_until)}")
    return centre.id, status


@dataclass(frozen=True)
class CentreReport:
    id: str
    name: str
    state: CentreState
    lists: tuple[StatusList, ...]
    status_as_of: datetime | None
    problem: str


@dataclass(frozen=True)
class National:
    document: dict[str, Any]
    centres: tuple[CentreReport, ...]
    notes: tuple[str, ...]  # what no centre could be blamed for
    built: datetime

    @property
    def status_lists(self) -> list[str]:
        return [s.jws for c in self.centres for s in c.lists]


def root_history(history: Sequence[TrustList]) -> list[dict[str, Any]]:
    """The signed lists a verifier pinned to an older root needs to follow every rotation:
    for each list whose root changed, that list and the one before it, oldest first."""
    chosen: dict[int, dict[str, Any]] = {}
    for before, after in pairwise(history):
        if after.root.identity != before.root.identity:
            chosen[before.version] = before.signed
            chosen[after.version] = after.signed
    return [chosen[v] for v in sorted(chosen)]


def assemble(trust_list: TrustList, *, fetched: Sequence[Fetched], cached: Sequence[str],
             history: Sequence[dict[str, Any]], records: Sequence[str], now: datetime,
             max_age: timedelta) -> National:
    problems: dict[str, list[str]] = {cid: [] for cid in trust_list.issuers}
    notes: list[str] = []
    chosen: dict[str, StatusList] = {}  # by URL: a bundle carries one list per URL
    from_cache: set[str] = set()

    def blame(centre_id: str | None, text: str) -> None:
        problems.get(centre_id or "", notes).append(text)

    for compact in cached:
        _, judged = judge(trust_list, compact)
        if isinstance(judged, StatusList):  # a cached list no longer acceptable just goes
            chosen[judged.url] = judged
            from_cache.add(judged.url)
    for source in fetched:
        if source.error:
            blame(source.for_centre, source.error)
        if source.for_centre is None:
            if source.lists:
                notes.append(_unattributed(trust_list, source))
            continue
        others: set[str] = set()
        for compact in source.lists:
            centre_id, judged = judge(trust_list, compact)
            if centre_id is not None and centre_id != source.for_centre:
                others.add(centre_id)  # only the centre's own source speaks for it
                continue
            if isinstance(judged, str):
                blame(source.for_centre, judged)
                continue
            held = chosen.get(judged.url)
            if held is not None and held.jws == judged.jws:
                from_cache.discard(judged.url)  # the same list again
                continue
            if held is not None and judged.valid_from == held.valid_from:
                blame(source.for_centre, f"two different copies of {judged.url} have the same "
                                         "validFrom (kept the one that revokes or suspends "
                                         "more)")
            if held is not None and _recency(judged) < _recency(held):
                if judged.valid_from < held.valid_from:
                    blame(source.for_centre, f"{source.location} gave an older {judged.url} "
                                             "than the one already held (kept the newer)")
                continue
            chosen[judged.url] = judged
            from_cache.discard(judged.url)
        if others:
            blame(source.for_centre, f"{source.location} also carries status lists of "
                                     f"{', '.join(sorted(others))}: not used (each centre's "
                                     "lists come from its own source)")
    reports = []
    for centre in trust_list.issuers.values():
        lists = tuple(sorted((s for s in chosen.values() if s.issuer == centre.id),
                             key=lambda s: s.url))
        found = problems[centre.id]
        as_of = min((s.valid_from for s in lists), default=None)
        if not lists:
            found.insert(0, "no status lists")
        else:
            if any(s.url in from_cache for s in lists):
                found.append("lists kept from an earlier build")
            age = now - as_of if as_of else timedelta(0)
            if age > max_age:
                found.insert(0, f"status lists are {int(age.total_seconds() // 3600)} hours old "
                                f"(more than {int(max_age.total_seconds() // 3600)})")
            expired = sum(1 for s in lists if s.valid_until <= now)
            if expired:
                found.append(f"{expired} status list(s) past their validUntil")
        problem = "; ".join(found)
        if len(problem) > PROBLEM_CHARS:
            problem = problem[:PROBLEM_CHARS - 1] + "…"
        reports.append(CentreReport(centre.id, centre.name, centre.state, lists, as_of, problem))
    document = bundle_document(
        trust_list.signed, [s.jws for r in reports for s in r.lists], now,
        root_history=history, records=records,
        centres={r.id: CentreFreshness(r.status_as_of, r.problem) for r in reports})
    return National(document, tuple(reports), tuple(notes), now)


def _recency(status: StatusList) -> tuple[datetime, datetime, int, str]:
    """Which of two copies of one list is kept: the newest validFrom, never merely the last
    seen. On the same validFrom (a centre re-signing twice within a second), the later
    validUntil, then the copy that revokes or suspends more (the safe side), then a fixed
    order."""
    return (status.valid_from, status.valid_until,
            int.from_bytes(status.bitstring.bits, "big").bit_count(), status.jws)


def _unattributed(trust_list: TrustList, source: Fetched) -> str:
    issuers = sorted({i for i in map(_issuer_of, source.lists) if i in trust_list.issuers})
    if not issuers:
        return f"{source.location} holds no status list of an accredited centre"
    return (f"{source.location} holds the lists of several centres ({', '.join(issuers)}): "
            "none used; give it as CENTRE=SOURCE for the one centre it is for")


def records_named(trust_list: TrustList) -> list[str]:
    """The digests of every issuance record the list names (retired or compromised keys)."""
    return [k.record.sha256 for c in trust_list.issuers.values() for k in c.keys if k.record]


def index_html(national: National, trust_list: TrustList) -> str:
    """A page for people opening the published folder: what is in it and when it was built."""
    def esc(text: object) -> str:
        return html.escape(str(text))

    rows = "\n".join(
        f"<tr><td>{esc(r.name)}<br><code>{esc(r.id)}</code></td><td>{esc(r.state.value)}</td>"
        f"<td>{len(r.lists)}</td><td>{esc(format_time(r.status_as_of)) if r.status_as_of else '—'}"
        f"</td><td>{esc(r.problem)}</td></tr>" for r in national.centres)
    records = len(national.document.get("issuanceRecords", ()))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>National trust bundle</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<h1>National trust bundle</h1>
<p>Built {esc(format_time(national.built))}. Trust list version {trust_list.version}, expires
{esc(format_time(trust_list.expires))}; {trust_list.root.threshold} of
{len(trust_list.root.keys)} root keys sign it.</p>
<ul>
<li><a href="trust-bundle.json">trust-bundle.json</a>: the signed trust list,
{len(national.document.get("rootHistory", ()))} list(s) of root history,
{len(national.status_lists)} status list(s), {records} issuance record(s)</li>
<li><a href="root-keys.json">root-keys.json</a>: the national root keys and threshold</li>
</ul>
<table border="1" cellpadding="4">
<tr><th>Centre</th><th>State</th><th>Status lists</th><th>Status as of</th><th>Problem</th></tr>
{rows}
</table>
</body></html>
"""
