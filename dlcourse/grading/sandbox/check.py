"""Before grading: can a grading kernel start here, exactly as the grading jobs start them?

`probe_kernel(config_text)` loads the course's nbgrader_config.py (its text: Dask workers have no
course folder), starts one kernel with it in a scratch folder laid out like a hand-in's, waits for
its kernel_info reply and shuts it down: the same kernel spec, provisioner, sandbox, caps and
kernel command as every hand-in's.  '' when it answered, else one line saying why not (no
sandbox, or what the kernel printed before dying, e.g. "bwrap: execvp ...: No such file or
directory").  A course whose configuration does not sandbox kernels is not probed ('').
"""
from __future__ import annotations

import asyncio
import concurrent.futures as cf
import tempfile
from pathlib import Path

import dlcourse.grading.sandbox.cgroups as cgroups
from dlcourse.grading.sandbox.enable import enabled


def _last_line(path: Path) -> str:
    lines = [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


async def _start(cfg, folder: Path, err: Path, timeout: float) -> str:
    from jupyter_client.manager import AsyncKernelManager

    from dlcourse.grading.sandbox.provisioner import SandboxUnavailable

    km = AsyncKernelManager(kernel_name=cfg.Execute.kernel_name, config=cfg)
    kc = None
    try:
        with open(err, "w") as stderr:
            await km.start_kernel(cwd=str(folder), stderr=stderr)
        kc = km.client()
        kc.start_channels()
        await kc.wait_for_ready(timeout=timeout)
        return ""
    except SandboxUnavailable as e:
        return e.why
    except Exception as e:  # noqa: BLE001  (whatever stops a kernel, said in one line)
        said = _last_line(err)
        return f"a grading kernel did not start: {said or f'{type(e).__name__}: {e}'}"
    finally:
        if kc is not None:
            kc.stop_channels()
        if km.has_kernel:
            await km.shutdown_kernel(now=True)
        await km.cleanup_resources()


def probe_kernel(config_text: str, timeout: float = 120) -> str:
    """'' when a kernel configured by `config_text` (an nbgrader_config.py) starts here, else why not."""
    from traitlets.config.loader import PyFileConfigLoader

    with tempfile.TemporaryDirectory(prefix="course-probe-") as tmp:
        root = Path(tmp)
        (root / "nbgrader_config.py").write_text(config_text)
        cfg = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
        if not enabled(cfg):
            return ""
        folder = root / "autograded" / "probe" / "ps"
        folder.mkdir(parents=True)
        (folder / "handin.txt").write_text("a hand-in's file\n")
        # a thread of its own: callers may already run an event loop (a Dask worker does)
        with cf.ThreadPoolExecutor(1) as ex:
            return ex.submit(asyncio.run, _start(cfg, folder, root / "kernel.err", timeout)).result()


def caps_note(cgroup_parent: str = "") -> str:
    """'' when kernels' tasks and CPU can be capped here, else the one-line warning."""
    mechanism, why = cgroups.detect(cgroup_parent)
    return "" if mechanism else f"kernels' processes/threads and CPU are NOT capped here: {why}"
