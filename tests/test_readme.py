"""README states only what was measured: its figures equal the committed bench results."""

from __future__ import annotations

from bench.readme_table import ROOT, render


def test_readme_figures_match_the_last_bench_run() -> None:
    readme = (ROOT / "README.md").read_text()
    assert readme == render(readme), "run 'make bench' (it rewrites README's table)"
