"""An assessor's day at a glance: who waits, what is open, decided, and issued today.

"Mine" is what this user registered, started or issued; "the centre" is everyone's. Each
list is capped: a worklist is for the day in hand, the search finds the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from issuer.db import AssessmentRecord, Candidate, CredentialRecord, User

# Cambodia keeps UTC+7 all year (no daylight saving): "today" is the centre's day, not UTC's.
CENTRE_TIME = timezone(timedelta(hours=7))
LIMIT = 100


@dataclass(frozen=True)
class Worklist:
    waiting: Sequence[Candidate]  # registered today, no assessment or credential yet
    in_progress: Sequence[tuple[AssessmentRecord, Candidate]]  # open (a draft or judgments)
    decided: Sequence[tuple[AssessmentRecord, Candidate]]  # decided, not issued
    issued: Sequence[tuple[CredentialRecord, Candidate]]  # issued today


def day_start(now: datetime) -> datetime:
    """The centre's midnight, in UTC: SQLite compares the stored UTC text, not instants."""
    local = now.astimezone(CENTRE_TIME)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def build(session: Session, user: User, *, mine: bool, now: datetime) -> Worklist:
    since = day_start(now)
    # Waiting: nothing assessed or issued for them yet (a job fair's import issues without an
    # assessment record on the web; its candidates are not waiting for one).
    waiting = select(Candidate).where(
        Candidate.created_at >= since,
        ~exists().where(AssessmentRecord.candidate_id == Candidate.id),
        ~exists().where(CredentialRecord.candidate_id == Candidate.id))
    if mine:
        waiting = waiting.where(Candidate.created_by == user.id)

    def assessments_in(state: str) -> Sequence[tuple[AssessmentRecord, Candidate]]:
        stmt = select(AssessmentRecord, Candidate).join(
            Candidate, Candidate.id == AssessmentRecord.candidate_id).where(
            AssessmentRecord.state == state)
        if mine:
            stmt = stmt.where(AssessmentRecord.assessor_id == user.id)
        rows = session.execute(stmt.order_by(AssessmentRecord.id.desc()).limit(LIMIT)).all()
        return [(a, c) for a, c in rows]

    issued = select(CredentialRecord, Candidate).join(
        Candidate, Candidate.id == CredentialRecord.candidate_id).where(
        CredentialRecord.issued_at >= since)
    if mine:
        issued = issued.where(CredentialRecord.issued_by == user.id)
    return Worklist(
        waiting=session.execute(waiting.order_by(Candidate.id.desc()).limit(LIMIT))
        .scalars().all(),
        in_progress=assessments_in("open"), decided=assessments_in("decided"),
        issued=[(r, c) for r, c in session.execute(
            issued.order_by(CredentialRecord.issued_at.desc()).limit(LIMIT)).all()])
