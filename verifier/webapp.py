"""The phone verifier page as files: the built bundle plus one installation's trust data."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

from passport.errors import UsageError
from passport.fileio import write_atomic


def dist_dir() -> Path:
    path = Path(str(resources.files("verifier").joinpath("web", "dist")))
    if not (path / "app.js").exists():
        raise UsageError("the verifier page is not built: run 'make run' or 'make test' "
                         "(cd verifier/web && npm ci && node build.mjs)")
    return path


def config(root_keys: dict[str, Any]) -> dict[str, Any]:
    """The page's pin: the root keys and, when the root file has one, how many must sign."""
    built = json.loads((dist_dir() / "build.json").read_text())
    doc = {"rootKeys": root_keys["rootKeys"], "dictionaries": built["dictionaries"],
           "schemas": built["schemas"], "unitTitles": built["unitTitles"]}
    if "threshold" in root_keys:  # absent means 1, as in the root file
        doc["threshold"] = root_keys["threshold"]
    return doc


def pinned_service_worker(service_worker: bytes, config_text: bytes) -> bytes:
    """The built sw.js with the page's pin written in: the service worker answers
    verifier-config.json from its own text, which no script in the page can rewrite (the cache
    and localStorage it can), so a root written into the cache is never served (see sw.js)."""
    placeholder = b'"__CONFIG__"'
    if service_worker.count(placeholder) != 1:
        raise UsageError("the verifier page's sw.js has no place for the pin: rebuild the page")
    return service_worker.replace(placeholder, json.dumps(config_text.decode()).encode())


def export(dest: Path, bundle: bytes, root_keys: dict[str, Any]) -> list[Path]:
    """Write a folder any static host can serve: the page, its data and the trust bundle.

    The page carries its Content-Security-Policy in a <meta>; a host that can set headers
    should send it too, with frame-ancestors 'none' (which a <meta> cannot carry)."""
    source = dist_dir()
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, dest, dirs_exist_ok=True)
    pin = json.dumps(config(root_keys)).encode()
    write_atomic(dest / "verifier-config.json", pin)
    write_atomic(dest / "sw.js", pinned_service_worker((source / "sw.js").read_bytes(), pin))
    write_atomic(dest / "trust-bundle.json", bundle)
    return sorted(p for p in dest.rglob("*") if p.is_file())
