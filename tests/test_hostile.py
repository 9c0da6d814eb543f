"""Hostile and broken hand-ins: every one gets a result, none can cheat its way to points.

One real `nbgrader autograde` run (through the course's grading command) on a
scratch course with the hand-ins of tests/hostile.py.
"""
from __future__ import annotations

import time

import pytest

from tests import hostile
from tools import course as C

pytestmark = pytest.mark.xdist_group("hostile")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = C.copy_course(tmp_path_factory.mktemp("hostile"), ["ps1"])
    C.release(course, ["ps1"])
    hostile.build(course)
    t = time.perf_counter()
    rows = C.grade(course, ["ps1"])
    took = time.perf_counter() - t
    return course, {r["student"]: r for r in rows}, took


def test_warnings_never_cost_points(graded):
    _, rows, _ = graded
    assert rows["warns"]["auto"] == rows["warns"]["auto_max"] > 0


@pytest.mark.parametrize("student", ["emptied", "deleted", "retyped", "edited", "duplicated"])
def test_tampered_tests_are_restored(graded, student):
    _, rows, _ = graded
    assert rows[student]["auto"] == 0 and not rows[student]["problem"]


def test_patched_comparisons_do_not_help(graded):
    course, rows, _ = graded
    # 4 of the ps1 functions return 0 * the right value; their tests (12 points) must fail
    assert rows["patched"]["auto"] <= rows["patched"]["auto_max"] - 12


@pytest.mark.parametrize("student,reason", [("corrupt", "not valid JSON"),
                                            ("renamed", "file name"),
                                            ("dies", "kernel died")])
def test_broken_handins_are_reported(graded, student, reason):
    _, rows, _ = graded
    assert reason in rows[student]["problem"]


def test_huge_output_is_graded_and_truncated(graded):
    course, rows, _ = graded
    assert rows["huge"]["auto"] == rows["huge"]["auto_max"]
    size = (course / "autograded" / "huge" / "ps1" / "gradient_descent.ipynb").stat().st_size
    assert size < 5_000_000, f"autograded notebook is {size} bytes"


def test_regrading_gives_the_same_score(graded):
    course, rows, _ = graded
    for _ in range(2):
        C.nbgrader(course, "autograde", "ps1", "--force", "--student", "patched")
        again = {r["student"]: r for r in C.scores(course)}
        assert again["patched"]["auto"] == rows["patched"]["auto"]


def test_grading_finishes_in_bounded_time(graded):
    _, _, took = graded
    assert took < 900, f"grading the hostile hand-ins took {took:.0f}s"
