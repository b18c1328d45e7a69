"""Issuing from an input file: decision (for RPL), signed credential, QR text."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from issuer.home import Home
from passport import qr
from passport.credential import Credential
from passport.fileio import write_atomic
from passport.keys import PrivateKey
from rpl_rubrics.engine import Decision
from rpl_rubrics.requests import load_request


@dataclass(frozen=True)
class Issued:
    credential: Credential
    compact: str
    qr_text: str
    decision: Decision | None
    files: list[Path]


def issue_file(home: Home, key: PrivateKey, source: Path, out: Path, *, at: datetime,
               publish: bool = True) -> Issued:
    request, decision = load_request(source, issued=at)  # refuses bad input before any write
    credential, compact = home.issue(key, holder=request.holder, achievement=request.achievement,
                                     results=request.results, at=at, activity=request.activity)
    text = qr.encode(compact)
    stem = source.name.removesuffix(".json")
    files = []
    if decision is not None:
        files.append(out / f"{stem}.decision.json")
        write_atomic(files[-1], json.dumps(decision.to_json(), ensure_ascii=False,
                                           indent=1).encode())
    files += [out / f"{stem}.jwt", out / f"{stem}.qr.txt"]
    write_atomic(files[-2], compact.encode() + b"\n")
    write_atomic(files[-1], text.encode() + b"\n")
    if publish:
        home.publish(key, at)
    return Issued(credential, compact, text, decision, files)
