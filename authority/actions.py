"""Every authority command as one function over the home: read, check all, then write.

The functions take the time and the passphrase source as arguments, so the command line is
only parsing and printing, and tests can run a ceremony at any date.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from authority import draft as drafts
from authority import national
from authority.draft import Draft, Grants, content_of
from authority.home import Home, Official, Settings, as_json
from authority.officials import Passphrases, Signer, check_name, public_file, read_public
from authority.proposal import MAX_PROPOSAL_BYTES, Proposal, needs_for
from passport.accreditation import MAX_REQUEST_CHARS, AccreditationRequest, KeyRotationRequest
from passport.bundle import TrustBundle
from passport.errors import DocumentError, StorageError, UsageError
from passport.fileio import read_bytes, read_document
from passport.keys import PrivateKey, seal
from passport.records import MAX_RECORD_CHARS, IssuanceRecord
from passport.trust import (
    MAX_ROOT_KEYS,
    CentreState,
    RootSet,
    TrustedIssuer,
    TrustList,
    TrustStore,
    sign_trust_list,
    trust_list_document,
)

MAX_VALIDITY_DAYS = 3650


# -- the ceremony ---------------------------------------------------------------------------

def init(home: Home, *, officials: int, threshold: int, validity_days: int,
         passphrases: Passphrases, now: datetime) -> TrustList:
    """n officials' root keys, each sealed under its own passphrase, and an empty list v1
    signed by all of them (they are all present at the ceremony that creates the root)."""
    if home.exists():
        raise UsageError(f"an authority home already exists at {home.root}; nothing changed")
    if not 1 <= officials <= MAX_ROOT_KEYS:
        raise UsageError(f"--officials {officials}: between 1 and {MAX_ROOT_KEYS}")
    if not 1 <= threshold <= officials:
        raise UsageError(f"--threshold {threshold} is above --officials {officials}: k of n "
                         "needs k between 1 and n" if threshold > officials else
                         f"--threshold {threshold}: at least 1")
    if not 1 <= validity_days <= MAX_VALIDITY_DAYS:
        raise UsageError(f"--validity-days {validity_days}: between 1 and {MAX_VALIDITY_DAYS}")
    names = [f"official-{n}" for n in range(1, officials + 1)]
    secrets = [passphrases(name, True) for name in names]  # all asked before any key exists
    keys = [PrivateKey.generate() for _ in names]
    root = RootSet(tuple(k.public for k in keys), threshold)
    settings = Settings(timedelta(days=validity_days),
                        tuple(Official(n, k.kid) for n, k in zip(names, keys, strict=True)))
    draft = Draft(root, ())
    signed = sign_trust_list(_document(draft, 1, now, settings), keys)
    first = TrustStore(root).update(signed)  # exactly as a verifier pinning this root will
    writes = {home.official_key_file(name): as_json(seal(key, secret, label=name))
              for name, key, secret in zip(names, keys, secrets, strict=True)}
    private = frozenset(writes)
    writes |= {home.root_keys_file: as_json(root.to_json()),
               home.draft_file: as_json(draft.content()),
               home.history_file(1): as_json(signed),
               home.trust_list_file: as_json(signed),
               # Last: a home exists once this file does, so a crash leaves no half-home.
               home.settings_file: as_json(settings.to_json())}
    home.commit(writes, private=private)
    return first


def _document(draft: Draft, version: int, now: datetime, settings: Settings) -> dict[str, object]:
    return trust_list_document(version=version, issued=now, expires=now + settings.validity,
                               root_keys=list(draft.root.keys),
                               issuers=draft.content()["issuers"],
                               threshold=draft.root.threshold)


# -- centres ---------------------------------------------------------------------------------

def accredit(home: Home, request_file: Path, grants: Grants | None,
             now: datetime) -> TrustedIssuer:
    draft = home.draft()
    text = read_document(request_file, limit=MAX_REQUEST_CHARS * 4)
    if text.lstrip().startswith("{"):
        raise DocumentError(str(request_file), [("file", "is JSON, not a signed accreditation "
                                                         "request (a compact JWS); a key "
                                                         "rotation request goes to rotate-key")])
    request = AccreditationRequest.from_text(text, str(request_file))
    new = drafts.accredit(draft, request, grants, now, str(request_file))
    home.commit({home.request_file(f"accreditation-{_digest(text)}.jwt"): text.encode(),
                 home.draft_file: as_json(new.content())})
    return new.centre(request.centre_id)


def set_state(home: Home, centre_id: str, state: CentreState) -> TrustedIssuer:
    new = drafts.set_state(home.draft(), centre_id, state)
    home.commit({home.draft_file: as_json(new.content())})
    return new.centre(centre_id)


def rotate_key(home: Home, centre_id: str, request_file: Path, overlap: timedelta,
               now: datetime, *, verified_in_person: bool = False
               ) -> tuple[TrustedIssuer, list[str]]:
    """The centre with its new key in the draft, and what officials should be warned of."""
    draft = home.draft()
    text = read_document(request_file, limit=MAX_REQUEST_CHARS * 4)
    request = KeyRotationRequest.from_text(text, str(request_file))
    new = drafts.rotate_key(draft, centre_id, request, now, overlap, str(request_file),
                            verified_in_person=verified_in_person)
    warnings = drafts.rotation_warnings(draft, centre_id, request)
    home.commit({home.request_file(f"rotation-{_digest(text)}.json"): text.encode(),
                 home.draft_file: as_json(new.content())})
    return new.centre(centre_id), warnings


def _record(draft: Draft, centre_id: str, kid: str, path: Path, *,
            compromised: bool = False) -> IssuanceRecord:
    text = read_document(path, limit=MAX_RECORD_CHARS + 16)
    return drafts.accept_record(draft, centre_id, kid, text, str(path), compromised=compromised)


def retire_key(home: Home, centre_id: str, kid: str, at: datetime,
               record_file: Path | None) -> tuple[TrustedIssuer, IssuanceRecord | None]:
    draft = home.draft()
    record = _record(draft, centre_id, kid, record_file) if record_file else None
    new = drafts.retire_key(draft, centre_id, kid, at, record)
    writes = {home.draft_file: as_json(new.content())}
    if record is not None:
        writes = {home.record_file(record.sha256): record.jws.encode(), **writes}
    home.commit(writes)
    return new.centre(centre_id), record


def compromise(home: Home, centre_id: str, kid: str, since: datetime, record_file: Path,
               now: datetime) -> tuple[TrustedIssuer, IssuanceRecord]:
    draft = home.draft()
    record = _record(draft, centre_id, kid, record_file, compromised=True)
    new = drafts.compromise(draft, centre_id, kid, since, record, now)
    home.commit({home.record_file(record.sha256): record.jws.encode(),
                 home.draft_file: as_json(new.content())})
    return new.centre(centre_id), record


def _digest(text: str) -> str:
    return hashlib.sha256(text.strip().encode()).hexdigest()[:16]


# -- officials and the root ------------------------------------------------------------------

def new_official(home: Home, name: str, out: Path | None,
                 passphrases: Passphrases) -> tuple[Path, Path]:
    """A new official's key, sealed under their passphrase, and their public file."""
    check_name(name)
    if out is None:
        if not home.exists():
            raise UsageError(f"no authority home at {home.root}: give --out FILE")
        out = home.official_key_file(name)
    if home.exists() and any(o.name == name for o in home.settings().officials):
        raise UsageError(f"an official named {name} already exists")
    public = out.with_name(f"{name}.public.json")
    for path in (out, public):
        if path.exists():
            raise UsageError(f"{path} exists; a key file is never written over")
    secret = passphrases(name, True)
    key = PrivateKey.generate()
    home.commit({out: as_json(seal(key, secret, label=name)),
                 public: as_json(public_file(name, key.public))}, private=frozenset({out}))
    return out, public


def stage_roots(home: Home, add: list[Path], remove: list[str], threshold: int | None) -> Draft:
    """Stage a new root set in the draft: the next list then needs k old and k new."""
    settings, draft = home.settings(), home.draft()
    keys = []
    for path in add:
        name, key = read_public(path)
        settings = settings.with_official(Official(name, key.kid))
        keys.append(key)
    new = drafts.stage_root(draft, keys, remove, threshold)
    home.commit({home.draft_file: as_json(new.content()),
                 home.settings_file: as_json(settings.to_json())})
    return new


# -- signing and publishing -------------------------------------------------------------------

@dataclass(frozen=True)
class Signed:
    proposal: Proposal
    file: Path  # where the proposal with this signature was written
    published: TrustList | None  # the list, when this signature completed it


def _check_against_home(home: Home, proposal: Proposal, source: str) -> TrustList:
    """A proposal may be published here only if it is the next version, needs this home's
    roots, and says what the draft says. Returns the current list."""
    current, draft = home.current(), home.draft()
    nxt = current.version + 1
    if proposal.version <= current.version:
        raise DocumentError(source, [("version", f"v{proposal.version} is not newer than the "
                                                 f"published v{current.version}: it can no "
                                                 "longer be published; run 'skillpass authority "
                                                 f"sign' to build v{nxt}")])
    if proposal.version > nxt:
        raise DocumentError(source, [("version", f"v{proposal.version} skips a version: the "
                                                 f"next trust list is v{nxt}")])
    expected = [n.to_json() for n in needs_for(current.root, draft.root)]
    if [n.to_json() for n in proposal.needs] != expected:
        raise DocumentError(source, [("needs", "are not this authority's roots for "
                                               f"v{nxt}")])
    if content_of(proposal.document) != draft.content():
        raise DocumentError(source, [("payload", "no longer matches the draft (it changed "
                                                 "after this proposal was built): run "
                                                 "'skillpass authority sign --rebuild' to build "
                                                 "a new one and collect the signatures again")])
    return current


def sign(home: Home, signer: Signer, *, rebuild: bool, now: datetime) -> Signed:
    """Add one official's signature to the home's proposal (built from the draft if none is
    pending); publish once every needed root has its threshold."""
    current, settings = home.current(), home.settings()
    path = home.proposal_file(current.version + 1)
    pending = None if rebuild else home.pending(current.version + 1)
    if pending is None:
        draft = home.draft()
        doc = _document(draft, current.version + 1, now, settings)
        pending = Proposal.build(doc, needs_for(current.root, draft.root), settings.names())
    else:
        _check_against_home(home, pending, str(path))
    signed = pending.sign(signer.key, signer.name)
    stale = tuple(p for p in home.proposal_files() if p != path)
    if signed.complete:
        return Signed(signed, path, _publish(home, signed, current, {}))
    home.commit({path: signed.to_bytes()}, delete=stale)
    return Signed(signed, path, None)


def sign_file(home: Home, proposal_file: Path, signer: Signer) -> Signed:
    """Sign a proposal file carried away from the home (an official's laptop). Back home, the
    same command also merges its signatures into the pending proposal and publishes when
    complete."""
    proposal = _read_proposal(proposal_file)
    signed = proposal.sign(signer.key, signer.name)
    if not home.exists():
        home.commit({proposal_file: signed.to_bytes()})
        return Signed(signed, proposal_file, None)
    current = _check_against_home(home, signed, str(proposal_file))
    pending = home.pending(signed.version)
    merged = pending.merge(signed, str(proposal_file)) if pending else signed
    writes = {proposal_file: merged.to_bytes()}
    if merged.complete:
        return Signed(merged, proposal_file, _publish(home, merged, current, writes))
    home.commit({**writes, home.proposal_file(merged.version): merged.to_bytes()})
    return Signed(merged, proposal_file, None)


def publish(home: Home, proposal_file: Path) -> TrustList:
    """Publish a proposal brought back with enough signatures (merged with the home's)."""
    proposal = _read_proposal(proposal_file)
    current = _check_against_home(home, proposal, str(proposal_file))
    pending = home.pending(proposal.version)
    merged = pending.merge(proposal, str(proposal_file)) if pending else proposal
    if not merged.complete:
        names = home.settings().names()
        raise DocumentError(str(proposal_file), [(
            "signatures", f"trust list v{merged.version} needs "
                          f"{merged.describe_needs(names)}; still missing: "
                          f"{merged.describe_missing(names)}. Nothing was published")])
    return _publish(home, merged, current, {})


def _read_proposal(path: Path) -> Proposal:
    return Proposal.from_bytes(read_bytes(path, limit=MAX_PROPOSAL_BYTES), str(path))


def _publish(home: Home, proposal: Proposal, current: TrustList,
             writes: dict[Path, bytes]) -> TrustList:
    """Check the list as a verifier holding the current one would, then write it."""
    signed = proposal.signed_list()
    store = TrustStore(current.root)
    store.current = current
    published = store.update(signed)
    writes = {**writes, home.history_file(published.version): as_json(signed),
              home.trust_list_file: as_json(signed)}
    if published.root.identity != current.root.identity:
        writes[home.root_keys_file] = as_json(published.root.to_json())
    home.commit(writes, delete=tuple(home.proposal_files()))
    return published


# -- the national bundle ----------------------------------------------------------------------

def bundle(home: Home, *, out: Path | None, folder: Path | None, sources: list[str],
           offline: bool, max_age: timedelta, now: datetime,
           timeout: float = national.FETCH_TIMEOUT) -> national.National:
    if out is None and folder is None:
        raise UsageError("give --out FILE, --dir DIR or both")
    if max_age <= timedelta(0):
        raise UsageError("--max-age must be more than 0 hours")
    current, history = home.current(), home.history()
    if not history or history[-1].version != current.version:
        raise StorageError(str(home.root / "history"), "the current trust list is not in the "
                                                        "history")
    fetched = [national.attributed(current, national.read_source(location, centre,
                                                                 timeout=timeout))
               for centre, location in (national.split_source(s, current.issuers)
                                        for s in sources)]
    # Every centre's own source is read: another's source never speaks for it.
    covered = national.centres_covered(fetched)
    for centre_id in current.issuers:
        if centre_id not in covered:
            location = national.default_source(centre_id)
            fetched.append(national.Fetched(location, centre_id,
                                            error=f"{location} not fetched (--offline)")
                           if offline else national.read_source(location, centre_id,
                                                                timeout=timeout))
    cached = _cached_lists(home)
    result = national.assemble(
        current, fetched=fetched, cached=cached, history=national.root_history(history),
        records=[home.record(sha) for sha in national.records_named(current)], now=now,
        max_age=max_age)
    data = json.dumps(result.document, ensure_ascii=False, separators=(",", ":")).encode()
    # What every verifier will do with it: pinned to the first root, and to today's.
    for roots in (history[0].root, current.root):
        TrustBundle.from_json(data, roots=roots)
    writes: dict[Path, bytes] = {}
    if out is not None:
        writes[out] = data
    if folder is not None:
        writes |= {folder / "trust-bundle.json": data,
                   folder / "root-keys.json": as_json(current.root.to_json()),
                   folder / "index.html": national.index_html(result, current).encode()}
    writes[home.status_cache_file] = as_json({"statusLists": result.status_lists})
    home.commit(writes)
    return result


def _cached_lists(home: Home) -> list[str]:
    if not home.status_cache_file.exists():
        return []
    doc = home.read_json(home.status_cache_file)
    lists = doc.get("statusLists") if isinstance(doc, dict) else None
    if not isinstance(lists, list) or not all(isinstance(s, str) for s in lists):
        raise StorageError(str(home.status_cache_file), "not a list of status lists")
    return lists
