"""The scripts behind committed files still write exactly those bytes.

Released files are never regenerated in place; writing them again into a temporary folder
proves the recipes (and the shared world builder they use, tests/world.py) still describe
what was released, so a new version or case can be made the same way.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.vectors import make_vectors, make_verifier_cases
from tools.qrdict import build_v1

REPO = Path(__file__).resolve().parents[1]
VECTORS = REPO / "tests" / "vectors"


def test_make_vectors_reproduces_the_released_v1_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "v1"
    make_vectors.main("v1", out)
    released = sorted(p.name for p in (VECTORS / "v1").iterdir())
    assert sorted(p.name for p in out.iterdir()) == released
    for name in released:
        assert (out / name).read_bytes() == (VECTORS / "v1" / name).read_bytes(), name


def test_make_vectors_never_writes_over_a_folder(tmp_path: Path) -> None:
    (tmp_path / "v1").mkdir()
    with pytest.raises(SystemExit, match="never regenerated"):
        make_vectors.main("v1", tmp_path / "v1")
    assert not any((tmp_path / "v1").iterdir())


def test_make_verifier_cases_reproduces_the_committed_cases(tmp_path: Path) -> None:
    out = tmp_path / "cases.json"
    make_verifier_cases.main(out)
    assert out.read_bytes() == (VECTORS / "verifier" / "cases.json").read_bytes(), (
        "run 'python tests/vectors/make_verifier_cases.py' and review the diff")


def test_qrdict_tool_reproduces_the_frozen_v1_dictionary() -> None:
    assert build_v1() == (REPO / "passport" / "data" / "qr-dict-v1.bin").read_bytes()


def test_unit_titles_hold_every_bundled_rubric_unit_as_the_catalogue_names_it() -> None:
    from rpl_rubrics import catalogue
    from tools import unit_titles

    committed = (REPO / "verifier" / "data" / "unit-titles.json").read_bytes()
    titles = json.loads(committed)["titles"]
    table = unit_titles.translations()
    for rubric in catalogue.bundled().values():
        for unit in rubric.units:
            assert titles.get(f"{rubric.achievement_id}#{unit.code}") == {
                "en": unit.title.en, "km": unit.title.km, **table[unit.title.en]}, (
                f"{rubric.id} {unit.code}: run 'python tools/unit_titles.py' and commit the file")
    # And the file is exactly what the script writes over it (sorted, nothing dropped).
    assert unit_titles.build(json.loads(committed)) == committed


def test_unit_title_translations_cover_the_catalogue_and_nothing_else() -> None:
    from rpl_rubrics import catalogue
    from tools import unit_titles

    table = unit_titles.translations()
    english = {unit.title.en for rubric in catalogue.bundled().values() for unit in rubric.units}
    missing = {en: [lang for lang in unit_titles.LANGUAGES
                    if not (table.get(en, {}).get(lang) or "").strip()]
               for en in english}
    assert {en: langs for en, langs in missing.items() if langs} == {}, (
        "unit titles without a translation in verifier/data/unit-title-translations.json")
    assert sorted(set(table) - english) == [], (
        "translations of unit titles the catalogue no longer has")
    assert all(set(langs) == set(unit_titles.LANGUAGES) for langs in table.values()), (
        "a translation entry with a language the verifier does not list")


def test_superseded_unit_titles_gain_the_translations_of_their_english_title() -> None:
    from tools import unit_titles

    old = {"titles": {"urn:example:rubric:old#U1": {"en": "Weld pipes", "km": "ផ្សារបំពង់"},
                      "urn:example:rubric:old#U2": {"en": "Bend pipes", "km": "ពត់បំពង់"}}}
    table = {"Weld pipes": {"th": "เชื่อมท่อ", "ja": "配管溶接", "ko": "배관 용접",
                            "ms": "Mengimpal paip", "ar": "لحام الأنابيب"}}
    titles = json.loads(unit_titles.build(old, table))["titles"]
    assert titles["urn:example:rubric:old#U1"] == {"en": "Weld pipes", "km": "ផ្សារបំពង់",
                                                    **table["Weld pipes"]}
    # A unit whose English title has no translation keeps English and Khmer only.
    assert titles["urn:example:rubric:old#U2"] == {"en": "Bend pipes", "km": "ពត់បំពង់"}


def test_template_tool_still_describes_the_frozen_v2_template() -> None:
    # The template's structure and string table, as the tool writes them. (Its token table
    # takes the tool about a minute to train; the pinned hash in passport/qr.py guards it.)
    from tools import make_qr_template

    frozen = json.loads((REPO / "passport" / "data" / "qr-template-v2.json").read_text("utf-8"))
    assert frozen["header"] == make_qr_template.HEADER
    assert frozen["payload"] == make_qr_template.PAYLOAD
    assert frozen["strings"] == make_qr_template.strings()
    assert len(frozen["tokens"]) == len(make_qr_template.TOKEN_BYTES)
    assert frozen["tokens"][:len(make_qr_template.HOST_TOKENS)] == make_qr_template.HOST_TOKENS


def test_make_vectors_reproduces_the_released_v2_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "v2"
    make_vectors.main("v2", out)
    released = sorted(p.name for p in (VECTORS / "v2").iterdir())
    assert sorted(p.name for p in out.iterdir()) == released
    for name in released:
        assert (out / name).read_bytes() == (VECTORS / "v2" / name).read_bytes(), name


def test_the_precompiled_schema_validators_match_the_schema_files() -> None:
    """passport/_schemas_compiled.py is what tools/schema_module.py makes of schemas/ now:
    run the tool after editing a schema."""
    from passport import schema

    assert (REPO / "passport" / "_schemas_compiled.py").read_text(encoding="utf-8") \
        == schema.module_source()
    assert set(schema._precompiled()) == set(schema.PRECOMPILED)


def test_an_edited_schema_is_compiled_at_run_time(monkeypatch: pytest.MonkeyPatch) -> None:
    from passport import schema

    monkeypatch.setattr(schema, "digest", lambda: "edited since")
    schema._precompiled.cache_clear()
    schema.compiled.cache_clear()
    try:
        assert schema._precompiled() == {}
        assert not schema.is_valid("credential", {"type": "nothing"})
    finally:
        schema._precompiled.cache_clear()
        schema.compiled.cache_clear()


def test_the_precompiled_qr_unpackers_match_the_templates() -> None:
    """passport/_qr_templates_compiled.py is what tools/qr_template_module.py makes of the
    pinned templates and passport/qrpack.py's generator now: run the tool after changing
    either. The codec uses it."""
    from passport import _qr_templates_compiled as generated
    from passport import qr

    assert (REPO / "passport" / "_qr_templates_compiled.py").read_text(encoding="utf-8") \
        == qr.templates_module_source()
    assert set(generated.UNPACKERS) == {spec.sha256 for spec in qr.TEMPLATES.values()}
    header, payload, header_bounds, payload_bounds = generated.UNPACKERS[qr.TEMPLATES[2].sha256]
    assert qr.template(2)._unpack_header is header
    assert qr.template(2)._unpack_payload is payload
    assert (qr.template(2).header_bounds, qr.template(2).payload_bounds) \
        == (header_bounds, payload_bounds)
    assert header_bounds is not None and payload_bounds is not None


def test_without_the_precompiled_unpackers_the_codec_generates_them(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from passport import qr

    monkeypatch.setattr(qr, "_compiled_unpackers", dict)
    qr.template.cache_clear()
    try:
        assert qr.template(2)._unpack_payload.__module__ != "passport._qr_templates_compiled"
        for text in sorted((VECTORS / "v2").glob("*.qr.txt")):
            jwt = text.with_name(text.name.replace(".qr.txt", ".jwt"))
            decoded = qr.decode_parts(text.read_text())
            assert decoded.compact == jwt.read_text().strip(), text.name
            if decoded.payload_document is not None:  # built by the generated code too
                assert decoded.payload_document.value == json.loads(decoded.payload)
    finally:
        qr.template.cache_clear()
