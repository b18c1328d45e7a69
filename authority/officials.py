"""Officials: their names, their passphrases, their sealed root keys.

Each official's key is sealed under that official's own passphrase, so no one person (nor the
machine) can sign for another. A passphrase comes from SKILLPASS_PASSPHRASE_<NAME> (for
scripted ceremonies), else from a prompt on a terminal, else the command stops and says which
variable to set: it never waits on a pipe that will not answer.
"""

from __future__ import annotations

import getpass
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from passport import jsonread
from passport.errors import DocumentError, KeyFileError, TrustError, UsageError
from passport.fileio import read_bytes
from passport.keys import PrivateKey, PublicKey, unseal

ENV_PREFIX = "SKILLPASS_PASSPHRASE_"
MIN_PASSPHRASE = 8
OFFICIAL_TYPE = "SkillsPassportOfficial"
KEY_FILE_LIMIT = 64 * 1024
KEY_FILE_LIMITS = jsonread.Limits(max_bytes=KEY_FILE_LIMIT, max_depth=8)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")  # the whole name: fullmatch

# (official's name, whether it is being set) -> passphrase
Passphrases = Callable[[str, bool], str]


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise UsageError(f"official name {name!r}: use 1 to 40 letters, digits, '.', '_' or "
                         "'-', starting with a letter or digit")
    return name


def env_var(name: str) -> str:
    """SKILLPASS_PASSPHRASE_ + the name upper-cased, every other character as `_`."""
    return ENV_PREFIX + re.sub(r"[^A-Z0-9]", "_", name.upper())


def passphrase(name: str, creating: bool) -> str:
    """The official's passphrase: the environment, else a prompt (twice when setting it)."""
    var = env_var(name)
    value = os.environ.get(var)
    if value is None:
        if not sys.stdin.isatty():
            raise UsageError(f"no passphrase for official {name}: set {var} or run the command "
                             "on a terminal to be asked")
        value = getpass.getpass(f"Passphrase of {name}: ")
        if creating and getpass.getpass(f"Passphrase of {name} again: ") != value:
            raise UsageError(f"the two passphrases typed for {name} differ")
    if creating and len(value) < MIN_PASSPHRASE:
        raise UsageError(f"the passphrase of {name} ({var}) must have at least "
                         f"{MIN_PASSPHRASE} characters")
    if not value:
        raise UsageError(f"the passphrase of {name} ({var}) is empty")
    return value


@dataclass(frozen=True)
class Signer:
    name: str
    key: PrivateKey


def read_sealed(path: Path) -> dict[str, Any]:
    try:
        doc = jsonread.loads(read_bytes(path, limit=KEY_FILE_LIMIT), KEY_FILE_LIMITS)
    except jsonread.JSONRejected as exc:
        raise UsageError(f"{path}: not a sealed key file ({exc})") from None
    if not isinstance(doc, dict):
        raise UsageError(f"{path}: not a sealed key file")
    return doc


def load_signer(path: Path, name: str | None, passphrases: Passphrases) -> Signer:
    """Unseal an official's key file with that official's passphrase."""
    doc = read_sealed(path)
    label = doc.get("label")
    who = name or (label if isinstance(label, str) and label else None)
    if who is None:
        raise UsageError(f"{path} does not say whose key it is: pass --official NAME")
    check_name(who)
    try:
        key = unseal(doc, passphrases(who, False))
    except KeyFileError as exc:
        raise KeyFileError(f"{path}: {exc} (the passphrase of {who}, {env_var(who)})") from None
    return Signer(who, key)


def read_public(path: Path) -> tuple[str, PublicKey]:
    """An official's name and public key from their public file or their sealed key file
    (only the public part of a sealed file is read; it is never unsealed here)."""
    doc = read_sealed(path)
    if doc.get("type") == OFFICIAL_TYPE:
        name, field, jwk = doc.get("name"), "jwk", doc.get("jwk")
    elif "publicJwk" in doc:
        name, field, jwk = doc.get("label"), "publicJwk", doc.get("publicJwk")
    else:
        raise DocumentError(str(path), [("type", f"neither an official's public file "
                                                 f"({OFFICIAL_TYPE}) nor a sealed key file")])
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise DocumentError(str(path), [("name" if field == "jwk" else "label",
                                         "must name the official")])
    try:
        return name, PublicKey.from_jwk(jwk)
    except TrustError as exc:
        raise DocumentError(str(path), [(field, str(exc))]) from None


def public_file(name: str, key: PublicKey) -> dict[str, Any]:
    return {"type": OFFICIAL_TYPE, "name": name, "jwk": key.jwk()}
