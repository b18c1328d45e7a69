"""A bounded fuzz of the entry points that read what a stranger hands over.

The QR codec, the verifier (with a trust bundle and with one key) and the trust bundle loader
each take a few hundred inputs: mutated genuine ones (tests/fuzz.py: every layer, signed again
where a signature would stop a mutation early) and arbitrary ones. Each may answer anything or
raise the project's own errors; any other exception fails the test, shrunk by hypothesis to
its smallest input. bench/bench_fuzz.py runs the same targets over 100,000 inputs.
"""

from __future__ import annotations

import contextlib
import json
import random
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from passport import qr
from passport.bundle import TrustBundle
from passport.errors import Error
from passport.verify import verify
from tests.fuzz import AT, TARGETS, Material, material

FUZZ = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])


@cache
def _material() -> Material:
    return material()


def _only_our_errors(run: Any, *args: Any, **kwargs: Any) -> None:
    with contextlib.suppress(Error):  # anything else fails the test
        run(*args, **kwargs)


@pytest.mark.parametrize("target", sorted(TARGETS))
@FUZZ
@given(rng=st.randoms(use_true_random=False))
def test_mutated_inputs_meet_only_our_errors(target: str, rng: random.Random) -> None:
    _only_our_errors(TARGETS[target], rng, _material())


@FUZZ
@given(text=st.text(max_size=300) | st.text("SP1:0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./",
                                            max_size=600).map(lambda t: "SP1:" + t))
def test_arbitrary_text_meets_only_our_errors(text: str) -> None:
    m = _material()
    _only_our_errors(qr.decode, text)
    _only_our_errors(verify, text, at=AT, trust=m.bundle)
    _only_our_errors(verify, text, at=AT, key=m.key)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["type", "trustList", "statusLists", "syncedAt", "payload",
                         "signatures", "protected", "signature", "centres", "rootHistory"]) |
        st.text(max_size=8), inner, max_size=4),
    max_leaves=20)


@FUZZ
@given(doc=json_values, raw=st.binary(max_size=200))
def test_arbitrary_bundles_meet_only_our_errors(doc: Any, raw: bytes) -> None:
    m = _material()
    _only_our_errors(TrustBundle.from_json, json.dumps(doc).encode(), roots=m.roots)
    _only_our_errors(TrustBundle.from_json, raw, roots=m.roots)
