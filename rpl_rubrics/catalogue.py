"""The rubrics bundled with the package (rpl_rubrics/rubrics/*.json) and the versions they replaced.

A rubric's content hash is in every assessment and credential made against it, so a rubric is
never edited in place: a changed text is a new version (a new achievement id), and the version it
replaces moves to rubrics/superseded/ID-vN.json, byte for byte. An assessment begun under the old
version still decides under it, and whatever was built from the catalogue as it stood at a release
(the frozen QR dictionary, test vectors) is rebuilt from that edition.
"""

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
    """The current version of each rubric: every text shown to users in English and Khmer."""
    rubrics = [Rubric.from_file(p) for p in sorted(rubric_dir().glob("*.json"))]
    return {r.id: r for r in rubrics}


@cache
def superseded() -> dict[tuple[str, int], Rubric]:
    """Replaced versions, kept for the assessments and artifacts made against them.

    Version-1 rubrics predate Khmer element and criterion texts; they load as they were written.
    """
    rubrics = [Rubric.from_file(p, legacy=True)
               for p in sorted((rubric_dir() / "superseded").glob("*.json"))]
    return {(r.id, r.version): r for r in rubrics}


def get(rubric_id: str, version: int | None = None) -> Rubric:
    """The current rubric, or the given version of it (current or superseded)."""
    try:
        current = bundled()[rubric_id]
    except KeyError:
        known = ", ".join(sorted(bundled()))
        raise UsageError(f"no bundled rubric {rubric_id!r}; known: {known}") from None
    if version is None or version == current.version:
        return current
    try:
        return superseded()[(rubric_id, version)]
    except KeyError:
        raise UsageError(f"rubric {rubric_id!r} has no version {version}; the current one is "
                         f"{current.version}") from None


def edition(version: int) -> dict[str, Rubric]:
    """Every rubric at `version`: the catalogue as a release froze it (QR dictionary v1 and the
    v1 test vectors were built from version 1 of each rubric)."""
    return {rubric_id: get(rubric_id, version) for rubric_id in bundled()}


def every_version() -> list[Rubric]:
    """Current and superseded rubrics: anything an assessment or a credential may name."""
    return [*superseded().values(), *bundled().values()]


def unit_titles(achievement_id: str) -> dict[str, Bilingual]:
    """Unit code -> title, if the achievement is a bundled rubric of exactly this content."""
    for rubric in every_version():
        if rubric.achievement_id == achievement_id:
            return {u.code: u.title for u in rubric.units}
    return {}


def unit_title_pairs(achievement_id: str) -> dict[str, tuple[str, str]]:
    """`unit_titles` as (English, Khmer) pairs, the form print layouts take."""
    return {code: (t.en, t.km) for code, t in unit_titles(achievement_id).items()}
