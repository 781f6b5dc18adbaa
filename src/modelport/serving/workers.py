"""Several worker processes on one port, and the metrics directory they share.

With one process per worker, each would answer ``GET /metrics`` for itself only, and a scrape
would see whichever worker the kernel handed the connection to. So the parent makes a fresh
private directory for prometheus_client's multiprocess mode before the workers start (they
inherit ``PROMETHEUS_MULTIPROC_DIR`` and write their values there), marks a worker dead when it
exits for any reason (its live gauges stop counting), and removes the directory at shutdown.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from socket import socket

from uvicorn import Config
from uvicorn.supervisors import Multiprocess

from modelport.inference.metrics import MULTIPROCESS_DIR_VARIABLE, mark_worker_dead

__all__ = ["WorkerSupervisor", "shared_metrics_dir"]


@contextlib.contextmanager
def shared_metrics_dir() -> Iterator[Path]:
    """A new directory (mode 0700) in ``PROMETHEUS_MULTIPROC_DIR`` for the processes started inside.

    Always a fresh one: files left by an earlier run would add its counts to this one's.
    """
    path = Path(tempfile.mkdtemp(prefix="modelport-metrics-"))
    previous = os.environ.get(MULTIPROCESS_DIR_VARIABLE)
    os.environ[MULTIPROCESS_DIR_VARIABLE] = str(path)
    try:
        yield path
    finally:
        if previous is None:
            os.environ.pop(MULTIPROCESS_DIR_VARIABLE, None)
        else:
            os.environ[MULTIPROCESS_DIR_VARIABLE] = previous
        shutil.rmtree(path, ignore_errors=True)


class WorkerSupervisor(Multiprocess):
    """uvicorn's worker supervisor that also marks every worker that exited as dead in ``metrics_dir``.

    A worker stopping cleanly does it itself (lifespan shutdown); this covers the ones that cannot:
    killed, crashed, or replaced by uvicorn's restart and scale signals.
    """

    def __init__(self, config: Config, sockets: list[socket], metrics_dir: Path) -> None:
        super().__init__(config, sockets)
        self._metrics_dir = metrics_dir
        self._known: set[int] = set()

    def keep_subprocess_alive(self) -> None:
        # Called by the supervision loop every half second; replaced workers and those removed by
        # a scaling signal since the last call are no longer in ``processes``.
        before = {p.pid for p in self.processes if p.pid is not None}
        super().keep_subprocess_alive()
        running = {p.pid for p in self.processes if p.pid is not None}
        for pid in (self._known | before) - running:
            mark_worker_dead(self._metrics_dir, pid)
        self._known = running
