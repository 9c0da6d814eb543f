"""Sandboxed grading kernels (dlcourse/grading/sandbox/): what student code can and cannot reach, and
what it can use.

A kernel started through the course's kernel provisioner (the "course-sandbox" kernel spec) in a
folder laid out like a course must not read source/, the gradebook or another student's folder,
nor reach the network, nor write the Python environment, utils/ or datasets/; it can use its own
folder, numpy, torch, utils and datasets/; a memory bomb is a MemoryError; processes/threads, CPU
and disk are capped (where the machine offers cgroups: this one has v1); its files come back from
its capped folder, regular files only; no process it started outlives it; without cgroups it
starts all the same, with a one-line warning; a loop that ignores SIGINT is still stopped.  The
up-front probe starts the kernel the jobs start.  Then a real `nbgrader autograde` and
`nbgrader validate` with the course's config: a sandboxed hand-in cannot read source/ or the
gradebook; without a sandbox both stop unless allowed, and then the same hand-in does read
source/; a course whose .venv is a symlink grades (tests/grading/test_hostile.py shows the
sandboxed autograde, and the caps under real attacks, in more detail).
"""
from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import textwrap
import time
from pathlib import Path

import nbformat
import pytest
from jupyter_client.manager import AsyncKernelManager
from traitlets.config import Config

from tests.grading.hostile import coalesced, processes_with, thief_code
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
ORPHAN = f"orphan-of-a-grading-kernel-{os.getpid()}"  # in the command line of processes left behind
DISK = 32 * 2**20  # the disk cap of the test kernel: its folder and its /tmp


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


def _config(**traits) -> Config:
    """The course's sandbox selection (sandbox.enable) with these SandboxProvisioner settings."""
    c = Config()
    sandbox.enable(c)
    for name, value in traits.items():
        setattr(c.SandboxProvisioner, name, value)
    return c


async def _run_in_kernel(cwd: Path, snippets: dict[str, str], during=None, **traits) -> dict[str, str]:
    """Start one grading kernel in cwd, run each snippet, return its stdout (or 'ename: evalue');
    `during(km, out)` runs after the snippets, while the kernel is still up."""
    km = AsyncKernelManager(kernel_name=sandbox.KERNEL_NAME, config=_config(**traits))
    t = time.perf_counter()
    await km.start_kernel(cwd=str(cwd))
    kc = km.client()
    kc.start_channels()
    out: dict[str, str] = {}
    try:
        await kc.wait_for_ready(timeout=120)
        out["_start_s"] = str(time.perf_counter() - t)
        out["_sandboxed"] = str(km.provisioner.sandboxed)
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
        if during is not None:
            during(km, out)
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
        # caps: CPU (3 busy processes, 2 s), disk (its folder, its /tmp), orphans, tasks (last)
        "cpu": """
            import resource, subprocess, sys, time
            busy = "import time\\nt = time.time()\\nwhile time.time() - t < 2: pass"
            t = time.time()
            for p in [subprocess.Popen([sys.executable, '-c', busy]) for _ in range(3)]:
                p.wait()
            used = resource.getrusage(resource.RUSAGE_CHILDREN)
            print(round((used.ru_utime + used.ru_stime) / (time.time() - t), 2))""",
        "links": f"""
            import os
            os.symlink({str(root / 'gradebook.db')!r}, 'gradebook-link.db')
            os.mkfifo('pipe')
            os.makedirs('sub/deeper')
            open('sub/deeper/result.txt', 'w').write('deep')
            print('made')""",
        "disk": """
            import errno, os
            def fill(path):
                n = 0
                try:
                    with open(path, 'wb') as f:
                        while n < 10_000:
                            f.write(b'x' * 2**20); f.flush(); n += 1
                except OSError as e:
                    return f'{errno.errorcode[e.errno]} {n}'
                return f'WROTE {n}'
            print(fill('filler.bin'), fill('/tmp/filler.bin'))
            os.remove('/tmp/filler.bin')""",
        "orphans": f"""
            import os, subprocess, sys, time
            sleeper = [sys.executable, '-c', 'import time; time.sleep(600)']
            if os.fork() == 0:
                try:
                    os.setsid()
                    if os.fork() == 0:
                        os.execv(sys.executable, sleeper + [{ORPHAN!r} + '-double-fork'])
                finally:
                    os._exit(0)
            subprocess.Popen(sleeper + [{ORPHAN!r} + '-new-session'], start_new_session=True)
            time.sleep(0.5)
            print('started')""",
        "tasks": """
            import subprocess, sys
            bomb = ("import os, time\\nn = 0\\ntry:\\n    while n < 5000:\\n"
                    "        if os.fork() == 0:\\n            time.sleep(2); os._exit(0)\\n"
                    "        n += 1\\nexcept OSError as e:\\n    print(n, type(e).__name__)")
            print(subprocess.run([sys.executable, '-c', bomb], capture_output=True, text=True).stdout.strip())""",
    }

    def during(km, out):
        group = km.provisioner.group
        out["_orphans_alive"] = len(processes_with(ORPHAN))
        out["_group"] = group
        out["_group_tasks"] = group.tasks() if group else 0
        quota = [d / f for d in (group.dirs if group else []) for f in ("cpu.max", "cpu.cfs_quota_us")
                 if (d / f).exists()]
        out["_cpu_quota"] = quota[0].read_text().strip() if quota else "CPUQuota" if group and group.unit else ""

    try:
        out = asyncio.run(_run_in_kernel(alice, snippets, during, disk_limit=DISK))
    finally:
        server.close()
    out["_orphans_after"] = len(processes_with(ORPHAN))
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


def _caps_here() -> None:
    note = sandbox.caps_note()
    if note:
        pytest.skip(f"this machine offers no cgroup for the caps: {note}")


def test_tasks_are_capped(inside):
    """A process forking until refused gets BlockingIOError short of the cap: the kernel's whole
    tree (its threads, the bomb, its children) stays within tasks_limit."""
    _caps_here()
    out = inside[2]
    n, error = out["tasks"].split()
    assert error == "BlockingIOError" and 100 < int(n) < 256, out["tasks"]


def test_cpu_is_capped(inside):
    """Three busy processes share one core (cpu_limit 1.0): they used at most about one core's time."""
    _caps_here()
    out = inside[2]
    assert float(out["cpu"]) < 1.3, f"3 busy processes used {out['cpu']} cores"
    assert out["_cpu_quota"] in ("100000", "100000 100000", "CPUQuota"), out["_cpu_quota"]  # while it ran
    assert out["_group_tasks"] > 2  # the group held the kernel's processes


def test_disk_is_capped(inside):
    """Filling its folder or /tmp ends in ENOSPC (an OSError in the cell) near DISK; the kernel goes
    on; what the folder held comes back to the real one, /tmp does not, nothing beyond the cap."""
    _, alice, out = inside
    error, mib, tmp_error, tmp_mib = out["disk"].split()
    assert error == tmp_error == "ENOSPC", out["disk"]
    assert DISK // 2**20 - 4 <= int(mib) < DISK // 2**20 and DISK // 2**20 - 4 <= int(tmp_mib) < DISK // 2**20
    written = (alice / "filler.bin").stat().st_size
    assert DISK - 4 * 2**20 <= written <= DISK
    assert sum(p.stat().st_size for p in alice.rglob("*") if p.is_file()) <= DISK
    assert out["alive"] == "still here 42"


def test_only_regular_files_come_back(inside):
    """What the kernel left in its folder comes back as regular files and folders; a symlink (here
    to the gradebook) or a FIFO does not."""
    _, alice, out = inside
    assert out["links"] == "made"
    assert (alice / "sub" / "deeper" / "result.txt").read_text() == "deep"
    assert not (alice / "gradebook-link.db").exists() and not (alice / "gradebook-link.db").is_symlink()
    assert not (alice / "pipe").exists()


def test_every_process_ends_with_the_kernel(inside):
    """A double-forked orphan in a new session and a process started in a new session run while the
    kernel does (seen on the host) and are gone once it is shut down; so is its cgroup."""
    out = inside[2]
    assert out["orphans"] == "started" and out["_orphans_alive"] == 2, out
    assert out["_orphans_after"] == 0, processes_with(ORPHAN)
    assert not [d for d in (out["_group"].dirs if out["_group"] else []) if d.exists()]


def test_without_cgroups_one_warning_and_no_caps(tmp_path, caplog):
    """Where no cgroup can be used (here: a delegated cgroup folder that does not exist), the kernel
    starts all the same, uncapped, and the log says so in one line."""
    from dlcourse.grading.sandbox import provisioner

    provisioner._warned.clear()

    def during(km, out):
        out["_group"] = km.provisioner.group

    with caplog.at_level("WARNING"):
        out = asyncio.run(_run_in_kernel(tmp_path, {"alive": "print(6 * 7)"}, during,
                                         cgroup_parent="/nonexistent/cgroup"))
    warnings = [r.getMessage() for r in caplog.records if "NOT capped" in r.getMessage()]
    assert len(warnings) == 1 and "\n" not in warnings[0], warnings
    assert out["alive"] == "42" and out["_sandboxed"] == "True" and out["_group"] is None


def _nb(*sources):
    return nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(s) for s in sources],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


def test_loops_are_stopped_by_the_course_executor(tmp_path, monkeypatch):
    """The course's Execute (sandboxed by sandbox.enable) interrupts a busy loop by message; a
    loop ignoring SIGINT times out: its kernel is killed, a new one started, the cells before it
    re-run (not the test cells), and the notebook goes on.  No kernel process is left after."""
    from dlcourse.grading import tamper
    from dlcourse.grading.execute import GuardedExecute

    mark = f"kernel-of-test-loops-{os.getpid()}"
    monkeypatch.setenv("COURSE_TEST_KERNEL_MARK", mark)  # every kernel's environment holds it
    c = _config()
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
    assert coalesced(nb.cells[2].outputs)[0]["text"] == "after 41\n"  # one print, maybe two messages
    stuck = nb.cells[3].outputs[-1]
    assert stuck["ename"] == tamper.STUCK and tamper.RESTART_NOTE in stuck["evalue"], stuck
    assert coalesced(nb.cells[4].outputs)[0]["text"] == "resumed 42\n"  # the fresh kernel got the state back
    assert took < 60, f"stopping the loops took {took:.0f}s"
    assert (tmp_path / "beat").exists()  # the stuck kernel's file came back from its capped folder
    assert not processes_with(mark), "a kernel (the SIGINT-ignoring one?) is still running"


def _comparable_outputs(nb):
    """What a cell showed: one print may arrive as one stream message or two (timing): coalesced."""
    return [(c.get("execution_count"), [(o["output_type"], o.get("name"), o.get("text"), o.get("ename"),
                                         (o.get("data") or {}).get("text/plain")) for o in coalesced(c.outputs)])
            for c in nb.cells if c.cell_type == "code"]


def test_guard_is_invisible_to_a_correct_notebook(tmp_path):
    """ps1 as the instructor wrote it (reference answers, hidden tests) runs exactly the same
    with and without the test-helper guard: same outputs, same counts, nothing on stderr."""
    from dlcourse.grading.execute import GuardedExecute

    c = _config()
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

    def during(km, out):
        out["_group"] = km.provisioner.group

    out = asyncio.run(_run_in_kernel(alice, {"source": _try_read("../../../source/ps1/nb.ipynb"),
                                             "limit": "import resource; print(resource.getrlimit(resource.RLIMIT_AS)[0])"},
                                     during, bwrap="/nonexistent/bwrap", allow_unsandboxed=True))
    assert out["_sandboxed"] == "False" and out["source"] == SECRET  # no isolation, as asked
    assert out["limit"] == str(6 * 2 ** 30)  # the memory cap still applies
    assert out["_group"] is not None or sandbox.caps_note()  # and so do the cgroup caps


def test_probe_starts_the_kernel_the_jobs_start(tmp_path, monkeypatch):
    """The up-front check starts a real grading kernel from the course's configuration: '' when it
    answers; a kernel that dies on start (here: a memory cap Python cannot start under) is reported
    with what it said; no sandbox is reported as such."""
    monkeypatch.delenv(sandbox.ENV_ALLOW, raising=False)
    config = (ROOT / "nbgrader_config.py").read_text()
    t = time.perf_counter()
    assert sandbox.probe_kernel(config) == ""
    took = time.perf_counter() - t
    dying = sandbox.probe_kernel(config + "\nc.SandboxProvisioner.memory_limit = 2**20\n")
    assert dying.startswith("a grading kernel did not start: ") and "\n" not in dying, dying
    no_bwrap = sandbox.probe_kernel(config + "\nc.SandboxProvisioner.bwrap = 'bwrap-not-installed'\n")
    assert no_bwrap.startswith("'bwrap-not-installed' not found"), no_bwrap
    assert sandbox.probe_kernel(config.replace("dlcourse.grading.sandbox.enable(c)", "")) == ""  # not sandboxed
    assert took < 60, f"the probe took {took:.0f}s"


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
            "--SandboxProvisioner.bwrap=/nonexistent/bwrap")
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

    no_bwrap = "--SandboxProvisioner.bwrap=/nonexistent/bwrap"
    proc = C.nbgrader(course, "validate", str(notebook), no_bwrap, check=False)
    assert "cannot sandbox student code" in proc.stdout + proc.stderr, (proc.stdout + proc.stderr)[-2000:]
    assert not loot.exists(), "the notebook ran although no sandbox could start"

    monkeypatch.setenv(sandbox.ENV_ALLOW, "1")
    proc = C.nbgrader(course, "validate", str(notebook), no_bwrap, check=False)
    assert "NOT sandboxed" in proc.stdout + proc.stderr
    reads = loot.read_text().splitlines()
    assert reads[0].startswith("READ"), reads  # unsandboxed it can: the denials above mean something


def test_a_course_whose_venv_is_a_symlink_grades(scratch):
    """A course copy whose .venv links to an environment elsewhere (nbgrader run with
    course/.venv/bin/python): the kernel command names the link, so the sandbox makes it again;
    the probe passes and a hand-in is graded (before, every kernel died: "bwrap: execvp
    .../.venv/bin/python: No such file or directory")."""
    course = scratch
    (course / ".venv").symlink_to(ROOT / ".venv")
    python = str(course / ".venv" / "bin" / "python")
    probe = subprocess.run([python, "-c", "import sys; from dlcourse.grading import sandbox; "
                            "print(repr(sandbox.probe_kernel(open('nbgrader_config.py').read())))"],
                           cwd=course, capture_output=True, text=True, timeout=300)
    assert probe.stdout.strip() == "''", probe.stdout + probe.stderr[-2000:]
    _handin(course, "linked")
    proc = subprocess.run([python, "-m", "nbgrader", "autograde", "ps1", "--student", "linked"],
                          cwd=course, capture_output=True, text=True, env=C.venv_env(), timeout=600)
    assert proc.returncode == 0 and "execvp" not in proc.stderr, proc.stderr[-3000:]
    linked = _row(scores(course), "linked")
    assert linked["auto"] == linked["auto_max"] > 0, linked
