"""What this verifier has seen, kept so that an older trust bundle cannot undo it.

Every document in a trust bundle is signed, but an old signed document stays signed: replayed
(an old file, a stale mirror, a copy on a USB stick), it would bring back a centre the
authority has since suspended, or a card its centre has since revoked. So the home remembers,
for each national root it pins, the newest trust-list version and, for each status list, the
newest `validFrom` it has accepted, and refuses anything older (DESIGN, "Trust" and
"Revocation"). The same list again is accepted. A status list is named by its URL, its `id`:
one per issuer, purpose and list number, and inside its issuer's URL space (the bundle checks).

The state file, `trust-state.json` in the home, written atomically and never reset:

    {"type": "SkillsPassportTrustState", "formatVersion": 1,
     "roots": {"<threshold> of <root key ids, sorted, space-separated>": {
         "trustList": <newest trust-list version>,
         "trustRoot": {"rootKeys": [JWK, ...], "threshold": k},  <- that list's root
         "trustListDigest": "<SHA-256 of that list's payload, hex>",
         "statusLists": {"<status list URL>": "<newest validFrom, UTC, ...Z>", ...}}}}

Missing: nothing is remembered yet (first use). Damaged: an error naming the file; resetting
it would silently forget a revocation. Memory is kept per pinned root because trust-list
versions count within one authority's lineage (the pin never changes: a rotation is followed
from it), and a test or a second authority's root must not collide with it.
"""

import json
import re
import sys
from collections.abc import Mapping
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from passport import jsonread
from passport.bundle import TrustBundle
from passport.credential import format_time, parse_time
from passport.errors import Error, RollbackError, StorageError
from passport.fileio import exclusive_lock, read_bytes, write_atomic
from passport.trust import Anchor, RootSet

STATE_FILE = "trust-state.json"
STATE_TYPE = "SkillsPassportTrustState"
FORMAT_VERSION = 1
# About 100 bytes a status list: room for 150,000 of them, far beyond 30 centres' few each.
STATE_LIMITS = jsonread.Limits(max_bytes=16 * 1024 * 1024, max_depth=8)


def root_name(roots: RootSet) -> str:
    """A pinned root's name in the state file (the phone page names it the same way)."""
    return f"{roots.threshold} of {' '.join(sorted(k.kid for k in roots.keys))}"


class Seen(NamedTuple):
    """The newest trust list and status lists one root's bundles have shown.

    The newest list is kept as an `Anchor` (its version, root and digest): the next bundle
    must chain from its root, so the keys of a root the authority has rotated away sign
    nothing this verifier takes, even with the pin unchanged (python-tuf's trusted root).
    """

    anchor: Anchor | None = None
    status_lists: Mapping[str, datetime] = MappingProxyType({})

    @property
    def trust_list(self) -> int:
        return self.anchor.version if self.anchor is not None else 0

    @classmethod
    def of(cls, bundle: TrustBundle) -> "Seen":
        return cls(Anchor.of(bundle.trust_list),
                   {url: s.valid_from for url, s in bundle.status_lists.items()})

    def merged(self, other: "Seen") -> "Seen":
        """The newer of the two for each part: memory only ever moves forwards."""
        lists = dict(self.status_lists)
        for url, valid_from in other.status_lists.items():
            if url not in lists or valid_from > lists[url]:
                lists[url] = valid_from
        anchor = other.anchor if other.trust_list > self.trust_list else self.anchor
        return Seen(anchor, lists)

    def refuse_older(self, bundle: TrustBundle, *, seen: bool) -> None:
        """Raise `RollbackError` if the bundle's trust list or any of its status lists is older
        than this; `seen`: this is the memory (else the bundle held), for the message."""
        if bundle.trust_list.version < self.trust_list:
            raise RollbackError("trust list", bundle.trust_list.version, self.trust_list,
                                seen=seen)
        for url, status in sorted(bundle.status_lists.items()):
            newest = self.status_lists.get(url)
            if newest is not None and status.valid_from < newest:
                raise RollbackError(f"status list {url}", status.valid_from, newest, seen=seen)

    def covers(self, other: "Seen") -> bool:
        """Whether remembering `other` would change nothing."""
        return self.merged(other) == self


class TrustState(NamedTuple):
    roots: Mapping[str, Seen] = MappingProxyType({})

    def seen(self, roots: RootSet) -> Seen:
        return self.roots.get(root_name(roots), Seen())

    def with_seen(self, roots: RootSet, seen: Seen) -> "TrustState":
        return TrustState({**self.roots, root_name(roots): self.seen(roots).merged(seen)})

    def to_json(self) -> bytes:
        doc = {"type": STATE_TYPE, "formatVersion": FORMAT_VERSION, "roots": {
            name: {"trustList": seen.trust_list, **_anchor_json(seen.anchor),
                   "statusLists": {url: format_time(t) for url, t in sorted(seen.status_lists.items())}}
            for name, seen in sorted(self.roots.items())}}
        return json.dumps(doc, indent=1).encode() + b"\n"

    @classmethod
    def from_json(cls, data: bytes) -> "TrustState":
        """Parse the state file; ValueError naming what is wrong."""
        doc = jsonread.loads(data, STATE_LIMITS)
        if not isinstance(doc, dict) or doc.get("type") != STATE_TYPE:
            raise ValueError(f'not a trust state (its "type" must be {STATE_TYPE!r})')
        if doc.get("formatVersion") != FORMAT_VERSION:
            raise ValueError(f"format version {doc.get('formatVersion')!r}; this verifier "
                             f"reads {FORMAT_VERSION}")
        roots = doc.get("roots")
        if not isinstance(roots, dict):
            raise ValueError('"roots" must be an object')
        return cls({str(name): _seen(name, entry) for name, entry in roots.items()})


def _anchor_json(anchor: Anchor | None) -> dict[str, Any]:
    if anchor is None:
        return {}
    return {"trustRoot": anchor.root.to_json(), "trustListDigest": anchor.digest}


def _seen(name: str, entry: Any) -> Seen:
    fields = {"trustList", "statusLists", "trustRoot", "trustListDigest"}
    if not isinstance(entry, dict) or not {"trustList", "statusLists"} <= set(entry) <= fields:
        raise ValueError(f'root {name!r}: must hold "trustList", "statusLists" and, once a '
                         'list is seen, "trustRoot" and "trustListDigest"')
    version, lists = entry["trustList"], entry["statusLists"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise ValueError(f"root {name!r}: trustList must be a version number")
    if not isinstance(lists, dict):
        raise ValueError(f"root {name!r}: statusLists must be an object")
    anchor: Anchor | None = None
    if version > 0:
        digest = entry.get("trustListDigest")
        if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise ValueError(f"root {name!r}: trustListDigest must be a SHA-256 in hex")
        try:
            root = RootSet.from_json(entry.get("trustRoot"))
        except Error as exc:
            raise ValueError(f"root {name!r}: trustRoot: {exc}") from None
        anchor = Anchor(version, root, digest)
    parsed: dict[str, datetime] = {}
    for url, valid_from in lists.items():
        try:
            parsed[url] = parse_time(valid_from)
        except (TypeError, ValueError, Error):
            raise ValueError(f"root {name!r}: status list {url}: {valid_from!r} is not a UTC "
                             "date-time") from None
    return Seen(anchor, parsed)


def read_state(home: Path) -> TrustState:
    path = home / STATE_FILE
    if not path.exists():
        return TrustState()  # first use: nothing seen yet
    data = read_bytes(path, limit=STATE_LIMITS.max_bytes)
    try:
        return TrustState.from_json(data)
    except ValueError as exc:
        # Never reset: a fresh state would accept the very bundle a revocation replaced.
        raise StorageError(str(path), f"the verifier's trust state is damaged ({exc}); it "
                                      "records the newest trust data seen, so it is not reset: "
                                      "restore it from a backup, or remove it knowing that "
                                      "older trust data is then accepted again") from None


def anchor(home: Path, roots: RootSet, held: TrustBundle | None = None) -> Anchor | None:
    """What a new bundle must chain from: the newest list this home has seen or holds."""
    seen = read_state(home).seen(roots)
    if held is not None:
        seen = seen.merged(Seen.of(held))
    return seen.anchor


def refuse_rollback(home: Path, roots: RootSet, bundle: TrustBundle,
                    held: TrustBundle | None = None) -> None:
    """Refuse a bundle older than the one held (if given) or than what the home has seen."""
    if held is not None:
        Seen.of(held).refuse_older(bundle, seen=False)
    read_state(home).seen(roots).refuse_older(bundle, seen=True)


def remember(home: Path, roots: RootSet, bundle: TrustBundle) -> None:
    """Record what the bundle shows; written only when it is newer than what is remembered."""
    seen = Seen.of(bundle)
    if read_state(home).seen(roots).covers(seen):
        return  # the usual case, every verification of the same bundle: no write
    # Windows has no flock: there the re-read and merge below still only move forwards.
    with nullcontext() if sys.platform == "win32" else exclusive_lock(home / (STATE_FILE + ".lock")):
        # Read again under the lock: two verifiers remembering at once both move it forwards.
        state = read_state(home)
        write_atomic(home / STATE_FILE, state.with_seen(roots, seen).to_json())
