"""From a decision (or a course completion) to credential claims for the core to sign."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from passport import jsonpos, reference, schema
from passport.b64 import b64u_encode
from passport.credential import (
    AchievementType,
    HolderInput,
    achievement_claims,
    alignments,
)
from passport.errors import DocumentError, UsageError
from rpl_rubrics.engine import Award, Decision
from rpl_rubrics.rubric import Rubric


def achievement_claims_for(rubric: Rubric, *, full: bool) -> dict[str, Any]:
    texts = reference.standard_text("rpl")
    return achievement_claims(
        achievement_id=rubric.achievement_id,
        achievement_type=AchievementType.CERTIFICATE if full
        else AchievementType.STATEMENT_OF_ATTAINMENT,
        name=rubric.title.en, name_km=rubric.title.km,
        description=texts["description"], criteria=texts["criteria"],
        alignment=alignments(rubric.isco08, rubric.occupation.en, rubric.cqf_level,
                             reference.cqf_level(rubric.cqf_level)["name"]),
    )


def achievement_definition(rubric: Rubric) -> dict[str, Any]:
    """The full Open Badges 3.0 Achievement, with one ResultDescription per unit.

    Credentials carry only the results' links (`<achievement id>#<unit code>`) to stay small
    enough for a QR code; this document, published beside the rubric, is what they link to.
    """
    doc = achievement_claims_for(rubric, full=True)
    doc["achievementType"] = "Certificate"
    doc["version"] = str(rubric.version)
    doc["resultDescription"] = [
        {"id": f"{rubric.achievement_id}#{u.code}", "type": ["ResultDescription"],
         "name": u.title.en, "nameKm": u.title.km, "resultType": "Status",
         "allowedValue": ["Competent", "Not Yet Competent"], "requiredValue": "Competent"}
        for u in rubric.units]
    return doc


@dataclass(frozen=True)
class CredentialRequest:
    """What the issuer needs to sign: holder, achievement, unit results, dates."""

    holder: HolderInput
    achievement: dict[str, Any]
    results: list[str] | None
    activity: tuple[datetime, datetime] | None
    issued: datetime


def request_for(decision: Decision, *, issued: datetime) -> CredentialRequest:
    if decision.award is Award.NO_AWARD:
        raise UsageError("no unit was judged competent: there is nothing to certify "
                         "(see the gap-training list)")
    return CredentialRequest(
        holder=decision.assessment.candidate,
        achievement=achievement_claims_for(decision.rubric,
                                           full=decision.award is Award.FULL_CERTIFICATE),
        results=[u.code for u in decision.competent_units],
        activity=None, issued=issued)


@dataclass(frozen=True)
class TrainingCompletion:
    holder: HolderInput
    course: dict[str, Any]
    start: date
    end: date

    @classmethod
    def from_text(cls, text: str, source: str) -> TrainingCompletion:
        doc = jsonpos.loads_located(text, source)
        schema.check_document("training-completion", doc, text=text, source=source)
        assert isinstance(doc, dict)
        try:
            start, end = date.fromisoformat(doc["start"]), date.fromisoformat(doc["end"])
        except ValueError as exc:
            raise DocumentError(source, [("start/end", f"not a calendar date ({exc})")]) from None
        if end < start:
            raise DocumentError(source, [("end", "the course ends before it starts")])
        course = doc["course"]
        try:
            reference.isco_title(course["isco08"])
            reference.cqf_level(course["cqfLevel"])
        except UsageError as exc:
            raise DocumentError(source, [("course", str(exc))]) from None
        c = doc["candidate"]
        return cls(HolderInput(c["name"], c["nameKm"], c["birthYear"], c["nationalId"]),
                   course, start, end)

    def request(self, *, issued: datetime) -> CredentialRequest:
        course = self.course
        canonical = json.dumps(course, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        digest = b64u_encode(hashlib.sha256(canonical.encode()).digest())[:16]
        texts = reference.standard_text("tvet")
        achievement = achievement_claims(
            achievement_id=f"urn:skillpass:course:{course['id']}:{course['version']}:{digest}",
            achievement_type=AchievementType.COURSE,
            name=course["title"]["en"], name_km=course["title"]["km"],
            description=texts["description"], criteria=texts["criteria"],
            alignment=alignments(course["isco08"], reference.isco_title(course["isco08"]),
                                 course["cqfLevel"],
                                 reference.cqf_level(course["cqfLevel"])["name"]),
            learning_hours=course["hours"])
        start = datetime.combine(self.start, time(), UTC)
        end = datetime.combine(self.end, time(), UTC)
        return CredentialRequest(self.holder, achievement, None, (start, end), issued)
