"""Reference tables that live in data files: ISCO-08 titles, CQF levels, standard texts."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from passport.errors import UsageError


@cache
def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        resources.files("passport").joinpath("data", name).read_text(encoding="utf-8"))
    return data


def isco_title(code: str) -> str:
    try:
        title: str = _load("isco08.json")["occupations"][code]
    except KeyError:
        raise UsageError(f"ISCO-08 code {code!r} is not in passport/data/isco08.json") from None
    return title


def isco_codes() -> list[str]:
    return sorted(_load("isco08.json")["occupations"])


def cqf_level(code: str) -> dict[str, Any]:
    try:
        level: dict[str, Any] = _load("cqf-levels.json")["levels"][code]
    except KeyError:
        raise UsageError(f"CQF level {code!r} is not in passport/data/cqf-levels.json") from None
    return level


def standard_text(kind: str) -> dict[str, str]:
    texts: dict[str, str] = _load("texts.json")[kind]
    return texts
