"""The issuer's operations, each inside one database transaction, each audited.

Issuance allocates the status-list index, signs, records the credential and writes the
audit entry in the same transaction: a failed commit returns no credential to anyone, and
two concurrent issuances can never receive the same index (the counter row is locked by the
UPDATE; a unique constraint on (list, index) stands behind it).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import nacl.exceptions
import nacl.pwhash
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from issuer import audit
from issuer.db import (
    ApiToken,
    AssessmentRecord,
    Candidate,
    CredentialRecord,
    Evidence,
    StatusCounter,
    User,
    utcnow,
)
from issuer.home import STATUS_VALIDITY, Home
from passport import qr
from passport.credential import HolderInput, StatusPurpose
from passport.errors import DocumentError, UsageError
from passport.keys import PrivateKey
from passport.signing import issue
from passport.status import Bitstring, sign_status_list, status_list_claims
from rpl_rubrics import catalogue
from rpl_rubrics.assessment import Assessment, parse_judgments
from rpl_rubrics.credentials import CredentialRequest, TrainingCompletion, request_for
from rpl_rubrics.engine import Award, Decision, check_input, decide

ROLES = ("admin", "assessor", "registrar")
STATUS_LIST = 1


class NotFound(UsageError):
    pass


class Conflict(UsageError):
    pass


class Forbidden(UsageError):
    pass


@dataclass
class Issuer:
    """What the service needs that lives outside the database."""

    home: Home
    key: PrivateKey
    secret: bytes  # keys the candidates' national ID hashes

    def national_id_hash(self, national_id: str) -> str:
        normalized = "".join(national_id.split()).upper()
        return hmac.new(self.secret, normalized.encode(), hashlib.sha256).hexdigest()


# -- accounts ----------------------------------------------------------------------------

def hash_password(password: str) -> str:
    if len(password) < 10:
        raise UsageError("a password has at least 10 characters")
    return nacl.pwhash.argon2id.str(password.encode()).decode("ascii")


def check_password(user: User, password: str) -> bool:
    try:
        return nacl.pwhash.verify(user.password_hash.encode("ascii"), password.encode())
    except nacl.exceptions.InvalidkeyError:
        return False


def create_user(session: Session, actor: str, username: str, password: str, role: str) -> User:
    if role not in ROLES:
        raise UsageError(f"role must be one of {', '.join(ROLES)}")
    if session.execute(select(User).where(User.username == username)).scalar_one_or_none():
        raise Conflict(f"user {username!r} exists")
    user = User(username=username, password_hash=hash_password(password), role=role, active=True)
    session.add(user)
    session.flush()
    audit.append(session, actor, "user.create", f"user:{username}", {"role": role})
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.active or not check_password(user, password):
        return None
    return user


def create_token(session: Session, actor: str, user: User, name: str) -> str:
    token = "spt_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=name,
                         token_hash=hashlib.sha256(token.encode()).hexdigest(), revoked=False))
    audit.append(session, actor, "token.create", f"user:{user.username}", {"name": name})
    return token


def user_for_token(session: Session, token: str) -> User | None:
    digest = hashlib.sha256(token.encode()).hexdigest()
    row = session.execute(select(ApiToken).where(ApiToken.token_hash == digest,
                                                 ApiToken.revoked.is_(False))).scalar_one_or_none()
    if row is None:
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.active else None


# -- candidates --------------------------------------------------------------------------

def register_candidate(session: Session, issuer: Issuer, actor: User,
                       body: dict[str, Any]) -> Candidate:
    national = "".join(body["nationalId"].split()).upper()
    digest = issuer.national_id_hash(national)
    if session.execute(select(Candidate.id).where(Candidate.national_id_hash == digest)).first():
        raise Conflict("a candidate with this national ID number is already registered")
    try:
        born = date.fromisoformat(body["birthDate"])
    except ValueError:
        raise DocumentError("body", [("birthDate", "not a calendar date")]) from None
    if not date(1900, 1, 1) <= born <= datetime.now(UTC).date():
        raise DocumentError("body", [("birthDate", "out of range")])
    candidate = Candidate(
        name=body["name"].strip(), name_km=body["nameKm"].strip(), birth_date=born.isoformat(),
        national_id_hash=digest, national_id_last4=national[-4:],
        phone=body.get("phone", ""), province=body.get("province", ""),
        occupation_abroad=body.get("occupationAbroad", ""),
        languages=list(body.get("languages", [])), created_by=actor.id)
    session.add(candidate)
    session.flush()
    audit.append(session, actor.username, "candidate.register", f"candidate:{candidate.id}")
    return candidate


def get_candidate(session: Session, candidate_id: int) -> Candidate:
    candidate = session.get(Candidate, candidate_id)
    if candidate is None:
        raise NotFound(f"no candidate {candidate_id}")
    return candidate


def search_candidates(session: Session, issuer: Issuer, query: str, limit: int = 50
                      ) -> Sequence[Candidate]:
    q = query.strip()
    stmt = select(Candidate).order_by(Candidate.name).limit(limit)
    if q:
        digits = "".join(q.split()).upper()
        matches = [func.lower(Candidate.name).like(f"%{q.lower()}%"),
                   Candidate.name_km.like(f"%{q}%"),
                   Candidate.national_id_hash == issuer.national_id_hash(digits)]
        if len(digits) == 4:  # the last 4 digits, as printed on the card
            matches.append(Candidate.national_id_last4 == digits)
        stmt = stmt.where(or_(*matches))
    return session.execute(stmt).scalars().all()


def candidate_json(c: Candidate) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "nameKm": c.name_km, "birthDate": c.birth_date,
            "nationalIdLast4": c.national_id_last4, "phone": c.phone, "province": c.province,
            "occupationAbroad": c.occupation_abroad, "languages": c.languages}


# -- evidence ----------------------------------------------------------------------------

EVIDENCE_TYPES = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG", "application/pdf": b"%PDF",
                  "video/mp4": b""}
MAX_EVIDENCE_BYTES = 25 * 1024 * 1024


def store_evidence(session: Session, issuer: Issuer, actor: User, data: bytes,
                   media_type: str) -> str:
    from passport.fileio import write_atomic

    if media_type not in EVIDENCE_TYPES:
        raise UsageError(f"evidence type {media_type!r} is not accepted "
                         f"(accepted: {', '.join(EVIDENCE_TYPES)})")
    if not data:
        raise UsageError("the evidence file is empty")
    if len(data) > MAX_EVIDENCE_BYTES:
        raise UsageError(f"evidence is {len(data)} bytes, the limit is {MAX_EVIDENCE_BYTES}")
    magic = EVIDENCE_TYPES[media_type]
    if (magic and not data.startswith(magic)) or (media_type == "video/mp4" and data[4:8] != b"ftyp"):
        raise UsageError(f"the file's content is not {media_type}")
    digest = hashlib.sha256(data).hexdigest()
    if session.get(Evidence, digest) is None:
        write_atomic(issuer.home.root / "uploads" / digest, data, mode=0o600)
        session.add(Evidence(sha256=digest, media_type=media_type, size=len(data),
                             uploaded_by=actor.id))
        audit.append(session, actor.username, "evidence.upload", f"sha256:{digest}",
                     {"type": media_type, "size": len(data)})
    return digest


# -- assessments -------------------------------------------------------------------------

def start_assessment(session: Session, actor: User, candidate_id: int, rubric_id: str,
                     day: str | None = None) -> AssessmentRecord:
    get_candidate(session, candidate_id)
    rubric = catalogue.get(rubric_id)
    record = AssessmentRecord(candidate_id=candidate_id, rubric_id=rubric.id,
                              rubric_version=rubric.version, rubric_sha256=rubric.sha256,
                              assessor_id=actor.id, date=day or datetime.now(UTC).date().isoformat(),
                              judgments=[], state="open")
    session.add(record)
    session.flush()
    audit.append(session, actor.username, "assessment.start", f"assessment:{record.id}",
                 {"candidate": candidate_id, "rubric": rubric.id, "sha256": rubric.sha256})
    return record


def get_assessment(session: Session, assessment_id: int) -> AssessmentRecord:
    record = session.get(AssessmentRecord, assessment_id)
    if record is None:
        raise NotFound(f"no assessment {assessment_id}")
    return record


def _assessment(session: Session, record: AssessmentRecord, judgments: list[dict[str, Any]],
                national_id: str = "") -> Assessment:
    candidate = get_candidate(session, record.candidate_id)
    try:
        parsed = parse_judgments(judgments)
        day = date.fromisoformat(record.date)
    except ValueError as exc:
        raise DocumentError("judgments", [("date", f"not a calendar date ({exc})")]) from None
    return Assessment(
        candidate=HolderInput(candidate.name, candidate.name_km, int(candidate.birth_date[:4]),
                              national_id),
        rubric_id=record.rubric_id, rubric_version=record.rubric_version,
        rubric_sha256=record.rubric_sha256, assessor_id=str(record.assessor_id),
        assessor_name="", date=day, judgments=parsed, source=f"assessment {record.id}")


def record_judgments(session: Session, actor: User, assessment_id: int,
                     judgments: list[dict[str, Any]]) -> AssessmentRecord:
    record = get_assessment(session, assessment_id)
    if record.state == "issued":
        raise Conflict("this assessment has been issued; start a reassessment instead")
    if record.assessor_id != actor.id:
        raise Forbidden("only the assessor who started this assessment records its judgments")
    for j in judgments:
        for e in j["evidence"]:
            if session.get(Evidence, e["ref"].removeprefix("sha256:")) is None:
                raise DocumentError("judgments", [(j["criterion"], f"evidence {e['ref']} was "
                                                   "never uploaded")])
    check_input(catalogue.get(record.rubric_id), _assessment(session, record, judgments))
    record.judgments = judgments
    record.decision, record.state = None, "open"
    audit.append(session, actor.username, "assessment.judge", f"assessment:{record.id}",
                 {"judgments": len(judgments)})
    return record


def decide_assessment(session: Session, actor: User, assessment_id: int) -> Decision:
    record = get_assessment(session, assessment_id)
    decision = decide(catalogue.get(record.rubric_id),
                      _assessment(session, record, list(record.judgments)))
    if record.state != "issued":
        record.decision, record.state = decision.to_json(), "decided"
    audit.append(session, actor.username, "assessment.decide", f"assessment:{record.id}",
                 {"award": decision.award.value})
    return decision


# -- issuance ----------------------------------------------------------------------------

def _allocate_index(session: Session) -> int:
    nxt = session.execute(update(StatusCounter).where(StatusCounter.list_id == STATUS_LIST)
                          .values(next_index=StatusCounter.next_index + 1)
                          .returning(StatusCounter.next_index)).scalar_one()
    index = int(nxt) - 1
    if index >= Bitstring().size:
        raise Conflict("the status list is full; a second list is needed")
    return index


def _issue(session: Session, issuer: Issuer, actor: User, candidate: Candidate,
           request: CredentialRequest, assessment_id: int | None) -> CredentialRecord:
    index = _allocate_index(session)
    claims = issuer.home.claims(holder=request.holder, achievement=request.achievement,
                                results=request.results, at=request.issued, index=index,
                                activity=request.activity)
    credential, compact = issue(claims, issuer.key)
    record = CredentialRecord(
        id=credential.id, candidate_id=candidate.id, assessment_id=assessment_id,
        kind=credential.kind.value, achievement_type=credential.achievement.type.value,
        title=credential.achievement.name, status_list=STATUS_LIST, status_index=index,
        jws=compact, qr=qr.encode(compact), issued_at=request.issued, issued_by=actor.id,
        revoked=False, suspended=False, status_reason="")
    session.add(record)
    session.flush()
    audit.append(session, actor.username, "credential.issue", record.id,
                 {"candidate": candidate.id, "kind": record.kind, "type": record.achievement_type,
                  "statusIndex": index})
    return record


def _holder_check(issuer: Issuer, candidate: Candidate, national_id: str) -> None:
    if not hmac.compare_digest(issuer.national_id_hash(national_id), candidate.national_id_hash):
        raise DocumentError("body", [("nationalId", "does not match the registered candidate's "
                                                    "national ID number")])


def issue_assessment(session: Session, issuer: Issuer, actor: User, assessment_id: int,
                     national_id: str) -> CredentialRecord:
    record = get_assessment(session, assessment_id)
    if record.state == "issued":
        raise Conflict(f"assessment {assessment_id} has already been issued")
    candidate = get_candidate(session, record.candidate_id)
    _holder_check(issuer, candidate, national_id)
    decision = decide(catalogue.get(record.rubric_id),
                      _assessment(session, record, list(record.judgments), national_id))
    if decision.award is Award.NO_AWARD:
        raise Conflict("no unit was judged competent: there is nothing to certify")
    request = request_for(decision, issued=utcnow().replace(microsecond=0))
    credential = _issue(session, issuer, actor, candidate, request, record.id)
    record.decision, record.state = decision.to_json(), "issued"
    return credential


def issue_training(session: Session, issuer: Issuer, actor: User, body: dict[str, Any]
                   ) -> CredentialRecord:
    candidate = get_candidate(session, int(body["candidateId"]))
    _holder_check(issuer, candidate, body["nationalId"])
    completion = TrainingCompletion.from_text(json.dumps({
        "type": "TrainingCompletion",
        "candidate": {"name": candidate.name, "nameKm": candidate.name_km,
                      "birthYear": int(candidate.birth_date[:4]), "nationalId": body["nationalId"]},
        "course": body["course"], "start": body["start"], "end": body["end"]}), "body")
    request = completion.request(issued=utcnow().replace(microsecond=0))
    return _issue(session, issuer, actor, candidate, request, None)


def get_credential(session: Session, credential_id: str) -> CredentialRecord:
    record = session.get(CredentialRecord, credential_id)
    if record is None:
        raise NotFound(f"no credential {credential_id}")
    return record


def credential_json(c: CredentialRecord) -> dict[str, Any]:
    return {"id": c.id, "candidateId": c.candidate_id, "assessmentId": c.assessment_id,
            "kind": c.kind, "achievementType": c.achievement_type, "title": c.title,
            "statusIndex": c.status_index, "jws": c.jws, "qr": c.qr,
            "issuedAt": c.issued_at.isoformat(), "revoked": c.revoked, "suspended": c.suspended,
            "statusReason": c.status_reason}


def set_status(session: Session, actor: User, credential_id: str, action: str,
               reason: str) -> CredentialRecord:
    record = get_credential(session, credential_id)
    if not reason.strip():
        raise DocumentError("body", [("reason", "a reason is required")])
    if action == "revoke":
        if record.revoked:
            raise Conflict("the credential is already revoked")
        record.revoked = True
    elif action == "suspend":
        if record.revoked or record.suspended:
            raise Conflict("the credential is already revoked or suspended")
        record.suspended = True
    elif action == "reinstate":
        if record.revoked:
            raise Conflict("a revoked credential cannot be reinstated; issue a new one")
        if not record.suspended:
            raise Conflict("the credential is not suspended")
        record.suspended = False
    else:
        raise UsageError(f"unknown status action {action!r}")
    record.status_reason, record.status_changed_at = reason.strip(), utcnow()
    audit.append(session, actor.username, f"credential.{action}", record.id,
                 {"reason": reason.strip()})
    return record


# -- publication -------------------------------------------------------------------------

def status_bits(session: Session, purpose: StatusPurpose) -> tuple[Bitstring, datetime | None]:
    column = CredentialRecord.revoked if purpose is StatusPurpose.REVOCATION \
        else CredentialRecord.suspended
    bits = Bitstring()
    for (index,) in session.execute(select(CredentialRecord.status_index)
                                    .where(column.is_(True),
                                           CredentialRecord.status_list == STATUS_LIST)):
        bits.set(index)
    changed = session.execute(select(func.max(CredentialRecord.status_changed_at))).scalar()
    return bits, changed


def signed_status_list(session: Session, issuer: Issuer, purpose: StatusPurpose,
                       now: datetime) -> tuple[str, datetime]:
    bits, changed = status_bits(session, purpose)
    # Signed per day (or on a change), so repeated fetches get the same bytes and ETag.
    valid_from = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if changed is not None:
        changed = changed if changed.tzinfo else changed.replace(tzinfo=UTC)
        valid_from = max(valid_from, changed.replace(microsecond=0))
    claims = status_list_claims(url=issuer.home.status_url(purpose), issuer=issuer.home.profile().id,
                                purpose=purpose, bitstring=bits, valid_from=valid_from,
                                valid_for=STATUS_VALIDITY + timedelta(days=1))
    return sign_status_list(claims, issuer.key), valid_from
