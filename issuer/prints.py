"""Printing credentials: only credentials that verify against the trust bundle are printed.

A credential to print is named by a file (CRED.jwt, CRED.qr.txt) or by its id or the
12-character number on its card, which is looked up in the centre's database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from passport import qr
from passport.bundle import TrustBundle
from passport.errors import UsageError
from passport.fileio import read_bytes
from passport.printing import BookletEntry
from passport.verify import Verdict, verify
from rpl_rubrics.catalogue import unit_title_pairs

Lookup = Callable[[str], str]  # credential id or card number -> its QR text


def load_entries(names: Sequence[str], bundle: TrustBundle, at: datetime,
                 lookup: Lookup | None = None) -> list[BookletEntry]:
    entries = []
    for name in names:
        path = Path(name)
        if path.exists() or lookup is None:
            text = read_bytes(path, limit=1 << 20).decode("utf-8", "replace").strip()
        else:
            text = lookup(name)
        result = verify(text, at=at, trust=bundle)
        if result.verdict is Verdict.INVALID or result.credential is None or result.jws is None:
            reasons = "; ".join(f"{c.check.value}: {c.message}" for c in result.failures())
            raise UsageError(f"{name}: not printed, the credential does not verify ({reasons})")
        qr_text = text if qr.is_qr_text(text) else qr.encode(result.jws)
        entries.append(BookletEntry(result.credential, qr_text, result.issuer_name or ("", ""),
                                    unit_title_pairs(result.credential.achievement.id)))
    return entries
