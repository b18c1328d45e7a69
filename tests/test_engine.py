"""The decision engine at its boundaries, and credentials that say exactly what was decided."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from passport.credential import AchievementType, Credential
from passport.errors import DocumentError, UsageError
from passport.signing import sign_claims
from rpl_rubrics import catalogue
from rpl_rubrics.assessment import Assessment
from rpl_rubrics.credentials import TrainingCompletion, request_for
from rpl_rubrics.engine import Award, UnitOutcome, decide
from rpl_rubrics.rubric import Rubric
from tests.homes import accredited_home_from_env
from tests.world import World

DAY = date(2026, 11, 2)


def assessment(rubric: Rubric, *, not_met: tuple[str, ...] = (), skip: tuple[str, ...] = (),
               days: tuple[int, ...] = (0, 30), **overrides: Any) -> dict[str, Any]:
    judgments = []
    for c in (c for u in rubric.units for c in u.criteria):
        if c.key in skip:
            continue
        methods = sorted(c.required) or [sorted(c.accepted)[0]]
        evidence = [{"method": m, "ref": "sha256:" + hashlib.sha256(f"{c.key}{m}{d}".encode()).hexdigest(),
                     "date": (DAY - timedelta(days=d)).isoformat()} for m in methods for d in days]
        judgments.append({"criterion": c.key, "result": "not_met" if c.key in not_met else "met",
                          "evidence": evidence})
    doc: dict[str, Any] = {
        "type": "RplAssessment",
        "candidate": {"name": "Sok Dara", "nameKm": "សុខ ដារា", "birthYear": 1988,
                      "nationalId": "010234567"},
        "rubric": {"id": rubric.id, "version": rubric.version, "sha256": rubric.sha256},
        "assessor": {"id": "a-1", "name": "Assessor"}, "date": DAY.isoformat(),
        "judgments": judgments,
    }
    doc.update(overrides)
    return doc


def parse(doc: dict[str, Any]) -> Assessment:
    return Assessment.from_text(json.dumps(doc, ensure_ascii=False, indent=1), "assessment.json")


MASONRY = catalogue.get("masonry-c1")


@pytest.mark.parametrize("rubric_id", sorted(catalogue.bundled()))
def test_every_bundled_rubric_gives_a_full_certificate_when_all_is_met(rubric_id: str) -> None:
    rubric = catalogue.get(rubric_id)
    decision = decide(rubric, parse(assessment(rubric)))
    assert decision.award is Award.FULL_CERTIFICATE
    assert decision.competent_units == rubric.units and not decision.gap_training


def _other_criteria(rubric: Rubric, code: str) -> list[str]:
    unit = rubric.unit(code)
    assert unit is not None
    return [c.key for c in unit.criteria if not c.critical]


def test_share_of_other_criteria_at_the_boundary() -> None:
    # MAS-SET has 2 non-critical criteria: 1 of 2 (50%) is below 75%; the unit fails.
    others = _other_criteria(MASONRY, "MAS-SET")
    assert len(others) == 2
    d = decide(MASONRY, parse(assessment(MASONRY, not_met=(others[0],))))
    unit = next(u for u in d.units if u.unit.code == "MAS-SET")
    assert unit.outcome is UnitOutcome.NOT_YET_COMPETENT
    assert "1 of 2 other criteria met; at least 75% required" in unit.reasons
    # A 4-criterion rule at exactly 75% passes: 3 of 4.
    rule = MASONRY.min_share_other
    assert rule * 4 <= 3 and rule * 4 > 2


def test_critical_criterion_not_met_or_not_assessed() -> None:
    critical = next(c.key for c in MASONRY.units[1].criteria if c.critical)
    for kwargs in ({"not_met": (critical,)}, {"skip": (critical,)}):
        d = decide(MASONRY, parse(assessment(MASONRY, **kwargs)))  # type: ignore[arg-type]
        unit = d.units[1]
        assert unit.outcome is UnitOutcome.NOT_YET_COMPETENT
        assert any(r.startswith("critical criteria not met") for r in unit.reasons)
        assert d.award is Award.STATEMENT_OF_ATTAINMENT
        assert d.gap_training == (MASONRY.units[1],)


def test_minimum_occasions() -> None:
    d = decide(MASONRY, parse(assessment(MASONRY, days=(0,))))
    needs_two = {u.code for u in MASONRY.units if u.min_occasions == 2}
    assert needs_two
    for u in d.units:
        expected = UnitOutcome.NOT_YET_COMPETENT if u.unit.code in needs_two else UnitOutcome.COMPETENT
        assert u.outcome is expected


def test_no_award_and_nothing_to_issue() -> None:
    every = tuple(c.key for u in MASONRY.units for c in u.criteria)
    d = decide(MASONRY, parse(assessment(MASONRY, not_met=every)))
    assert d.award is Award.NO_AWARD and d.gap_training == MASONRY.units
    with pytest.raises(UsageError, match="nothing to certify"):
        request_for(d, issued=datetime(2026, 11, 2, tzinfo=UTC))


def test_statement_of_attainment_lists_only_competent_units(world: World) -> None:
    critical = next(c.key for c in MASONRY.units[2].criteria if c.critical)
    d = decide(MASONRY, parse(assessment(MASONRY, not_met=(critical,))))
    request = request_for(d, issued=datetime(2026, 11, 2, 9, tzinfo=UTC))
    claims = world.claims(holder=request.holder, achievement=request.achievement,
                          results=request.results)
    credential: Credential = sign_claims(claims, world.issuer_key)[0]
    assert credential.achievement.type is AchievementType.STATEMENT_OF_ATTAINMENT
    assert [r.unit for r in credential.results] == [u.code for u in d.competent_units]
    assert MASONRY.units[2].code not in [r.unit for r in credential.results]
    assert credential.achievement.id == MASONRY.achievement_id
    assert "Not Yet" not in json.dumps(credential.claims)
    assert "010234567" not in json.dumps(credential.claims)


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["rubric"].update(sha256="0" * 64), "content hash differs"),
    (lambda d: d["rubric"].update(version=3), "not masonry-c1 version 2"),
    (lambda d: d["judgments"].append({"criterion": "MAS-XXX/1.1", "result": "met",
                                      "evidence": d["judgments"][0]["evidence"]}),
     "no criterion MAS-XXX/1.1"),
    (lambda d: d["judgments"].append(d["judgments"][0]), "judged twice"),
    (lambda d: d["judgments"][0].update(evidence=[]), "without required evidence"),
    (lambda d: d["judgments"][0]["evidence"][0].update(date="2020-01-01"), "not current"),
    (lambda d: d["judgments"][0]["evidence"][0].update(date="2027-01-01"), "after the assessment"),
    (lambda d: d["judgments"][0]["evidence"][0].update(method="written_test"), "not accepted"),
    (lambda d: d["judgments"][0].update(result="not_assessed"), "yet evidence is listed"),
])
def test_contradictory_input_is_refused(change: Callable[[dict[str, Any]], None], message: str) -> None:
    doc = assessment(MASONRY)
    change(doc)
    with pytest.raises(DocumentError, match=message):
        decide(MASONRY, parse(doc))


def test_schema_errors_in_assessments_name_lines() -> None:
    doc = assessment(MASONRY)
    doc["judgments"][1]["result"] = "excellent"
    with pytest.raises(DocumentError) as info:
        parse(doc)
    assert "line " in info.value.diagnostics() and "excellent" in info.value.diagnostics()


def test_training_record() -> None:
    text = json.dumps({
        "type": "TrainingCompletion",
        "candidate": {"name": "Vann Rithy", "nameKm": "វ៉ាន់ រិទ្ធី", "birthYear": 1990,
                      "nationalId": "040567890"},
        "course": {"id": "forklift-safety", "version": 1, "hours": 40, "isco08": "8344",
                   "cqfLevel": "C1", "title": {"en": "Forklift safety", "km": "សុវត្ថិភាពរថយន្តលើកទំនិញ"}},
        "start": "2026-10-05", "end": "2026-10-16"})
    request = TrainingCompletion.from_text(text, "t.json").request(issued=datetime(2026, 11, 2, tzinfo=UTC))
    assert request.achievement["achievementType"] == "Course"
    assert request.achievement["learningHours"] == 40
    assert request.activity is not None and request.activity[0].date() == date(2026, 10, 5)
    with pytest.raises(DocumentError, match="ends before it starts"):
        TrainingCompletion.from_text(text.replace("2026-10-16", "2026-10-01"), "t.json")


def test_assess_and_issue_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   cli: Callable[..., tuple[int, str, str]]) -> None:
    monkeypatch.setenv("SKILLPASS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SKILLPASS_PASSPHRASE", "pass")
    accredited_home_from_env()
    assert cli("init")[0] == 0
    critical = next(c.key for c in MASONRY.units[2].criteria if c.critical)
    source = tmp_path / "sok.json"
    doc = assessment(MASONRY, not_met=(critical,), date=datetime.now(UTC).date().isoformat())
    for j in doc["judgments"]:
        for e in j["evidence"]:
            e["date"] = doc["date"]
    source.write_text(json.dumps(doc, ensure_ascii=False))
    code, out, _ = cli("assess", str(source))
    assert code == 0 and "STATEMENT OF ATTAINMENT" in out and "Gap training: MAS-SET" in out
    code, out, err = cli("issue", str(source), "--out", str(tmp_path / "out"))
    assert code == 0, err
    decision = json.loads((tmp_path / "out" / "sok.decision.json").read_text())
    assert decision["award"] == "statement_of_attainment"
    code, out, _ = cli("verify", str(tmp_path / "out" / "sok.qr.txt"), "--json")
    result = json.loads(out)
    assert code == 0 and result["verdict"] == "valid"
    units = [r["resultDescription"].split("#")[1] for r in result["credential"]["credentialSubject"]["result"]]
    assert units == decision["competentUnits"]
    # Bad input: nothing is written.
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**doc, "rubric": {**doc["rubric"], "sha256": "1" * 64}}))
    code, _, err = cli("issue", str(bad), "--out", str(tmp_path / "out2"))
    assert code == 2 and "content hash differs" in err and not (tmp_path / "out2").exists()


def test_result_links_resolve_to_result_descriptions(world: World) -> None:
    from rpl_rubrics.credentials import achievement_definition

    definition = achievement_definition(MASONRY)
    ids = {rd["id"] for rd in definition["resultDescription"]}
    d = decide(MASONRY, parse(assessment(MASONRY)))
    request = request_for(d, issued=datetime(2026, 11, 2, 9, tzinfo=UTC))
    claims = world.claims(holder=request.holder, achievement=request.achievement,
                          results=request.results)
    links = {r["resultDescription"] for r in claims["credentialSubject"]["result"]}
    assert links == ids and definition["id"] == claims["credentialSubject"]["achievement"]["id"]
