"""The assessor's form in the field: a draft kept server-side, turned into engine judgments.

A draft is what the assessor entered, valid or not: per unit a shortcut ("all met") and its
occasion dates, per criterion a result (or "as the unit"), the evidence methods ticked, date
overrides and uploaded files. It is saved on every submit, so a tablet that sleeps or a
validation error loses nothing. Judgments are built from it only when it has no problem;
problems are structured (a message key and its values) so the page says them next to the
criterion, in the page's language, instead of the engine's English diagnostics.

Evidence without a file (an observation, an oral question) is the assessor's own record of
it: a small JSON document stored like an upload, so every evidence reference in a judgment
resolves to stored content, and the criterion needs no photo to be judged met.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from issuer.centre import Centre
from issuer.db import AssessmentRecord, User
from issuer.service import evidence
from issuer.service.errors import Conflict, Forbidden
from rpl_rubrics.rubric import Method, Rubric, Unit

RESULTS = ("met", "not_met", "not_assessed")
AS_UNIT = "unit"  # a criterion left to its unit's shortcut
ALL_MET = "all_met"
RECORD_TYPE = "application/vnd.skillpass.assessor-record+json"
MAX_EVIDENCE = 20  # the assessment schema's maxItems for one criterion's evidence
MAX_FILES = 40


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a draft: where (a criterion key or unit code), a message key of
    the page's translations (prefixed "err."), and the values it names."""

    where: str
    key: str
    values: dict[str, str] = field(default_factory=dict)


def empty(rubric: Rubric, day: str) -> dict[str, Any]:
    """A fresh form: the required methods ticked (accepted ones when none is required), each
    unit's first occasion on the assessment's day, nothing judged yet."""
    return {
        "allMet": False,
        "units": {u.code: {"mode": "", "date1": day, "date2": ""} for u in rubric.units},
        "criteria": {c.key: {"result": AS_UNIT, "methods": _default_methods(c.required,
                                                                             c.accepted),
                             "date1": "", "date2": "", "files": []}
                     for u in rubric.units for c in u.criteria},
        "files": [],
    }


def _default_methods(required: frozenset[Method], accepted: frozenset[Method]) -> list[str]:
    return sorted(m.value for m in (required or {min(accepted)}))


def from_judgments(rubric: Rubric, record: AssessmentRecord) -> dict[str, Any]:
    """The form for judgments recorded without one (the API, an earlier version's page)."""
    draft = empty(rubric, record.date)
    for j in record.judgments:
        entry = draft["criteria"].get(j["criterion"])
        if entry is None:
            continue
        dates = sorted({e["date"] for e in j["evidence"]})
        entry.update(result=j["result"],
                     methods=sorted({e["method"] for e in j["evidence"]}) or entry["methods"],
                     date1=dates[0] if dates else "", date2=dates[1] if len(dates) > 1 else "")
    return draft


def current(rubric: Rubric, record: AssessmentRecord) -> dict[str, Any]:
    if record.draft:
        return record.draft
    return from_judgments(rubric, record) if record.judgments else empty(rubric, record.date)


def from_form(rubric: Rubric, form: Any, kept: dict[str, Any], new_files: dict[str, list[str]]
              ) -> dict[str, Any]:
    """The draft a submitted form describes. `form` is a request's MultiDict; `kept` is the
    draft saved before, whose uploaded files stay attached; `new_files` maps a criterion key
    ("" for the whole assessment) to the hashes of files uploaded with this submit."""
    def text(name: str, limit: int = 10) -> str:
        return str(form.get(name, "")).strip()[:limit]

    draft: dict[str, Any] = {"allMet": form.get("allMet") == "1", "units": {}, "criteria": {},
                             "files": _files(kept.get("files", []), new_files.get("", []))}
    for unit in rubric.units:
        mode = text(f"unit:{unit.code}", 10)
        draft["units"][unit.code] = {"mode": mode if mode == ALL_MET else "",
                                     "date1": text(f"date1:{unit.code}"),
                                     "date2": text(f"date2:{unit.code}")}
        for c in unit.criteria:
            old = kept.get("criteria", {}).get(c.key, {})
            result = text(f"result:{c.key}", 20) or AS_UNIT
            draft["criteria"][c.key] = {
                "result": result,
                "methods": sorted({str(m)[:30] for m in form.getlist(f"method:{c.key}")})[:10],
                "date1": text(f"date1:{c.key}"), "date2": text(f"date2:{c.key}"),
                "files": _files(old.get("files", []), new_files.get(c.key, []))}
    return draft


def _files(old: list[str], new: list[str]) -> list[str]:
    return list(dict.fromkeys([*old, *new]))[:MAX_FILES]


def check_writer(actor: User, record: AssessmentRecord) -> None:
    """Whether `actor` may save into this assessment: before anything of theirs is stored."""
    if record.state == "issued":
        raise Conflict("this assessment has been issued; start a reassessment instead")
    if record.assessor_id != actor.id:
        raise Forbidden("only the assessor who started this assessment records its judgments")


def save(session: Session, actor: User, record: AssessmentRecord, draft: dict[str, Any]) -> None:
    check_writer(actor, record)
    record.draft = draft


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True)
class Planned:
    """A criterion's judgment before its evidence references exist: method, date, files."""

    criterion: str
    result: str
    evidence: tuple[tuple[str, str], ...]  # (method, date)
    files: tuple[str, ...]


def check(rubric: Rubric, day: date, draft: dict[str, Any]) -> tuple[list[Planned], list[Problem]]:
    """Every problem of the draft at once, or the judgments it means."""
    problems: list[Problem] = []
    planned: list[Planned] = []
    oldest = _years_before(day, rubric.currency_years)

    def occasion(value: str, where: str, name: str) -> str | None:
        if not value:
            return None
        parsed = _date(value)
        if parsed is None:
            problems.append(Problem(where, "err.date_invalid", {"field": name}))
        elif parsed > day:
            problems.append(Problem(where, "err.date_future", {"date": value}))
        elif parsed < oldest:
            problems.append(Problem(where, "err.date_old", {"date": value,
                                                            "years": str(rubric.currency_years)}))
        else:
            return parsed.isoformat()
        return None

    for unit in rubric.units:
        u = draft["units"].get(unit.code, {})
        all_met = u.get("mode") == ALL_MET or draft.get("allMet", False)
        unit_d1 = occasion(u.get("date1", ""), unit.code, "date1") or day.isoformat()
        unit_d2 = occasion(u.get("date2", ""), unit.code, "date2")
        occasions: set[str] = set()
        for c in unit.criteria:
            entry = draft["criteria"].get(c.key, {})
            result = entry.get("result", AS_UNIT)
            if result == AS_UNIT:
                result = "met" if all_met else "not_assessed"
            elif result not in RESULTS:
                problems.append(Problem(c.key, "err.result"))
                continue
            if result == "not_assessed":
                planned.append(Planned(c.key, result, (), ()))
                continue
            methods = [m for m in entry.get("methods", []) if m in {x.value for x in c.accepted}]
            if len(methods) != len(entry.get("methods", [])):
                problems.append(Problem(c.key, "err.method_unknown"))
            missing = sorted(m.value for m in c.required if m.value not in methods)
            if result == "met" and missing:
                problems.append(Problem(c.key, "err.required_method",
                                        {"methods": " ".join(f"method.{m}" for m in missing)}))
            elif not methods:
                problems.append(Problem(c.key, "err.no_method"))
            d1 = occasion(entry.get("date1", ""), c.key, "date1") or unit_d1
            d2 = occasion(entry.get("date2", ""), c.key, "date2") or unit_d2
            dates = list(dict.fromkeys(d for d in (d1, d2) if d))
            if result == "met":
                occasions.update(dates)
            planned.append(Planned(c.key, result, tuple((m, d) for m in methods for d in dates),
                                   tuple(entry.get("files", [])) + tuple(draft.get("files", []))))
        if all_met and unit.min_occasions > 1 and len(occasions) < unit.min_occasions:
            problems.append(Problem(unit.code, "err.second_occasion",
                                    {"count": str(unit.min_occasions)}))
    return planned, problems


def judgments(session: Session, centre: Centre, actor: User, record: AssessmentRecord,
              planned: list[Planned]) -> list[dict[str, Any]]:
    """The engine's judgments: each (method, date) cites the files uploaded for it, or the
    assessor's own record of that observation when there is none."""
    out: list[dict[str, Any]] = []
    for p in planned:
        evidence: list[dict[str, str]] = []
        for method, day in p.evidence:
            refs = list(p.files) or [assessor_record(session, centre, actor, record, p.criterion,
                                                     method, day)]
            evidence.extend({"method": method, "ref": f"sha256:{ref}", "date": day}
                            for ref in refs)
        out.append({"criterion": p.criterion, "result": p.result,
                    "evidence": evidence[:MAX_EVIDENCE]})
    return out


def assessor_record(session: Session, centre: Centre, actor: User, record: AssessmentRecord,
                    criterion: str, method: str, day: str) -> str:
    """Store the assessor's record of one observation (no personal data: ids, method, date)."""
    data = json.dumps({"type": "AssessorRecord", "assessment": record.id, "criterion": criterion,
                       "method": method, "date": day, "assessor": actor.id},
                      sort_keys=True, separators=(",", ":")).encode()
    return evidence.keep(session, centre, actor, data, RECORD_TYPE, action="evidence.record",
                         details={"assessment": record.id, "criterion": criterion})


def previous(session: Session, record: AssessmentRecord) -> AssessmentRecord | None:
    """The candidate's latest earlier decided assessment on the same rubric: a reassessment
    shows what was achieved then and which units were the gap."""
    return session.query(AssessmentRecord).filter(
        AssessmentRecord.candidate_id == record.candidate_id,
        AssessmentRecord.rubric_id == record.rubric_id, AssessmentRecord.id != record.id,
        AssessmentRecord.id < record.id, AssessmentRecord.decision.is_not(None)) \
        .order_by(AssessmentRecord.id.desc()).first()


def unit_needs_second(unit: Unit) -> bool:
    return unit.min_occasions > 1
