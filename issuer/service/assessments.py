"""RPL assessments recorded in the service: started, judged criterion by criterion, decided."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from issuer import audit
from issuer.db import AssessmentRecord, Evidence, User
from issuer.service import candidates
from issuer.service.errors import Conflict, Forbidden, NotFound
from passport.credential import HolderInput
from passport.errors import DocumentError
from rpl_rubrics import catalogue
from rpl_rubrics.assessment import Assessment, parse_judgments
from rpl_rubrics.engine import Decision, check_input, decide


def start(session: Session, actor: User, candidate_id: int, rubric_id: str,
          day: str | None = None) -> AssessmentRecord:
    candidates.get(session, candidate_id)
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


def get(session: Session, assessment_id: int) -> AssessmentRecord:
    record = session.get(AssessmentRecord, assessment_id)
    if record is None:
        raise NotFound(f"no assessment {assessment_id}")
    return record


def as_assessment(session: Session, record: AssessmentRecord, judgments: list[dict[str, Any]],
                  national_id: str = "") -> Assessment:
    """The engine's view of a recorded assessment (the holder's number only when issuing)."""
    candidate = candidates.get(session, record.candidate_id)
    try:
        parsed = parse_judgments(judgments)
        day = date.fromisoformat(record.date)
    except ValueError as exc:
        raise DocumentError("judgments", [("date", f"not a calendar date ({exc})")]) from None
    return Assessment(
        candidate=HolderInput(candidate.name, candidate.name_km, candidate.birth_year,
                              national_id),
        rubric_id=record.rubric_id, rubric_version=record.rubric_version,
        rubric_sha256=record.rubric_sha256, assessor_id=str(record.assessor_id),
        assessor_name="", date=day, judgments=parsed, source=f"assessment {record.id}")


def record_judgments(session: Session, actor: User, assessment_id: int,
                     judgments: list[dict[str, Any]]) -> AssessmentRecord:
    record = get(session, assessment_id)
    if record.state == "issued":
        raise Conflict("this assessment has been issued; start a reassessment instead")
    if record.assessor_id != actor.id:
        raise Forbidden("only the assessor who started this assessment records its judgments")
    for j in judgments:
        for e in j["evidence"]:
            if session.get(Evidence, e["ref"].removeprefix("sha256:")) is None:
                raise DocumentError("judgments", [(j["criterion"], f"evidence {e['ref']} was "
                                                   "never uploaded")])
    check_input(catalogue.get(record.rubric_id, record.rubric_version), as_assessment(session, record, judgments))
    record.judgments = judgments
    record.decision, record.state = None, "open"
    audit.append(session, actor.username, "assessment.judge", f"assessment:{record.id}",
                 {"judgments": len(judgments)})
    return record


def decide_recorded(session: Session, actor: User, assessment_id: int) -> Decision:
    record = get(session, assessment_id)
    decision = decide(catalogue.get(record.rubric_id, record.rubric_version),
                      as_assessment(session, record, list(record.judgments)))
    if record.state != "issued":
        record.decision, record.state = decision.to_json(), "decided"
    audit.append(session, actor.username, "assessment.decide", f"assessment:{record.id}",
                 {"award": decision.award.value})
    return decision


def to_json(record: AssessmentRecord) -> dict[str, Any]:
    return {"id": record.id, "candidateId": record.candidate_id, "rubric": {
        "id": record.rubric_id, "version": record.rubric_version, "sha256": record.rubric_sha256},
        "date": record.date, "state": record.state, "judgments": record.judgments,
        "decision": record.decision}
