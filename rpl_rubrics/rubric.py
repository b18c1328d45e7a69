"""Rubrics: units of competency, elements, performance criteria, evidence and decision rules.

`Rubric.from_file` returns a valid frozen rubric or raises a `DocumentError` listing every
problem with its line. A rubric is identified by id + version and by the SHA-256 of its
canonical JSON, which every assessment and credential records.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from passport import jsonpos, reference, schema
from passport.b64 import b64u_encode
from passport.errors import DocumentError, UsageError
from passport.fileio import read_document

MAX_RUBRIC_BYTES = 1 << 20


class Method(enum.StrEnum):
    OBSERVATION = "observation"
    DEMONSTRATION = "demonstration"
    ORAL_QUESTIONING = "oral_questioning"
    WRITTEN_TEST = "written_test"
    PORTFOLIO = "portfolio"
    THIRD_PARTY_REPORT = "third_party_report"


@dataclass(frozen=True)
class Bilingual:
    en: str
    km: str

    def get(self, lang: str) -> str:
        return self.km if lang == "km" else self.en


@dataclass(frozen=True)
class Criterion:
    key: str  # "UNIT/1.2": unique within the rubric
    id: str
    text: Bilingual
    critical: bool
    accepted: frozenset[Method]
    required: frozenset[Method]


@dataclass(frozen=True)
class Element:
    number: int
    title: Bilingual
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class Unit:
    code: str
    title: Bilingual
    elements: tuple[Element, ...]
    min_occasions: int

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        return tuple(c for e in self.elements for c in e.criteria)


@dataclass(frozen=True)
class Rubric:
    id: str
    version: int
    title: Bilingual
    isco08: str
    occupation: Bilingual
    cqf_level: str
    currency_years: int
    min_share_other: float
    units: tuple[Unit, ...]
    sha256: str
    source: str

    @property
    def hash_id(self) -> str:
        """The 96-bit prefix of the content hash that credentials carry in their achievement id."""
        return b64u_encode(bytes.fromhex(self.sha256))[:16]

    @property
    def achievement_id(self) -> str:
        return f"urn:skillpass:rubric:{self.id}:{self.version}:{self.hash_id}"

    def unit(self, code: str) -> Unit | None:
        return next((u for u in self.units if u.code == code), None)

    def criterion(self, key: str) -> Criterion | None:
        return next((c for u in self.units for c in u.criteria if c.key == key), None)

    @classmethod
    def from_file(cls, path: Path, *, legacy: bool = False) -> Rubric:
        return cls.from_text(read_document(path, limit=MAX_RUBRIC_BYTES), str(path), legacy=legacy)

    @classmethod
    def from_text(cls, text: str, source: str, *, legacy: bool = False) -> Rubric:
        """`legacy` admits a superseded version-1 rubric, whose element and criterion texts are
        English only; every current rubric must carry Khmer for every text shown to users."""
        doc = jsonpos.loads_located(text, source)
        schema.check_document("rubric", doc, text=text, source=source)
        assert isinstance(doc, dict)
        problems = _semantic_problems(doc) + ([] if legacy else _khmer_problems(doc))
        if problems:
            offsets = jsonpos.value_offsets(text)
            raise DocumentError(source, [(f"line {jsonpos.line_for(text, p, offsets)} at "
                                          f"{_path(p)}", m) for p, m in problems])
        return _build(doc, source)


def content_hash(doc: dict[str, Any]) -> str:
    canonical = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _path(p: tuple[str | int, ...]) -> str:
    return "$" + "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in p)


def _semantic_problems(doc: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    """What a schema cannot say: uniqueness, numbering, evidence consistency, known codes."""
    out: list[tuple[tuple[str | int, ...], str]] = []
    try:
        reference.isco_title(doc["occupation"]["isco08"])
    except UsageError as exc:
        out.append((("occupation", "isco08"), str(exc)))
    try:
        reference.cqf_level(doc["cqfLevel"])
    except UsageError as exc:
        out.append((("cqfLevel",), str(exc)))
    seen_units: set[str] = set()
    for ui, unit in enumerate(doc["units"]):
        if unit["code"] in seen_units:
            out.append((("units", ui, "code"), f"unit code {unit['code']} is used twice"))
        seen_units.add(unit["code"])
        for ei, element in enumerate(unit["elements"]):
            if element["number"] != ei + 1:
                out.append((("units", ui, "elements", ei, "number"),
                            f"elements are numbered 1, 2, ...; expected {ei + 1}"))
            for ci, crit in enumerate(element["criteria"]):
                where = ("units", ui, "elements", ei, "criteria", ci)
                if crit["id"] != f"{element['number']}.{ci + 1}":
                    out.append(((*where, "id"), f"criterion id should be "
                                                f"{element['number']}.{ci + 1}"))
                missing = set(crit["evidence"]["required"]) - set(crit["evidence"]["accepted"])
                if missing:
                    out.append(((*where, "evidence", "required"),
                                f"required method(s) {sorted(missing)} are not accepted methods"))
    return out


KHMER_LETTER = re.compile("[\u1780-\u17ff]")


def _khmer_problems(doc: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    """Every text an assessor or a returnee reads must be in Khmer too (the issuer's pages and
    cards show the reader's language): titles, occupation, elements and criteria."""
    shown: list[tuple[tuple[str | int, ...], Any]] = [
        (("title",), doc["title"]), (("occupation", "title"), doc["occupation"]["title"])]
    for ui, unit in enumerate(doc["units"]):
        shown.append((("units", ui, "title"), unit["title"]))
        for ei, element in enumerate(unit["elements"]):
            shown.append((("units", ui, "elements", ei, "title"), element["title"]))
            shown += [(("units", ui, "elements", ei, "criteria", ci, "text"), crit["text"])
                      for ci, crit in enumerate(element["criteria"])]
    out: list[tuple[tuple[str | int, ...], str]] = []
    for where, value in shown:
        if isinstance(value, str):
            out.append((where, 'no Khmer text: write {"en": "...", "km": "..."}'))
        elif not KHMER_LETTER.search(value["km"]):
            out.append(((*where, "km"), "the Khmer text has no Khmer letters"))
    return out


def _shown(value: str | dict[str, str]) -> Bilingual:
    # A superseded version-1 text is English only: shown as written in either language.
    return Bilingual(value, value) if isinstance(value, str) else Bilingual(**value)


def _build(doc: dict[str, Any], source: str) -> Rubric:
    units = []
    for unit in doc["units"]:
        elements = tuple(
            Element(e["number"], _shown(e["title"]), tuple(
                Criterion(f"{unit['code']}/{c['id']}", c["id"], _shown(c["text"]), c["critical"],
                          frozenset(Method(m) for m in c["evidence"]["accepted"]),
                          frozenset(Method(m) for m in c["evidence"]["required"]))
                for c in e["criteria"]))
            for e in unit["elements"])
        units.append(Unit(unit["code"], Bilingual(**unit["title"]), elements,
                          unit.get("minOccasions", 1)))
    return Rubric(
        id=doc["id"], version=doc["version"], title=Bilingual(**doc["title"]),
        isco08=doc["occupation"]["isco08"], occupation=Bilingual(**doc["occupation"]["title"]),
        cqf_level=doc["cqfLevel"], currency_years=doc["evidenceRules"]["currencyYears"],
        min_share_other=doc["decisionRule"]["minShareOfOtherCriteria"], units=tuple(units),
        sha256=content_hash(doc), source=source,
    )
