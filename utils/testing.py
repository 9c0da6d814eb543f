"""Assertions shared by the visible and hidden tests of every notebook.

Design rules (nbgrader grades a test cell by its outputs):
- A failure raises AssertionError with a hint written for the student; nothing
  is ever written to stderr (that alone would score the cell 0).
- Nothing here returns a number, so a helper used as the last line of a test
  cell never turns into partial credit.
- Comparisons never use np.allclose, np.testing, torch.allclose or
  math.isclose: the functions we rely on are bound when this module is first
  imported (the notebook's first cell, before any student code), so student
  code that later replaces those library functions cannot make a wrong
  answer pass.  Under `nbgrader autograde` the course's grading guard
  (tools/execute.py) goes further: before every test cell it runs this file
  afresh into a new module with pristine builtins and rebinds the helpers,
  so rebinding `check` or patching this module's internals does not help
  either.
- Tolerances accept any correct formulation: closeness is relative to the
  size of the expected values, never exact float equality.
"""
from __future__ import annotations

import contextlib
import math
import warnings

import numpy as _np

# Bound at import time, before any student code runs.
_asarray = _np.asarray
_abs = _np.abs
_isfinite = _np.isfinite
_isnan = _np.isnan
_float64 = _np.float64
_max = _np.max
_errstate = _np.errstate
_argwhere = _np.argwhere
_zeros_like = _np.zeros_like
_catch_warnings = warnings.catch_warnings
_simplefilter = warnings.simplefilter
_sqrt = math.sqrt
_isinstance = isinstance
_float = float


class TestFailure(AssertionError):
    """A failed check; its message is the hint shown to the student."""


def check(condition, hint: str) -> None:
    """Fail with `hint` unless `condition` is true."""
    if not bool(condition):
        raise TestFailure(hint)


def to_numpy(x, name: str = "value"):
    """float64 NumPy copy of a number, list, NumPy array or torch tensor."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):
        x = x.detach().cpu().double().numpy()
    try:
        arr = _asarray(x, dtype=_float64)
    except (TypeError, ValueError) as e:
        raise TestFailure(f"{name} should be numeric (a number, array or tensor), got {type(x).__name__}: {e}")
    return arr


def assert_shape(x, shape, name: str = "result") -> None:
    got = tuple(to_numpy(x, name).shape)
    check(got == tuple(shape), f"{name} has shape {got}, expected {tuple(shape)}.")


def assert_finite(x, name: str = "result", hint: str = "") -> None:
    arr = to_numpy(x, name)
    bad = int((~_isfinite(arr)).sum())
    check(bad == 0, f"{name} contains {bad} inf/nan value(s). {hint}".strip())


def max_abs_error(actual, expected) -> float:
    a, e = to_numpy(actual), to_numpy(expected)
    if a.size == 0:
        return 0.0
    return _float(_max(_abs(a - e)))


def assert_close(actual, expected, rtol: float = 1e-6, atol: float = 1e-8,
                 name: str = "result", hint: str = "") -> None:
    """Fail unless |actual - expected| <= atol + rtol * |expected| everywhere.

    Shapes must agree exactly (no silent broadcasting); NaNs never match.
    """
    a = to_numpy(actual, name)
    e = to_numpy(expected, "expected")
    check(a.shape == e.shape,
          f"{name} has shape {a.shape}, expected {e.shape}. {hint}".strip())
    check(not bool(_isnan(a).any()), f"{name} contains NaN. {hint}".strip())
    if a.size == 0:
        return
    err = _abs(a - e)
    allowed = atol + rtol * _abs(e)
    over = err > allowed
    if bool(over.any()):
        idx = tuple(int(i) for i in _argwhere(over)[0]) if a.ndim else ()
        where = f" at index {idx}" if idx else ""
        got = a[idx] if idx else a
        want = e[idx] if idx else e
        raise TestFailure(
            f"{name} is wrong{where}: got {_float(got):.6g}, expected {_float(want):.6g} "
            f"(max abs error {_float(_max(err)):.3g}). {hint}".strip())


def assert_scalar_close(actual, expected, rtol=1e-6, atol=1e-8, name="result", hint=""):
    """Like assert_close, but `actual` must be a single number (float, 0-d array/tensor)."""
    arr = to_numpy(actual, name)
    check(arr.size == 1, f"{name} should be a single number, got shape {arr.shape}. {hint}".strip())
    assert_close(arr.reshape(()), expected, rtol, atol, name, hint)


def assert_std_close(samples, sigma: float, name: str = "weights", hint: str = "",
                     z: float = 6.0) -> None:
    """Check the standard deviation of i.i.d. samples around 0 against `sigma`.

    The standard error of a sample std of n normal draws is sigma / sqrt(2n);
    we allow `z` standard errors, so a correct implementation fails with
    negligible probability while a wrong scale (e.g. variance used as std, or
    fan-out instead of fan-in) is caught as soon as it differs by a few %.
    """
    arr = to_numpy(samples, name).ravel()
    n = arr.size
    check(n > 1, f"{name} is empty.")
    std = _float(arr.std())
    tol = z * sigma / _sqrt(2 * n)
    check(abs(std - sigma) <= tol,
          f"{name}: standard deviation is {std:.4g}, expected {sigma:.4g} (tolerance {tol:.2g}). {hint}".strip())


def assert_mean_close(samples, mean: float, scale: float, name: str = "weights", hint: str = "",
                      z: float = 6.0) -> None:
    """Check the mean of i.i.d. samples of spread `scale` against `mean` (z standard errors)."""
    arr = to_numpy(samples, name).ravel()
    tol = z * scale / _sqrt(arr.size)
    got = _float(arr.mean())
    check(abs(got - mean) <= tol,
          f"{name}: mean is {got:.4g}, expected {mean:.4g} (tolerance {tol:.2g}). {hint}".strip())


def numeric_grad(fn, x, eps: float = 1e-6):
    """Central-difference gradient of a scalar function of a float64 array (for tests)."""
    x = _asarray(x, dtype=_float64).copy()
    grad = _zeros_like(x)
    flat, g = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        plus = _float(fn(x))
        flat[i] = old - eps
        minus = _float(fn(x))
        flat[i] = old
        g[i] = (plus - minus) / (2 * eps)
    return grad


@contextlib.contextmanager
def strict_numerics():
    """Turn NumPy floating-point warnings and Python warnings into errors.

    Used to check that code is stable for extreme inputs: an overflow in
    np.exp raises instead of quietly producing inf.
    """
    with _catch_warnings():
        _simplefilter("error")
        # Underflow to 0 (e.g. exp(-1000)) is harmless and allowed.
        with _errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            yield


def passed(message: str = "All visible tests passed.") -> None:
    """Print a success line (stdout only) at the end of a test cell."""
    print("\u2713 " + message)
