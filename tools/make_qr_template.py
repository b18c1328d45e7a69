"""Write passport/data/qr-template-v2.json: the QR codec v2's credential template and strings.

    python tools/make_qr_template.py

Run once per codec version, then pin the file's SHA-256 in passport/qr.py. A released
template is frozen: printed cards depend on every byte of it. The string table is built from
the product's own vocabulary at release time (contexts, kinds, texts, ISCO-08 names, CQF
levels, the bundled rubrics); strings added later are carried as literals, never by index.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rpl_rubrics import catalogue  # noqa: E402


def s(name: str | None = None, stop: str = "") -> dict[str, str]:
    out = {"t": "str"}
    if name:
        out["name"] = name
    if stop:
        out["stop"] = stop
    return out


def ref(name: str) -> dict[str, str]:
    return {"t": "ref", "name": name}


def choice(*alts: list[object]) -> dict[str, object]:
    """Alternatives, tried in order (the first that matches is written)."""
    return {"t": "choice", "alts": list(alts)}


def optional(*items: object) -> dict[str, object]:
    return choice(list(items), [])


def capture(name: str, items: list[object]) -> dict[str, object]:
    return {"t": "capture", "name": name, "items": items}


def repeat(items: list[object], sep: str = ",") -> dict[str, object]:
    return {"t": "repeat", "sep": sep, "items": items}


# What the product's builders always write the same way (the credential id's form, the salt,
# the alignment URLs, results of the credential's own achievement) is literal or a `ref`: a
# credential that differs is carried by the deflate form instead. What varies between real
# credentials (contexts, issuer, optional members, status entries) has its alternatives.
TIME = {"t": "time"}
INT = {"t": "int"}

HEADER: list[object] = [
    # The product's own header costs only its key id; any other is spelt out.
    choice(['{"alg":"EdDSA","cty":"vc","kid":"', {"t": "b64", "bytes": 9},
            '","typ":"vc+jwt"}'],
           ['{"alg":"', s(), '","cty":"', s(), '","kid":"', choice([{"t": "b64"}], [s()]),
            '","typ":"', s(), '"}']),
]

RESULTS: list[object] = [',"result":[', repeat(['{"type":["Result"],"resultDescription":"',
                                                 ref("ach"), "#", s(), '","value":"Competent"}']),
                          ']']
HOURS: list[object] = [',"learningHours":', INT]
ACTIVITY: list[object] = [',"activityStartDate":"', TIME, '","activityEndDate":"', TIME, '"']

PAYLOAD: list[object] = [
    '{"@context":[', repeat(['"', s(), '"']), '],"id":"',
    "urn:skillpass:cred:", {"t": "crock", "chars": 12, "name": "cid"},
    '","type":["VerifiableCredential","AchievementCredential"],"issuer":{"id":"',
    capture("issuer", [choice(["https://", s()], [s()])]),
    '","type":["Profile"]},"validFrom":"', TIME, '"',
    optional(',"validUntil":"', TIME, '"'),
    ',"credentialSubject":{"type":["AchievementSubject"],"name":"', s(), '","nameKm":"', s(),
    '","birthYear":', INT, ',"nationalIdLast4":"', s(),
    '","identifier":[{"type":"IdentityObject","identityType":"nationalIdentityNumber",'
    '"hashed":true,"identityHash":"sha256$', {"t": "hex", "bytes": 32}, '","salt":"',
    ref("cid"), '"}],"achievement":{"id":"',
    capture("ach", [choice(["urn:skillpass:", s(stop=":"), ":", s(stop=":"), ":", s(stop=":"),
                                    ":", {"t": "b64", "bytes": 12}],
                           [s()])]),
    '","type":["Achievement"],"achievementType":"', s(), '","name":"', s(), '","nameKm":"',
    s(), '","description":"', s(), '","criteria":{"narrative":"', s(),
    '"},"alignment":[{"type":["Alignment"],"targetCode":"', capture("isco", [s()]),
    '","targetFramework":"ISCO-08","targetName":"', s(),
    '","targetType":"ext:Occupation","targetUrl":"',
    "http://data.europa.eu/esco/isco/C", ref("isco"),
    '"},{"type":["Alignment"],"targetCode":"', capture("cqf", [s()]),
    '","targetFramework":"CQF","targetName":"', s(),
    '","targetType":"ext:QualificationLevel","targetUrl":"',
    "urn:skillpass:cqf:", ref("cqf"), '"}]',
    # One choice for the shape of each kind: an RPL credential's results, a training
    # record's hours and dates, or any mix of them.
    choice(["}", *RESULTS], [*HOURS, "}", *ACTIVITY],
           [optional(*HOURS), "}", optional(*RESULTS), optional(*ACTIVITY)]),
    '},"credentialStatus":[',
    repeat(['{"type":"BitstringStatusListEntry","statusPurpose":"', capture("purpose", [s()]),
            '","statusListIndex":"', choice([ref("index")], [capture("index", [s()])]),
            '","statusListCredential":"',
            choice([ref("issuer"), "/status/", ref("purpose"), "/", s()], [s()]), '"}']),
    ']}',
]


def strings() -> list[str]:
    data = ROOT / "passport" / "data"
    texts = json.loads((data / "texts.json").read_text())
    isco = json.loads((data / "isco08.json").read_text())["occupations"]
    cqf = json.loads((data / "cqf-levels.json").read_text())["levels"]
    # The most frequent first: the first 64 cost one byte, the rest two.
    table = ["EdDSA", "vc", "vc+jwt", "https://www.w3.org/ns/credentials/v2",
             "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
             "https://w3id.org/skills-passport/v1", "revocation", "suspension",
             "rubric", "course", "Certificate", "ext:StatementOfAttainment", "Course",
             "1", "2", "3"]  # rubric and course versions, status list numbers
    for kind in ("rpl", "tvet"):
        table += [texts[kind]["description"], texts[kind]["criteria"]]
    for code, level in sorted(cqf.items()):
        table += [code, level["name"]]
    for rubric in catalogue.edition(1).values():  # as frozen with codec v2
        table += [rubric.id, rubric.title.en, rubric.title.km, rubric.occupation.en]
        table += [u.code for u in rubric.units]
    table += [name for _, name in sorted(isco.items())]
    out: list[str] = []
    for item in table:
        # A string is listed once.
        if item and item not in out:
            out.append(item)
    return out


# Byte values of a text literal that are not printable ASCII: each stands for a token.
TOKEN_BYTES = [*range(0x00, 0x20), *range(0x7F, 0x100)]


def corpus() -> list[str]:
    """The product's own vocabulary in both languages (never the demo's people or courses)."""
    data = ROOT / "passport" / "data"
    isco = json.loads((data / "isco08.json").read_text())["occupations"]
    cqf = json.loads((data / "cqf-levels.json").read_text())["levels"]
    texts: list[str] = list(isco.values())
    texts += [level[k] for level in cqf.values() for k in ("name", "nameKm")]
    for rubric in catalogue.edition(1).values():  # as frozen with codec v2
        texts += [rubric.title.en, rubric.title.km, rubric.occupation.en, rubric.occupation.km]
        texts += [t for u in rubric.units for t in (u.title.en, u.title.km)]
    return texts


def _cost(text: str, tokens: set[str]) -> int:
    """Bytes of `text` as a text literal: the fewest tokens and ASCII characters."""
    best = [0] + [1 << 30] * len(text)
    for i in range(1, len(text) + 1):
        for j in range(max(0, i - 8), i):
            piece = text[j:i]
            if piece in tokens or (len(piece) == 1 and 0x20 <= ord(piece) < 0x7F):
                best[i] = min(best[i], best[j] + 1)
    return best[-1]


# The endings of a Cambodian centre's host name (its id is an https URL).
HOST_TOKENS = [".edu.kh", ".gov.kh", ".org.kh", ".com.kh"]


def tokens() -> list[str]:
    """Host endings, every Khmer character of the vocabulary, then the substrings that save
    the most."""
    texts = corpus()
    chosen = HOST_TOKENS + sorted({c for t in texts for c in t if 0x1780 <= ord(c) < 0x1800})
    counts: dict[str, int] = {}
    for t in texts:
        for n in range(2, 9):
            for i in range(len(t) - n + 1):
                counts[t[i:i + n]] = counts.get(t[i:i + n], 0) + 1
    candidates = sorted((c for c, k in counts.items() if k > 2), key=lambda c: (-counts[c] * len(c), c))[:400]
    current = set(chosen)
    total = sum(_cost(t, current) for t in texts)
    while len(chosen) < len(TOKEN_BYTES):
        best, best_total = None, total
        for c in candidates:
            if c in current:
                continue
            trial = sum(_cost(t, current | {c}) for t in texts if c in t)
            saved = sum(_cost(t, current) for t in texts if c in t) - trial
            if best is None or total - saved < best_total:
                best, best_total = c, total - saved
        if best is None:
            break
        chosen.append(best)
        current.add(best)
        total = best_total
    return chosen


def main() -> None:
    doc = {"version": 2, "header": HEADER, "payload": PAYLOAD, "strings": strings(),
           "tokens": tokens()}
    path = ROOT / "passport" / "data" / "qr-template-v2.json"
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(path)


if __name__ == "__main__":
    main()
