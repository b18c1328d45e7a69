"""Building a QR preset dictionary from the schemas' common strings.

Run once per codec version (`python tools/qrdict.py OUT`); the output is committed under
passport/data and pinned by hash in passport/qr.py, after which it never changes (a test
checks that `build_v1` still writes exactly that file). It lives outside `passport` because
it reads the bundled rubrics, and the core package never imports `rpl_rubrics`.

Deflate reaches back at most 32 KiB and nearer matches cost fewer bits, so the strings most
likely to recur in every credential are placed last.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from passport import reference
from passport.credential import (
    AchievementType,
    HolderInput,
    StatusEntry,
    StatusPurpose,
    achievement_claims,
    alignments,
    build_claims,
    encode_claims,
)
from rpl_rubrics import catalogue
from rpl_rubrics.credentials import achievement_claims_for

_GAP = "\x01"  # a placeholder that JSON-escapes to a token we then cut out


def _template(achievement_type: AchievementType, units: int) -> bytes:
    rpl = achievement_type.kind.value == "rpl"
    texts = reference.standard_text("rpl" if rpl else "tvet")
    ach = achievement_claims(
        achievement_id=f"urn:skillpass:{'rubric' if rpl else 'course'}:{_GAP}",
        achievement_type=achievement_type, name=_GAP, name_km=_GAP,
        description=texts["description"], criteria=texts["criteria"],
        alignment=alignments("7112", _GAP, "C1", reference.cqf_level("C1")["name"]),
        learning_hours=None if rpl else 40,
    )
    when = datetime(2026, 1, 1, tzinfo=UTC)
    claims = build_claims(
        issuer="https://" + _GAP,
        holder=HolderInput(_GAP, _GAP, 1990, "0000"),
        achievement=ach,
        valid_from=when,
        status=[StatusEntry(StatusPurpose.REVOCATION, "https://" + _GAP + "/status/revocation/1", 0),
                StatusEntry(StatusPurpose.SUSPENSION, "https://" + _GAP + "/status/suspension/1", 0)],
        results=[_GAP] * units if rpl else None,
        activity=None if rpl else (when, when),
        credential_id="urn:skillpass:cred:" + _GAP,
    )
    text = encode_claims(claims)
    # Drop the placeholder and the sample values, keeping the structure around them.
    for cut in (b"\\u0001", b"0000", _sha_of_sample(claims).encode()):
        text = text.replace(cut, b"")
    return text


def _sha_of_sample(claims: dict[str, object]) -> str:
    subject = claims["credentialSubject"]
    assert isinstance(subject, dict)
    return str(subject["identifier"][0]["identityHash"]).split("$", 1)[1]


def _catalogue_strings() -> list[bytes]:
    """Each bundled rubric's achievement and full result list, exactly as credentials spell them."""
    out = []
    # Version 1 of each rubric: the catalogue as it stood when this dictionary was frozen.
    for rubric in catalogue.edition(1).values():
        # A statement of attainment differs only in achievementType, which the templates hold.
        out.append(b'"achievement":' + encode_claims(achievement_claims_for(rubric, full=True)))
        results = [{"type": ["Result"], "resultDescription": f"{rubric.achievement_id}#{u.code}",
                    "value": "Competent"} for u in rubric.units]
        out.append(b'"result":' + encode_claims(results))  # type: ignore[arg-type]
    return out


def build_v1() -> bytes:
    common = [reference.isco_title(c) for c in reference.isco_codes()]
    common += [f"{c}" for c in reference.isco_codes()]
    parts = [
        " ".join(common).encode(),
        *_catalogue_strings(),
        _template(AchievementType.COURSE, 0),
        _template(AchievementType.STATEMENT_OF_ATTAINMENT, 4),
        _template(AchievementType.CERTIFICATE, 6),
        b'{"alg":"EdDSA","cty":"vc","kid":"","typ":"vc+jwt"}',
    ]
    return b"".join(parts)


def main() -> None:
    out = sys.argv[1]
    data = build_v1()
    with open(out, "wb") as fh:
        fh.write(data)
    print(json.dumps({"file": out, "bytes": len(data)}))


if __name__ == "__main__":
    main()
