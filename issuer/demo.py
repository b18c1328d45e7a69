"""The demo: one credential per bundled rubric and a training record, issued by the demo centre.

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

from issuer.home import IssuerProfile
from issuer.installation import Installation
from issuer.issuing import issue_file
from issuer.service import accounts, credentials, status
from passport.credential import Kind
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


def write_demo(installation: Installation, out: Path, at: datetime) -> list[Path]:
    """Issue the demo credentials into `out`: inputs, decisions, NAME.jwt, NAME.qr.txt, bundle.

    Through the centre's store, like any other issuance: the credentials are in the database
    (searchable, printable and revocable on the web) and the revoked sample is revoked there.
    """
    data = demo_data()
    # Refused before anything is written when the installed list does not accredit it all.
    needs = {(Kind.RPL, catalogue.get(p["rubric"]).isco08) for p in data["assessments"]}
    needs |= {(Kind.TVET, p["course"]["isco08"]) for p in data["trainings"]}
    for kind, occupation in sorted(needs):
        installation.centre.require(kind, occupation, at)
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
        issued = issue_file(installation, source, out, at=at)
        if person.get("revoked"):
            with installation.store.transaction() as s:
                if not credentials.get(s, issued.credential.id).revoked:
                    status.change(s, installation.centre, accounts.command_line_user(s),
                                  issued.credential.id, "revoke",
                                  "demo: a sample of a revoked credential", now=at)
        written += issued.files
    home = installation.home
    for source_file in (home.bundle_file, home.root_pub_file):
        write_atomic(out / source_file.name, source_file.read_bytes())
        written.append(out / source_file.name)
    return written
