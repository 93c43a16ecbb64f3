"""``Supervisor``: N monitor worker processes over one track stream, restarted when they die.

Worker ``i`` owns partitions ``p % N == i`` (:func:`~.worker.partitions_of`); the assignment
is fixed for a given N, so a restarted worker takes back exactly its partitions and resumes
them (:mod:`.worker` says how it neither loses nor repeats alerts). Changing N means
stopping every worker and starting again: each partition's state moves with its snapshot
and offset, which are per partition, not per worker.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable

from deconfliction.monitor.stream.worker import WorkerSettings, settings_to_json

__all__ = ["Supervisor"]


class Supervisor:
    """Starts ``workers`` processes from ``settings`` (``worker`` set per process)."""

    def __init__(self, settings: WorkerSettings, workers: int, *,
                 restart_delay_s: float = 0.5,
                 log: Callable[[str], None] | None = None) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.settings = settings
        self.workers = workers
        self.restart_delay_s = restart_delay_s
        self.procs: list[subprocess.Popen[bytes] | None] = [None] * workers
        #: how many times each worker was restarted after dying
        self.restarts = [0] * workers
        self._log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        self._stop = threading.Event()

    def _spawn(self, i: int) -> subprocess.Popen[bytes]:
        s = dataclasses.replace(self.settings, worker=i, workers=self.workers)
        proc = subprocess.Popen(
            [sys.executable, "-m", "deconfliction.monitor.stream.worker", settings_to_json(s)],
            env=dict(os.environ))
        self._log(f"monitor: worker {i} (pid {proc.pid}) on partitions "
                  f"{[p for p in range(s.stream.partitions) if p % self.workers == i]}")
        return proc

    def start(self) -> None:
        """Start every worker."""
        for i in range(self.workers):
            self.procs[i] = self._spawn(i)

    def check(self) -> list[int]:
        """Restart the workers that died; their indices."""
        restarted = []
        for i, proc in enumerate(self.procs):
            if proc is not None and proc.poll() is not None and not self._stop.is_set():
                self._log(f"monitor: worker {i} (pid {proc.pid}) exited with "
                          f"{proc.returncode}; restarting")
                time.sleep(self.restart_delay_s)
                self.procs[i] = self._spawn(i)
                self.restarts[i] += 1
                restarted.append(i)
        return restarted

    def run(self, poll_s: float = 0.2) -> None:
        """Start the workers and keep them running until :meth:`stop`."""
        self.start()
        while not self._stop.wait(poll_s):
            self.check()
        self._terminate()

    def stop(self) -> None:
        """Ask :meth:`run` to stop the workers and return."""
        self._stop.set()

    def _terminate(self, timeout_s: float = 30.0) -> None:
        for proc in self.procs:
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            if proc is None:
                continue
            try:
                proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
