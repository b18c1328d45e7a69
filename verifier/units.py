"""Titles of the units a card lists, from verifier/data/unit-titles.json (tools/unit_titles.py).

A card names each achieved unit by its ResultDescription, `<achievement id>#<unit code>`; the
titles travel with the verifier as data, the same file the phone page reads, so both say the
same thing offline. A unit of a rubric this verifier does not know shows its code alone.
"""

from __future__ import annotations

import json
from functools import cache

from passport.fileio import package_file


@cache
def _titles() -> dict[str, dict[str, str]]:
    text = package_file("verifier", "data", "unit-titles.json").read_text(
        encoding="utf-8")
    titles: dict[str, dict[str, str]] = json.loads(text)["titles"]
    return titles


def unit_title(result_description: str, lang: str) -> str | None:
    """The unit's title in `lang`, else in English; None for a unit not in the catalogue."""
    titles = _titles().get(result_description)
    if not titles:
        return None
    return titles.get(lang) or titles.get("en")


def unit_line(code: str, result_description: str, lang: str) -> str:
    """"CODE title", or the code alone when the title is unknown."""
    title = unit_title(result_description, lang)
    return f"{code}  {title}" if title else code
