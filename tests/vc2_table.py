"""The VC 2.0 rule table (tests/vectors/vc2/rules.json) applied: a row's edits made to a
credential, signed with a fixed test key. tests/test_vc2_rules.py runs every row in both
verification modes; tests/vectors/make_verifier_cases.py copies the rows with a trust-bundle
expectation into the shared parity cases, so the phone page must give the same answers."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from passport import jws
from passport.credential import CONTENT_TYPE, MEDIA_TYPE, encode_claims
from passport.keys import PrivateKey

TABLE = json.loads((Path(__file__).parent / "vectors" / "vc2" / "rules.json").read_text())
BASE: dict[str, Any] = TABLE["base"]
ROWS: list[dict[str, Any]] = TABLE["rows"]
Path_ = list[str | int]


def _parent(doc: Any, path: Path_) -> tuple[Any, str | int]:
    for step in path[:-1]:
        doc = doc[step]
    return doc, path[-1]


def _get(doc: Any, path: Path_) -> Any:
    parent, last = _parent(doc, path)
    return parent[last]


def edited(claims: dict[str, Any], row: dict[str, Any], at: datetime) -> dict[str, Any]:
    """A copy of `claims` with the row's edits; `at` is the check time ("at" edits)."""
    doc = copy.deepcopy(claims)
    for op, path, arg in row["edits"]:
        parent, last = _parent(doc, path)
        if op == "set":
            parent[last] = copy.deepcopy(arg)
        elif op == "add":
            parent[last].append(copy.deepcopy(arg))
        elif op == "copy":
            parent[last] = copy.deepcopy(_get(doc, arg))
        elif op == "at":
            parent[last] = int(at.timestamp()) + arg
        else:
            raise ValueError(f"{row['name']}: unknown edit {op!r}")
    return doc


def signed(claims: dict[str, Any], row: dict[str, Any], key: PrivateKey) -> str:
    """The compact JWS of `claims` under the row's header changes (typ, cty)."""
    header = {"typ": MEDIA_TYPE, "cty": CONTENT_TYPE, **row.get("header", {})}
    return jws.sign(encode_claims(claims), key, typ=header["typ"], cty=header["cty"])
