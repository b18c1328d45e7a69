"""The page's VC Data Model 2.0 rules give Python's answers: every row of the rule table (the
ones the page never sees with a trust bundle too, run in node), and dates, valid or not."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from passport import vcdm
from tests.conftest import CHECK_AT
from tests.vc2_table import BASE, ROWS, edited

SCRIPT = Path(__file__).with_name("vcdm_stage.mjs")


def _node(inputs: list[dict[str, Any]]) -> list[list[Any]]:
    if shutil.which("node") is None:
        pytest.fail("node is missing: 'make test' builds the page with it")
    run = subprocess.run(["node", str(SCRIPT)], input="\n".join(json.dumps(i) for i in inputs),
                         capture_output=True, text=True, timeout=120, check=True)
    answers: list[list[Any]] = json.loads(run.stdout)
    return answers


def _python(claims: dict[str, Any]) -> list[Any]:
    try:
        vcdm.check(claims)
    except vcdm.DataModelError as exc:
        return [exc.rule.value, str(exc)]
    return ["ok", None]


def test_every_table_row_gets_the_same_answer_and_message() -> None:
    claims = [edited(BASE, row, CHECK_AT) for row in ROWS if row["jwk"] is not None]
    # The rows whose claims reach the rules (the format check refuses a non-object first).
    claims = [c for c in claims if isinstance(c.get("@context"), list) and c["@context"]
              and isinstance(c.get("type"), list) and "issuer" in c]
    assert len(claims) > 50
    assert _node([{"claims": c} for c in claims]) == [_python(c) for c in claims]


def _times() -> list[str]:
    rng = random.Random(12)
    out = ["2023-01-01T00:00:00.123Z", "2023-01-01T00:00:00-06:00", "0001-01-01T00:00:00+14:00",
           "9999-12-31T23:59:59.999999999-14:00", "2024-02-29T00:00:00Z", "2100-02-29T00:00:00Z",
           "2000-02-29T12:00:00+05:45", "2023-01-01T24:00:00Z", "2023-01-01T00:00:00+14:01"]
    for _ in range(400):
        y, mo, d = rng.randint(0, 9999), rng.randint(0, 13), rng.randint(0, 32)
        h, mi, s = rng.randint(0, 25), rng.randint(0, 60), rng.randint(0, 60)
        frac = rng.choice(["", ".0", ".5", ".050", "." + str(rng.randint(0, 10**9))])
        zone = rng.choice(["Z", "+00:00", f"-{rng.randint(0, 15):02d}:{rng.randint(0, 60):02d}",
                           f"+{rng.randint(0, 15):02d}:{rng.choice([0, 30, 45]):02d}", ""])
        out.append(f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}{frac}{zone}")
    return out


def test_dates_name_the_same_instants() -> None:
    texts = _times()
    expected: list[list[Any]] = []
    for text in texts:
        try:
            expected.append(["ok", list(vcdm.parse_date_time_stamp(text))])
        except vcdm.DataModelError as exc:
            expected.append([exc.rule.value, str(exc)])
    answers = _node([{"time": t} for t in texts])
    assert answers == expected
    assert 50 < sum(a[0] == "ok" for a in answers) < len(texts)
