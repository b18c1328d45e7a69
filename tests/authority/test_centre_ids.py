"""`skillpass authority accredit` takes a centre id in its one canonical form only, and never
one inside, or holding, the URL space of a centre already accredited."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from authority.home import Home
from passport import jws
from passport.accreditation import ACCREDITATION_TYP
from passport.keys import PrivateKey
from tests.authority.centres import Centre, key
from tests.authority.conftest import Cli
from tests.authority.test_cli import accredit, refused, write

A = "https://ntti.test.skillpass.kh"
NESTED = "https://tvet.test.skillpass.kh/btb"


def request(tmp_path: Path, centre_id: str, signer: PrivateKey) -> Path:
    """A request naming any id at all, signed by the key it asks for (as a centre could)."""
    doc = {"type": "SkillsPassportAccreditationRequest", "id": centre_id, "name": "Centre",
           "nameKm": "មជ្ឈមណ្ឌល", "jwk": signer.public.jwk(),
           "asks": [{"kind": "rpl", "occupations": ["7112"]}],
           "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    compact = jws.sign(json.dumps(doc).encode(), signer, typ=ACCREDITATION_TYP)
    return write(tmp_path / "requests" / f"{signer.kid}.jwt", compact)


# (the id a request names, what the refusal says about it)
REFUSED = [
    (f"{A}/", f"id: '{A}/' is {A}, already accredited, written another way"),
    (f"{A}/./", f"id: '{A}/./' is {A}, already accredited, written another way"),
    (A.replace(".kh", ".kh:443"), f"id: '{A}:443' is {A}, already accredited, written another "
                                  "way"),
    (A.upper().replace("HTTPS", "https"), f"$.id: '{A.upper().replace('HTTPS', 'https')}' "
                                          "does not match"),  # the schema: lower-case only
    (f"{A}.", f"id: '{A}.' is {A}, already accredited, written another way"),
    (f"{A}/sub", f"id: {A}/sub lies inside the URL space of the accredited centre {A}"),
    (f"{A}/sub/deeper/", f"is not written in its one canonical form {A}/sub/deeper"),
    (f"{A}/a/../sub", f"is not written in its one canonical form {A}/sub"),
    (f"{NESTED}/x", f"lies inside the URL space of the accredited centre {NESTED}"),
    ("https://tvet.test.skillpass.kh",
     f"id: the accredited centre {NESTED} lies inside the URL space of "
     "https://tvet.test.skillpass.kh"),
    ("https://new.test.skillpass.kh/", "id: 'https://new.test.skillpass.kh/' is not written in "
                                       "its one canonical form https://new.test.skillpass.kh"),
    ("https://c9.test.skillpass.kh:8443/", "canonical form https://c9.test.skillpass.kh:8443 "),
    ("https://c9.test.skillpass.kh\n", "id: 'https://c9.test.skillpass.kh\\n' does not match"),
    ("https://c9.test.skillpass.kh:0", "id: 'https://c9.test.skillpass.kh:0' port '0' is not a "
                                       "port number"),
    ("https://c9..test.skillpass.kh", "is not a host name"),
]


@pytest.fixture
def accredited(national: Home, cli: Cli, tmp_path: Path) -> Home:
    for centre_id, label in ((A, "centre a"), (NESTED, "centre nested")):
        accredit(cli, tmp_path, Centre(centre_id, "Centre", "មជ្ឈមណ្ឌល", key(label)))
    return national


@pytest.mark.parametrize(("centre_id", "said"), REFUSED, ids=[repr(i) for i, _ in REFUSED])
def test_an_id_not_canonical_or_nested_is_refused(accredited: Home, cli: Cli, tmp_path: Path,
                                                  centre_id: str, said: str) -> None:
    path = request(tmp_path, centre_id, key(f"asks {centre_id!r}"))
    err = refused(cli, accredited, "authority", "accredit", str(path))
    assert f"{path}: " in err and said in err, err


@pytest.mark.parametrize("centre_id", [f"{NESTED}x", "https://ntti.test.skillpass.kh.kh",
                                       "https://tvet.test.skillpass.kh/btc",
                                       "https://ntti.test.skillpass.kh:8443"])
def test_a_canonical_id_beside_the_others_is_accredited(accredited: Home, cli: Cli,
                                                        tmp_path: Path, centre_id: str) -> None:
    path = request(tmp_path, centre_id, key(f"asks {centre_id!r}"))
    code, _, err = cli("authority", "accredit", str(path))
    assert code == 0, err
    assert accredited.draft().content()["issuers"][-1]["id"] == centre_id
