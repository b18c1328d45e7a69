"""Returnees: registered at the desk, or found (or created) by national ID from a batch row.

The full national ID number is not kept with the candidate: a keyed hash finds them and the
last 4 digits are kept for the card. The number typed at a registration is held, sealed, for
that working day only, so the day's credential can be signed without typing it again
(service.identity). A batch row or an input file whose number is already
registered must name the same person; a mismatch is refused, never merged.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from issuer import audit
from issuer.centre import Centre, normalize_national_id
from issuer.db import Candidate, CredentialRecord, User
from issuer.service import credentials, identity
from issuer.service.errors import Conflict, NotFound
from passport.credential import HolderInput
from passport.errors import DocumentError


def register(session: Session, centre: Centre, actor: User, body: dict[str, Any]) -> Candidate:
    """A registrar's registration: the API or form body, already valid against its schema."""
    national = normalize_national_id(body["nationalId"])
    digest = centre.national_id_hash(national)
    # The year is all a credential carries (DESIGN: birth year, not the full date), so the
    # form asks only the year; the API still takes a full date from systems that have one.
    born: date | None = None
    if "birthDate" in body:
        try:
            born = date.fromisoformat(body["birthDate"])
        except ValueError:
            raise DocumentError("body", [("birthDate", "not a calendar date")]) from None
        if not date(1900, 1, 1) <= born <= datetime.now(UTC).date():
            raise DocumentError("body", [("birthDate", "out of range")])
    if born is None and "birthYear" not in body:
        # Checked here, not by the schema: one of two fields, named in the refusal.
        raise DocumentError("body", [("birthYear", "a birth year (or birthDate) is required")])
    year = born.year if born else int(body["birthYear"])
    if not 1900 <= year <= datetime.now(UTC).year:
        raise DocumentError("body", [("birthYear", "out of range")])
    # Bad input is refused as such before the duplicate check: a typo is named as a typo.
    if session.execute(select(Candidate.id).where(Candidate.national_id_hash == digest)).first():
        raise Conflict("a candidate with this national ID number is already registered")
    candidate = Candidate(
        name=body["name"].strip(), name_km=body["nameKm"].strip(), birth_year=year,
        birth_date=born.isoformat() if born else None, national_id_hash=digest, national_id_last4=national[-4:],
        phone=body.get("phone", ""), province=body.get("province", ""),
        occupation_abroad=body.get("occupationAbroad", ""),
        languages=list(body.get("languages", [])), created_by=actor.id)
    session.add(candidate)
    session.flush()
    # The number was typed in full from the ID card just now: held for the day (see identity).
    identity.hold(session, centre, candidate, national, datetime.now(UTC))
    audit.append(session, actor.username, "candidate.register", f"candidate:{candidate.id}")
    return candidate


def _same(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return " ".join(unicodedata.normalize("NFC", s).split()).casefold()
    return norm(a) == norm(b)


def same_person(a: HolderInput, b: HolderInput) -> bool:
    """Same names (Unicode, case and spacing aside) and birth year: one holder, twice written."""
    return _same(a.name, b.name) and _same(a.name_km, b.name_km) and a.birth_year == b.birth_year


def mismatch(candidate: Candidate, holder: HolderInput) -> str | None:
    """Why `holder` is not the registered `candidate` with the same national ID, if it is not."""
    registered = HolderInput(candidate.name, candidate.name_km, candidate.birth_year, "")
    if same_person(registered, holder):
        return None
    return (f"national ID …{candidate.national_id_last4} is registered to {candidate.name} / "
            f"{candidate.name_km}, born {candidate.birth_year}; this names {holder.name} / "
            f"{holder.name_km}, born {holder.birth_year}")


def find(session: Session, centre: Centre, national_id: str) -> Candidate | None:
    digest = centre.national_id_hash(national_id)
    return session.execute(select(Candidate).where(Candidate.national_id_hash == digest)) \
        .scalar_one_or_none()


def find_or_create(session: Session, centre: Centre, actor: User, holder: HolderInput,
                   *, source: str) -> Candidate:
    """The candidate with this holder's national ID, created from the holder if new.

    `source` names the input (a file, a CSV line) in the error when the registered person
    differs from the one the input names.
    """
    found = find(session, centre, holder.national_id)
    if found is not None:
        problem = mismatch(found, holder)
        if problem:
            raise DocumentError(source, [("candidate", problem)])
        return found
    national = normalize_national_id(holder.national_id)
    imported = _imported(session, holder, national[-4:])
    if imported is not None:
        # The holder of credentials imported from an earlier version's files, whose full
        # number was never known: the same names, birth year and last 4 digits. The number
        # now given completes the record instead of splitting the person in two.
        imported.national_id_hash = centre.national_id_hash(national)
        audit.append(session, actor.username, "candidate.link", f"candidate:{imported.id}",
                     {"from": source})
        return imported
    candidate = Candidate(
        name=holder.name.strip(), name_km=holder.name_km.strip(), birth_year=holder.birth_year,
        birth_date=None, national_id_hash=centre.national_id_hash(national),
        national_id_last4=national[-4:], phone="", province="", occupation_abroad="",
        languages=[], created_by=actor.id)
    session.add(candidate)
    session.flush()
    audit.append(session, actor.username, "candidate.register", f"candidate:{candidate.id}",
                 {"from": source})
    return candidate


def _imported(session: Session, holder: HolderInput, last4: str) -> Candidate | None:
    unlinked = session.execute(select(Candidate).where(
        Candidate.national_id_hash.is_(None), Candidate.national_id_last4 == last4,
        Candidate.birth_year == holder.birth_year)).scalars().all()
    same = [c for c in unlinked if mismatch(c, holder) is None]
    return same[0] if len(same) == 1 else None


def get(session: Session, candidate_id: int) -> Candidate:
    candidate = session.get(Candidate, candidate_id)
    if candidate is None:
        raise NotFound(f"no candidate {candidate_id}")
    return candidate


def search(session: Session, centre: Centre, query: str, limit: int = 50) -> Sequence[Candidate]:
    q = query.strip()
    stmt = select(Candidate).order_by(Candidate.name).limit(limit)
    if q:
        digits = normalize_national_id(q)
        matches = [func.lower(Candidate.name).like(f"%{q.lower()}%"),
                   Candidate.name_km.like(f"%{q}%"),
                   Candidate.national_id_hash == centre.national_id_hash(digits)]
        if len(digits) == 4:  # the last 4 digits, as printed on the card
            matches.append(Candidate.national_id_last4 == digits)
        # The credential number printed on a card (12 characters, as `skillpass revoke`
        # takes it; read aloud it may come with spaces or dashes): its holder.
        number = "".join(q.split()).replace("-", "")
        if credentials.is_number(number):
            matches.append(Candidate.id.in_(select(CredentialRecord.candidate_id).where(
                CredentialRecord.id == credentials.full_id(number))))
        stmt = stmt.where(or_(*matches))
    return session.execute(stmt).scalars().all()


def to_json(c: Candidate) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "nameKm": c.name_km, "birthYear": c.birth_year,
            "birthDate": c.birth_date, "nationalIdLast4": c.national_id_last4, "phone": c.phone,
            "province": c.province, "occupationAbroad": c.occupation_abroad,
            "languages": c.languages}


def passport(session: Session, candidate_id: int, created: datetime) -> dict[str, Any]:
    """The candidate's passport bundle, as staff download it: every credential not revoked."""
    get(session, candidate_id)
    records = session.execute(select(CredentialRecord).where(
        CredentialRecord.candidate_id == candidate_id, CredentialRecord.revoked.is_(False))
        .order_by(CredentialRecord.issued_at, CredentialRecord.id)).scalars().all()
    if not records:
        raise NotFound("this candidate holds no valid credential yet")
    return credentials.passport(records, created)
