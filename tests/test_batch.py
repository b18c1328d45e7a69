"""issue-batch: every bad row reported before anything is issued; re-runs never issue twice."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bench.batch_csv import results_csv
from issuer.batch import Progress, issue_batch
from issuer.home import Home
from passport.errors import DocumentError

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli) -> Home:
    monkeypatch.setenv("SKILLPASS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SKILLPASS_PASSPHRASE", "pass")
    assert cli("init")[0] == 0
    return Home(tmp_path / "home")


def _csv(tmp_path: Path, rows: int, edit: Callable[[list[list[str]]], None] | None = None) -> Path:
    table = list(csv.reader(io.StringIO(results_csv(rows, datetime.now(UTC).date()))))
    if edit:
        edit(table)
    path = tmp_path / "results.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(table)
    return path


def test_batch_issues_credentials_cards_and_one_sheet(home: Home, tmp_path: Path,
                                                      cli: Cli) -> None:
    source = _csv(tmp_path, 24)
    code, out, err = cli("issue-batch", str(source), "--out", str(tmp_path / "out"))
    assert code == 0, err
    assert "Issued 24 new credential(s)" in out and "24/24 (100%)" in err
    out_dir = tmp_path / "out"
    assert len(list(out_dir.glob("*.jwt"))) == 24 and len(list(out_dir.glob("*.png"))) == 24
    assert (out_dir / "sheet.pdf").read_bytes().startswith(b"%PDF")
    kinds = set()
    for qr_file in sorted(out_dir.glob("*.qr.txt"))[:24]:
        code, verified, _ = cli("verify", str(qr_file), "--json")
        result = json.loads(verified)
        assert code == 0, result
        kinds.add(result["credential"]["credentialSubject"]["achievement"]["achievementType"])
    assert kinds == {"Certificate", "ext:StatementOfAttainment"}


def test_every_bad_row_is_reported_and_nothing_is_issued(home: Home, tmp_path: Path,
                                                         cli: Cli) -> None:
    def spoil(table: list[list[str]]) -> None:
        table[2][2] = "nineteen-ninety"      # line 3: birth year
        table[4][4] = "no-such-rubric"       # line 5
        table[5][8] = "MAS-XXX/9.9"          # line 6: unknown criterion
        table[6][10] = "not-a-hash"          # line 7
        table[8] = list(table[7])            # line 9 duplicates line 8

    before = (home.root / "status" / "next-index").read_text()
    code, _, err = cli("issue-batch", str(_csv(tmp_path, 10, spoil)), "--out",
                       str(tmp_path / "out"))
    assert code == 2
    for line in (3, 5, 6, 7, 9):
        assert f"results.csv: line {line}:" in err
    assert "same candidate and rubric as line 8" in err
    assert not (tmp_path / "out").exists()
    assert (home.root / "status" / "next-index").read_text() == before


def test_header_problems(home: Home, tmp_path: Path, cli: Cli) -> None:
    def rename(table: list[list[str]]) -> None:
        table[0][0] = "fullname"

    code, _, err = cli("issue-batch", str(_csv(tmp_path, 2, rename)), "--out", str(tmp_path / "o"))
    assert code == 2 and "missing column(s): name" in err and "unknown column(s): fullname" in err


class _Crash(Exception):
    pass


def test_rerun_after_interruption_issues_nothing_twice(home: Home, tmp_path: Path) -> None:
    source = _csv(tmp_path, 12)
    key = home.issuer_key("pass")
    at = datetime.now(UTC)

    class CrashingProgress(Progress):
        def step(self) -> None:
            super().step()
            if self.done == 5:
                raise _Crash

    with pytest.raises(_Crash):
        issue_batch(home, key, source, tmp_path / "out", at=at,
                    progress=lambda n: CrashingProgress(n, io.StringIO()))
    counter = (home.root / "status" / "next-index").read_text()
    assert len(list((tmp_path / "out").glob("*.jwt"))) == 5
    first = {p.name: p.read_text() for p in (tmp_path / "out").glob("*.jwt")}

    later = datetime(at.year + 1, 1, 1, tzinfo=UTC)
    report = issue_batch(home, key, source, tmp_path / "out", at=later,
                         progress=lambda n: Progress(n, io.StringIO()))
    assert (report.issued, report.already) == (0, 12)
    assert (home.root / "status" / "next-index").read_text() == counter
    after = {p.name: p.read_text() for p in (tmp_path / "out").glob("*.jwt")}
    assert len(after) == 12 and all(after[name] == jws for name, jws in first.items())
    ids = {json.loads(line)["claims"]["id"]
           for line in (tmp_path / "out" / "ledger.jsonl").read_text().splitlines()}
    assert len(ids) == 12


def test_a_torn_last_ledger_line_is_ignored(home: Home, tmp_path: Path) -> None:
    source = _csv(tmp_path, 3)
    key = home.issuer_key("pass")
    quiet = lambda n: Progress(n, io.StringIO())  # noqa: E731
    issue_batch(home, key, source, tmp_path / "out", at=datetime.now(UTC), progress=quiet)
    ledger = tmp_path / "out" / "ledger.jsonl"
    ledger.write_text(ledger.read_text() + '{"key": "torn')
    report = issue_batch(home, key, source, tmp_path / "out", at=datetime.now(UTC),
                         progress=quiet)
    assert report.already == 3
    ledger.write_text('{"key": "torn\n' + ledger.read_text())
    with pytest.raises(Exception, match="line 1 is corrupt"):
        issue_batch(home, key, source, tmp_path / "out", at=datetime.now(UTC), progress=quiet)


def test_rows_with_no_award_get_a_decision_but_no_credential(home: Home, tmp_path: Path) -> None:
    from rpl_rubrics import catalogue

    def fail_everything(table: list[list[str]]) -> None:
        rubric = catalogue.get(table[1][4])
        table[1][8] = " ".join(c.key for u in rubric.units for c in u.criteria)

    report = issue_batch(home, home.issuer_key("pass"), _csv(tmp_path, 3, fail_everything),
                         tmp_path / "out", at=datetime.now(UTC),
                         progress=lambda n: Progress(n, io.StringIO()))
    assert (report.issued, report.no_award) == (2, 1)
    decisions = [json.loads(p.read_text()) for p in (tmp_path / "out" / "decisions").glob("*")]
    assert sorted(d["award"] for d in decisions).count("no_award") == 1


def test_dates_must_be_real(home: Home, tmp_path: Path) -> None:
    def bad_date(table: list[list[str]]) -> None:
        table[1][5] = "2026-02-30"

    with pytest.raises(DocumentError, match="line 2"):
        issue_batch(home, home.issuer_key("pass"), _csv(tmp_path, 2, bad_date), tmp_path / "o",
                    at=datetime.now(UTC), progress=lambda n: Progress(n, io.StringIO()))
    assert date(2026, 1, 1)  # the module's own date type is in use above
