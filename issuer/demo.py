"""The demo: a home with a demo issuer, and one credential per bundled rubric.

Assessments are generated from the rubrics themselves (every criterion judged with its
required evidence), so they are also worked examples of the assessment file format.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from issuer.home import Home, IssuerProfile
from issuer.issuing import issue_file
from passport.credential import StatusPurpose
from passport.fileio import write_atomic
from rpl_rubrics import catalogue
from rpl_rubrics.rubric import Method, Rubric


def demo_data() -> dict[str, Any]:
    text = resources.files("issuer").joinpath("data", "demo.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def demo_profile() -> IssuerProfile:
    return IssuerProfile.from_json(demo_data()["issuer"])


def demo_assessment(rubric: Rubric, person: dict[str, Any], assessor: dict[str, str],
                    day: datetime) -> dict[str, Any]:
    """Every criterion judged met with its required evidence on two occasions, except `notMet`."""
    not_met = set(person.get("notMet", []))
    judgments = []
    for unit in rubric.units:
        for c in unit.criteria:
            methods = sorted(c.required) or [sorted(c.accepted)[0]]
            occasions = [day.date(), (day - timedelta(days=30)).date()]
            evidence = [{"method": Method(m).value,
                         "ref": "sha256:" + hashlib.sha256(f"{person['file']} {c.key} {m} {d}".encode()).hexdigest(),
                         "date": d.isoformat()} for m in methods for d in occasions]
            judgments.append({"criterion": c.key,
                              "result": "not_met" if c.key in not_met else "met",
                              "evidence": evidence})
    return {
        "type": "RplAssessment",
        "candidate": {k: person[k] for k in ("name", "nameKm", "birthYear", "nationalId")},
        "rubric": {"id": rubric.id, "version": rubric.version, "sha256": rubric.sha256},
        "assessor": assessor, "date": day.date().isoformat(), "judgments": judgments,
    }


def write_demo(home: Home, secret: str, out: Path, at: datetime) -> list[Path]:
    """Issue the demo credentials into `out`: inputs, decisions, NAME.jwt, NAME.qr.txt, bundle."""
    data = demo_data()
    home.init(demo_profile(), secret, at)
    key = home.issuer_key(secret)
    written: list[Path] = []
    inputs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for person in data["assessments"]:
        doc = demo_assessment(catalogue.get(person["rubric"]), person, data["assessor"], at)
        inputs.append((person, doc))
    for person in data["trainings"]:
        doc = {"type": "TrainingCompletion",
               "candidate": {k: person[k] for k in ("name", "nameKm", "birthYear", "nationalId")},
               "course": person["course"], "start": person["start"], "end": person["end"]}
        inputs.append((person, doc))
    for person, doc in inputs:
        source = out / "inputs" / f"{person['file']}.json"
        write_atomic(source, json.dumps(doc, ensure_ascii=False, indent=1).encode())
        issued = issue_file(home, key, source, out, at=at, publish=False)
        if person.get("revoked"):
            home.set_status(StatusPurpose.REVOCATION, issued.credential.status[0].list_index)
        written += issued.files
    home.publish(key, at)
    for name in ("trust-bundle.json", "root-keys.json"):
        write_atomic(out / name, (home.root / name).read_bytes())
        written.append(out / name)
    return written
