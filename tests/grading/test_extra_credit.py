"""Bonus tests are extra credit (dlcourse/grading/extra_credit.py); end to end in test_pipeline."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from dlcourse.cells import bonus_points, is_bonus_test, passed

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("source,worth", [
    ("# Bonus (extra credit): 2 points. Hidden tests.\n### BEGIN HIDDEN TESTS\n", 2.0),
    ("\n# bonus (Extra Credit): 1 point\nx = 1\n", 1.0),
    ("#Bonus (extra credit): 0.5 points", 0.5),
    ("# Hidden tests (2 points).\n# Bonus (extra credit): 2 points\n", None),  # first line only
    ("x = 1  # Bonus (extra credit): 2 points", None),
    ("# Bonus: 2 points", None),
])
def test_bonus_declaration_is_read_from_the_first_line(source, worth):
    assert bonus_points(source) == worth


def test_a_bonus_test_passes_only_without_an_error_output():
    ok = [{"output_type": "stream", "name": "stdout", "text": "✓"}]
    assert passed(ok) and passed([])
    assert not passed(ok + [{"output_type": "error", "ename": "AssertionError", "evalue": "", "traceback": []}])


def test_every_bonus_test_in_the_course_has_zero_points():
    """Their worth must stay out of nbgrader's maximum; any 0-point test cell must declare a bonus."""
    found = 0
    for path in sorted((ROOT / "source").rglob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
                continue
            if is_bonus_test(cell):
                found += 1
                assert meta["points"] == 0, f"{path.name}:{meta['grade_id']} bonus with {meta['points']} points"
            else:
                assert meta["points"] > 0, f"{path.name}:{meta['grade_id']}: 0 points but no bonus declared"
    assert found >= 2  # ps3's AdamW visible and hidden tests
