"""`skillpass issue FILE`: an input file issued through the centre's one store.

The input is read and decided before anything is written. The credential is issued in one
transaction (candidate found or created by national ID, slot, signature, record, audit);
the files are written only after it commits. The same input issued again returns the
credential it produced the first time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from issuer.installation import Installation
from issuer.service import accounts, candidates, credentials, issuance
from passport.credential import Credential
from passport.errors import DocumentError, StorageError
from passport.fileio import write_atomic
from rpl_rubrics.engine import Decision
from rpl_rubrics.requests import read_input


@dataclass(frozen=True)
class IssuedFile:
    credential: Credential
    compact: str
    qr_text: str
    decision: Decision | None
    new: bool  # False: this input had been issued before, and this is that credential
    files: list[Path]
    withheld: str = ""  # issued before and since "revoked" or "suspended"


def issue_file(installation: Installation, source: Path, out: Path, *, at: datetime) -> IssuedFile:
    given = read_input(source, issued=at)  # refuses bad input before any write
    try:  # and a folder the files cannot go to, before anything is issued
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(str(out), exc.strerror or str(exc)) from None
    centre = installation.centre
    with installation.store.transaction() as s:
        actor = accounts.command_line_user(s)
        earlier = credentials.by_request_key(s, given.key)
        if earlier is not None:
            issued = issuance.Issued(earlier, credentials.parsed(earlier), new=False)
        else:
            candidate = candidates.find_or_create(s, centre, actor, given.request.holder,
                                                  source=str(source))
            if given.decision is not None:
                twice = issuance.certified_before(s, candidate, given.decision.rubric.achievement_id,
                                                  given.decision.assessment.date)
                if twice:
                    raise DocumentError(str(source), [("rubric", twice)])
            issued = issuance.issue_credential(s, centre, actor, candidate, given.request,
                                               request_key=given.key)
        compact, text = issued.record.jws, issued.record.qr
        withheld = "revoked" if issued.record.revoked else \
            "suspended" if issued.record.suspended else ""
    stem = source.name.removesuffix(".json")
    files = []
    if given.decision is not None:
        files.append(out / f"{stem}.decision.json")
        write_atomic(files[-1], json.dumps(given.decision.to_json(), ensure_ascii=False,
                                           indent=1).encode())
    files += [out / f"{stem}.jwt", out / f"{stem}.qr.txt"]
    write_atomic(files[-2], compact.encode() + b"\n")
    write_atomic(files[-1], text.encode() + b"\n")
    return IssuedFile(issued.credential, compact, text, given.decision, issued.new, files,
                      withheld)
