"""Where the verifier finds its trust: the bundle file and the pinned root keys.

Every bundle this verifier takes (`verify`, `trust sync|install|show`, `verifier export`) is
refused (`RollbackError`) if its trust list or any of its status lists is older than the
bundle held or than the newest the home has seen (`verifier.memory`), and remembered once
taken.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from passport import jsonread, schema, sha256
from passport.bundle import BUNDLE_LIMITS, TrustBundle, bundle_document, checked_status_list
from passport.credential import parse_time
from passport.errors import RollbackError, SchemaError, StorageError, TrustError, UsageError
from passport.fileio import package_file, read_bytes, write_atomic
from passport.status import StatusList
from passport.trust import CentreState, RootSet, TrustList, TrustStore, decode_signed
from verifier import memory

ROOT_FILE_LIMIT = 64 * 1024
BUNDLE_LIMIT = 256 * 1024 * 1024
SMALL_FILE_LIMITS = jsonread.Limits(max_bytes=ROOT_FILE_LIMIT, max_depth=8)


def read_json(data: bytes, what: str, limits: jsonread.Limits = SMALL_FILE_LIMITS) -> Any:
    """The bounded reader; a file that is not JSON, or beyond a limit, is a trust error."""
    try:
        return jsonread.loads(data, limits)
    except jsonread.JSONRejected as exc:
        raise TrustError(f"{what}: {exc}") from None


def home() -> Path:
    return Path(os.environ.get("SKILLPASS_HOME", "instance"))


def pinned_roots(root_file: str | None) -> RootSet:
    """The national root to trust: an explicit file, else the home's pin, else the packaged."""
    if root_file:
        data = read_bytes(Path(root_file), limit=ROOT_FILE_LIMIT)
    elif (home() / "root-keys.json").exists():
        data = read_bytes(home() / "root-keys.json", limit=ROOT_FILE_LIMIT)
    else:
        data = package_file("passport", "data", "root-keys.json").read_bytes()
    try:
        doc = jsonread.loads(data, SMALL_FILE_LIMITS)
    except jsonread.JSONRejected as exc:
        raise TrustError('root key file must be JSON {"rootKeys": [JWK, ...], "threshold": k}'
                         f" ({exc})") from None
    if isinstance(doc, dict) and doc.get("rootKeys") == []:
        raise TrustError("no national root key is pinned in this install: pass --root FILE "
                         "(the national authority's root-keys.json; it is kept for later)")
    return RootSet.from_json(doc)


def pin(root_file: str | None, roots: RootSet) -> None:
    """Keep the root given with --root as this home's pin, the first time; never replace one."""
    target = home() / "root-keys.json"
    if root_file is None:
        return
    if target.exists():
        held = RootSet.from_json(read_json(read_bytes(target, limit=ROOT_FILE_LIMIT), str(target)))
        if held.identity != roots.identity:
            raise TrustError(f"{target} pins another national root; a root changes only "
                             "through a rotation the trust list carries")
        return
    write_atomic(target, json.dumps(roots.to_json(), indent=1).encode() + b"\n")


def bundle_path(path: str | None) -> Path:
    found = Path(path) if path else home() / "trust-bundle.json"
    if not found.exists():
        raise UsageError(f"no trust bundle at {found}: fetch the national one (skillpass "
                         "trust sync URL --root root-keys.json), install one from a file "
                         "(skillpass trust install FILE --root root-keys.json), or pass "
                         "--trust FILE")
    return found


def load_bundle(path: str | None, root_file: str | None) -> TrustBundle:
    """The home's bundle or a given file, refused if older than what this home has seen."""
    return load_bundle_bytes(read_bytes(bundle_path(path), limit=BUNDLE_LIMIT), root_file)


def load_bundle_bytes(data: bytes, root_file: str | None) -> TrustBundle:
    roots = pinned_roots(root_file)
    bundle = _checked(data, roots)
    memory.remember(home(), roots, bundle)
    return bundle


def _checked(data: bytes, roots: RootSet, held: TrustBundle | None = None) -> TrustBundle:
    """A bundle that chains from what this home trusts already (the newest list it has seen
    or holds, else the pin) and is no older than it, status lists included."""
    try:
        bundle = TrustBundle.from_json(data, roots=roots,
                                       anchor=memory.anchor(home(), roots, held))
    except RollbackError as exc:
        raise RollbackError(exc.what, exc.offered, exc.current, seen=True) from None
    memory.refuse_rollback(home(), roots, bundle, held)
    return bundle


def sync(url: str, root_file: str | None, *, timeout: float = 30) -> TrustBundle:
    """Fetch a bundle and keep it only if it verifies and neither its trust list nor any of
    its status lists is older than the cached bundle's or than what this home has seen.

    The new file replaces the old one atomically; on any failure the old one stays.
    """
    import urllib.error
    import urllib.request

    if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise UsageError("trust bundles are fetched over HTTPS (or from this machine)")
    target = home() / "trust-bundle.json"
    roots = pinned_roots(root_file)
    cached = TrustBundle.from_json(read_bytes(target, limit=BUNDLE_LIMIT), roots=roots) \
        if target.exists() else None
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            data = response.read(BUNDLE_LIMIT + 1)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise StorageError(url, f"could not fetch ({exc}); the cached bundle stays") from None
    if len(data) > BUNDLE_LIMIT:
        raise StorageError(url, "the bundle is too large; the cached bundle stays")
    # The same version is an update of the status lists; anything older is a rollback.
    fresh = _checked(data, roots, cached)
    pin(root_file, roots)
    write_atomic(target, data)
    # Remembered after the file is written: a crash in between leaves memory behind the file
    # (caught up at the next use), never ahead of it (which would refuse the file held).
    memory.remember(home(), roots, fresh)
    return fresh


def install(source: Path, root_file: str | None) -> TrustBundle:
    """Install a trust list (or the trust list of a bundle) the authority signed, from a file.

    For a centre: its issuance follows the installed list (what it may certify, which key
    signs). The home's bundle is rebuilt with the new list, the newest copy of each status
    list (of the file or of the bundle held) the new list still lets count, and every
    issuance record it names (of the file, the bundle held, or the centre's own records).
    A list installed plainly that rotates the root joins the root history with the list
    before it, so the home's bundle still chains from the pin. Nothing is written unless all
    of it verifies from what the home trusts already; an older list is refused, and the
    same version must be the same list.
    """
    roots = pinned_roots(root_file)
    doc = read_json(read_bytes(source, limit=BUNDLE_LIMIT), f"{source} (a signed trust list "
                    "or a trust bundle)", BUNDLE_LIMITS)
    if not isinstance(doc, dict):
        raise UsageError(f"{source}: not a signed trust list or a trust bundle")
    offered = doc if doc.get("type") == "SkillsPassportTrustBundle" else bundle_document(
        doc, [], datetime.now(UTC))
    _shaped(offered, str(source))
    held_path = home() / "trust-bundle.json"
    held = None
    if held_path.exists():
        data = read_bytes(held_path, limit=BUNDLE_LIMIT)
        read_json(data, str(held_path), BUNDLE_LIMITS)  # a broken file is named, not "bundle"
        held = TrustBundle.from_json(data, roots=roots)
    anchor = memory.anchor(home(), roots, held)
    store = TrustStore(roots, anchor)
    try:
        store.follow(offered.get("rootHistory", []))
        trust_list = store.current if store.current is not None \
            and store.current.signed == offered["trustList"] \
            else store.update(offered["trustList"])
    except RollbackError as exc:
        raise RollbackError(exc.what, exc.offered, exc.current, seen=True) from None
    history = [*(held.root_history if held else ()), *offered.get("rootHistory", [])]
    if held is not None and trust_list.root.identity != held.trust_list.root.identity:
        history += [held.trust_list.signed, trust_list.signed]
    history = _merged_history(history)
    newest: dict[str, StatusList] = {}
    for compact in [*(s.jws for s in (held.status_lists.values() if held else ())),
                    *offered["statusLists"]]:
        try:
            status = checked_status_list(trust_list, compact)
        except TrustError:
            continue  # e.g. signed by a key the new list finds compromised: it counts no more
        if status.url not in newest or status.valid_from > newest[status.url].valid_from:
            newest[status.url] = status
    fresh = TrustBundle.from_json(json.dumps(bundle_document(
        offered["trustList"], [s.jws for s in newest.values()],
        parse_time(offered["syncedAt"]), root_history=history,
        records=_named_records(trust_list, held, offered))).encode(), roots=roots, anchor=anchor)
    memory.refuse_rollback(home(), roots, fresh)
    pin(root_file, roots)
    for record in fresh.records.values():
        if record.issuer != _centre_id():
            continue  # a centre keeps its own keys' records; the rest travel in bundles
        write_atomic(home() / "records" / f"issuance-record-{record.kid}-{record.sha256[:12]}.jwt",
                     record.jws.encode() + b"\n")
    write_atomic(home() / "root-history.json", json.dumps(history).encode())
    write_atomic(home() / "trust-list.json", json.dumps(offered["trustList"]).encode())
    write_atomic(held_path, fresh.to_json())
    memory.remember(home(), roots, fresh)  # after the file, as `sync` does
    return fresh


def _named_records(trust_list: TrustList, held: TrustBundle | None,
                   offered: dict[str, Any]) -> list[str]:
    """Every issuance record the list names, wherever this home has it."""
    named = {k.record.sha256 for issuer in trust_list.issuers.values() for k in issuer.keys
             if k.record is not None}
    found = [*(r.jws for r in (held.records.values() if held else ())),
             *offered.get("issuanceRecords", [])]
    records = home() / "records"
    if records.is_dir():
        from passport.records import MAX_RECORD_CHARS

        found += [read_bytes(p, limit=MAX_RECORD_CHARS + 2).decode("ascii", "replace").strip()
                  for p in sorted(records.glob("*.jwt"))]
    by_digest = {sha256.hexdigest(r.encode("ascii", "replace")): r for r in found}
    return [r for digest, r in sorted(by_digest.items()) if digest in named]


def centre_standing(bundle: TrustBundle) -> str | None:
    """For a centre's home: what the installed list says it may not do, if anything."""
    centre = _centre_id()
    if centre is None:
        return None
    entry = bundle.trust_list.issuers.get(centre)
    if entry is None:
        return (f"{centre} is not in this trust list: it issues nothing until a list that "
                "accredits it is installed")
    if entry.state is CentreState.SUSPENDED:
        return ("the national authority has suspended this centre: it issues nothing, "
                "though it can still revoke and suspend what it issued")
    return None


def _shaped(doc: Any, what: str) -> Any:
    """A trust bundle's shape is checked before any of it is used (signatures come later)."""
    try:
        schema.check("trust-bundle", doc, what=what)
    except SchemaError as exc:
        raise TrustError(exc.diagnostics()) from None
    return doc


def _centre_id() -> str | None:
    """The centre whose home this is, if it is a centre's home (issuer.json)."""
    path = home() / "issuer.json"
    if not path.exists():
        return None
    doc = read_json(read_bytes(path, limit=ROOT_FILE_LIMIT), str(path))
    return str(doc.get("id")) if isinstance(doc, dict) else None


def _merged_history(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each list once, by version (all were checked already as they were taken)."""
    by_payload = {h.get("payload"): h for h in history if isinstance(h, dict)}

    def version(signed: dict[str, Any]) -> int:
        found = decode_signed(signed)[0].get("version")
        return found if isinstance(found, int) and not isinstance(found, bool) else 0

    return sorted(by_payload.values(), key=version)
