"""`skillpass rubric list|show|check` and `skillpass assess`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TypeAlias

from rpl_rubrics import catalogue
from rpl_rubrics.assessment import Assessment
from rpl_rubrics.engine import Award, Decision, UnitOutcome, decide
from rpl_rubrics.rubric import Rubric

Sub: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def register_rubric(sub: Sub) -> None:
    p = sub.add_parser("rubric", help="list, show or check competency rubrics")
    rsub = p.add_subparsers(dest="rubric_command", required=True)
    rsub.add_parser("list", help="the bundled rubrics").set_defaults(func=run_list)
    show = rsub.add_parser("show", help="one rubric's units and criteria")
    show.add_argument("id")
    show.add_argument("--lang", choices=["en", "km"], default="en")
    show.add_argument("--achievement", action="store_true",
                      help="print the Open Badges Achievement with its ResultDescriptions")
    show.set_defaults(func=run_show)
    check = rsub.add_parser("check", help="validate a rubric file (line-level messages)")
    check.add_argument("file")
    check.set_defaults(func=run_check)


def register_assess(sub: Sub) -> None:
    p = sub.add_parser("assess", help="decide an RPL assessment against its rubric")
    p.add_argument("file", help="ASSESSMENT.json")
    p.add_argument("--json", action="store_true", help="print the decision as JSON")
    p.set_defaults(func=run_assess)


def run_list(args: argparse.Namespace) -> int:
    for r in catalogue.bundled().values():
        print(f"{r.id:<26} v{r.version}  {r.cqf_level}  ISCO-08 {r.isco08}  {len(r.units)} units  "
              f"{r.title.en} / {r.title.km}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    rubric = catalogue.get(args.id)
    if args.achievement:
        from rpl_rubrics.credentials import achievement_definition

        print(json.dumps(achievement_definition(rubric), ensure_ascii=False, indent=1))
    else:
        print(render_rubric(rubric, args.lang))
    return 0


def render_rubric(r: Rubric, lang: str) -> str:
    lines = [f"{r.title.get(lang)}  ({r.id} v{r.version}, {r.cqf_level}, ISCO-08 {r.isco08} "
             f"{r.occupation.get(lang)})",
             f"content sha256 {r.sha256}",
             f"decision: every critical criterion met and at least {r.min_share_other:.0%} of the "
             f"others; evidence no older than {r.currency_years} years"]
    for u in r.units:
        occasions = f", evidence on {u.min_occasions} occasions" if u.min_occasions > 1 else ""
        lines.append(f"\n{u.code}  {u.title.get(lang)}{occasions}")
        for e in u.elements:
            lines.append(f"  {e.number}. {e.title.get(lang)}")
            for c in e.criteria:
                flag = " [critical]" if c.critical else ""
                required = ", ".join(sorted(m.value for m in c.required)) or "any accepted"
                lines.append(f"     {c.id} {c.text.get(lang)}{flag}  (required: {required})")
    return "\n".join(lines)


def run_check(args: argparse.Namespace) -> int:
    r = Rubric.from_file(Path(args.file))
    print(f"{args.file}: valid rubric {r.id} v{r.version}, {len(r.units)} units, "
          f"{sum(len(u.criteria) for u in r.units)} criteria, sha256 {r.sha256}")
    return 0


def run_assess(args: argparse.Namespace) -> int:
    assessment = Assessment.from_file(Path(args.file))
    decision = decide(catalogue.get(assessment.rubric_id, assessment.rubric_version), assessment)
    if args.json:
        print(json.dumps(decision.to_json(), ensure_ascii=False, indent=1))
    else:
        print(render_decision(decision))
    return 0


def render_decision(d: Decision) -> str:
    names = {Award.FULL_CERTIFICATE: "FULL CERTIFICATE",
             Award.STATEMENT_OF_ATTAINMENT: "STATEMENT OF ATTAINMENT", Award.NO_AWARD: "NO AWARD"}
    lines = [f"{d.assessment.candidate.name} / {d.assessment.candidate.name_km}: "
             f"{names[d.award]} in {d.rubric.title.en}"]
    for u in d.units:
        mark = "competent" if u.outcome is UnitOutcome.COMPETENT else "NOT YET COMPETENT"
        lines.append(f"  {u.unit.code:<10} {mark:<18} {u.met}/{u.total} criteria  {u.unit.title.en}")
        lines += [f"             - {reason}" for reason in u.reasons]
    if d.gap_training:
        lines.append("Gap training: " + "; ".join(f"{u.code} {u.title.en}" for u in d.gap_training))
    return "\n".join(lines)
