"""The draft of the next trust list: the root and the centres, and every change made to them.

Accredit, suspend, rotate, retire and compromise change the draft only; nothing reaches a
verifier until k officials sign a list built from it (`authority.proposal`). Every function
here is pure: it takes a draft and returns a new one, or raises before anything is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from passport import centreid, jws
from passport.accreditation import AccreditationRequest, KeyRotationRequest
from passport.credential import Kind, format_time
from passport.errors import CredentialError, DocumentError, SchemaError, TrustError, UsageError
from passport.keys import PublicKey
from passport.records import MAX_RECORD_CHARS, IssuanceRecord
from passport.trust import (
    MAX_ROOT_KEYS,
    CentreState,
    IssuerKey,
    RecordRef,
    RootSet,
    TrustedIssuer,
    TrustList,
    issuer_entry,
    key_entry,
    newest,
)

MAX_CENTRES = 2000  # the trust list schema's limit
MAX_KEYS = 16  # per centre, the schema's limit
Grants = dict[Kind, frozenset[str]]
_ISCO = re.compile(r"[0-9]{4}")  # the whole code: fullmatch
# Only the content is the draft's; version and dates are set when a proposal is built.
_PLACEHOLDER = {"type": "SkillsPassportTrustList", "version": 1,
                "issued": "2000-01-01T00:00:00Z", "expires": "2000-01-01T00:00:00Z"}


def second(t: datetime) -> datetime:
    """Times in a trust list have whole seconds; compare what will be written."""
    return t.replace(microsecond=0)


@dataclass(frozen=True)
class Draft:
    root: RootSet
    centres: tuple[TrustedIssuer, ...]

    @classmethod
    def from_content(cls, content: dict[str, Any]) -> Draft:
        """A draft from a list's content (`rootKeys`, `threshold`, `issuers`); raises the
        trust list's own errors, so a draft always makes a list verifiers accept."""
        doc: dict[str, Any] = {**_PLACEHOLDER}
        doc.update((k, content[k]) for k in ("rootKeys", "threshold", "issuers") if k in content)
        parsed = TrustList.from_document(doc, {})
        return cls(parsed.root, tuple(parsed.issuers.values()))

    def content(self) -> dict[str, Any]:
        return {"rootKeys": [k.jwk() for k in self.root.keys], "threshold": self.root.threshold,
                "issuers": [centre_json(c) for c in self.centres]}

    def find(self, centre_id: str) -> TrustedIssuer | None:
        return next((c for c in self.centres if c.id == centre_id), None)

    def centre(self, centre_id: str) -> TrustedIssuer:
        found = self.find(centre_id)
        if found is None:
            known = ", ".join(c.id for c in self.centres) or "none yet"
            raise UsageError(f"no accredited centre {centre_id} (accredited: {known})")
        return found

    def with_centre(self, centre: TrustedIssuer) -> Draft:
        """The draft with `centre` replacing the one of the same id, or added at the end."""
        if self.find(centre.id) is None:
            return replace(self, centres=(*self.centres, centre))
        return replace(self, centres=tuple(centre if c.id == centre.id else c
                                           for c in self.centres))

    def owner_of(self, kid: str) -> str | None:
        return next((c.id for c in self.centres if c.key(kid) is not None), None)


def content_of(doc: dict[str, Any]) -> dict[str, Any]:
    """The part of a trust list document the draft decides (not its version or dates)."""
    return {"rootKeys": doc.get("rootKeys"), "threshold": doc.get("threshold", 1),
            "issuers": doc.get("issuers")}


def key_json(k: IssuerKey) -> dict[str, Any]:
    return key_entry(k.key, k.valid_from, k.valid_until, compromised_since=k.compromised_since,
                     record=k.record)


def centre_json(c: TrustedIssuer) -> dict[str, Any]:
    return issuer_entry(issuer_id=c.id, name=c.name, name_km=c.name_km,
                        keys=[key_json(k) for k in c.keys],
                        accreditations={kind: sorted(occ) for kind, occ in c.accreditations.items()},
                        state=c.state)


# -- accreditation ---------------------------------------------------------------------------

def parse_grants(values: list[str]) -> Grants | None:
    """`--grant rpl:7112,7115 --grant tvet:*` as kinds and ISCO-08 codes; None when none given."""
    if not values:
        return None
    grants: Grants = {}
    for value in values:
        kind_text, _, codes_text = value.partition(":")
        try:
            kind = Kind(kind_text.strip())
        except ValueError:
            raise UsageError(f"--grant {value}: the kind must be one of "
                             f"{', '.join(k.value for k in Kind)}") from None
        codes = frozenset(c.strip() for c in codes_text.split(",") if c.strip())
        bad = sorted(c for c in codes if c != "*" and not _ISCO.fullmatch(c))
        if not codes or bad:
            raise UsageError(f"--grant {value}: give ISCO-08 codes of 4 digits or *, like "
                             f"{kind.value}:7112,7115")
        if "*" in codes and len(codes) > 1:
            raise UsageError(f"--grant {value}: * already means every occupation")
        if kind in grants:
            raise UsageError(f"--grant {kind.value} is given twice")
        grants[kind] = codes
    return grants


def narrowed(asks: Grants, grants: Grants | None, source: str) -> Grants:
    """What the authority grants: what was asked, or less; never more."""
    if grants is None:
        return dict(asks)
    for kind, codes in grants.items():
        asked = asks.get(kind)
        if asked is None:
            raise DocumentError(source, [("asks", f"does not ask for {kind.value}; --grant "
                                                  "may narrow a request, never widen it")])
        if "*" in asked:
            continue
        extra = sorted(codes - asked)
        if extra:
            raise DocumentError(source, [("asks", f"asks for {kind.value} in "
                                                  f"{', '.join(sorted(asked))} only; --grant "
                                                  f"may not add {', '.join(extra)}")])
    return dict(grants)


def accredit(draft: Draft, request: AccreditationRequest, grants: Grants | None, now: datetime,
             source: str) -> Draft:
    centre_id = request.centre_id
    existing = draft.find(centre_id)
    if existing is not None:
        raise DocumentError(source, [("id", f"{centre_id} is already accredited "
                                            f"({existing.state.value}); a centre's new key "
                                            "goes through rotate-key")])
    _check_id(draft, centre_id, source)
    _check_key_unused(draft, request.key.kid, "jwk", source)
    if len(draft.centres) >= MAX_CENTRES:
        raise UsageError(f"a trust list names at most {MAX_CENTRES} centres")
    centre = TrustedIssuer(request.centre_id, request.name, request.name_km,
                           (IssuerKey(request.key, second(now), None),),
                           narrowed(request.asks, grants, source))
    return draft.with_centre(centre)


def _check_id(draft: Draft, centre_id: str, source: str) -> None:
    """One spelling per centre, and no centre inside another's URL space (passport.centreid):
    else one centre could sign status lists where another's are looked for."""
    try:
        canonical = centreid.canonical(centre_id)
    except ValueError as exc:
        raise DocumentError(source, [("id", f"{centre_id!r} {exc}")]) from None
    if canonical != centre_id:
        same = next((c.id for c in draft.centres if centreid.key(c.id) == canonical), None)
        raise DocumentError(source, [("id", (
            f"{centre_id!r} is {same}, already accredited, written another way" if same else
            f"{centre_id!r} is not written in its one canonical form {canonical} (https, "
            "lower-case host, no default port, no trailing slash or dot segment): the centre "
            f"asks again with that id"))])
    for other in draft.centres:
        if centreid.key(other.id) == canonical:
            raise DocumentError(source, [("id", f"{centre_id} is {other.id}, already "
                                                "accredited, written another way")])
        if centreid.within(centre_id, other.id):
            raise DocumentError(source, [("id", f"{centre_id} lies inside the URL space of "
                                                f"the accredited centre {other.id}: one "
                                                "centre's id may not hold another's")])
        if centreid.within(other.id, centre_id):
            raise DocumentError(source, [("id", f"the accredited centre {other.id} lies "
                                                f"inside the URL space of {centre_id}: one "
                                                "centre's id may not hold another's")])


def set_state(draft: Draft, centre_id: str, state: CentreState) -> Draft:
    centre = draft.centre(centre_id)
    if centre.state is state:
        raise UsageError(f"{centre_id} is already {state.value}")
    return draft.with_centre(centre._replace(state=state))


# -- the centres' keys -----------------------------------------------------------------------

def _key_of(centre: TrustedIssuer, kid: str) -> IssuerKey:
    key = centre.key(kid)
    if key is None:
        raise UsageError(f"{centre.id} has no key {kid} (its keys: "
                         f"{', '.join(k.key.kid for k in centre.keys)})")
    return key


def _with_key(centre: TrustedIssuer, key: IssuerKey) -> TrustedIssuer:
    return centre._replace(keys=tuple(key if k.key.kid == key.key.kid else k
                                      for k in centre.keys))


def rotate_key(draft: Draft, centre_id: str, request: KeyRotationRequest, now: datetime,
               overlap: timedelta, source: str, *, verified_in_person: bool = False) -> Draft:
    """The new key is valid from now; the old one's window closes after the overlap.

    A request signed by a compromised key proves nothing (its thief can sign one too): such
    a key is replaced only once officials have checked the new key with the centre in person
    (`verified_in_person`); the request is always signed by the new key (`from_text`).
    """
    now = second(now)
    if request.centre_id != centre_id:
        raise DocumentError(source, [("id", f"asks for {request.centre_id}, not {centre_id}")])
    centre = draft.centre(centre_id)
    old = centre.key(request.old_kid)
    if old is None:
        raise DocumentError(source, [("oldKid", f"{request.old_kid} is not a key of "
                                                f"{centre_id}")])
    if old.compromised_since is not None and not verified_in_person:
        raise UsageError(f"key {old.key.kid} of {centre_id} is compromised since "
                         f"{format_time(old.compromised_since)}: a request it signed proves "
                         "nothing, its thief can sign one too. Confirm the new key "
                         f"{request.new_key.kid} with the centre in person (read its id "
                         "aloud), then run again with --verified-in-person")
    if old.compromised_since is None and not request.signed_by(old.key):
        raise DocumentError(source, [("signatures", f"not signed by the accredited key "
                                                    f"{old.key.kid} it replaces")])
    if old.compromised_since is None and old.valid_until is not None and old.valid_until <= now:
        raise DocumentError(source, [("oldKid", f"key {old.key.kid}'s window closed on "
                                                f"{format_time(old.valid_until)}: only a key "
                                                "still valid can ask for its successor")])
    _check_key_unused(draft, request.new_key.kid, "newJwk", source)
    if len(centre.keys) >= MAX_KEYS:
        raise UsageError(f"{centre_id} already has {MAX_KEYS} keys, the most a trust list holds")
    if overlap < timedelta(0):
        raise UsageError("--overlap cannot be negative")
    closes = now + overlap
    if old.compromised_since is None:
        # A window already closing sooner stays as it is: a rotation never extends a key.
        until = closes if old.valid_until is None else min(old.valid_until, closes)
        if until <= old.valid_from:
            raise UsageError(f"with --overlap {overlap.days} key {old.key.kid} would close "
                             "before it opened; give a longer overlap")
        old = old._replace(valid_until=until)
    centre = _with_key(centre, old)
    centre = centre._replace(keys=(*centre.keys, IssuerKey(request.new_key, now, None)))
    return draft.with_centre(centre)


def _check_key_unused(draft: Draft, kid: str, field: str, source: str) -> None:
    """A key belongs to one centre: one that is already another's (or this one's) is refused."""
    owner = draft.owner_of(kid)
    if owner is not None:
        raise DocumentError(source, [(field, f"key {kid} is already a key of {owner}")])


def rotation_warnings(draft: Draft, centre_id: str, request: KeyRotationRequest) -> list[str]:
    """What officials should know before they sign a list with this rotation in it."""
    centre = draft.centre(centre_id)
    latest = newest(k for k in centre.keys if k.compromised_since is None)
    if latest is not None and latest.key.kid != request.old_kid:
        return [f"the request is signed by {request.old_kid}, not by {latest.key.kid}, the "
                f"newest key of {centre_id}: check with the centre that it asked for this"]
    return []


def retire_key(draft: Draft, centre_id: str, kid: str, at: datetime,
               record: IssuanceRecord | None) -> Draft:
    centre = draft.centre(centre_id)
    key = _key_of(centre, kid)
    if key.compromised_since is not None:
        raise UsageError(f"key {kid} of {centre_id} is compromised since "
                         f"{format_time(key.compromised_since)}: its record decides, not a window")
    at = second(at)
    if at <= key.valid_from:
        raise UsageError(f"--at {format_time(at)} is not after key {kid} became valid "
                         f"({format_time(key.valid_from)})")
    ref = RecordRef(record.sha256, record.count) if record is not None else key.record
    return draft.with_centre(_with_key(centre, key._replace(valid_until=at, record=ref)))


def compromise(draft: Draft, centre_id: str, kid: str, since: datetime, record: IssuanceRecord,
               now: datetime) -> Draft:
    centre = draft.centre(centre_id)
    key = _key_of(centre, kid)
    since = second(since)
    if key.compromised_since is not None:
        raise UsageError(f"key {kid} of {centre_id} is already compromised since "
                         f"{format_time(key.compromised_since)}")
    if since > now:
        raise UsageError(f"--since {format_time(since)} is in the future: a key is compromised "
                         "from a time already past")
    if since < key.valid_from:
        raise UsageError(f"--since {format_time(since)} is before key {kid} became valid "
                         f"({format_time(key.valid_from)})")
    return draft.with_centre(_with_key(centre, key._replace(
        compromised_since=since, record=RecordRef(record.sha256, record.count))))


def accept_record(draft: Draft, centre_id: str, kid: str, text: str,
                  source: str, *, compromised: bool = False) -> IssuanceRecord:
    """A centre's issuance record for key `kid`, signed by a key of that centre in the draft.

    Never one signed by a compromised key; and for a key being found compromised
    (`compromised`), never one it signed itself: its thief could write any record with it.
    """
    centre = draft.centre(centre_id)
    _key_of(centre, kid)
    compact = text.strip()
    try:
        record = IssuanceRecord.from_jws(compact)
        token = jws.parse(compact, limit=MAX_RECORD_CHARS)
    except SchemaError as exc:
        raise DocumentError(source, exc.problems) from None
    except (TrustError, CredentialError) as exc:
        raise DocumentError(source, [("file", f"not an issuance record ({exc})")]) from None
    if record.issuer != centre_id:
        raise DocumentError(source, [("issuer", f"is {record.issuer}, not {centre_id}")])
    if record.kid != kid:
        raise DocumentError(source, [("kid", f"is {record.kid}, not {kid}")])
    signer = centre.key(token.kid)
    if signer is None or not jws.signature_valid(token, signer.key):
        raise DocumentError(source, [("signature", f"not signed by a key of {centre_id}")])
    if signer.compromised_since is not None or (compromised and signer.key.kid == kid):
        raise DocumentError(source, [("signature", f"signed by {signer.key.kid}, a key found "
                                                   "compromised: its thief could have written "
                                                   "it. Add the centre's new key first "
                                                   "(authority rotate-key); the centre then "
                                                   "signs the record with it")])
    return record


# -- the root --------------------------------------------------------------------------------

def stage_root(draft: Draft, add: list[PublicKey], remove: list[str],
               threshold: int | None) -> Draft:
    """A new root set for the next list: it then needs k of the old and k of the new."""
    current = {k.kid for k in draft.root.keys}
    for key in add:
        if key.kid in current:
            raise UsageError(f"root key {key.kid} is already in the root")
    for kid in remove:
        if kid not in current:
            raise UsageError(f"--remove {kid}: not a root key (root keys: "
                             f"{', '.join(sorted(current))})")
    keys = tuple([k for k in draft.root.keys if k.kid not in remove] + add)
    if len(keys) > MAX_ROOT_KEYS:
        raise UsageError(f"a root has at most {MAX_ROOT_KEYS} keys")
    if not keys:
        raise UsageError("a root needs at least one key")
    k = draft.root.threshold if threshold is None else threshold
    if not 1 <= k <= len(keys):
        raise UsageError(f"--threshold {k} is not between 1 and {len(keys)}, the number of "
                         "root keys")
    root = RootSet(keys, k)
    if root.identity == draft.root.identity:
        raise UsageError("the root would not change: give --add, --remove or another "
                         "--threshold")
    return replace(draft, root=root)


# -- what changed ----------------------------------------------------------------------------

def changes(before: Draft, after: Draft, names: dict[str, str]) -> list[str]:
    """Human lines for what `after` changes from `before` (for officials about to sign)."""
    lines: list[str] = []
    if before.root.identity != after.root.identity:
        def official(k: PublicKey) -> str:
            return names.get(k.kid, k.kid)
        lines.append(f"root: {after.root.threshold} of "
                     f"{', '.join(official(k) for k in after.root.keys)} (was "
                     f"{before.root.threshold} of "
                     f"{', '.join(official(k) for k in before.root.keys)})")
    for centre in after.centres:
        old = before.find(centre.id)
        if old is None:
            lines.append(f"accredit {centre.id} ({centre.name})")
            continue
        if old.state is not centre.state:
            lines.append(f"{centre.id}: {centre.state.value}")
        if old.accreditations != centre.accreditations:
            lines.append(f"{centre.id}: may certify {accreditation_text(centre)}")
        for key in centre.keys:
            was = old.key(key.key.kid)
            if was is None:
                lines.append(f"{centre.id}: new key {key.key.kid} from "
                             f"{format_time(key.valid_from)}")
            elif was != key:
                lines.append(f"{centre.id}: key {key.key.kid} {key_text(key)}")
    return lines


def accreditation_text(centre: TrustedIssuer) -> str:
    return "; ".join(f"{kind.value}: {' '.join(sorted(occ))}"
                     for kind, occ in centre.accreditations.items())


def key_text(key: IssuerKey) -> str:
    until = format_time(key.valid_until) if key.valid_until else "open"
    text = f"valid {format_time(key.valid_from)} to {until}"
    if key.compromised_since is not None:
        text += f", COMPROMISED since {format_time(key.compromised_since)}"
    if key.record is not None:
        text += f", issuance record {key.record.sha256[:16]}… ({key.record.entries} entries)"
    return text
