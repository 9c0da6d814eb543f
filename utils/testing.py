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
  (dlcourse/grading/execute.py) goes further: before every test cell it runs this file
  afresh into a new module with pristine builtins and rebinds the helpers,
  so rebinding `check` or patching this module's internals does not help
  either.
- Tolerances accept any correct formulation: closeness is relative to the
  size of the expected values, never exact float equality.
"""
from __future__ import annotations

import contextlib
import math
import sys
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
_filterwarnings = warnings.filterwarnings
_setprofile = sys.setprofile
_getprofile = sys.getprofile
_ufunc = _np.ufunc
_getattr, _setattr, _id = getattr, setattr, id
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


# The floating-point problems strict_numerics() turns into errors: NumPy's own (errstate), and
# RuntimeWarnings about them from any library.  Every other warning (a DeprecationWarning, a
# UserWarning such as torch's "To copy construct from a tensor") stays a warning: it never costs points.
FLOAT_PROBLEMS = r".*(overflow|invalid value|divide by zero|division by zero)"


@contextlib.contextmanager
def strict_numerics():
    """Turn floating-point problems into errors: overflow, invalid values (nan from inf - inf,
    0 * inf, ...) and division by zero, whether NumPy reports them (errstate) or a library
    warns about them (RuntimeWarning).  Underflow to 0 (exp(-1000)) is harmless and allowed;
    other warnings are left alone.

    Used to check that code is stable for extreme inputs: an overflow in np.exp raises
    instead of quietly producing inf.
    """
    with _catch_warnings():
        _filterwarnings("error", message=FLOAT_PROBLEMS, category=RuntimeWarning)
        with _errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            yield


class ForbiddenCall(TestFailure):
    """The student's code called a library function the exercise rules out."""


def _qualified(obj) -> str:
    """A readable public name: torch.sigmoid, torch.Tensor.sigmoid, scipy.special.expit, ..."""
    name = _getattr(obj, "__qualname__", None) or _getattr(obj, "__name__", "?")
    if _isinstance(obj, _ufunc):
        module = "scipy.special" if _getattr(sys.modules.get("scipy.special"), name, None) is obj else "numpy"
    else:
        owner = _getattr(obj, "__objclass__", None) or _getattr(_getattr(obj, "__self__", None), "__class__", None)
        module = _getattr(obj, "__module__", None) or _getattr(owner, "__module__", None) or ""
    return _public(module, name)


def _public(module: str, name: str) -> str:
    module = {"torch._C._VariableFunctions": "torch", "torch._C._nn": "torch.nn.functional",
              "torch._C._special": "torch.special"}.get(module, module)
    name = name.replace("_VariableFunctionsClass.", "").replace("TensorBase.", "Tensor.")
    if name.startswith("special_"):
        name = name[len("special_"):]
    public = [part for n, part in enumerate(module.split(".")) if n == 0 or not part.startswith("_")]
    return ".".join(public + [name]) if module else name


class _CallWatch:
    """Records calls of given functions while active (see forbidden_calls)."""

    def __init__(self, funcs, modules, allow):
        self.codes, self.builtins, self.methods, self.ufuncs = {}, {}, [], []
        for f in funcs:
            code = _getattr(f, "__code__", None)
            if code is not None:
                self.codes[_id(code)] = _qualified(f)
            elif _isinstance(f, _ufunc):
                self.ufuncs.append((f, _qualified(f)))
            elif _getattr(f, "__objclass__", None) is not None:   # a method descriptor: Tensor.sigmoid
                self.methods.append((f.__objclass__, f.__name__, _qualified(f)))
            else:
                self.builtins[_id(f)] = _qualified(f)
        self.modules = tuple(modules)
        self.allowed = {_id(_getattr(f, "__code__", f)) for f in allow}
        self.calls: list[str] = []

    def _note(self, what: str) -> None:
        if what not in self.calls:
            self.calls.append(what)

    def _c_call(self, arg) -> None:
        if _id(arg) in self.allowed:
            return
        if _id(arg) in self.builtins:
            return self._note(self.builtins[_id(arg)])
        owner = _getattr(arg, "__self__", None)
        name = _getattr(arg, "__name__", "")
        for cls, method, what in self.methods:
            if name == method and _isinstance(owner, cls):
                return self._note(what)
        module = _getattr(arg, "__module__", None) or _getattr(owner, "__name__", "")
        if self._in_modules(module):
            self._note(_qualified(arg))

    def _in_modules(self, module) -> bool:
        """`module` is one of self.modules or inside one (torch.func, not torch.functional)."""
        return _isinstance(module, str) and any(module == m or module.startswith(m + ".") for m in self.modules)

    def __call__(self, frame, event, arg):
        if event == "c_call":
            self._c_call(arg)
        elif event == "call":
            code = frame.f_code
            if _id(code) in self.allowed:
                return
            if _id(code) in self.codes:
                self._note(self.codes[_id(code)])
            elif self.modules:
                module = frame.f_globals.get("__name__", "")
                if self._in_modules(module):
                    self._note(_public(module, _getattr(code, "co_qualname", code.co_name)))


def _recording(ufunc, what, watch):
    def wrapper(*args, **kwargs):
        watch._note(what)
        return ufunc(*args, **kwargs)
    return wrapper


@contextlib.contextmanager
def watched_calls(*funcs, modules=(), allow=(), namespace=None):
    """Record, without failing, the calls the code run inside the block makes of `funcs` or of
    anything in `modules` (see forbidden_calls for what can be watched); yields the watch, whose
    `.calls` lists the public names called, e.g. to require that autograd was used:

        with watched_calls(torch.autograd.backward, torch.autograd.grad) as watch:
            grad_f_autograd(0.5, -1.0)
        check(watch.calls, "Hint: use autograd (.backward() or torch.autograd.grad).")
    """
    watch = _CallWatch(funcs, modules, allow)
    patched = []   # (owner, name, original, its name): ufuncs swapped for recording wrappers
    for uf, what_uf in watch.ufuncs:
        homes = [sys.modules.get(_getattr(uf, "__module__", None) or "")]
        homes += [m for m in (sys.modules.get("scipy.special"), sys.modules.get("numpy")) if m is not None]
        for home in homes:
            for name in (_getattr(uf, "__name__", ""),):
                if home is not None and _getattr(home, name, None) is uf:
                    patched.append((home, name, uf, what_uf))
        if namespace is not None:
            for name, value in list(namespace.items()):
                if value is uf:
                    patched.append((namespace, name, uf, what_uf))
    for owner, name, uf, what_uf in patched:
        wrapper = _recording(uf, what_uf, watch)
        if _isinstance(owner, dict):
            owner[name] = wrapper
        else:
            _setattr(owner, name, wrapper)
    previous = _getprofile()
    _setprofile(watch)
    try:
        yield watch
    finally:
        _setprofile(previous)
        for owner, name, uf, _ in patched:
            if _isinstance(owner, dict):
                owner[name] = uf
            else:
                _setattr(owner, name, uf)


@contextlib.contextmanager
def forbidden_calls(*funcs, modules=(), allow=(), namespace=None, what="this exercise", hint=""):
    """Fail if the code run inside the block calls any of `funcs` or anything of `modules`.

    funcs:     functions, builtins (torch.sigmoid), methods (torch.Tensor.sigmoid) or NumPy/SciPy
               ufuncs (scipy.special.expit) the exercise does by hand; caught under any name the
               student bound them to (`from torch import sigmoid as s` too).
    modules:   module names, e.g. ("torch",) or ("scipy.special", "torch.optim"): any call of a
               function defined there (or in a sub-module) counts.
    allow:     functions allowed although they are in `modules`.
    namespace: the notebook's globals(); ufuncs bound there under other names are watched too.

    The student's code runs normally; at the end of the block a ForbiddenCall names what was
    called, e.g. "Hint: sigmoid must be computed by hand: it called torch.sigmoid, which this
    exercise does not allow (see the instructions above)."
    """
    with watched_calls(*funcs, modules=modules, allow=allow, namespace=namespace) as watch:
        yield watch
    if watch.calls:
        called = ", ".join(watch.calls[:3])
        raise ForbiddenCall(f"Hint: {what} must be done by hand: it called {called}, which this exercise "
                            f"does not allow (see the instructions above). {hint}".strip())


@contextlib.contextmanager
def using(namespace: dict, **names):
    """Bind `names` in the notebook's namespace for the block, then put back what was there.

    A test of one answer that needs an earlier answer runs with the reference version of it,
    so one mistake costs points only where it is made:
        with using(globals(), bce_loss=_reference_bce_loss):
            loss = evaluate(params, x, y)
    """
    missing = object()
    saved = {name: namespace.get(name, missing) for name in names}
    namespace.update(names)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value


def passed(message: str = "All visible tests passed.") -> None:
    """Print a success line (stdout only) at the end of a test cell."""
    print("\u2713 " + message)
