"""Reading an input file (an RPL assessment or a training completion) into a credential request.

Sits above `catalogue`, `assessment`, `engine` and `credentials`, so none of them needs to
import another lazily to break a cycle.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from passport import jsonpos
from passport.errors import DocumentError
from passport.fileio import read_document
from rpl_rubrics import catalogue
from rpl_rubrics.assessment import MAX_ASSESSMENT_BYTES, Assessment
from rpl_rubrics.credentials import CredentialRequest, TrainingCompletion, request_for
from rpl_rubrics.engine import Decision, decide


def load_request(path: Path, *, issued: datetime) -> tuple[CredentialRequest, Decision | None]:
    """Read an assessment or a training completion file and turn it into a request."""
    text = read_document(path, limit=MAX_ASSESSMENT_BYTES)
    doc = jsonpos.loads_located(text, str(path))
    kind = doc.get("type") if isinstance(doc, dict) else None
    if kind == "TrainingCompletion":
        return TrainingCompletion.from_text(text, str(path)).request(issued=issued), None
    if kind != "RplAssessment":
        raise DocumentError(str(path), [("type", "expected 'RplAssessment' or "
                                                 "'TrainingCompletion'")])
    assessment = Assessment.from_text(text, str(path))
    decision = decide(catalogue.get(assessment.rubric_id), assessment)
    return request_for(decision, issued=issued), decision
