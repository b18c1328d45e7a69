"""A centre's id has one canonical form, and no centre of a trust list lies inside another's
URL space: else a centre signs status lists where another's are looked for (a parent at its
child's URLs, a lookalike at its twin's). Python and the phone page judge ids alike."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from authority import national
from passport import centreid
from passport.credential import Kind, StatusPurpose
from passport.errors import TrustError
from passport.status import Bitstring, StatusList, sign_status_list, status_list_claims
from passport.trust import (
    RootSet,
    TrustList,
    decode_signed,
    issuer_entry,
    key_entry,
    sign_trust_list,
    trust_list_document,
)
from tests.world import ISSUED, World

WEB = Path(__file__).resolve().parents[1] / "verifier" / "web"

# (as written, its canonical form or the start of why it has none)
CANONICAL = [
    ("https://c1.example", "https://c1.example"),
    ("https://c1.example/", "https://c1.example"),
    ("https://c1.example/./", "https://c1.example"),
    ("https://c1.example//", "https://c1.example"),
    ("https://c1.example:443", "https://c1.example"),
    ("https://c1.example:0443/", "https://c1.example"),
    ("https://C1.Example", "https://c1.example"),
    ("HTTPS://c1.example", "https://c1.example"),
    ("https://c1.example.", "https://c1.example"),
    ("https://c1.example:8443", "https://c1.example:8443"),
    ("https://tvet.example/btb", "https://tvet.example/btb"),
    ("https://tvet.example/btb/", "https://tvet.example/btb"),
    ("https://tvet.example/a/../btb", "https://tvet.example/btb"),
    ("https://tvet.example/../btb", "https://tvet.example/btb"),
    ("https://tvet.example/a/./b~c_d-e.f", "https://tvet.example/a/b~c_d-e.f"),
    ("https://xn--y9a.example", "https://xn--y9a.example"),
    ("https://c9.example\n", "contains whitespace or a control character"),
    ("https://c9.example ", "contains whitespace or a control character"),
    ("https://c9.exa\tmple", "contains whitespace or a control character"),
    ("https://c9.example\x7f", "contains whitespace or a control character"),
    ("https://c9.example\u0085", "contains whitespace or a control character"),
    ("https://c9.example\u00a0", "contains whitespace or a control character"),
    ("https://c9.éxample", "contains a character outside ASCII"),
    ("http://c1.example", "is not an https:// URL"),
    ("c1.example", "is not an https:// URL"),
    ("https://c1.example?x=1", "has a query or a fragment"),
    ("https://c1.example/#top", "has a query or a fragment"),
    ("https://user@c1.example", "names a user"),
    ("https://", "host '' is not a host name"),
    ("https://.example", "host '.example' is not a host name"),
    ("https://a..example", "host 'a..example' is not a host name"),
    ("https://-c1.example", "host '-c1.example' is not a host name"),
    ("https://c1_x.example", "host 'c1_x.example' is not a host name"),
    ("https://" + "a" * 64 + ".example", "host"),
    ("https://c1.example:", "port '' is not a port number"),
    ("https://c1.example:0", "port '0' is not a port number"),
    ("https://c1.example:65536", "port '65536' is not a port number"),
    ("https://c1.example:44x3", "port '44x3' is not a port number"),
    ("https://[::1]", "host '[' is not a host name"),
    ("https://c1.example/a%2Fb", "path segment 'a%2Fb'"),
    ("https://c1.example/a b", "contains whitespace"),
    ("https://c1.example/" + "a" * 190, "is longer than 200 characters"),
]
# (ids of a trust list in order, why they cannot be listed together)
CLASHES = [
    (["https://tvet.example", "https://tvet.example/btb"],
     "issuer https://tvet.example/btb lies inside the URL space of issuer https://tvet.example"),
    (["https://tvet.example/btb", "https://tvet.example"],
     "issuer https://tvet.example/btb lies inside the URL space of issuer https://tvet.example"),
    (["https://tvet.example", "https://tvet.example/a/b/c"],
     "issuer https://tvet.example/a/b/c lies inside the URL space of issuer "
     "https://tvet.example"),
    (["https://c1.example", "https://c1.example/"],
     "issuers https://c1.example and https://c1.example/ are one URL (https://c1.example)"),
    (["https://c1.example", "https://c1.example/./"],
     "issuers https://c1.example and https://c1.example/./ are one URL (https://c1.example)"),
    (["https://c1.example:443", "https://c1.example"],
     "issuers https://c1.example:443 and https://c1.example are one URL (https://c1.example)"),
    (["https://x.example/a", "https://x.example/a/../b"],
     "issuer https://x.example/a/../b lies inside the URL space of issuer https://x.example/a"),
    (["https://x.example/b", "https://x.example/a/../b/c"],
     "issuer https://x.example/a/../b/c lies inside the URL space of issuer "
     "https://x.example/b"),
    (["https://x.example/a", "https://x.example/ab"], None),
    (["https://x.example", "https://x.example.kh", "https://x.example:8443"], None),
    (["https://ab.example", "https://b.example"], None),
]


@pytest.mark.parametrize(("written", "expected"), CANONICAL, ids=[repr(w) for w, _ in CANONICAL])
def test_the_canonical_form_of_a_centre_id(written: str, expected: str) -> None:
    if expected.startswith("https://"):
        assert centreid.canonical(written) == expected
        assert centreid.canonical(expected) == expected  # canonical is a fixed point
    else:
        with pytest.raises(ValueError) as why:
            centreid.canonical(written)
        assert str(why.value).startswith(expected), str(why.value)


@pytest.mark.parametrize(("ids", "why"), CLASHES, ids=[" ".join(i) for i, _ in CLASHES])
def test_ids_that_cannot_be_listed_together(ids: list[str], why: str | None) -> None:
    assert centreid.clash(ids) == why


def _node(script: str, data: object) -> object:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: 'make test' builds the page with it")
    if not (WEB / "node_modules").is_dir():
        pytest.fail("the page's packages are missing: 'make test' installs them (npm ci)")
    done = subprocess.run([node, "--input-type=module", "-e", script], input=json.dumps(data),
                          capture_output=True, text=True, check=True, timeout=60, cwd=WEB)
    return json.loads(done.stdout)


def test_the_phone_page_judges_ids_as_python_does() -> None:
    written = [w for w, _ in CANONICAL] + [i for ids, _ in CLASHES for i in ids]
    script = ("import { canonicalId, idClash } from './src/trust.js';"
              "import { readFileSync } from 'node:fs';"
              "const [ids, lists] = JSON.parse(readFileSync(0, 'utf8'));"
              "process.stdout.write(JSON.stringify([ids.map(canonicalId), lists.map(idClash)]));")
    page = _node(script, [written, [ids for ids, _ in CLASHES]])

    def python(text: str) -> str | None:
        try:
            return centreid.canonical(text)
        except ValueError:
            return None

    assert page == [[python(w) for w in written], [why for _, why in CLASHES]]


def _signed_list(ids: list[str], world: World) -> dict[str, object]:
    doc = trust_list_document(
        version=1, issued=ISSUED - timedelta(days=30), expires=ISSUED + timedelta(days=365),
        root_keys=[world.root.public],
        issuers=[issuer_entry(issuer_id=cid, name=cid, name_km=cid,
                              keys=[key_entry(world.key(cid).public, ISSUED - timedelta(days=30))],
                              accreditations={Kind.RPL: ["*"]}) for cid in ids])
    return sign_trust_list(doc, [world.root])


@pytest.mark.parametrize(("ids", "why"), [c for c in CLASHES if c[1]],
                         ids=[" ".join(i) for i, w in CLASHES if w])
def test_a_trust_list_naming_such_ids_is_refused(ids: list[str], why: str) -> None:
    signed = _signed_list(ids, World(key_prefix="centre ids"))
    with pytest.raises(TrustError) as refused:
        TrustList.from_document(decode_signed(signed)[0], signed)
    assert str(refused.value) == f"trust list: {why}"


def _status(issuer: str, url: str, world: World) -> str:
    return sign_status_list(status_list_claims(
        url=url, issuer=issuer, purpose=StatusPurpose.REVOCATION, bitstring=Bitstring(),
        valid_from=ISSUED, valid_for=timedelta(days=7)), world.key(issuer))


def test_a_status_list_belongs_to_the_deepest_centre_whose_url_space_holds_it() -> None:
    """Were two nested centres ever listed (a list refuses it), the parent's list at the
    child's URL would still be refused, by the authority's bundle builder and verifiers."""
    world = World(key_prefix="centre ids")
    parent, child = "https://tvet.example", "https://tvet.example/btb"
    signed = _signed_list([parent], world)
    listed = TrustList.from_document(decode_signed(signed)[0], signed)
    nested_child = _signed_list([child], world)
    child_entry = TrustList.from_document(decode_signed(nested_child)[0], nested_child)
    both = TrustList(listed.version, listed.issued, listed.expires,
                     RootSet((world.root.public,), 1),
                     {**listed.issuers, **child_entry.issuers}, signed)
    shadow = _status(parent, f"{child}/status/revocation/1", world)
    assert national.judge(both, shadow) == (
        parent, f"status list {child}/status/revocation/1 lies in the URL space of {child}, "
                "not of its issuer")
    assert isinstance(national.judge(both, _status(parent, f"{parent}/status/revocation/1",
                                                   world))[1], StatusList)
    assert isinstance(national.judge(both, _status(child, f"{child}/status/revocation/1",
                                                   world))[1], StatusList)
    assert national.judge(both, _status(child, f"{parent}/status/revocation/1", world)) == (
        child, f"status list {parent}/status/revocation/1 is outside its issuer's URL space")
    assert centreid.owner(f"{child}/status/1", both.issuers) == child
    assert centreid.owner(f"{child}x/status/1", both.issuers) == parent
    assert centreid.owner("https://tvet.example.kh/status/1", both.issuers) is None
