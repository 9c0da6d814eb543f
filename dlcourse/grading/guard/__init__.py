"""The grading guard: restores what the tests rely on inside the student's kernel, before every
test cell, and reports what student code changed while one ran (autograde only).

How it gets into the kernel.  The kernel runs sandboxed and cannot import this package, so
the grader (client.GuardClient, used by preprocessors/execute.py) sends the source of the
in-kernel modules -- common, libraries, runtime, helpers, inventory, kernel, in that order
-- executed into one private namespace (its builtins a private copy of the still-pristine
ones) right after the kernel starts, before any student code, then calls kernel.install.
Those modules import nothing of dlcourse; in the grader's process their relative imports
link them as a package, in the kernel they share the one namespace.

The calls travel as `user_expressions` of silent execute requests (IPython evaluates them
without input transformers, AST transformers or run-cell events, so student code cannot
rewrite the call): no output, nothing on stderr, no execution count, no history.

- "before" every test cell (kernel.Guard): builtins (libraries.Builtins); the public
  functions, classes and submodules of the libraries the tests rely on and their
  sys.modules entries (libraries.Libraries: numpy, math, warnings, contextlib; torch and
  every torch.* module when the test cells use torch, F or nn; the course's utils.* modules
  the provided cells import names from); the methods of those libraries' Python classes
  (libraries.ClassMethods); the code and defaults of their Python functions
  (libraries.FunctionCode); torch's global hook registries (libraries.HookRegistries), mode
  stacks and saved-tensor hooks (runtime.TorchModes); IPython's execution hooks
  (runtime.IPythonHooks); the library names the provided cells import (helpers.Bindings);
  a fresh utils.testing and its helpers (helpers.TestHelpers);
- "after" the test cell: what differs from that state, so the grader fails a test whose
  helpers student code changed while it ran.

All of this runs in the student's process: it raises the bar, it is not a proof (README).
"""
from __future__ import annotations

from pathlib import Path

# In-kernel modules, in the order they are executed.
KERNEL_MODULES = ("common", "libraries", "runtime", "helpers", "inventory", "kernel")
# Modules torch imports lazily, patching guarded objects as they load (torch._dynamo wraps
# torch.manual_seed, adds methods to classes, on an optimizer's first use): a notebook
# whose code names one of these identifiers gets the module imported at install.
LAZY_IMPORTS = {"torch._dynamo": frozenset({"optim", "Optimizer", "compile", "_dynamo", "checkpoint", "library"})}


def kernel_sources() -> tuple[tuple[str, str], ...]:
    """((file name, source), ...) of the in-kernel modules, in execution order."""
    here = Path(__file__).parent
    return tuple((f"<course guard {m}.py>", (here / f"{m}.py").read_text(encoding="utf-8")) for m in KERNEL_MODULES)


def preload_for(identifiers: set[str]) -> list[str]:
    """The LAZY_IMPORTS a notebook whose code uses these identifiers needs imported at install."""
    return sorted(m for m, why in LAZY_IMPORTS.items() if why & identifiers)
