"""Where the verifier finds its trust: the bundle file and the pinned root keys."""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path

from passport.bundle import TrustBundle
from passport.errors import RollbackError, StorageError, TrustError, UsageError
from passport.fileio import read_bytes, write_atomic
from passport.trust import RootSet

ROOT_FILE_LIMIT = 64 * 1024
BUNDLE_LIMIT = 64 * 1024 * 1024


def home() -> Path:
    return Path(os.environ.get("SKILLPASS_HOME", "instance"))


def pinned_roots(root_file: str | None) -> RootSet:
    """The root to trust (its keys and how many must sign): an explicit file, else the home's,
    else the packaged pin."""
    if root_file:
        data = read_bytes(Path(root_file), limit=ROOT_FILE_LIMIT)
    elif (home() / "root-keys.json").exists():
        data = read_bytes(home() / "root-keys.json", limit=ROOT_FILE_LIMIT)
    else:
        data = resources.files("passport").joinpath("data", "root-keys.json").read_bytes()
    try:
        doc = json.loads(data)
    except json.JSONDecodeError:
        doc = None
    if isinstance(doc, dict) and doc.get("rootKeys") == []:
        raise TrustError("no national root key is pinned in this install; pass --root FILE "
                         "or run 'skillpass init' for a demo home")
    return RootSet.from_json(doc)


def bundle_path(path: str | None) -> Path:
    found = Path(path) if path else home() / "trust-bundle.json"
    if not found.exists():
        raise UsageError(f"no trust bundle at {found}: pass --trust FILE, --jwk FILE, "
                         "or run 'skillpass init'")
    return found


def load_bundle(path: str | None, root_file: str | None) -> TrustBundle:
    data = read_bytes(bundle_path(path), limit=BUNDLE_LIMIT)
    return TrustBundle.from_json(data, roots=pinned_roots(root_file))


def sync(url: str, root_file: str | None, *, timeout: float = 30) -> TrustBundle:
    """Fetch a bundle and keep it only if it verifies and its trust list is not older.

    The new file replaces the old one atomically; on any failure the old one stays.
    """
    import urllib.error
    import urllib.request

    if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise UsageError("trust bundles are fetched over HTTPS (or from this machine)")
    target = home() / "trust-bundle.json"
    roots = pinned_roots(root_file)
    cached = TrustBundle.from_json(read_bytes(target, limit=BUNDLE_LIMIT), roots=roots) \
        if target.exists() else None
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            data = response.read(BUNDLE_LIMIT + 1)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise StorageError(url, f"could not fetch ({exc}); the cached bundle stays") from None
    if len(data) > BUNDLE_LIMIT:
        raise StorageError(url, "the bundle is too large; the cached bundle stays")
    fresh = TrustBundle.from_json(data, roots=roots)
    # The same version is an update of the status lists; an older trust list is a rollback.
    if cached is not None and fresh.trust_list.version < cached.trust_list.version:
        raise RollbackError("trust list", fresh.trust_list.version, cached.trust_list.version)
    write_atomic(target, data)
    return fresh
