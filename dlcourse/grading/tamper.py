"""Spot hand-ins that try to game the autograder, for a human to review.

The grading guard (dlcourse/grading/execute.py) makes tampering with the test helpers
useless in the common cases; this module says who tried, so an instructor
can look.  It reads code, it does not run it:

- the cells a student can edit (answer cells and unlocked provided cells
  they changed) are scanned for code that rebinds the test helpers' names,
  touches utils.testing, builtins, sys.modules or the kernel (get_ipython),
  replaces library functions (np.allclose = ...), reads cell history or call
  frames (In, inspect, traceback), runs code built at run time (exec, eval),
  installs signal handlers, opens sockets or runs programs, or names course
  files (gradebook, source/);
- the outputs of an autograded notebook tell what the grader saw: a test
  failed because helpers changed while it ran, a cell ignored the interrupt
  and the kernel was restarted, cells that could not be run.

    from dlcourse.grading import tamper
    tamper.review(course, "ps1")     # {student: ["gradient_descent.ipynb, cell grad_x_f, line 3: ..."]}
    tamper.review_notebook(nb, provided=tamper.provided_sources(source_nb))

A finding is a reason to look, not proof of cheating (a student may import a
helper to check their own work).
"""
from __future__ import annotations

import ast
import functools
import importlib.util
import io
import re
import tokenize
from pathlib import Path

import nbformat

# Error names the grader writes into a test cell (dlcourse/grading/execute.py); each scores the cell 0.
TAMPERED = "TamperingDetected"
STUCK = "CellTimeoutError"
NOT_RUN = "NotRun"
RESTART_NOTE = "the kernel was restarted"

SUSPICIOUS_MODULES = {
    "builtins": "touches builtins",
    "utils.testing": "touches utils.testing",
    "IPython": "touches the kernel (IPython)",
    "ipykernel": "touches the kernel (ipykernel)",
    "inspect": "reads call frames or source (inspect)",
    "traceback": "reads call frames or source (traceback)",
    "linecache": "reads cell source (linecache)",
    "gc": "walks the interpreter's objects (gc)",
    "ctypes": "uses ctypes",
    "importlib": "imports or reloads modules by hand (importlib)",
    "signal": "installs signal handlers (signal)",
    "socket": "opens network connections (socket)",
    "urllib": "opens network connections (urllib)",
    "http": "opens network connections (http)",
    "requests": "opens network connections (requests)",
    "subprocess": "runs programs (subprocess)",
}
SUSPICIOUS_NAMES = {
    "builtins": "touches builtins", "__builtins__": "touches builtins",
    "get_ipython": "touches the kernel (get_ipython)",
    "In": "reads cell history (In)", "Out": "reads cell history (Out)",
    "_ih": "reads cell history (_ih)", "_oh": "reads cell history (_oh)",
    "globals": "reaches the notebook namespace (globals())",
    "exec": "runs code built at run time (exec)", "eval": "runs code built at run time (eval)",
    "compile": "runs code built at run time (compile)", "__import__": "imports by name (__import__)",
}
SUSPICIOUS_ATTRS = {
    "modules": ("sys", "touches sys.modules"),
    "_getframe": ("sys", "reads call frames (sys._getframe)"),
    "_exit": ("os", "kills the kernel (os._exit)"),
    "system": ("os", "runs programs (os.system)"),
    "popen": ("os", "runs programs (os.popen)"),
}
DUNDER_ATTRS = {"__globals__", "__code__", "__closure__", "__builtins__", "__subclasses__",
                "f_back", "f_globals", "f_locals", "gi_frame", "tb_frame"}
COURSE_FILES = re.compile(r"gradebook|(^|/)source/|(^|/)release/|\.\./|/autograded/|/submitted/")
MAGIC = re.compile(r"^\s*(!|%%?(bash|sh|script|sx|system|run|load|writefile|env|capture)\b)")
HISTORY = re.compile(r"^_i{1,3}$|^_i\d+$")


@functools.lru_cache(maxsize=None)
def helper_names() -> frozenset[str]:
    """The public functions and classes of utils/testing.py (read from its source)."""
    spec = importlib.util.find_spec("utils")
    path = Path(list(spec.submodule_search_locations)[0]) / "testing.py"
    tree = ast.parse(path.read_text())
    return frozenset(n.name for n in tree.body
                     if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and not n.name.startswith("_"))


def identifiers(source: str) -> set[str]:
    """The names a cell's code mentions (tokens, so it works on code that does not parse)."""
    out = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.NAME:
                out.add(tok.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        out.update(re.findall(r"[A-Za-z_]\w*", source))
    return out


def strip_magics(source: str) -> str:
    """`source` with its IPython magics and shell lines replaced by `pass` (so it parses)."""
    return _strip_magics(source)[0]


def _strip_magics(source: str) -> tuple[str, list[str]]:
    lines, found = [], []
    for n, line in enumerate(source.splitlines(), 1):
        if line.lstrip().startswith(("%", "!")):
            if MAGIC.match(line):
                found.append(f"line {n}: runs a shell command or magic ({line.strip()[:40]})")
            lines.append("pass")
        else:
            lines.append(line)
    return "\n".join(lines), found


def _root(node):
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.value if not isinstance(node, ast.Call) else node.func
    return node.id if isinstance(node, ast.Name) else None


class _Scanner(ast.NodeVisitor):
    def __init__(self, aliases: dict[str, str], helpers: frozenset[str]):
        self.aliases, self.helpers, self.found = aliases, helpers, []

    def note(self, node, why):
        self.found.append((getattr(node, "lineno", 0), why))

    def bind(self, node, name):
        if name in self.helpers:
            self.note(node, f"rebinds test helper `{name}`")

    def target(self, node):
        if isinstance(node, ast.Name):
            self.bind(node, node.id)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for elt in node.elts:
                self.target(elt)
        elif isinstance(node, ast.Starred):
            self.target(node.value)
        elif isinstance(node, (ast.Attribute, ast.Subscript)):
            root = _root(node)
            module = self.aliases.get(root)
            if module and isinstance(node, ast.Attribute):
                self.note(node, f"replaces {module}.{node.attr} ({ast.unparse(node)} = ...)")

    def visit_Assign(self, node):
        for t in node.targets:
            self.target(t)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self.target(node.target)
        self.generic_visit(node)

    visit_AnnAssign = visit_AugAssign

    def visit_NamedExpr(self, node):
        self.target(node.target)
        self.generic_visit(node)

    def visit_For(self, node):
        self.target(node.target)
        self.generic_visit(node)

    visit_AsyncFor = visit_For

    def visit_withitem(self, node):
        if node.optional_vars is not None:
            self.target(node.optional_vars)
        self.generic_visit(node)

    def visit_Delete(self, node):
        for t in node.targets:
            self.target(t)
        self.generic_visit(node)

    def visit_Global(self, node):
        for name in node.names:
            self.bind(node, name)

    visit_Nonlocal = visit_Global

    def visit_FunctionDef(self, node):
        self.bind(node, node.name)
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_ClassDef = visit_FunctionDef

    def visit_ExceptHandler(self, node):
        if node.name:
            self.bind(node, node.name)
        self.generic_visit(node)

    def _module(self, node, module):
        for prefix, why in SUSPICIOUS_MODULES.items():
            if module == prefix or module.startswith(prefix + "."):
                self.note(node, why)
                return

    def visit_Import(self, node):
        for a in node.names:
            self._module(node, a.name)
            self.bind(node, a.asname or a.name.split(".")[0])

    def visit_ImportFrom(self, node):
        module = node.module or ""
        self._module(node, module)
        for a in node.names:
            self._module(node, f"{module}.{a.name}")
            if module != "utils.testing" or (a.asname and a.asname != a.name):
                self.bind(node, a.asname or a.name)

    def visit_Name(self, node):
        if node.id in SUSPICIOUS_NAMES:
            self.note(node, SUSPICIOUS_NAMES[node.id])
        elif HISTORY.match(node.id):
            self.note(node, f"reads cell history ({node.id})")

    def visit_Attribute(self, node):
        module = self.aliases.get(_root(node), "")
        if node.attr in SUSPICIOUS_ATTRS and module == SUSPICIOUS_ATTRS[node.attr][0]:
            self.note(node, SUSPICIOUS_ATTRS[node.attr][1])
        elif node.attr in DUNDER_ATTRS:
            self.note(node, f"reaches interpreter internals (.{node.attr})")
        elif module == "utils" and node.attr == "testing":
            self.note(node, "touches utils.testing")
        self.generic_visit(node)

    def visit_Call(self, node):
        if isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr") and node.args:
            module = self.aliases.get(_root(node.args[0]))
            if module:
                self.note(node, f"replaces attributes of {module} ({node.func.id})")
        self.generic_visit(node)

    def visit_Constant(self, node):
        if isinstance(node.value, str) and COURSE_FILES.search(node.value):
            self.note(node, f"names course files ({node.value[:40]!r})")


def module_aliases(sources: list[str]) -> dict[str, str]:
    """{name: module} for every `import m as name` / `from p import m as name` in these cells."""
    out = {}
    for src in sources:
        try:
            tree = ast.parse(_strip_magics(src)[0])
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    out[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module:
                for a in node.names:
                    spec = f"{node.module}.{a.name}"
                    if spec in ("utils.testing", "numpy.testing", "torch.testing", "os.path") or \
                            a.name in ("testing", "linalg", "random"):
                        out[a.asname or a.name] = spec
    for name in ("sys", "os", "builtins"):
        out.setdefault(name, name)
    return out


def scan_source(source: str, aliases: dict[str, str] | None = None) -> list[str]:
    """Findings ("line N: why") for one cell's code."""
    code, found = _strip_magics(source)
    aliases = aliases if aliases is not None else module_aliases([source])
    try:
        tree = ast.parse(code)
    except SyntaxError:
        names = identifiers(code)
        return found + [f"{SUSPICIOUS_NAMES[n]} (in code that does not parse)" for n in sorted(names & set(SUSPICIOUS_NAMES))]
    scanner = _Scanner(aliases, helper_names())
    scanner.visit(tree)
    seen = []
    for line, why in sorted(scanner.found):
        item = f"line {line}: {why}"
        if item not in seen:
            seen.append(item)
    return found + seen


def _label(cell, index: int) -> str:
    gid = cell.metadata.get("nbgrader", {}).get("grade_id")
    return f"cell {gid}" if gid else f"cell #{index}"


def provided_sources(source_nb: Path) -> set[str]:
    """Sources of the cells an instructor wrote that students may leave unchanged (not answers, not tests)."""
    nb = nbformat.read(source_nb, as_version=4)
    return {c.source for c in nb.cells if c.cell_type == "code"
            and not c.metadata.get("nbgrader", {}).get("solution")}


def _editable(cell) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and (meta.get("solution") or not (meta.get("grade") or meta.get("locked")))


def review_notebook(nb, provided: set[str] | None = None) -> list[str]:
    """What in one autograded (or submitted) notebook deserves a human look.

    provided: sources of the instructor's unlocked cells (provided_sources);
    such a cell left unchanged is not scanned.  None: scan answer cells only.
    """
    cells = [c for c in nb.cells if c.cell_type == "code"]
    aliases = module_aliases([c.source for c in cells])
    out, not_run = [], False
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        scan = meta.get("solution") or (_editable(cell) and provided is not None and cell.source not in provided)
        if scan:
            out += [f"{_label(cell, i)}, {f}" for f in scan_source(cell.source, aliases)]
        for o in cell.get("outputs", []):
            if o.get("output_type") != "error":
                continue
            if o.get("ename") == TAMPERED:
                out.append(f"{_label(cell, i)}: scored 0, {o.get('evalue', '')}")
            elif o.get("ename") == STUCK and RESTART_NOTE in o.get("evalue", ""):
                out.append(f"{_label(cell, i)}: {o.get('evalue', '')}")
            elif o.get("ename") == NOT_RUN and not not_run:
                out.append(f"{_label(cell, i)} and the cells after it were not run: {o.get('evalue', '')}")
                not_run = True
    return out


def review(course: Path, ps: str) -> dict[str, list[str]]:
    """{student: findings} over autograded/<student>/<ps>/*.ipynb (students with none left out)."""
    course = Path(course)
    out: dict[str, list[str]] = {}
    for nb_path in sorted(course.glob(f"autograded/*/{ps}/*.ipynb")):
        student = nb_path.parent.parent.name
        source = course / "source" / ps / nb_path.name
        provided = provided_sources(source) if source.exists() else None
        try:
            nb = nbformat.read(nb_path, as_version=4)
        except Exception as e:  # noqa: BLE001  (a notebook nbgrader wrote but we cannot read)
            out.setdefault(student, []).append(f"{nb_path.name}: cannot be read ({type(e).__name__})")
            continue
        found = review_notebook(nb, provided)
        if found:
            out.setdefault(student, []).extend(f"{nb_path.name}, {f}" for f in found)
    return out
