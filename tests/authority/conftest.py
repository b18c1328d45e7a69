"""An authority home in a temporary folder, its officials' passphrases in the environment."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from authority.home import HOME_ENV, Home
from authority.officials import env_var

Cli = Callable[..., tuple[int, str, str]]
OFFICIALS = [f"official-{n}" for n in range(1, 6)]


def passphrase_of(name: str) -> str:
    return f"passphrase of {name}"


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under `root`, for "nothing was written" checks, byte for byte."""
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    """Where the commands work; not created yet. Officials 1-5 have their passphrases set."""
    root = tmp_path / "authority-home"
    monkeypatch.setenv(HOME_ENV, str(root))
    for name in OFFICIALS:
        monkeypatch.setenv(env_var(name), passphrase_of(name))
    return Home(root)


@pytest.fixture
def national(home: Home, cli: Cli) -> Home:
    """A created home: three officials, two of whom must sign."""
    code, _, err = cli("authority", "init", "--officials", "3", "--threshold", "2")
    assert code == 0, err
    return home


def wait_until(t: datetime) -> None:
    """A compromise is declared from a time already past: let the clock pass `t`."""
    while datetime.now(UTC) <= t:
        time.sleep(0.05)


def sign(cli: Cli, *officials: str) -> str:
    """Each official in turn runs `sign` with the key kept in the home; the last output."""
    out = ""
    for name in officials:
        code, out, err = cli("authority", "sign", "--official", name)
        assert code == 0, err
    return out


