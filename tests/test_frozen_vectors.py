"""Cards printed with a released codec version keep decoding and verifying, forever."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from passport import qr
from passport.bundle import TrustBundle
from passport.keys import PublicKey
from passport.verify import verify

VECTORS = Path(__file__).parent / "vectors"
RELEASES = sorted(p for p in VECTORS.iterdir() if p.is_dir() and re.fullmatch(r"v\d+", p.name))
CASES = [(v, name) for v in RELEASES
         for name in json.loads((v / "expected.json").read_text())["cases"]]


def test_every_codec_version_has_vectors() -> None:
    versions = {int(p.name[1:]) for p in RELEASES}
    assert versions == set(qr.DICTIONARIES)


@pytest.mark.parametrize(("folder", "name"), CASES, ids=[f"{v.name}-{n}" for v, n in CASES])
def test_vector(folder: Path, name: str, cli: Callable[..., tuple[int, str, str]]) -> None:
    expected = json.loads((folder / "expected.json").read_text())
    case = expected["cases"][name]
    text = (folder / f"{name}.qr.txt").read_text().strip()
    compact = (folder / f"{name}.jwt").read_text().strip()
    assert qr.decode(text) == compact
    roots = tuple(PublicKey.from_jwk(k) for k in json.loads(
        (folder / "root-keys.json").read_text())["rootKeys"])
    bundle = TrustBundle.from_json((folder / "trust-bundle.json").read_bytes(), roots=roots)
    at = datetime.fromisoformat(expected["checkAt"])
    result = verify(text, at=at, trust=bundle)
    assert result.verdict.value == case["verdict"]
    assert sorted(c.code.value for c in result.failures()) == case["failed"]
    code, out, _ = cli("verify", text, "--trust", str(folder / "trust-bundle.json"),
                       "--root", str(folder / "root-keys.json"), "--at", expected["checkAt"],
                       "--json")
    assert json.loads(out)["verdict"] == case["verdict"]
    assert code == (0 if case["verdict"] == "valid" else 1)

