"""A synthetic job-fair results file: N candidates over the bundled rubrics."""

from __future__ import annotations

import csv
import hashlib
import io
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from issuer.batch import COLUMNS
from rpl_rubrics import catalogue

GIVEN = [("Dara", "ដារា"), ("Sophea", "សុភា"), ("Vuthy", "វុទ្ធី"), ("Sokha", "សុខា"),
         ("Channary", "ចាន់ណារី"), ("Rithy", "រិទ្ធី"), ("Bopha", "បុប្ផា"), ("Samnang", "សំណាង")]
FAMILY = [("Sok", "សុខ"), ("Chan", "ចាន់"), ("Keo", "កែវ"), ("Heng", "ហេង"), ("Lim", "លឹម"),
          ("Meas", "មាស"), ("Pich", "ពេជ្រ"), ("Ros", "រស់")]


def results_csv(rows: int, day: date) -> str:
    rubrics = list(catalogue.bundled().values())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for n in range(rows):
        rubric = rubrics[n % len(rubrics)]
        family, given = FAMILY[n % len(FAMILY)], GIVEN[(n // len(FAMILY)) % len(GIVEN)]
        critical = [c.key for u in rubric.units for c in u.criteria if c.critical]
        not_met = critical[n % len(critical)] if n % 5 == 0 else ""  # some statements of attainment
        writer.writerow([f"{family[0]} {given[0]}", f"{family[1]} {given[1]}", 1980 + n % 25,
                         f"{100000000 + n:09d}", rubric.id, day.isoformat(), "assessor-01",
                         "Job fair assessor", not_met, "",
                         hashlib.sha256(f"evidence {n}".encode()).hexdigest(),
                         date(day.year, day.month, 1).isoformat() if day.day > 1 else ""])
    return out.getvalue()


if __name__ == "__main__":
    sys.stdout.write(results_csv(int(sys.argv[1]), date.today()))
