"""issue-batch: every bad row reported before anything is issued; re-runs never issue twice;
batch credentials live in the centre's database like any other."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bench.batch_csv import results_csv
from issuer.batch import Progress, issue_batch
from issuer.db import Candidate, CredentialRecord, StatusAllocator
from issuer.home import Home
from issuer.installation import Installation
from issuer.service import credentials
from passport.errors import DocumentError
from rpl_rubrics import catalogue
from tests.homes import accredited_home_from_env

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli) -> Home:
    monkeypatch.setenv("SKILLPASS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SKILLPASS_PASSPHRASE", "pass")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    accredited_home_from_env()
    assert cli("init")[0] == 0
    return Home(tmp_path / "home")


@pytest.fixture
def installation(home: Home) -> Iterator[Installation]:
    with Installation.open(home, secret="pass") as opened:
        yield opened


def _csv(tmp_path: Path, rows: int, edit: Callable[[list[list[str]]], None] | None = None,
         name: str = "results.csv") -> Path:
    table = list(csv.reader(io.StringIO(results_csv(rows, datetime.now(UTC).date()))))
    if edit:
        edit(table)
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(table)
    return path


def _quiet(n: int) -> Progress:
    return Progress(n, io.StringIO())


def _slots(installation: Installation) -> list[tuple[int, int]]:
    with installation.store.read() as s:
        return [(a, b) for a, b in s.execute(select(CredentialRecord.status_list,
                                                    CredentialRecord.status_index))]


def test_batch_issues_credentials_cards_and_one_sheet(home: Home, tmp_path: Path,
                                                      cli: Cli) -> None:
    source = _csv(tmp_path, 24)
    code, out, err = cli("issue-batch", str(source), "--out", str(tmp_path / "out"))
    assert code == 0, err
    assert "Issued 24 new credential(s)" in out and "24/24 (100%)" in err
    out_dir = tmp_path / "out"
    assert len(list(out_dir.glob("*.jwt"))) == 24 and len(list(out_dir.glob("*.png"))) == 24
    assert (out_dir / "sheet.pdf").read_bytes().startswith(b"%PDF")
    assert not list(out_dir.glob(".sheet.pdf.*"))  # no temporary file left behind
    kinds = set()
    for qr_file in sorted(out_dir.glob("*.qr.txt")):
        code, verified, _ = cli("verify", str(qr_file), "--json")
        result = json.loads(verified)
        assert code == 0, result
        kinds.add(result["credential"]["credentialSubject"]["achievement"]["achievementType"])
    assert kinds == {"Certificate", "ext:StatementOfAttainment"}


def test_batch_credentials_are_in_the_database_with_their_candidates(
        installation: Installation, tmp_path: Path) -> None:
    report = issue_batch(installation, _csv(tmp_path, 12), tmp_path / "out",
                         at=datetime.now(UTC), progress=_quiet)
    assert (report.issued, report.cards) == (12, 12)
    with installation.store.read() as s:
        people = s.execute(select(Candidate)).scalars().all()
        records = s.execute(select(CredentialRecord)).scalars().all()
        assert len(people) == 12 and all(p.national_id_hash and p.birth_date is None
                                         for p in people)
        assert len(records) == 12 and all(r.request_key for r in records)
        for jwt in (tmp_path / "out").glob("*.jwt"):
            compact = jwt.read_text().strip()
            record = credentials.get(s, credentials.parsed_jws(compact).id)
            assert record.jws == compact
    assert len(set(_slots(installation))) == 12


def test_every_bad_row_is_reported_and_nothing_is_issued(installation: Installation,
                                                         tmp_path: Path) -> None:
    def spoil(table: list[list[str]]) -> None:
        table[2][2] = "nineteen-ninety"      # line 3: birth year
        table[4][4] = "no-such-rubric"       # line 5
        table[5][8] = "MAS-XXX/9.9"          # line 6: unknown criterion
        table[6][10] = "not-a-hash"          # line 7
        table[8] = list(table[7])            # line 9 duplicates line 8
        table[10][3] = table[9][3]           # line 11: line 10's national ID, another name

    with pytest.raises(DocumentError) as caught:
        issue_batch(installation, _csv(tmp_path, 12, spoil), tmp_path / "out",
                    at=datetime.now(UTC), progress=_quiet)
    where = [w for w, _ in caught.value.problems]
    for line in (3, 5, 6, 7, 9, 11):
        assert f"line {line}" in where
    text = caught.value.diagnostics()
    assert "same candidate and rubric as line 8" in text and "on line 10" in text
    assert not (tmp_path / "out").exists()
    with installation.store.read() as s:
        assert s.execute(select(func.count()).select_from(Candidate)).scalar() == 0
        assert s.execute(select(StatusAllocator.next_index)).scalar() == 0


def test_a_registered_national_id_must_name_the_same_person(installation: Installation,
                                                            tmp_path: Path) -> None:
    issue_batch(installation, _csv(tmp_path, 3), tmp_path / "out", at=datetime.now(UTC),
                progress=_quiet)

    def rename(table: list[list[str]]) -> None:
        table[2][0] = "Somebody Else"

    with pytest.raises(DocumentError, match="is registered to") as caught:
        issue_batch(installation, _csv(tmp_path, 3, rename, "second.csv"), tmp_path / "out2",
                    at=datetime.now(UTC), progress=_quiet)
    assert [w for w, _ in caught.value.problems] == ["line 3"]
    assert len(_slots(installation)) == 3


def test_header_problems(home: Home, tmp_path: Path, cli: Cli) -> None:
    def rename(table: list[list[str]]) -> None:
        table[0][0] = "fullname"

    code, _, err = cli("issue-batch", str(_csv(tmp_path, 2, rename)), "--out", str(tmp_path / "o"))
    assert code == 2 and "missing column(s): name" in err and "unknown column(s): fullname" in err


class _Crash(Exception):
    pass


def test_rerun_after_interruption_issues_nothing_twice(installation: Installation,
                                                       tmp_path: Path) -> None:
    source = _csv(tmp_path, 12)
    at = datetime.now(UTC)

    class CrashingProgress(Progress):
        def step(self) -> None:
            super().step()
            if self.done == 5:
                raise _Crash

    # The crash comes after the chunk's transaction committed, while its files are written.
    with pytest.raises(_Crash):
        issue_batch(installation, source, tmp_path / "out", at=at,
                    progress=lambda n: CrashingProgress(n, io.StringIO()))
    slots = _slots(installation)
    assert len(list((tmp_path / "out").glob("*.jwt"))) == 5
    assert not (tmp_path / "out" / "sheet.pdf").exists()  # a sheet is whole or absent
    first = {p.name: p.read_text() for p in (tmp_path / "out").glob("*.jwt")}

    later = datetime(at.year + 1, 1, 1, tzinfo=UTC)
    report = issue_batch(installation, source, tmp_path / "out", at=later, progress=_quiet)
    assert (report.issued, report.already) == (0, 12)
    assert _slots(installation) == slots
    after = {p.name: p.read_text() for p in (tmp_path / "out").glob("*.jwt")}
    assert len(after) == 12 and all(after[name] == jws for name, jws in first.items())
    assert (tmp_path / "out" / "sheet.pdf").read_bytes().startswith(b"%PDF")


def test_a_crash_inside_a_chunk_commits_nothing_of_that_chunk(
        installation: Installation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from issuer.service import issuance

    source = _csv(tmp_path, 10)
    real = issuance.issue_credential
    calls = {"n": 0}

    def failing(*args: object, **kwargs: object) -> issuance.Issued:
        calls["n"] += 1
        if calls["n"] == 7:  # the third row of the second chunk of four
            raise _Crash
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(issuance, "issue_credential", failing)
    with pytest.raises(_Crash):
        issue_batch(installation, source, tmp_path / "out", at=datetime.now(UTC),
                    progress=_quiet, chunk=4)
    assert len(_slots(installation)) == 4  # the first chunk only
    monkeypatch.setattr(issuance, "issue_credential", real)
    report = issue_batch(installation, source, tmp_path / "out", at=datetime.now(UTC),
                         progress=_quiet, chunk=4)
    assert (report.issued, report.already) == (report.cards - 4, 4)
    slots = _slots(installation)
    assert len(slots) == len(set(slots)) == report.cards


def test_rows_with_no_award_get_a_decision_but_no_credential(installation: Installation,
                                                             tmp_path: Path) -> None:
    def fail_everything(table: list[list[str]]) -> None:
        rubric = catalogue.get(table[1][4])
        table[1][8] = " ".join(c.key for u in rubric.units for c in u.criteria)

    report = issue_batch(installation, _csv(tmp_path, 3, fail_everything), tmp_path / "out",
                         at=datetime.now(UTC), progress=_quiet)
    assert (report.issued, report.no_award) == (2, 1)
    decisions = [json.loads(p.read_text()) for p in (tmp_path / "out" / "decisions").glob("*")]
    assert sorted(d["award"] for d in decisions).count("no_award") == 1


def test_dates_must_be_real(installation: Installation, tmp_path: Path) -> None:
    def bad_date(table: list[list[str]]) -> None:
        table[1][5] = "2026-02-30"

    with pytest.raises(DocumentError, match="line 2"):
        issue_batch(installation, _csv(tmp_path, 2, bad_date), tmp_path / "o",
                    at=datetime.now(UTC), progress=_quiet)


def test_a_rerun_does_not_print_a_card_revoked_since(installation: Installation,
                                                     tmp_path: Path) -> None:
    from issuer.service import accounts, status

    source = _csv(tmp_path, 4)
    issue_batch(installation, source, tmp_path / "out", at=datetime.now(UTC), progress=_quiet)
    with installation.store.transaction() as s:
        victim = s.execute(select(CredentialRecord.id)).scalars().first()
        assert victim is not None
        status.change(s, installation.centre, accounts.command_line_user(s), victim, "revoke",
                      "printed in error")
    report = issue_batch(installation, source, tmp_path / "again", at=datetime.now(UTC),
                         progress=_quiet)
    assert (report.issued, report.already, report.withheld, report.cards) == (0, 3, 1, 3)
    printed = {credentials.parsed_jws(p.read_text().strip()).id
               for p in (tmp_path / "again").glob("*.jwt")}
    assert victim not in printed and len(printed) == 3


def test_an_edited_row_is_not_certified_a_second_time(installation: Installation,
                                                      tmp_path: Path) -> None:
    issue_batch(installation, _csv(tmp_path, 3), tmp_path / "out", at=datetime.now(UTC),
                progress=_quiet)

    def edit(table: list[list[str]]) -> None:
        table[2][7] = "Another assessor"  # the same assessment, written down again

    with pytest.raises(DocumentError, match="already holds") as caught:
        issue_batch(installation, _csv(tmp_path, 3, edit, "edited.csv"), tmp_path / "out2",
                    at=datetime.now(UTC), progress=_quiet)
    assert [w for w, _ in caught.value.problems] == ["line 3"]
    assert len(_slots(installation)) == 3


def test_rows_the_centre_is_not_accredited_for_are_named_by_line(
        home: Home, tmp_path: Path) -> None:
    from passport.credential import Kind
    from tests.homes import accredit

    rubrics = list(catalogue.bundled().values())
    granted = rubrics[0].isco08
    accredit(home, "pass", accreditations={Kind.RPL: [granted], Kind.TVET: ["*"]})
    source = _csv(tmp_path, len(rubrics))
    with Installation.open(home, secret="pass") as installation:
        with pytest.raises(DocumentError) as caught:
            issue_batch(installation, source, tmp_path / "out", at=datetime.now(UTC),
                        progress=_quiet)
        refused = {where: why for where, why in caught.value.problems}
        expected = {f"line {n + 2}" for n, r in enumerate(rubrics) if r.isco08 != granted}
        assert set(refused) == expected and expected
        assert all("not accredited to certify rpl in ISCO-08" in why for why in refused.values())
        assert not (tmp_path / "out").exists()
        with installation.store.read() as s:
            assert s.execute(select(func.count()).select_from(CredentialRecord)).scalar() == 0


def test_every_bad_field_of_a_row_is_reported_at_once(installation: Installation,
                                                      tmp_path: Path) -> None:
    def edit(table: list[list[str]]) -> None:
        table[1][2] = "nineteen-ninety"  # birth_year
        table[1][8] = "MAS-XXX/9.9"  # not_met: no such criterion
        table[1][10] = "not-a-hash"  # evidence_sha256
        table[1][5] = "2026-02-30"  # assessment_date: no such day

    source = _csv(tmp_path, 3, edit)
    with pytest.raises(DocumentError) as caught:
        issue_batch(installation, source, tmp_path / "out", at=datetime.now(UTC), progress=_quiet)
    line2 = [msg for where, msg in caught.value.problems if where == "line 2"]
    columns = {msg.split(":", 1)[0] for msg in line2}
    assert {"birth_year", "not_met", "evidence_sha256"} <= columns, line2
    assert not (tmp_path / "out").exists()
