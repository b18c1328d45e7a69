"""The unit titles verifiers show for `Result.resultDescription`, from the rubric catalogue.

A card lists each achieved unit as `<achievement id>#<unit code>`, an Open Badges 3.0
ResultDescription that no verifier can fetch offline. This writes verifier/data/unit-titles.json:
resultDescription -> {language: title}, which the command line and the phone page read (the page
has no Python, and the verifier should not load and check every rubric to print one card).

The English and Khmer titles come from the rubrics; the titles in the languages of the countries
that recruit returnee workers (Thai, Japanese, Korean, Malay, Arabic) come from
verifier/data/unit-title-translations.json, keyed by the unit's English title, so one translation
serves every rubric (and every version of one) that names a unit the same way.

Run `python tools/unit_titles.py` after adding or changing a rubric or a translation; a test fails
until then.
Entries are only ever added: a rubric's new version has a new achievement id, and cards issued
under the old one must keep their titles.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rpl_rubrics import catalogue

DATA = Path(__file__).resolve().parents[1] / "verifier" / "data"
OUT = DATA / "unit-titles.json"
TRANSLATIONS = DATA / "unit-title-translations.json"
LANGUAGES = ("th", "ja", "ko", "ms", "ar")
COMMENT = ("Unit titles for Result.resultDescription (achievement id # unit code), by language. "
           "Written by tools/unit_titles.py from the rubric catalogue; entries are never removed.")


def translations(path: Path = TRANSLATIONS) -> dict[str, dict[str, str]]:
    """English title -> {language: title} for the languages the rubrics do not carry."""
    table: dict[str, dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))["titles"]
    return table


def translated(en: str, km: str, table: dict[str, dict[str, str]]) -> dict[str, str]:
    """A unit's titles: English and Khmer, then each translated language the table gives."""
    found = table.get(en, {})
    return {"en": en, "km": km, **{lang: found[lang] for lang in LANGUAGES if found.get(lang)}}


def current(table: dict[str, dict[str, str]] | None = None) -> dict[str, dict[str, str]]:
    """The bundled rubrics' titles, keyed as credentials name them."""
    table = translations() if table is None else table
    return {f"{rubric.achievement_id}#{unit.code}": translated(unit.title.en, unit.title.km, table)
            for rubric in catalogue.bundled().values() for unit in rubric.units}


def build(existing: dict[str, Any] | None,
          table: dict[str, dict[str, str]] | None = None) -> bytes:
    table = translations() if table is None else table
    # Units of superseded rubrics stay, with the translations of their English title.
    titles: dict[str, dict[str, str]] = {
        key: {**value, **translated(value["en"], value["km"], table)}
        for key, value in (existing["titles"] if existing else {}).items()}
    titles.update(current(table))
    doc = {"$comment": COMMENT, "titles": dict(sorted(titles.items()))}
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def main(out: Path = OUT) -> None:
    existing = json.loads(out.read_text(encoding="utf-8")) if out.exists() else None
    out.write_bytes(build(existing))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
