"""Unit tests of utils/ (test helpers, plotting, progress) and of the notebook builder."""
from __future__ import annotations

import math
import sys
import warnings

import numpy as np
import pytest
import torch

from utils import LossFunctionWithPlot, contour_with_path, learning_curve, progress
from utils import testing as T


def test_assert_close_accepts_rounding_and_rejects_errors():
    a = np.linspace(-3, 3, 7)
    T.assert_close(a * (1 + 1e-9), a)
    with pytest.raises(T.TestFailure, match="index"):
        T.assert_close(a + np.eye(7)[3], a)
    with pytest.raises(T.TestFailure, match="shape"):
        T.assert_close(a[:, None], a)
    with pytest.raises(T.TestFailure, match="NaN"):
        T.assert_close(np.full(3, np.nan), np.zeros(3))
    T.assert_close(torch.tensor([1.0, 2.0]), [1.0, 2.0])


def test_helpers_survive_monkeypatched_libraries(monkeypatch):
    """Student code replacing comparison functions cannot make a wrong answer pass."""
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "isclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "abs", lambda x: x * 0)
    monkeypatch.setattr(np, "max", lambda x, *a, **k: 0.0)
    monkeypatch.setattr(math, "isclose", lambda *a, **k: True)
    with pytest.raises(T.TestFailure):
        T.assert_close([1.0, 2.0], [1.0, 3.0])
    with pytest.raises(T.TestFailure):
        T.assert_scalar_close(1.0, 2.0)


def test_scalar_close_needs_one_number():
    T.assert_scalar_close(np.array([2.0]), 2.0)
    with pytest.raises(T.TestFailure, match="single number"):
        T.assert_scalar_close(np.array([2.0, 2.0]), 2.0)


def test_to_numpy_rejects_non_numbers():
    with pytest.raises(T.TestFailure, match="numeric"):
        T.assert_close("abc", 1.0)


def test_std_and_mean_checks_are_calibrated():
    rng = np.random.default_rng(0)
    for n in (50, 5000):
        for _ in range(20):  # correct samples always pass
            T.assert_std_close(rng.normal(0, 0.3, n), 0.3)
            T.assert_mean_close(rng.normal(0, 0.3, n), 0.0, 0.3)
    with pytest.raises(T.TestFailure, match="standard deviation"):
        T.assert_std_close(rng.normal(0, 0.3 ** 2, 5000), 0.3)  # variance used as std
    with pytest.raises(T.TestFailure, match="standard deviation"):
        T.assert_std_close(rng.normal(0, 0.3 * 1.1, 20000), 0.3)  # 10 % off
    with pytest.raises(T.TestFailure, match="mean"):
        T.assert_mean_close(rng.normal(0.1, 0.3, 5000), 0.0, 0.3)


def test_strict_numerics_raises_on_overflow_not_underflow():
    with T.strict_numerics():
        assert np.exp(np.float64(-1000)) == 0.0
        with pytest.raises(FloatingPointError):
            np.exp(np.array([1000.0]))
        with pytest.raises(RuntimeWarning):
            warnings.warn("overflow encountered in exp", RuntimeWarning)
        with pytest.raises(RuntimeWarning):
            warnings.warn("invalid value encountered in divide", RuntimeWarning)


def test_strict_numerics_leaves_other_warnings_alone():
    """Warnings that are not floating-point problems never fail a test (issue #13)."""
    with T.strict_numerics(), warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        warnings.warn("To copy construct from a tensor, use sourceTensor.clone()", UserWarning)
        warnings.warn("old API", DeprecationWarning)
        warnings.warn("some other runtime note", RuntimeWarning)
        torch.tensor(torch.ones(2))   # torch's own UserWarning
    assert len(seen) >= 4


_FORBIDDEN_SIGMOID = (torch.sigmoid, torch.Tensor.sigmoid, torch.special.expit)


@pytest.mark.parametrize("code", [
    "torch.sigmoid(x)", "x.sigmoid()", "torch.special.expit(x)", "torch.nn.functional.sigmoid(x)",
    "torch.nn.Sigmoid()(x)", "alias(x)"])
def test_forbidden_calls_catch_any_spelling(code):
    from torch import sigmoid as alias  # noqa: F401  (a student's own alias)
    x = torch.randn(4)
    with pytest.raises(T.ForbiddenCall, match=r"sigmoid must be done by hand: it called torch\."):
        with T.forbidden_calls(*_FORBIDDEN_SIGMOID, what="sigmoid"):
            eval(code)


def test_forbidden_calls_pass_by_hand_code_and_report_swallowed_calls():
    x = torch.randn(4)
    with T.forbidden_calls(*_FORBIDDEN_SIGMOID, what="sigmoid"):
        T.assert_close(1 / (1 + torch.exp(-x)), torch.special.expit(x) if False else 1 / (1 + torch.exp(-x)))

    def sneaky(v):
        try:
            return torch.sigmoid(v)
        finally:
            pass
    with pytest.raises(T.ForbiddenCall):
        with T.forbidden_calls(*_FORBIDDEN_SIGMOID, what="sigmoid"):
            try:
                sneaky(x)
            except Exception:
                pass
    assert sys.getprofile() is None, "the watch must remove itself"


def test_forbidden_calls_autograd_and_modules_and_ufuncs():
    import scipy.special
    x = torch.randn(3)
    with pytest.raises(T.ForbiddenCall, match="torch.Tensor.backward"):
        with T.forbidden_calls(torch.autograd.backward, torch.autograd.grad, torch.Tensor.backward, what="the gradient"):
            v = x.clone().requires_grad_()
            (v ** 2).sum().backward()
    with pytest.raises(T.ForbiddenCall, match="torch.autograd.grad"):
        with T.forbidden_calls(torch.autograd.backward, torch.autograd.grad, torch.Tensor.backward, what="the gradient"):
            v = x.clone().requires_grad_()
            torch.autograd.grad((v ** 2).sum(), v)
    namespace = {"expit": scipy.special.expit}
    for call in (lambda: scipy.special.expit(np.ones(2)), lambda: namespace["expit"](np.ones(2)),
                 lambda: scipy.special.softmax(np.ones(2)), lambda: torch.from_numpy(np.ones(2))):
        with pytest.raises(T.ForbiddenCall):
            with T.forbidden_calls(scipy.special.expit, modules=("torch", "scipy.special"), namespace=namespace,
                                   what="sigmoid"):
                call()
    assert namespace["expit"] is scipy.special.expit and isinstance(scipy.special.expit, np.ufunc)
    with T.forbidden_calls(scipy.special.expit, modules=("torch", "scipy.special"), what="sigmoid"):
        1 / (1 + np.exp(-np.ones(3)))


def test_forbidden_modules_match_whole_module_names():
    """modules=("torch.func",) forbids torch.func, not torch.functional (torch.einsum is fine)."""
    a, b = torch.randn(2, 3), torch.randn(3, 2)
    with T.forbidden_calls(modules=("torch.func",), what="the product"):
        torch.functional.einsum("ij,jk->ik", a, b)
    with pytest.raises(T.ForbiddenCall, match="torch.autograd.grad"):
        with T.forbidden_calls(modules=("torch.autograd",), what="the gradient"):
            v = torch.ones(2, requires_grad=True)
            torch.autograd.grad((v ** 2).sum(), v)


def test_watched_calls_records_without_failing():
    from torch.autograd import grad as aliased_grad
    v = torch.ones(2, requires_grad=True)
    with T.watched_calls(torch.autograd.backward, torch.autograd.grad) as watch:
        aliased_grad((v ** 2).sum(), v)
    assert watch.calls == ["torch.autograd.grad"]
    with T.watched_calls(torch.autograd.backward, torch.autograd.grad) as watch:
        2 * v
    assert watch.calls == []


def test_using_rebinds_and_restores():
    namespace = {"bce_loss": "student's", "other": 1}
    with pytest.raises(ZeroDivisionError):
        with T.using(namespace, bce_loss="reference", extra=2):
            assert namespace["bce_loss"] == "reference" and namespace["extra"] == 2
            1 / 0
    assert namespace == {"bce_loss": "student's", "other": 1}


def test_numeric_grad():
    x = np.array([0.5, -1.0, 2.0])
    g = T.numeric_grad(lambda v: float(np.sum(v ** 3)), x)
    T.assert_close(g, 3 * x ** 2, rtol=1e-6)
    assert np.array_equal(x, [0.5, -1.0, 2.0])


def test_check_and_passed(capsys):
    T.check(True, "never shown")
    with pytest.raises(T.TestFailure, match="Hint: boom"):
        T.check(False, "Hint: boom")
    T.passed("done")
    out = capsys.readouterr()
    assert "done" in out.out and out.err == ""


def test_loss_function_records_and_plots():
    L = LossFunctionWithPlot()
    x = L.initial_point()
    assert x.requires_grad and torch.equal(x.detach(), torch.tensor([-8.0, 2.0], dtype=torch.float64))
    loss = L(x)
    assert float(loss.detach()) == pytest.approx(0.5 * (64 + 20 * 4))
    loss.backward()
    T.assert_close(x.grad, [-8.0, 40.0])
    assert len(L.history) == 1 and L.losses == [pytest.approx(72.0)]
    fig = L.plot_history(grads=[x.grad.clone(), x.grad.clone() / 2])
    assert len(fig.axes) >= 3
    L.reset()
    assert L.history == [] and L.losses == []


def test_plot_helpers_draw():
    ax = contour_with_path(lambda X, Y: X ** 2 + Y ** 2, [1, 0.5, 0], [1, 0.2, 0])
    assert ax.get_title() and ax.get_xlabel() == "x"
    ax = learning_curve([3, 2, 1], label="loss")
    assert ax.get_legend() is not None


def test_progress_is_silent_under_autograder(monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert list(progress(range(3), desc="x")) == [0, 1, 2]
    assert capsys.readouterr().err == ""
