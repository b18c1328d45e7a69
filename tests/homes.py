"""Centre homes for tests: made as a centre makes them, accredited by a fixed test authority.

A centre's home holds no root key: `skillpass init` writes its key and an accreditation
request, the national authority signs a trust list naming the key, and the centre installs
it. Tests that need a centre able to issue get one here, accredited by a one-official test
authority with a fixed key (the real authority's commands have their own tests); the list is
installed as `skillpass trust install` installs it.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from issuer.demo import demo_profile
from issuer.home import Home, IssuerProfile
from passport.accreditation import AccreditationRequest
from passport.credential import Kind
from passport.fileio import write_atomic
from passport.trust import (
    CentreState,
    RootSet,
    issuer_entry,
    key_entry,
    sign_trust_list,
    trust_list_document,
)
from tests.world import derived_key

AUTHORITY_KEYS = "skills-passport test authority"


def authority_root() -> RootSet:
    return RootSet((derived_key(AUTHORITY_KEYS, "official 1").public,), 1)


def signed_list(home: Home, passphrase: str, *, version: int = 1,
                accreditations: dict[Kind, list[str]] | None = None,
                keys: list[dict[str, Any]] | None = None,
                state: CentreState = CentreState.ACTIVE,
                at: datetime | None = None) -> dict[str, Any]:
    """The test authority's trust list accrediting the home's centre.

    `keys`: the centre's key entries (`passport.trust.key_entry`); default: every key of the
    home, valid from a day before `at`."""
    when = at or datetime.now(UTC)
    request = AccreditationRequest.from_text(home.request_file.read_text(), str(home.request_file))
    profile = home.profile()
    doc = trust_list_document(
        version=version, issued=when - timedelta(days=1), expires=when + timedelta(days=365),
        root_keys=list(authority_root().keys), threshold=1,
        issuers=[issuer_entry(
            issuer_id=request.centre_id, name=profile.name, name_km=profile.name_km,
            keys=keys or [key_entry(k.public, when - timedelta(days=1))
                          for k in home.centre_keys(passphrase)],
            accreditations=accreditations or profile.accreditations, state=state)])
    return sign_trust_list(doc, [derived_key(AUTHORITY_KEYS, "official 1")])


def accredit(home: Home, passphrase: str, **list_options: Any) -> None:
    """Accredit the home's centre and install the list as `skillpass trust install` would."""
    write_atomic(home.root_pub_file, json.dumps(authority_root().to_json()).encode())
    write_atomic(home.trust_list_file, json.dumps(signed_list(home, passphrase,
                                                              **list_options)).encode())


def accredited_home(root: Path, passphrase: str, profile: IssuerProfile | None = None) -> Home:
    """A centre home as `skillpass init --demo` makes it, accredited and installed."""
    home = Home(root)
    home.init(profile or demo_profile(), passphrase, datetime.now(UTC))
    accredit(home, passphrase)
    return home


def accredited_home_from_env() -> Home:
    """`accredited_home` at $SKILLPASS_HOME with $SKILLPASS_PASSPHRASE (command-line tests)."""
    return accredited_home(Path(os.environ["SKILLPASS_HOME"]), os.environ["SKILLPASS_PASSPHRASE"])
