"""The rubrics bundled with the package (rpl_rubrics/rubrics/*.json)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from passport.errors import UsageError
from rpl_rubrics.rubric import Bilingual, Rubric


def rubric_dir() -> Path:
    return Path(str(resources.files("rpl_rubrics").joinpath("rubrics")))


@cache
def bundled() -> dict[str, Rubric]:
    rubrics = [Rubric.from_file(p) for p in sorted(rubric_dir().glob("*.json"))]
    return {r.id: r for r in rubrics}


def get(rubric_id: str) -> Rubric:
    try:
        return bundled()[rubric_id]
    except KeyError:
        known = ", ".join(sorted(bundled()))
        raise UsageError(f"no bundled rubric {rubric_id!r}; known: {known}") from None


def unit_titles(achievement_id: str) -> dict[str, Bilingual]:
    """Unit code -> title, if the achievement is a bundled rubric of exactly this content."""
    for rubric in bundled().values():
        if rubric.achievement_id == achievement_id:
            return {u.code: u.title for u in rubric.units}
    return {}


def unit_title_pairs(achievement_id: str) -> dict[str, tuple[str, str]]:
    """`unit_titles` as (English, Khmer) pairs, the form print layouts take."""
    return {code: (t.en, t.km) for code, t in unit_titles(achievement_id).items()}

