"""An assessor's record: per-criterion judgments with evidence references, for one rubric."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from passport import jsonpos, schema
from passport.credential import HolderInput
from passport.errors import DocumentError
from passport.fileio import read_document
from rpl_rubrics.rubric import Method

MAX_ASSESSMENT_BYTES = 4 << 20


class Judgment(enum.StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    NOT_ASSESSED = "not_assessed"


@dataclass(frozen=True)
class Evidence:
    method: Method
    ref: str  # "sha256:<hex>" of the evidence file; the media never travels further
    date: date


@dataclass(frozen=True)
class CriterionJudgment:
    criterion: str  # "UNIT/1.2"
    result: Judgment
    evidence: tuple[Evidence, ...]
    note: str
    index: int  # position in the file, to name it in errors


@dataclass(frozen=True)
class Assessment:
    candidate: HolderInput
    rubric_id: str
    rubric_version: int
    rubric_sha256: str
    assessor_id: str
    assessor_name: str
    date: date
    judgments: tuple[CriterionJudgment, ...]
    source: str

    @classmethod
    def from_file(cls, path: Path) -> Assessment:
        return cls.from_text(read_document(path, limit=MAX_ASSESSMENT_BYTES), str(path))

    @classmethod
    def from_text(cls, text: str, source: str) -> Assessment:
        doc = jsonpos.loads_located(text, source)
        schema.check_document("assessment", doc, text=text, source=source)
        assert isinstance(doc, dict)
        try:
            day = date.fromisoformat(doc["date"])
            judgments = parse_judgments(doc["judgments"])
        except ValueError as exc:
            raise DocumentError(source, [("date", f"not a calendar date ({exc})")]) from None
        c = doc["candidate"]
        return cls(
            candidate=HolderInput(c["name"], c["nameKm"], c["birthYear"], c["nationalId"]),
            rubric_id=doc["rubric"]["id"], rubric_version=doc["rubric"]["version"],
            rubric_sha256=doc["rubric"]["sha256"], assessor_id=doc["assessor"]["id"],
            assessor_name=doc["assessor"]["name"], date=day, judgments=judgments, source=source,
        )


def parse_judgments(items: list[dict[str, Any]]) -> tuple[CriterionJudgment, ...]:
    """Judgments already valid against the assessment schema; ValueError for a bad date."""
    return tuple(
        CriterionJudgment(
            j["criterion"], Judgment(j["result"]),
            tuple(Evidence(Method(e["method"]), e["ref"], date.fromisoformat(e["date"]))
                  for e in j["evidence"]),
            j.get("note", ""), i)
        for i, j in enumerate(items))
