"""Ctrl-C and SIGTERM during class grading: stop, but never in the middle of writing a hand-in."""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager


class Interrupts:
    """SIGINT (Ctrl-C) and SIGTERM stop grading with KeyboardInterrupt, but never while one
    hand-in's results are being written (gradebook, files, state): they wait for that."""

    def __init__(self):
        self.writing = False
        self.pending: int | None = None
        self.saved: dict = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self.saved[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self.saved.items():
            signal.signal(sig, handler)

    def _handle(self, signum, frame) -> None:
        if self.writing:
            self.pending = signum
        else:
            raise KeyboardInterrupt(signal.Signals(signum).name)

    @contextmanager
    def write(self):
        self.writing = True
        try:
            yield
        finally:
            self.writing = False
        if self.pending is not None:
            raise KeyboardInterrupt(signal.Signals(self.pending).name)
