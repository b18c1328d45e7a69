"""The verifier's languages: one data file per language in verifier/i18n, English as fallback."""

from __future__ import annotations

import json
from functools import cache

from passport.fileio import package_file

LANGUAGES = ("km", "en", "th", "ja", "ko", "ms", "ar")


@cache
def table(lang: str) -> dict[str, str]:
    text = package_file("verifier", "i18n", f"{lang}.json").read_text(encoding="utf-8")
    data: dict[str, str] = json.loads(text)
    return data


def t(lang: str, key: str) -> str:
    """The text for `key`; a missing or empty translation falls back to English."""
    value = table(lang).get(key) if lang in LANGUAGES else None
    return value or table("en")[key]


def has(lang: str, key: str) -> bool:
    return bool(table(lang).get(key) or table("en").get(key))


def own(lang: str, key: str) -> str:
    """The language's own text for `key`, without the English fallback: "" when it has none
    (a note or a field name said only in the languages it concerns)."""
    return table(lang).get(key, "") if lang in LANGUAGES else ""


def fill(text: str, **values: object) -> str:
    """`text` with each {name} replaced; a translation holding other braces stays as it is."""
    for name, value in values.items():
        text = text.replace("{" + name + "}", str(value))
    return text
