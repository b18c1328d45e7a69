"""A centre's id: its https URL, in one canonical form, and the URL space under it.

Every accredited centre is named by an https URL; the URL space under it (the id and "/")
holds its status lists, and lists are found by URL. Two spellings of one URL
(`https://c1.example`, `https://c1.example/`, `https://c1.example:443`, `https://c1.example/./`)
or one id inside another's URL space (`https://tvet.example` and `https://tvet.example/btb`)
would let one centre publish where another's lists are looked for. So:

- an id has one canonical form (`canonical`): https, a lower-case host name, no default port,
  a path with no empty, `.` or `..` segment and no trailing slash, no user, query or
  fragment, no whitespace or control character; the authority accredits that form only;
- no two ids of a trust list share a canonical form, and none lies in another's URL space
  (`clash`);
- a URL belongs to the deepest id whose URL space holds it (`owner`): a status list must
  belong to its own issuer.

The phone page checks trust lists the same way (verifier/web/src/trust.js).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

MAX_ID_CHARS = 200  # the schemas' limit on an https URL
DEFAULT_PORT = 443
_SCHEME = "https://"
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")
_PORT = re.compile(r"[0-9]{1,5}")
_PRINTABLE = re.compile(r"[\x21-\x7e]*")


def canonical(text: str) -> str:
    """The canonical form of a centre id; ValueError saying why `text` has none."""
    if not _PRINTABLE.fullmatch(text):
        bad = next(c for c in text if not _PRINTABLE.fullmatch(c))
        what = ("whitespace or a control character" if bad.isspace() or ord(bad) < 0x20
                or 0x7f <= ord(bad) <= 0x9f else "a character outside ASCII (write a host "
                                                  "name in its xn-- form)")
        raise ValueError(f"contains {what} ({bad!a})")
    scheme, sep, rest = text.partition("://")
    if not sep or scheme.lower() != "https":
        raise ValueError("is not an https:// URL")
    if "?" in rest or "#" in rest:
        raise ValueError("has a query or a fragment")
    authority, _, path = rest.partition("/")
    if "@" in authority:
        raise ValueError("names a user")
    host, colon, port = authority.partition(":")
    host = host.lower()
    host = host[:-1] if host.endswith(".") else host  # "c1.example." is "c1.example"
    if not host or len(host) > 253 or not all(_LABEL.fullmatch(label)
                                                for label in host.split(".")):
        raise ValueError(f"host {host!r} is not a host name")
    if colon and not (_PORT.fullmatch(port) and 1 <= int(port) <= 65535):
        raise ValueError(f"port {port!r} is not a port number")
    segments: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        if not _SEGMENT.fullmatch(segment):
            raise ValueError(f"path segment {segment!r} has a character other than letters, "
                             "digits and . _ ~ -")
        segments.append(segment)
    port_text = f":{int(port)}" if colon and int(port) != DEFAULT_PORT else ""
    result = _SCHEME + host + port_text + "".join(f"/{s}" for s in segments)
    if len(result) > MAX_ID_CHARS:
        raise ValueError(f"is longer than {MAX_ID_CHARS} characters")
    return result


def key(centre_id: str) -> str:
    """What two ids are compared by: the canonical form, or the id itself if it has none."""
    try:
        return canonical(centre_id)
    except ValueError:
        return centre_id


def _prefixes(url: str) -> list[str]:
    """Each proper prefix of `url` that ends before a "/" of its path, shortest first."""
    return [url[:i] for i in range(len(_SCHEME), len(url)) if url[i] == "/"]


def clash(ids: Iterable[str]) -> str | None:
    """Why these ids cannot be accredited together, or None: two spellings of one URL, or one
    id in another's URL space. Raw ids are assumed distinct (a list names an id once)."""
    ids = list(ids)
    by_key: dict[str, str] = {}
    for centre_id in ids:
        k = key(centre_id)
        if k in by_key:
            return f"issuers {by_key[k]} and {centre_id} are one URL ({k})"
        by_key[k] = centre_id
    raw = set(ids)
    for inner in ids:
        outer = next((p for p in _prefixes(inner) if p in raw), None) or next(
            (by_key[p] for p in _prefixes(key(inner)) if p in by_key), None)
        if outer is not None:
            return f"issuer {inner} lies inside the URL space of issuer {outer}"
    return None


def within(url: str, outer: str) -> bool:
    """Whether `url` lies in the URL space of id `outer`, as written or in canonical forms."""
    return url.startswith(outer + "/") or key(url).startswith(key(outer) + "/")


def owner(url: str, ids: Mapping[str, object] | Iterable[str]) -> str | None:
    """The deepest id whose URL space (the id and "/") holds `url`, or None."""
    known = ids if isinstance(ids, Mapping) else set(ids)
    return next((p for p in reversed(_prefixes(url)) if p in known), None)


def outside(url: str, issuer: str, ids: Mapping[str, object] | Iterable[str]) -> str | None:
    """Why `url` may not be one of `issuer`'s status lists, or None: it must lie in the
    issuer's URL space and in no deeper id's."""
    found = owner(url, ids)
    if found == issuer:
        return None
    if url.startswith(issuer + "/"):
        return f"lies in the URL space of {found}, not of its issuer"
    return "is outside its issuer's URL space"
