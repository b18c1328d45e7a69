"""The demo: a home with a demo issuer, and sample credentials written to a folder."""

from __future__ import annotations

import json
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from issuer.home import Home, IssuerProfile, demo_achievement
from passport import qr
from passport.credential import HolderInput, StatusPurpose, parse_time
from passport.fileio import write_atomic


def demo_data() -> dict[str, Any]:
    text = resources.files("issuer").joinpath("data", "demo.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def demo_profile() -> IssuerProfile:
    return IssuerProfile.from_json(demo_data()["issuer"])


def write_demo(home: Home, secret: str, out: Path, at: datetime) -> list[Path]:
    """Issue every demo holder's credential; write NAME.jwt, NAME.qr.txt and the bundle."""
    data = demo_data()
    home.init(demo_profile(), secret, at)
    key = home.issuer_key(secret)
    written: list[Path] = []
    for person in data["holders"]:
        spec = data["achievements"][person["achievement"]]
        units = person.get("units")
        achievement = demo_achievement(person["achievement"], spec, units)
        course = person.get("course")
        activity = (parse_time(course["start"]), parse_time(course["end"])) if course else None
        credential, compact = home.issue(
            key, holder=HolderInput(person["name"], person["nameKm"], person["birthYear"],
                                    person["nationalId"]),
            achievement=achievement, results=units, at=at, activity=activity)
        if person.get("revoked"):
            home.set_status(StatusPurpose.REVOCATION, credential.status[0].index)
        write_atomic(out / f"{person['file']}.jwt", compact.encode() + b"\n")
        write_atomic(out / f"{person['file']}.qr.txt", qr.encode(compact).encode() + b"\n")
        written += [out / f"{person['file']}.jwt", out / f"{person['file']}.qr.txt"]
    home.publish(key, at)
    write_atomic(out / "trust-bundle.json", home.bundle_file.read_bytes())
    write_atomic(out / "root-keys.json", home.root_pub_file.read_bytes())
    return [*written, out / "trust-bundle.json", out / "root-keys.json"]
