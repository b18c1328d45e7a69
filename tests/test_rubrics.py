"""Every bundled rubric is valid; a broken rubric file is reported line by line."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from passport.errors import DocumentError, UsageError
from rpl_rubrics import catalogue
from rpl_rubrics.rubric import Rubric

RUBRIC_FILES = sorted(catalogue.rubric_dir().glob("*.json"))
KHMER = re.compile("[\u1780-\u17ff]")
Cli = Callable[..., tuple[int, str, str]]


def test_at_least_ten_occupations_across_the_sectors() -> None:
    rubrics = catalogue.bundled()
    assert len(rubrics) >= 10
    iscos = {r.isco08 for r in rubrics.values()}
    # construction, agriculture, hospitality, manufacturing, logistics, agro-processing
    for needed in ("7112", "7115", "7212", "7411", "6111", "8341", "5131", "9112", "8212",
                   "7223", "8344", "8160"):
        assert needed in iscos


@pytest.mark.parametrize("path", RUBRIC_FILES, ids=lambda p: p.stem)
def test_bundled_rubric(path: Path, cli: Cli) -> None:
    rubric = Rubric.from_file(path)
    assert rubric.id == path.stem
    assert rubric.cqf_level == "C1" and 4 <= len(rubric.units) <= 8
    assert KHMER.search(rubric.title.km) and KHMER.search(rubric.occupation.km)
    for unit in rubric.units:
        assert KHMER.search(unit.title.km), unit.code
        assert any(c.critical for c in unit.criteria) or unit.criteria
    code, out, _ = cli("rubric", "check", str(path))
    assert code == 0 and rubric.sha256 in out


def test_content_hash_changes_with_any_edit(tmp_path: Path) -> None:
    doc = json.loads(RUBRIC_FILES[0].read_text())
    original = Rubric.from_file(RUBRIC_FILES[0]).sha256
    doc["units"][0]["elements"][0]["criteria"][0]["text"]["km"] += "។"
    (tmp_path / "r.json").write_text(json.dumps(doc, ensure_ascii=False, indent=2))
    assert Rubric.from_file(tmp_path / "r.json").sha256 != original
    # Reformatting alone does not change what the rubric means, nor its hash.
    (tmp_path / "same.json").write_text(json.dumps(json.loads(RUBRIC_FILES[0].read_text())))
    assert Rubric.from_file(tmp_path / "same.json").sha256 == original


def _broken(tmp_path: Path, edit: Callable[[str], str]) -> DocumentError:
    path = tmp_path / "broken.json"
    path.write_text(edit(RUBRIC_FILES[0].read_text()))
    with pytest.raises(DocumentError) as info:
        Rubric.from_file(path)
    return info.value


def test_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    err = _broken(tmp_path, lambda t: t.replace('"version": 2,', '"version": 2', 1))
    assert re.search(r"line \d+, column \d+", err.diagnostics())


def test_schema_errors_name_their_lines(tmp_path: Path) -> None:
    text = RUBRIC_FILES[0].read_text()
    lines = text.splitlines()
    target = next(i for i, line in enumerate(lines) if '"critical": true' in line) + 1
    err = _broken(tmp_path, lambda t: t.replace('"critical": true', '"critical": "yes"', 1)
                  .replace('"cqfLevel": "C1"', '"cqfLevel": "Level 1"'))
    report = err.diagnostics()
    assert f"line {target} " in report and "'yes' is not of type 'boolean'" in report
    assert "cqfLevel" in report and len(err.problems) == 2


def test_semantic_errors(tmp_path: Path, cli: Cli) -> None:
    doc = json.loads(RUBRIC_FILES[0].read_text())
    doc["units"][1]["code"] = doc["units"][0]["code"]
    doc["units"][0]["elements"][0]["criteria"][0]["evidence"]["required"] = ["written_test"]
    doc["units"][0]["elements"][0]["criteria"][0]["evidence"]["accepted"] = ["observation"]
    doc["occupation"]["isco08"] = "0000"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2))
    code, _, err = cli("rubric", "check", str(path))
    assert code == 2 and "Traceback" not in err
    assert "is used twice" in err and "not accepted methods" in err and "0000" in err
    assert all(re.search(r"bad.json: line \d+ at \$", line) for line in err.strip().splitlines()[1:])


def test_a_new_occupation_needs_only_a_file(tmp_path: Path, cli: Cli) -> None:
    doc = json.loads((catalogue.rubric_dir() / "welding-c1.json").read_text())
    doc["id"], doc["title"]["en"] = "plumbing-c1", "Plumbing"
    doc["occupation"] = {"isco08": "7126", "title": {"en": "Plumbers and pipe fitters",
                                                     "km": "ជាងទុយោទឹក"}}
    (tmp_path / "plumbing-c1.json").write_text(json.dumps(doc, ensure_ascii=False))
    code, out, _ = cli("rubric", "check", str(tmp_path / "plumbing-c1.json"))
    assert code == 0 and "valid rubric plumbing-c1" in out


def test_rubric_list_and_show(cli: Cli) -> None:
    code, out, _ = cli("rubric", "list")
    assert code == 0 and len(out.strip().splitlines()) == len(catalogue.bundled())
    code, out, _ = cli("rubric", "show", "masonry-c1", "--lang", "km")
    assert code == 0 and "ជាងសំណង់ឥដ្ឋ" in out and "MAS-SET" in out and "[critical]" in out
    code, _, err = cli("rubric", "show", "no-such-rubric")
    assert code == 2 and "known:" in err


def test_check_refuses_a_text_shown_to_users_without_khmer(tmp_path: Path, cli: Cli) -> None:
    doc = json.loads((catalogue.rubric_dir() / "welding-c1.json").read_text())
    doc["units"][1]["elements"][0]["title"] = doc["units"][1]["elements"][0]["title"]["en"]
    doc["units"][0]["elements"][0]["criteria"][1]["text"]["km"] = "Same as the English"
    path = tmp_path / "no-khmer.json"
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2))
    code, out, err = cli("rubric", "check", str(path))
    assert code == 2 and not out and "Traceback" not in err
    assert "$.units[1].elements[0].title: no Khmer text" in err
    assert "$.units[0].elements[0].criteria[1].text.km: the Khmer text has no Khmer letters" in err


def test_every_element_and_criterion_reads_in_khmer() -> None:
    for rubric in catalogue.bundled().values():
        for unit in rubric.units:
            for element in unit.elements:
                assert KHMER.search(element.title.km), (rubric.id, unit.code, element.number)
                for c in element.criteria:
                    assert KHMER.search(c.text.km) and c.text.km != c.text.en, (rubric.id, c.key)


def test_a_superseded_version_still_decides_what_was_begun_under_it() -> None:
    """Texts changed in version 2 (Khmer added), so version 1 moved aside byte for byte: its
    hash, and the achievement id on cards issued under it, are what they were."""
    for rubric_id, current in catalogue.bundled().items():
        old = catalogue.get(rubric_id, 1)
        assert current.version == 2 and old.version == 1
        assert old.sha256 != current.sha256 and old.achievement_id != current.achievement_id
        assert [c.key for u in old.units for c in u.criteria] == [
            c.key for u in current.units for c in u.criteria]
        assert catalogue.unit_titles(old.achievement_id) == catalogue.unit_titles(
            current.achievement_id)
    # The released v1 vectors name version 1 of masonry; the catalogue still resolves it.
    jws = (Path(__file__).parent / "vectors" / "v1" / "full-certificate.jwt").read_text().strip()
    claims = json.loads(base64.urlsafe_b64decode(jws.split(".")[1] + "=="))
    assert claims["credentialSubject"]["achievement"]["id"] == catalogue.get(
        "masonry-c1", 1).achievement_id
    with pytest.raises(UsageError, match="has no version 7"):
        catalogue.get("masonry-c1", 7)
