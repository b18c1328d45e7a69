"""Where the verifier finds its trust: the bundle file and the pinned root keys."""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path

from passport.bundle import TrustBundle
from passport.errors import StorageError, TrustError, UsageError
from passport.fileio import read_bytes
from passport.keys import PublicKey

ROOT_FILE_LIMIT = 64 * 1024
BUNDLE_LIMIT = 64 * 1024 * 1024


def home() -> Path:
    return Path(os.environ.get("SKILLPASS_HOME", "instance"))


def pinned_roots(root_file: str | None) -> tuple[PublicKey, ...]:
    """The root keys to trust: an explicit file, else the home's, else the packaged pin."""
    if root_file:
        data = read_bytes(Path(root_file), limit=ROOT_FILE_LIMIT)
    elif (home() / "root-keys.json").exists():
        data = read_bytes(home() / "root-keys.json", limit=ROOT_FILE_LIMIT)
    else:
        data = resources.files("passport").joinpath("data", "root-keys.json").read_bytes()
    try:
        doc = json.loads(data)
        keys = tuple(PublicKey.from_jwk(k) for k in doc["rootKeys"])
    except (json.JSONDecodeError, KeyError, TypeError):
        raise TrustError("root key file must be JSON {\"rootKeys\": [JWK, ...]}") from None
    if not keys:
        raise TrustError("no national root key is pinned in this install; pass --root FILE "
                         "or run 'skillpass init' for a demo home")
    return keys


def load_bundle(path: str | None, root_file: str | None) -> TrustBundle:
    bundle_path = Path(path) if path else home() / "trust-bundle.json"
    if not bundle_path.exists():
        raise UsageError(f"no trust bundle at {bundle_path}: pass --trust FILE, --jwk FILE, "
                         "or run 'skillpass init'")
    try:
        data = read_bytes(bundle_path, limit=BUNDLE_LIMIT)
    except StorageError:
        raise
    return TrustBundle.from_json(data, roots=pinned_roots(root_file))
