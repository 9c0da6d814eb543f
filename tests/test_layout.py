"""The package's shape: imports run one way only, with no cycles.

    dlcourse.cli (commands)  ->  stages (authoring, grading, handin, term)  ->  shared helpers
    (dlcourse.course, dlcourse.config, dlcourse.cells)  ->  utils

A stage imports only itself, the shared helpers and utils; shared helpers import no stage;
utils (what notebooks import) imports nothing of dlcourse; nothing outside tests/ imports tests/.
Every import counts, at module level or inside a function.  Also: the size limits the house keeps.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("authoring", "grading", "handin", "term")
SHARED = ("dlcourse", "dlcourse.course", "dlcourse.config", "dlcourse.cells", "dlcourse.names")
MAX_MODULE_LINES, MAX_FUNCTION_LINES, MAX_PARAMETERS = 400, 60, 7
EXEMPT = "# size:"   # a one-line reason in the code, on the def line or the module's first lines
# The catalogues of students' answers are data (one entry per answer), not logic: no module size limit.
DATA_MODULES = ("dlcourse/authoring/mistakes/",)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def python_files(*tops: str) -> list[Path]:
    return sorted(p for top in tops for p in (ROOT / top).rglob("*.py") if "node_modules" not in p.parts)


def imports(path: Path) -> set[str]:
    """Every module a file imports (absolute names; relative imports resolved)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = package.split(".")
                pkg = pkg[:len(pkg) - node.level + 1]
                base = ".".join(pkg + ([base] if base else []))
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names}
    return out


def graph(*tops: str) -> dict[str, set[str]]:
    files = python_files(*tops)
    known = {module_name(p) for p in files}
    return {module_name(p): {m for m in imports(p) if m in known and m != module_name(p)} for p in files}


def layer(module: str) -> str:
    if module.startswith("utils"):
        return "utils"
    if module in SHARED:
        return "shared"
    parts = module.split(".")
    if parts[0] == "dlcourse" and parts[1] in ("cli", "__main__"):
        return "cli"
    if parts[0] == "dlcourse" and parts[1] in STAGES:
        return "stage:" + parts[1]
    return parts[0]


def test_imports_run_one_way():
    allowed = {"utils": {"utils"}, "shared": {"shared", "utils"}, "cli": None}
    problems = []
    for module, deps in graph("dlcourse", "utils").items():
        mine = layer(module)
        for dep in deps:
            theirs = layer(dep)
            ok = (allowed.get(mine) is None and mine == "cli") or theirs in (allowed.get(mine) or set()) \
                or (mine.startswith("stage:") and theirs in (mine, "shared", "utils"))
            if not ok:
                problems.append(f"{module} ({mine}) imports {dep} ({theirs})")
    assert not problems, "\n".join(sorted(problems))


def test_nothing_outside_tests_imports_tests():
    bad = [f"{module_name(p)} imports {m}" for p in python_files("dlcourse", "utils", "benchmarks")
           for m in imports(p) if m == "tests" or m.startswith("tests.")]
    assert not bad, "\n".join(bad)


def test_no_import_cycles():
    g = graph("dlcourse", "utils", "benchmarks")
    # a package importing its own sub-module (dlcourse.grading -> dlcourse.grading.x) is not a cycle edge back
    state: dict[str, int] = {}
    cycles = []

    def visit(node, stack):
        state[node] = 1
        for dep in sorted(g.get(node, ())):
            if state.get(dep) == 1:
                cycles.append(" -> ".join(stack[stack.index(dep):] + [dep]))
            elif not state.get(dep):
                visit(dep, stack + [dep])
        state[node] = 2

    for node in sorted(g):
        if not state.get(node):
            visit(node, [node])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def _exempt(lines: list[str], lineno: int) -> bool:
    return any(EXEMPT in line for line in lines[max(0, lineno - 2):lineno + 1])


@pytest.mark.parametrize("top", ["dlcourse", "benchmarks", "utils"])
def test_sizes(top):
    """No module over 400 lines, no function over 60 lines or with more than 7 parameters,
    except with a one-line reason in the code (`# size: ...`)."""
    problems = []
    for path in python_files(top):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        rel = path.relative_to(ROOT)
        data = rel.as_posix().startswith(DATA_MODULES)
        if len(lines) > MAX_MODULE_LINES and not data and not any(EXEMPT in line for line in lines[:30]):
            problems.append(f"{rel}: {len(lines)} lines")
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            length = node.end_lineno - node.lineno + 1
            a = node.args
            n_params = len(a.posonlyargs + a.args + a.kwonlyargs) - int(bool(a.args) and a.args[0].arg in ("self", "cls"))
            if length > MAX_FUNCTION_LINES and not _exempt(lines, node.lineno):
                problems.append(f"{rel}:{node.lineno} {node.name}: {length} lines")
            if n_params > MAX_PARAMETERS and not _exempt(lines, node.lineno):
                problems.append(f"{rel}:{node.lineno} {node.name}: {n_params} parameters")
    assert not problems, "\n".join(problems)
