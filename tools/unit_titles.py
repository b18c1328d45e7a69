"""The unit titles verifiers show for `Result.resultDescription`, from the rubric catalogue.

A card lists each achieved unit as `<achievement id>#<unit code>`, an Open Badges 3.0
ResultDescription that no verifier can fetch offline. This writes verifier/data/unit-titles.json:
resultDescription -> {language: title}, which the command line and the phone page read (the page
has no Python, and the verifier should not load and check every rubric to print one card).

Run `python tools/unit_titles.py` after adding or changing a rubric; a test fails until then.
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

OUT = Path(__file__).resolve().parents[1] / "verifier" / "data" / "unit-titles.json"
COMMENT = ("Unit titles for Result.resultDescription (achievement id # unit code), by language. "
           "Written by tools/unit_titles.py from the rubric catalogue; entries are never removed.")


def current() -> dict[str, dict[str, str]]:
    """The bundled rubrics' titles, keyed as credentials name them."""
    return {f"{rubric.achievement_id}#{unit.code}": {"en": unit.title.en, "km": unit.title.km}
            for rubric in catalogue.bundled().values() for unit in rubric.units}


def build(existing: dict[str, Any] | None) -> bytes:
    titles: dict[str, dict[str, str]] = dict(existing["titles"]) if existing else {}
    titles.update(current())
    doc = {"$comment": COMMENT, "titles": dict(sorted(titles.items()))}
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def main(out: Path = OUT) -> None:
    existing = json.loads(out.read_text(encoding="utf-8")) if out.exists() else None
    out.write_bytes(build(existing))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
