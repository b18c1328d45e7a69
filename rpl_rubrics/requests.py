"""Reading an input file (an RPL assessment or a training completion) into a credential request.

Sits above `catalogue`, `assessment`, `engine` and `credentials`, so none of them needs to
import another lazily to break a cycle.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from passport import jsonpos
from passport.errors import DocumentError
from passport.fileio import read_document
from rpl_rubrics import catalogue
from rpl_rubrics.assessment import MAX_ASSESSMENT_BYTES, Assessment
from rpl_rubrics.credentials import CredentialRequest, TrainingCompletion, request_for
from rpl_rubrics.engine import Decision, decide


def input_key(document: Any) -> str:
    """The content hash of an input document: the same assessment is the same key.

    Issuers record it with the credential, so issuing the same input again (a re-run after
    a crash, a file issued twice) finds the first credential instead of signing a second.
    """
    canonical = json.dumps(document, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class InputFile:
    request: CredentialRequest
    decision: Decision | None  # for an RPL assessment; a training record has none
    key: str  # `input_key` of the document


def read_input(path: Path, *, issued: datetime) -> InputFile:
    """Read an assessment or a training completion file and turn it into a request."""
    text = read_document(path, limit=MAX_ASSESSMENT_BYTES)
    doc = jsonpos.loads_located(text, str(path))
    kind = doc.get("type") if isinstance(doc, dict) else None
    if kind == "TrainingCompletion":
        request = TrainingCompletion.from_text(text, str(path)).request(issued=issued)
        return InputFile(request, None, input_key(doc))
    if kind != "RplAssessment":
        raise DocumentError(str(path), [("type", "expected 'RplAssessment' or "
                                                 "'TrainingCompletion'")])
    assessment = Assessment.from_text(text, str(path))
    decision = decide(catalogue.get(assessment.rubric_id, assessment.rubric_version), assessment)
    return InputFile(request_for(decision, issued=issued), decision, input_key(doc))
