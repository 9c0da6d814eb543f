"""Sandboxed grading kernels (dlcourse/grading/sandbox.py): what student code can and cannot reach.

A kernel started by SandboxedKernelManager in a folder laid out like a course
must not read source/, the gradebook or another student's folder, nor reach
the network, nor write the Python environment, utils/ or datasets/; it can
use its own folder, numpy, torch, utils and datasets/; a memory bomb is a
MemoryError; a loop that ignores SIGINT is still stopped.  Then a real
`nbgrader autograde` and `nbgrader validate` with the course's config: a
sandboxed hand-in cannot read source/ or the gradebook; without a sandbox
both stop unless allowed, and then the same hand-in does read source/
(tests/grading/test_hostile.py shows the sandboxed autograde in more detail).
"""
from __future__ import annotations

import asyncio
import socket
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from tests.grading.hostile import thief_code
from dlcourse import course as C
from dlcourse.grading import sandbox
from dlcourse.authoring.examples import make_handin
from dlcourse.grading.scores import scores
from dlcourse.authoring.release import release

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.xdist_group("sandbox")
SECRET = "HIDDEN-TEST-SECRET-42"
MARKER = "PWNED-BY-STUDENT-7f3a"
PROBE = "pwned-by-student-7f3a.txt"  # a file the kernel tries to create in utils/ and datasets/


def _course_code_dirs() -> list[Path]:
    """The utils package and the datasets folder the kernel imports and reads."""
    import utils
    from utils.paths import datasets_dir
    return [Path(utils.__file__).resolve().parent, Path(datasets_dir()).resolve()]


def _fake_course(root: Path) -> Path:
    """source/ with a secret, a gradebook, two students; returns alice's grading folder."""
    (root / "source" / "ps1").mkdir(parents=True)
    (root / "source" / "ps1" / "nb.ipynb").write_text(SECRET)
    (root / "gradebook.db").write_text("gradebook")
    (root / "autograded" / "bob" / "ps1").mkdir(parents=True)
    (root / "autograded" / "bob" / "ps1" / "answers.txt").write_text(SECRET)
    (root / "release").mkdir()
    alice = root / "autograded" / "alice" / "ps1"
    alice.mkdir(parents=True)
    (alice / "data.txt").write_text("mine")
    return alice


async def _run_in_kernel(cwd: Path, snippets: dict[str, str], **traits) -> dict[str, str]:
    """Start one kernel in cwd, run each snippet, return its stdout (or 'ename: evalue')."""
    km = sandbox.SandboxedKernelManager(kernel_name="python3", **traits)
    t = time.perf_counter()
    await km.start_kernel(cwd=str(cwd))
    kc = km.client()
    kc.start_channels()
    out: dict[str, str] = {}
    try:
        await kc.wait_for_ready(timeout=120)
        out["_start_s"] = str(time.perf_counter() - t)
        out["_sandboxed"] = str(km.sandboxed)
        for name, code in snippets.items():
            chunks: list[str] = []

            def hook(msg, chunks=chunks):
                c = msg["content"]
                if msg["msg_type"] == "stream":
                    chunks.append(c["text"])
                elif msg["msg_type"] == "error":
                    chunks.append(f"{c['ename']}: {c['evalue']}")
            await kc.execute_interactive(textwrap.dedent(code), output_hook=hook, timeout=120)
            out[name] = "".join(chunks).strip()
    finally:
        kc.stop_channels()
        await km.shutdown_kernel(now=True)
        await km.cleanup_resources()
    return out


def _try_read(path: str) -> str:
    return (f"try:\n    print(open({path!r}).read())\n"
            f"except OSError as e:\n    print('DENIED', type(e).__name__)\n")


@pytest.fixture(scope="module")
def inside(tmp_path_factory):
    root = tmp_path_factory.mktemp("sbcourse")
    alice = _fake_course(root)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    snippets = {
        "source": _try_read(str(root / "source" / "ps1" / "nb.ipynb")),
        "source_rel": _try_read("../../../source/ps1/nb.ipynb"),
        "gradebook": _try_read(str(root / "gradebook.db")),
        "bob": _try_read(str(root / "autograded" / "bob" / "ps1" / "answers.txt")),
        "listing": "import os; print(sorted(os.listdir('../..')), os.path.exists('/root/.bashrc'))",
        "write_gradebook": f"""
            try:
                open({str(root / 'gradebook.db')!r}, 'a').write({MARKER!r}); print('WROTE')
            except OSError as e:
                print('DENIED', type(e).__name__)""",
        "own": "print(open('data.txt').read()); open('out.txt', 'w').write('written'); print('ok')",
        "imports": """
            import numpy, torch, utils
            from utils.paths import datasets_dir
            print(torch.ones(3).sum().item(), sorted(p.name for p in datasets_dir().iterdir())[:1] != [])""",
        "tools": "try:\n    import dlcourse.course; print(True)\nexcept ImportError:\n    print(False)",
        "net": f"""
            import socket
            try:
                socket.create_connection(('127.0.0.1', {port}), timeout=3); print('CONNECTED')
            except OSError as e:
                print('NO NETWORK', type(e).__name__)""",
        "bomb": """
            import numpy as np
            for n in (10**11, 8 * 2**30):
                try:
                    np.empty(n, dtype=np.uint8); print('ALLOCATED')
                except MemoryError:
                    print('MemoryError')""",
        "alive": "print('still here', 6 * 7)",
        "venv_ro": f"""
            import sys
            try:
                open(sys.prefix + '/pwned', 'w'); print('WROTE')
            except OSError as e:
                print('DENIED', type(e).__name__)""",
        # a new file, and an existing one opened for appending (nothing written if it opens)
        "course_code_ro": f"""
            import os, utils
            from utils.paths import datasets_dir
            for d in (os.path.dirname(utils.__file__), str(datasets_dir())):
                existing = min(os.path.relpath(os.path.join(r, f), d) for r, _, fs in os.walk(d) for f in fs)
                for name, mode in (({PROBE!r}, 'w'), (existing, 'a')):
                    try:
                        open(os.path.join(d, name), mode).close(); print('WROTE', d, name)
                    except OSError as e:
                        print('DENIED', type(e).__name__)""",
    }
    try:
        out = asyncio.run(_run_in_kernel(alice, snippets))
    finally:
        server.close()
    return root, alice, out


def test_kernel_is_sandboxed(inside):
    assert inside[2]["_sandboxed"] == "True"


@pytest.mark.parametrize("what", ["source", "source_rel", "gradebook", "bob"])
def test_cannot_read_course_files(inside, what):
    out = inside[2][what]
    assert SECRET not in out and out.startswith("DENIED"), out


def test_sees_only_its_own_folder(inside):
    # autograded/ holds alice and bob; only alice's folder exists in the sandbox
    assert inside[2]["listing"] == "['alice'] False"


def test_cannot_write_gradebook_or_environment(inside):
    root, _, out = inside
    # Under /tmp (as here) the write lands in the kernel's private /tmp, elsewhere it is
    # refused; either way the real gradebook never sees it.
    assert out["write_gradebook"] in ("WROTE", "DENIED FileNotFoundError", "DENIED OSError")
    assert (root / "gradebook.db").read_text() == "gradebook"
    assert out["venv_ro"].startswith("DENIED")


def test_cannot_write_utils_or_datasets(inside):
    """utils/ (the test helpers) and datasets/ are read-only: no new file, no existing file
    opened for writing."""
    out = inside[2]["course_code_ro"].splitlines()
    try:
        assert len(out) == 4 and all(line.startswith("DENIED") for line in out), out
    finally:
        for folder in _course_code_dirs():
            (folder / PROBE).unlink(missing_ok=True)


def test_own_folder_is_read_write(inside):
    _, alice, out = inside
    assert out["own"] == "mine\nok"
    assert (alice / "out.txt").read_text() == "written"


def test_course_environment_works(inside):
    out = inside[2]
    assert out["imports"] == "3.0 True", out["imports"]
    assert out["tools"] == "False"  # instructor tools (tools/) are not visible


def test_no_network(inside):
    assert inside[2]["net"].startswith("NO NETWORK"), inside[2]["net"]


def test_memory_bomb_is_memory_error_and_kernel_survives(inside):
    out = inside[2]
    assert out["bomb"] == "MemoryError\nMemoryError", out["bomb"]
    assert out["alive"] == "still here 42"


def _nb(*sources):
    return nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(s) for s in sources],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


def test_loops_are_stopped_by_the_course_executor(tmp_path):
    """The course's Execute (sandboxed by sandbox.enable) interrupts a busy loop by message; a
    loop ignoring SIGINT times out: its kernel is killed, a new one started, the cells before it
    re-run (not the test cells), and the notebook goes on."""
    from traitlets.config import Config

    from dlcourse.grading import tamper
    from dlcourse.grading.execute import GuardedExecute

    c = Config()
    sandbox.enable(c)
    nb = _nb("state = 41",
             "import time\nwhile True: time.sleep(0.01)",
             "print('after', state)",
             "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
             "while True:\n    open('beat', 'w').write(str(time.time()))\n    time.sleep(0.05)",
             "print('resumed', state + 1)")
    ex = GuardedExecute(config=c, timeout=3, iopub_timeout=2)
    t = time.perf_counter()
    ex.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    took = time.perf_counter() - t
    assert [o.get("ename") for o in nb.cells[1].outputs][0] == "KeyboardInterrupt"
    assert nb.cells[2].outputs[0]["text"] == "after 41\n"
    stuck = nb.cells[3].outputs[-1]
    assert stuck["ename"] == tamper.STUCK and tamper.RESTART_NOTE in stuck["evalue"], stuck
    assert nb.cells[4].outputs[0]["text"] == "resumed 42\n"  # the fresh kernel got the state back
    assert took < 60, f"stopping the loops took {took:.0f}s"
    beat = tmp_path / "beat"
    first = beat.stat().st_mtime_ns
    time.sleep(1.0)
    assert beat.stat().st_mtime_ns == first, "the SIGINT-ignoring kernel is still running"


def _comparable_outputs(nb):
    return [(c.get("execution_count"), [(o["output_type"], o.get("name"), o.get("text"), o.get("ename"),
                                         (o.get("data") or {}).get("text/plain")) for o in c.outputs])
            for c in nb.cells if c.cell_type == "code"]


def test_guard_is_invisible_to_a_correct_notebook(tmp_path):
    """ps1 as the instructor wrote it (reference answers, hidden tests) runs exactly the same
    with and without the test-helper guard: same outputs, same counts, nothing on stderr."""
    from traitlets.config import Config

    from dlcourse.grading.execute import GuardedExecute

    c = Config()
    sandbox.enable(c)
    runs = {}
    for guarded in (True, False):
        nb = nbformat.read(ROOT / "source" / "ps1" / "gradient_descent.ipynb", as_version=4)
        GuardedExecute(config=c, guard_helpers=guarded, timeout=120).preprocess(
            nb, {"metadata": {"path": str(tmp_path)}})
        runs[guarded] = _comparable_outputs(nb)
    assert runs[True] == runs[False]
    outputs = [o for _, cell in runs[True] for o in cell]
    assert not [o for o in outputs if o[0] == "error" or o[1] == "stderr"], "the reference notebook failed"


def test_without_bwrap_kernels_refuse_unless_allowed(tmp_path, monkeypatch):
    monkeypatch.delenv(sandbox.ENV_ALLOW, raising=False)
    alice = _fake_course(tmp_path)
    with pytest.raises(sandbox.SandboxUnavailable, match="cannot sandbox student code"):
        asyncio.run(_run_in_kernel(alice, {}, bwrap="/nonexistent/bwrap"))
    out = asyncio.run(_run_in_kernel(alice, {"source": _try_read("../../../source/ps1/nb.ipynb"),
                                             "limit": "import resource; print(resource.getrlimit(resource.RLIMIT_AS)[0])"},
                                     bwrap="/nonexistent/bwrap", allow_unsandboxed=True))
    assert out["_sandboxed"] == "False" and out["source"] == SECRET  # no isolation, as asked
    assert out["limit"] == str(6 * 2 ** 30)  # the memory cap still applies


# --- end to end: nbgrader autograde with the course's configuration ---------------------

@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """A copy of the course (ps1 only) with the sandbox enabled, released once."""
    # The course's own config enables the sandbox.
    course = C.copy_course(tmp_path_factory.mktemp("sbgrade") / "course", ["ps1"])
    release(course, ["ps1"])
    return course


def _handin(course: Path, student: str, extra_code: str = "") -> None:
    nb = make_handin("reference", course / "release" / "ps1" / "gradient_descent.ipynb",
                     course / "source" / "ps1" / "gradient_descent.ipynb")
    if extra_code:
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "grad_x_f")
        cell.source += "\n" + extra_code
    folder = course / "submitted" / student / "ps1"
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / "gradient_descent.ipynb")


def _row(rows, student):
    return next(r for r in rows if r["student"] == student)


def test_autograde_stops_without_sandbox_unless_allowed(scratch, monkeypatch):
    course = scratch
    # What a sandboxed hand-in cannot do (tests/grading/test_hostile.py, "escape"), unsandboxed it can.
    _handin(course, "reader", thief_code(course, write=False))
    args = ("autograde", "ps1", "--force", "--student", "reader",
            "--SandboxedKernelManager.bwrap=/nonexistent/bwrap")
    monkeypatch.delenv(sandbox.ENV_ALLOW, raising=False)
    proc = C.nbgrader(course, *args, check=False)
    assert proc.returncode != 0
    assert "cannot sandbox student code" in proc.stdout + proc.stderr
    assert not (course / "autograded" / "reader" / "ps1" / "loot.txt").exists()

    monkeypatch.setenv(sandbox.ENV_ALLOW, "1")
    proc = C.nbgrader(course, *args)
    assert "NOT sandboxed" in proc.stdout + proc.stderr
    reader = _row(scores(course), "reader")
    assert reader["auto"] == reader["auto_max"] > 0
    # Unsandboxed, the same code does read the source: the denials in test_hostile mean something.
    loot = (course / "autograded" / "reader" / "ps1" / "loot.txt").read_text().splitlines()
    assert loot[0].startswith("READ"), loot


def test_validate_is_sandboxed(scratch, monkeypatch):
    """`nbgrader validate` runs the notebook in the sandbox too (the course's config): the
    hand-in cannot read source/ or the gradebook.  Without a sandbox validate stops with a clear
    message unless allowed, and then the same code does read them."""
    course = scratch
    _handin(course, "validator", thief_code(course, write=False))
    notebook = course / "submitted" / "validator" / "ps1" / "gradient_descent.ipynb"
    loot = notebook.parent / "loot.txt"
    monkeypatch.delenv(sandbox.ENV_ALLOW, raising=False)
    proc = C.nbgrader(course, "validate", str(notebook), check=False)
    said = proc.stdout + proc.stderr
    reads = loot.read_text().splitlines()
    assert len(reads) == 4 and all(r.startswith("DENIED") for r in reads), (reads, said[-2000:])
    assert "NOT sandboxed" not in said and SECRET not in said
    loot.unlink()

    no_bwrap = "--SandboxedKernelManager.bwrap=/nonexistent/bwrap"
    proc = C.nbgrader(course, "validate", str(notebook), no_bwrap, check=False)
    assert "cannot sandbox student code" in proc.stdout + proc.stderr, (proc.stdout + proc.stderr)[-2000:]
    assert not loot.exists(), "the notebook ran although no sandbox could start"

    monkeypatch.setenv(sandbox.ENV_ALLOW, "1")
    proc = C.nbgrader(course, "validate", str(notebook), no_bwrap, check=False)
    assert "NOT sandboxed" in proc.stdout + proc.stderr
    reads = loot.read_text().splitlines()
    assert reads[0].startswith("READ"), reads  # unsandboxed it can: the denials above mean something
