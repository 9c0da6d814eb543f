"""The grading benchmark (benchmarks/bench_grading.py): its exit status follows its goals, and the
README quotes the report `make bench` writes."""
from __future__ import annotations

import json
from pathlib import Path

from benchmarks import bench_grading as B

ROOT = Path(__file__).resolve().parents[2]


def _runs() -> list[dict]:
    return json.loads((ROOT / "reports" / "bench_grading.json").read_text())["runs"]


def test_bench_exit_status_follows_the_goals(monkeypatch, tmp_path):
    """`make bench` fails when the grading benchmark misses a goal at any class size (the last
    report's measurements, with a speedup or overhead moved past its goal)."""
    measured = {r["handins"]: r for r in _runs()}
    for size in measured:
        for change, missed in (({}, False), ({"speedup": 1.79}, True), ({"overhead": 1.31}, True),
                               ({"same_scores": False}, True)):
            runs = {n: dict(r, **change) if n == size else r for n, r in measured.items()}
            monkeypatch.setattr(B, "bench", lambda ps, n, workers: runs[n])
            status = B.main(["--n", *map(str, measured), "--out", str(tmp_path / "b.md")])
            failing = missed or not all(all(B.goals(r)) and r["same_scores"] for r in measured.values())
            assert status == int(failing), (size, change)
            assert ("NOT met" in (tmp_path / "b.md").read_text()) == (
                not all(all(B.goals(r)) for r in runs.values())), (size, change)


def test_bench_report_default_and_readme_agree():
    """The report the README quotes is what `make bench` writes by default (10 and 24 hand-ins),
    and the README's numbers are the report's."""
    runs = _runs()
    assert tuple(r["handins"] for r in runs) == B.SIZES
    readme = (ROOT / "README.md").read_text()
    line = " ".join(readme.split("[reports/bench_grading.md]", 1)[1].split("\n- ")[0].split())
    md = (ROOT / "reports" / "bench_grading.md").read_text()
    for r in runs:
        assert f"{r['handins']} {r['ps']} hand-ins" in line
        for number in (f"{r['parallel_s']:.1f} s", f"{r['serial_s']:.1f} s", f"**{r['speedup']:.2f}x**",
                       f"**{r['overhead']:.2f}x**"):
            assert number in line, f"README says {line!r}, the report {number}"
        assert f"**{r['speedup']:.2f}x**" in md and f"## {r['handins']} hand-ins" in md
    recipe = (ROOT / "Makefile").read_text().split("\nbench:", 1)[1].split("\n\n")[0]
    assert "benchmarks.bench_grading" in recipe and "$(if $(n),--n $(n))" in recipe  # else the tool's default
