"""Issuing: a status slot, the signed credential, its record and its audit entry, at once.

`issue_credential` is the one way a credential comes to exist, for the web, the API, the
command line, a batch and the demo. It runs inside the caller's transaction: if that
transaction does not commit, no slot was taken, nothing was recorded, and the signed
credential is never handed to anyone.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer import audit
from issuer.centre import Centre, normalize_national_id
from issuer.db import Candidate, CredentialRecord, User, as_utc, utcnow
from issuer.service import assessments, candidates, credentials, identity, status
from issuer.service.errors import Conflict
from passport import qr
from passport.credential import (
    AchievementType,
    Credential,
    Kind,
    StatusEntry,
    StatusPurpose,
    build_claims,
)
from passport.errors import DocumentError
from passport.signing import sign_claims
from rpl_rubrics import catalogue
from rpl_rubrics.credentials import CredentialRequest, TrainingCompletion, request_for
from rpl_rubrics.engine import Award, decide


@dataclass(frozen=True)
class Issued:
    record: CredentialRecord
    credential: Credential
    new: bool  # False when the same input had been issued before (see `request_key`)


def issue_credential(session: Session, centre: Centre, actor: User, candidate: Candidate,
                     request: CredentialRequest, *, assessment_id: int | None = None,
                     request_key: str | None = None) -> Issued:
    """Allocate a slot, sign, record and audit one credential for `candidate`.

    `request_key` (the content hash of a command-line or batch input) is recorded with the
    credential; callers look for it first (`credentials.by_request_key`) so that an input
    issued before returns its credential, and its unique index refuses a second one.
    """
    kind = AchievementType(request.achievement["achievementType"]).kind
    # Refused before a slot is taken: not accredited (yet), suspended, key retired...
    occupation = next((a["targetCode"] for a in request.achievement["alignment"]
                       if a["targetFramework"] == "ISCO-08"), "")
    key = centre.require(kind, occupation, request.issued)
    slot = status.allocate(session, centre)[0]
    claims = build_claims(
        issuer=centre.id, holder=request.holder, achievement=request.achievement,
        valid_from=request.issued,
        status=[StatusEntry(p, centre.status_url(p, slot.list_number), slot.index)
                for p in StatusPurpose],
        results=request.results if kind is Kind.RPL else None, activity=request.activity)
    credential, compact = sign_claims(claims, key)
    record = CredentialRecord(
        id=credential.id, candidate_id=candidate.id, assessment_id=assessment_id,
        kind=credential.kind.value, achievement_type=credential.achievement.type.value,
        title=credential.achievement.name, status_list=slot.list_number,
        status_index=slot.index, jws=compact, qr=qr.encode(compact), issued_at=request.issued,
        issued_by=actor.id, revoked=False, suspended=False, status_reason="",
        request_key=request_key, shared_slot=False, kid=key.kid)
    session.add(record)
    session.flush()
    audit.append(session, actor.username, "credential.issue", record.id,
                 {"candidate": candidate.id, "kind": record.kind, "type": record.achievement_type,
                  "slot": f"{slot.list_number}/{slot.index}"})
    return Issued(record, credential, new=True)


def certified_before(session: Session, candidate: Candidate, achievement_id: str,
                     assessed_on: date) -> str | None:
    """Why an assessment of `candidate` on `assessed_on` must not be certified, if it must not.

    An assessment is certified once: a second credential for the same rubric comes from a
    reassessment, which is dated after the first was issued. Anything else is the same
    assessment entered twice (a batch row edited and issued again, say).
    """
    held = session.execute(select(CredentialRecord).where(
        CredentialRecord.candidate_id == candidate.id, CredentialRecord.kind == Kind.RPL.value,
        CredentialRecord.revoked.is_(False))).scalars()
    for record in held:
        issued = as_utc(record.issued_at).date()
        if issued >= assessed_on and credentials.parsed(record).achievement.id == achievement_id:
            return (f"{candidate.name} already holds {record.id} for this rubric, issued "
                    f"{issued} (on or after this assessment's date): revoke it first, or date "
                    "a reassessment after it")
    return None


# The pages show this refusal in the reader's language (issuer/web.py problem_text).
NATIONAL_ID_MISMATCH = "does not match the registered candidate's national ID number"


def _holder_check(centre: Centre, candidate: Candidate, national_id: str) -> None:
    if candidate.national_id_hash is None or not hmac.compare_digest(
            centre.national_id_hash(national_id), candidate.national_id_hash):
        raise DocumentError("body", [("nationalId", NATIONAL_ID_MISMATCH)])


# Issuing from the registration's hold when it has expired (or never was: an import).
HOLD_EXPIRED = "identity was not checked at a registration here today: type the whole number"


def issue_assessment(session: Session, centre: Centre, actor: User, assessment_id: int,
                     national_id: str, *, checked_at_registration: bool = False
                     ) -> CredentialRecord:
    """Issue what a recorded assessment decides; the holder's number is typed at issuance.

    `checked_at_registration`: the assessor confirms the ID card was checked when this
    centre registered the candidate today, and `national_id` is then the last 4 digits
    only; the whole number comes from the registration's hold (service.identity)."""
    record = assessments.get(session, assessment_id)
    if record.state == "issued":
        raise Conflict(f"assessment {assessment_id} has already been issued")
    candidate = candidates.get(session, record.candidate_id)
    if checked_at_registration:
        whole = identity.held(session, centre, candidate.id, utcnow())
        if whole is None:
            raise DocumentError("body", [("nationalId", HOLD_EXPIRED)])
        # The last 4 digits, read from the card in hand, still tie the card to this record.
        if not hmac.compare_digest(normalize_national_id(national_id).encode(),
                                   whole[-4:].encode()):
            raise DocumentError("body", [("nationalId", NATIONAL_ID_MISMATCH)])
        national_id = whole
        audit.append(session, actor.username, "identity.from_registration",
                     f"candidate:{candidate.id}", {"assessment": record.id})
    _holder_check(centre, candidate, national_id)
    decision = decide(catalogue.get(record.rubric_id, record.rubric_version),
                      assessments.as_assessment(session, record, list(record.judgments),
                                                national_id))
    if decision.award is Award.NO_AWARD:
        raise Conflict("no unit was judged competent: there is nothing to certify")
    request = request_for(decision, issued=utcnow().replace(microsecond=0))
    issued = issue_credential(session, centre, actor, candidate, request,
                              assessment_id=record.id)
    record.decision, record.state = decision.to_json(), "issued"
    return issued.record


def issue_training(session: Session, centre: Centre, actor: User, body: dict[str, Any]
                   ) -> CredentialRecord:
    """Issue a TVET training record from an API or form body (valid against TrainingIssue)."""
    candidate = candidates.get(session, int(body["candidateId"]))
    _holder_check(centre, candidate, body["nationalId"])
    completion = TrainingCompletion.from_text(json.dumps({
        "type": "TrainingCompletion",
        "candidate": {"name": candidate.name, "nameKm": candidate.name_km,
                      "birthYear": candidate.birth_year, "nationalId": body["nationalId"]},
        "course": body["course"], "start": body["start"], "end": body["end"]}), "body")
    request = completion.request(issued=utcnow().replace(microsecond=0))
    return issue_credential(session, centre, actor, candidate, request).record
