"""Printing credentials: only credentials that verify against the trust bundle are printed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from passport import qr
from passport.bundle import TrustBundle
from passport.errors import UsageError
from passport.fileio import read_bytes
from passport.printing import BookletEntry
from passport.verify import Verdict, verify
from rpl_rubrics.catalogue import unit_title_pairs


def load_entries(paths: Sequence[str], bundle: TrustBundle, at: datetime) -> list[BookletEntry]:
    entries = []
    for name in paths:
        text = read_bytes(Path(name), limit=1 << 20).decode("utf-8", "replace").strip()
        result = verify(text, at=at, trust=bundle)
        if result.verdict is Verdict.INVALID or result.credential is None or result.jws is None:
            reasons = "; ".join(f"{c.check.value}: {c.message}" for c in result.failures())
            raise UsageError(f"{name}: not printed, the credential does not verify ({reasons})")
        qr_text = text if qr.is_qr_text(text) else qr.encode(result.jws)
        entries.append(BookletEntry(result.credential, qr_text, result.issuer_name or ("", ""),
                                    unit_title_pairs(result.credential.achievement.id)))
    return entries
