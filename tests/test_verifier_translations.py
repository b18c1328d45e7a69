"""The verifier's language tables: every table has English's keys, filled in, with its placeholders."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from verifier.i18n import LANGUAGES

TABLES = Path(__file__).resolve().parent.parent / "verifier" / "i18n"
OTHERS = [lang for lang in LANGUAGES if lang != "en"]
# The languages whose page shows the note and the nearest work-visa field (Japan and Korea).
OVERSEAS = ("ja", "ko")
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def _table(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((TABLES / f"{lang}.json").read_text(encoding="utf-8"))
    return data


def _overseas_only(key: str) -> bool:
    return key in ("note.overseas", "label.field") or key.startswith("field.")


def test_english_has_a_field_key_for_every_occupation() -> None:
    en = _table("en")
    iscos = {k.removeprefix("isco.") for k in en if k.startswith("isco.")}
    fields = {k.removeprefix("field.") for k in en if k.startswith("field.")}
    assert iscos and fields == iscos


@pytest.mark.parametrize("lang", OTHERS)
def test_same_keys_as_english(lang: str) -> None:
    en, table = _table("en"), _table(lang)
    assert {"missing": sorted(en.keys() - table.keys()), "extra": sorted(table.keys() - en.keys())} \
        == {"missing": [], "extra": []}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_text_filled_in(lang: str) -> None:
    table = _table(lang)
    empty = [k for k, v in table.items() if not v.strip()]
    allowed = [] if lang in OVERSEAS else [k for k in table if _overseas_only(k)]
    assert sorted(set(empty) - set(allowed)) == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_overseas_texts_only_in_japanese_and_korean(lang: str) -> None:
    overseas = {k: v for k, v in _table(lang).items() if _overseas_only(k)}
    assert "label.field" in overseas and "note.overseas" in overseas
    if lang in OVERSEAS:
        assert [k for k, v in overseas.items() if not v.strip()] == []
    else:
        assert [k for k, v in overseas.items() if v] == []


@pytest.mark.parametrize("lang", OTHERS)
def test_placeholders_kept(lang: str) -> None:
    en, table = _table("en"), _table(lang)
    wrong = {k: table[k] for k in en.keys() & table.keys()
             if sorted(PLACEHOLDER.findall(table[k])) != sorted(PLACEHOLDER.findall(en[k]))}
    assert wrong == {}


def test_language_names_differ() -> None:
    names = [_table(lang).get("language", "") for lang in LANGUAGES]
    assert all(names) and len(set(names)) == len(LANGUAGES)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_direction(lang: str) -> None:
    assert _table(lang).get("dir") == ("rtl" if lang == "ar" else "ltr")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_table_written_one_key_a_line(lang: str) -> None:
    path = TABLES / f"{lang}.json"
    text = path.read_text(encoding="utf-8")
    assert text == json.dumps(_table(lang), ensure_ascii=False, indent=1) + "\n"
