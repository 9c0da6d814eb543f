"""Checks before any grading: bad input stops the run with one line saying why (GradingError)."""
from __future__ import annotations

from pathlib import Path

from dlcourse import config


class GradingError(Exception):
    """Why grading cannot start, in one line for the instructor (the command exits 2)."""


def check_workers(workers: int | None) -> None:
    if workers is not None and workers < 1:
        raise GradingError(f"--workers must be 1 or more (got {workers})")


def check_db(url: str, given: str | None = None) -> None:
    """The gradebook URL parses and its database opens (naming the URL as `given`, password hidden)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise GradingError(f"--db-url {given or url!r} is not a database URL "
                           "(e.g. sqlite:////path/gradebook.db or postgresql://user@host/dbname)") from None
    shown = make_url(given).render_as_string(hide_password=True) if given else parsed.render_as_string(True)
    try:
        engine = create_engine(parsed, **({"connect_args": {"connect_timeout": 10}}
                                          if parsed.get_backend_name() == "postgresql" else {}))
    except (NoSuchModuleError, ImportError) as e:
        raise GradingError(f"no database driver for {shown}: {e}") from None
    try:
        with engine.connect():
            pass
    except SQLAlchemyError as e:
        why = " ".join(str(getattr(e, "orig", None) or e).split())
        raise GradingError(f"cannot open the gradebook {shown}: {why[:300]}") from None
    finally:
        engine.dispose()


def connect_scheduler(address: str):
    """A Dask client for `address` (tcp://host:port; port 8786 if none) with at least one worker."""
    import socket
    from urllib.parse import urlsplit

    full = address if "://" in address else f"tcp://{address}"
    u = urlsplit(full)
    try:
        port = u.port or 8786
    except ValueError:
        port = None
    if u.scheme not in ("tcp", "tls") or not u.hostname or port is None:
        raise GradingError(f"--scheduler {address!r} is not a Dask scheduler address (e.g. tcp://host:8786)")
    try:
        socket.create_connection((u.hostname, port), timeout=10).close()
    except OSError as e:
        raise GradingError(f"cannot reach the Dask scheduler at {address}: {e.strerror or e}") from None
    from distributed import Client
    try:
        client = Client(f"{u.scheme}://{u.hostname}:{port}", timeout="30s")
    except (OSError, TimeoutError) as e:
        raise GradingError(f"cannot connect to the Dask scheduler at {address}: {e}") from None
    try:
        client.wait_for_workers(1, timeout=60)
    except TimeoutError:
        client.close()
        raise GradingError(f"the Dask scheduler at {address} has no workers (start `dask worker {full}`)") from None
    return client


# -- the sandbox: the grading stage's one call into dlcourse/grading/sandbox/ ------------------

class SandboxCheck:
    """Can grading kernels start where the jobs will run?  sandbox.probe_kernel starts one kernel
    exactly as the jobs start theirs (same configuration, kernel spec, sandbox and caps) -- here,
    or on every Dask worker.  It runs in the background while the workers start; `wait()`
    raises GradingError, before any job is sent, when kernels cannot start (no sandbox and
    unsandboxed grading not allowed, or a kernel that dies at start): every hand-in would fail."""

    def __init__(self, course: Path, client=None):
        from concurrent.futures import ThreadPoolExecutor

        self.client = client
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="sandbox-check")
        self._future = self._pool.submit(self._probe, (course / config.CONFIG_FILE).read_text())

    def _probe(self, config_text: str) -> dict[str, str]:
        from dlcourse.grading import sandbox

        if self.client is not None:
            return self.client.run(sandbox.probe_kernel, config_text)
        return {"this machine": sandbox.probe_kernel(config_text)}

    def wait(self) -> None:
        from dlcourse.grading import sandbox

        try:
            where = self._future.result()
        finally:
            self._pool.shutdown()
        bad = {w: why for w, why in where.items() if why}
        if bad:
            w, why = next(iter(sorted(bad.items())))
            on_what = f"on {len(bad)} of {len(where)} Dask workers (e.g. {w})" if self.client is not None else "here"
            raise GradingError(f"cannot sandbox student code {on_what}: {why}; nothing graded. Grading WITHOUT "
                               f"isolation (trusted code only): {sandbox.ENV_ALLOW}=1 or "
                               "c.SandboxProvisioner.allow_unsandboxed = True")


def check_sandbox(course: Path, client=None) -> None:
    """SandboxCheck, waited for."""
    SandboxCheck(course, client).wait()
