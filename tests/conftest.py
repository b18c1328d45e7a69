"""Shared fixtures: fixed keys and times make every vector reproducible."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from passport.credential import AchievementType, Kind, achievement_claims, alignments
from passport.keys import PrivateKey
from tests.serving import serving
from tests.world import World, derived_key

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
ISSUED_AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CHECK_AT = datetime(2026, 11, 4, 12, 0, tzinfo=UTC)
ISSUER_ID = "https://ntti.test.skillpass.kh"
TEST_KEYS = "skills-passport test key"


def fixed_key(label: str) -> PrivateKey:
    return derived_key(TEST_KEYS, label)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # "No tests ran" is a broken suite, never a pass.
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def own_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own home folder, unless the test names another: a verifier remembers the
    newest trust data it has seen there (verifier/memory.py), so tests must not share one,
    nor write one into the working folder (the default home, ./instance)."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("SKILLPASS_HOME", str(home))
    return home


def rpl_achievement(units: int = 6, *, full: bool = True, isco: str = "7112") -> dict[str, Any]:
    return achievement_claims(
        achievement_id="urn:skillpass:rubric:masonry-c1:1:AbCdEfGhIjKlMnOp",
        achievement_type=AchievementType.CERTIFICATE if full
        else AchievementType.STATEMENT_OF_ATTAINMENT,
        name="Masonry: bricklaying and blocklaying", name_km="ជាងសំណង់ឥដ្ឋ និងប្លុក",
        description="Skills recognised by Recognition of Prior Learning (RPL) assessment",
        criteria="Assessed against the rubric's units of competency",
        alignment=alignments(isco, "Bricklayers and related workers", "C1", "CQF level 1"),
    )


def suite_world() -> World:
    """The unit tests' world: a test institute accredited for masonry (ISCO 7112) only."""
    return World(
        key_prefix=TEST_KEYS, issuer_id=ISSUER_ID, issuer_name="Test Institute",
        issuer_name_km="វិទ្យាស្ថានសាកល្បង", accreditations={Kind.RPL: ["7112"], Kind.TVET: ["*"]},
        key_window=(ISSUED_AT - timedelta(days=30), None),
        trust_issued=ISSUED_AT - timedelta(days=60), trust_expires=ISSUED_AT + timedelta(days=365),
        status_from=ISSUED_AT, synced_at=CHECK_AT, issued_at=ISSUED_AT,
        achievement=rpl_achievement(), results=[f"MAS-0{i}" for i in range(1, 7)])


@pytest.fixture
def world() -> World:
    return suite_world()


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    from passport.cli import main

    def run(*argv: str) -> tuple[int, str, str]:
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err
    return run


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served on this machine, and the URL of bundle.json in it."""
    folder = tmp_path / "www"
    folder.mkdir()
    with serving(folder) as url:
        yield folder, f"{url}/bundle.json"
