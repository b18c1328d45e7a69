"""The decision engine: judgments against a rubric -> per-unit and overall outcome.

Per unit: competent when every critical criterion is met, at least the rubric's share of the
other criteria is met, and the met criteria's evidence spans the unit's minimum number of
occasions (distinct dates). Otherwise not yet competent, with the reasons. Overall: every
unit competent -> full certificate; some -> statement of attainment (only those units);
none -> no award. Units not achieved form the gap-training list.

Input that is incomplete or contradictory is refused, never guessed at.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from passport.errors import DocumentError
from rpl_rubrics.assessment import Assessment, CriterionJudgment, Judgment
from rpl_rubrics.rubric import Rubric, Unit


class UnitOutcome(enum.StrEnum):
    COMPETENT = "competent"
    NOT_YET_COMPETENT = "not_yet_competent"


class Award(enum.StrEnum):
    FULL_CERTIFICATE = "full_certificate"
    STATEMENT_OF_ATTAINMENT = "statement_of_attainment"
    NO_AWARD = "no_award"


@dataclass(frozen=True)
class Reason:
    """Why a unit is not yet competent, as a message key and its parameters, so that each page
    renders it in its reader's language (issuer/i18n `reason.*`); `text` is the English."""
    key: str
    params: dict[str, object]

    @property
    def text(self) -> str:
        p = self.params
        if self.key == "reason.critical_not_met":
            criteria = p["criteria"]
            assert isinstance(criteria, list)
            return "critical criteria not met: " + ", ".join(
                f"{cid} ({state.replace('_', ' ')})" for cid, state in criteria)
        if self.key == "reason.share_of_others":
            return f"{p['met']} of {p['total']} other criteria met; at least {p['share']}% required"
        return f"evidence from {p['found']} occasion(s); at least {p['needed']} required"

    def to_json(self) -> dict[str, object]:
        return {"key": self.key, "params": self.params}


@dataclass(frozen=True)
class UnitDecision:
    unit: Unit
    outcome: UnitOutcome
    why: tuple[Reason, ...]
    met: int
    total: int

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(r.text for r in self.why)


@dataclass(frozen=True)
class Decision:
    rubric: Rubric
    assessment: Assessment
    units: tuple[UnitDecision, ...]
    award: Award

    @property
    def competent_units(self) -> tuple[Unit, ...]:
        return tuple(u.unit for u in self.units if u.outcome is UnitOutcome.COMPETENT)

    @property
    def gap_training(self) -> tuple[Unit, ...]:
        return tuple(u.unit for u in self.units if u.outcome is UnitOutcome.NOT_YET_COMPETENT)

    def to_json(self) -> dict[str, object]:
        return {
            "rubric": {"id": self.rubric.id, "version": self.rubric.version,
                       "sha256": self.rubric.sha256},
            "award": self.award.value,
            "units": [{"code": u.unit.code, "title": u.unit.title.en, "titleKm": u.unit.title.km,
                       "outcome": u.outcome.value, "criteriaMet": u.met, "criteria": u.total,
                       "reasons": list(u.reasons),
                       "reasonCodes": [r.to_json() for r in u.why]} for u in self.units],
            "competentUnits": [u.code for u in self.competent_units],
            "gapTraining": [{"code": u.code, "title": u.title.en, "titleKm": u.title.km}
                            for u in self.gap_training],
        }


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def check_input(rubric: Rubric, assessment: Assessment) -> dict[str, CriterionJudgment]:
    """Refuse input that does not fit the rubric; return the judgments by criterion key."""
    problems: list[tuple[str, str]] = []
    if (assessment.rubric_id, assessment.rubric_version) != (rubric.id, rubric.version):
        problems.append(("rubric", f"assessment is for {assessment.rubric_id} version "
                                   f"{assessment.rubric_version}, not {rubric.id} version "
                                   f"{rubric.version}"))
    elif assessment.rubric_sha256 != rubric.sha256:
        problems.append(("rubric.sha256", f"rubric content hash differs: the assessment was "
                                          f"made against another text of {rubric.id} version "
                                          f"{rubric.version}"))
    if problems:
        raise DocumentError(assessment.source, problems)
    oldest = _years_before(assessment.date, rubric.currency_years)
    by_key: dict[str, CriterionJudgment] = {}
    for j in assessment.judgments:
        where = f"judgments[{j.index}] ({j.criterion})"
        criterion = rubric.criterion(j.criterion)
        if criterion is None:
            problems.append((where, f"no criterion {j.criterion} in rubric {rubric.id}"))
            continue
        if j.criterion in by_key:
            problems.append((where, "criterion is judged twice"))
            continue
        by_key[j.criterion] = j
        for e in j.evidence:
            if e.method not in criterion.accepted:
                problems.append((where, f"evidence method {e.method.value} is not accepted for "
                                        "this criterion"))
            if e.date > assessment.date:
                problems.append((where, f"evidence dated {e.date} is after the assessment"))
            elif e.date < oldest:
                problems.append((where, f"evidence dated {e.date} is older than "
                                        f"{rubric.currency_years} years: not current"))
        if j.result is Judgment.MET:
            present = {e.method for e in j.evidence}
            missing = criterion.required - present
            if missing:
                problems.append((where, "judged met without required evidence: "
                                        + ", ".join(sorted(m.value for m in missing))))
            if not j.evidence:
                problems.append((where, "judged met without any evidence"))
        elif j.result is Judgment.NOT_ASSESSED and j.evidence:
            problems.append((where, "not assessed, yet evidence is listed"))
    if problems:
        raise DocumentError(assessment.source, problems)
    return by_key


def decide(rubric: Rubric, assessment: Assessment) -> Decision:
    judged = check_input(rubric, assessment)
    decisions = tuple(_unit_decision(rubric, unit, judged) for unit in rubric.units)
    competent = sum(d.outcome is UnitOutcome.COMPETENT for d in decisions)
    award = (Award.FULL_CERTIFICATE if competent == len(decisions)
             else Award.STATEMENT_OF_ATTAINMENT if competent else Award.NO_AWARD)
    return Decision(rubric, assessment, decisions, award)


def _unit_decision(rubric: Rubric, unit: Unit, judged: dict[str, CriterionJudgment]) -> UnitDecision:
    reasons: list[Reason] = []
    critical_missing: list[list[str]] = []
    others = met_others = 0
    occasions: set[date] = set()
    met_total = 0
    for c in unit.criteria:
        j = judged.get(c.key)
        met = j is not None and j.result is Judgment.MET
        if met and j is not None:
            met_total += 1
            occasions.update(e.date for e in j.evidence)
        if c.critical:
            if not met:
                state = ("not_assessed" if j is None or j.result is Judgment.NOT_ASSESSED
                         else "not_met")
                critical_missing.append([c.id, state])
        else:
            others += 1
            met_others += met
    if critical_missing:
        reasons.append(Reason("reason.critical_not_met", {"criteria": critical_missing}))
    if others and met_others < rubric.min_share_other * others:
        reasons.append(Reason("reason.share_of_others", {
            "met": met_others, "total": others, "share": round(rubric.min_share_other * 100)}))
    if met_total and len(occasions) < unit.min_occasions:
        reasons.append(Reason("reason.occasions", {"found": len(occasions),
                                                   "needed": unit.min_occasions}))
    outcome = UnitOutcome.NOT_YET_COMPETENT if reasons else UnitOutcome.COMPETENT
    return UnitDecision(unit, outcome, tuple(reasons), met_total, len(unit.criteria))
