"""Stream worker processes for the integration tests: started as a user would, killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

SRC = Path(__file__).resolve().parents[2] / "src"


class Workers:
    """``modelport stream …`` processes of one test; whatever is still running at the end is killed."""

    def __init__(self, home: Path, logs: Path, env: dict[str, str]) -> None:
        self.home = home
        self.logs = logs
        self.env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}", **env}
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, args: Sequence[str]) -> subprocess.Popen[bytes]:
        n = len(self.procs)
        with (self.logs / f"worker{n}.out").open("wb") as out, (self.logs / f"worker{n}.err").open("wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "modelport", "--home", str(self.home), "stream", *args],
                stdout=out,
                stderr=err,
                env=self.env,
            )
        self.procs.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

    def started(self, n: int) -> bool:
        """The worker printed its first line: records flow (and SIGTERM is handled)."""
        return (self.logs / f"worker{n}.out").read_text(errors="replace").startswith("modelport stream:")

    def stderr(self, n: int) -> str:
        return (self.logs / f"worker{n}.err").read_text(errors="replace")

    def alive(self) -> None:
        for n, proc in enumerate(self.procs):
            if proc.poll() is not None and proc.returncode not in (0, -signal.SIGKILL):
                raise AssertionError(f"worker {n} exited {proc.returncode}:\n{self.stderr(n)[-3000:]}")

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)


@contextmanager
def workers(home: Path, logs: Path, env: dict[str, str]) -> Iterator[Workers]:
    running = Workers(home, logs, env)
    try:
        yield running
    finally:
        running.close()


def wait_until(what: str, predicate: Callable[[], bool], workers: Workers, *, timeout_s: float = 180.0) -> None:
    """Poll ``predicate`` (and that no worker crashed) until it holds; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        workers.alive()
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def credit_records(home: Path, n: int) -> tuple[list[bytes], list[dict[str, Any]], set[int]]:
    """``n`` input messages from the demo's scoring file, 1 % of them poison (of four kinds).

    Returns the messages, the row each good message holds (None for poison) and the poison indices.
    """
    import orjson

    frame = pd.read_csv(home / "demo" / "credit_to_score.csv")
    rows = frame.to_dict(orient="records")
    messages: list[bytes] = []
    payloads: list[dict[str, Any]] = []
    poison: set[int] = set()
    for i in range(n):
        row = dict(rows[i % len(rows)])
        if i % 100 == 37:
            poison.add(i)
            kind = (i // 100) % 4
            if kind == 0:
                messages.append(b"{not json")
            elif kind == 1:
                messages.append(b"[1, 2, 3]")
            elif kind == 2:
                messages.append(orjson.dumps({**row, "income": "lots"}))
            else:
                messages.append(orjson.dumps({k: v for k, v in row.items() if k != "age"}))
            payloads.append({})
            continue
        messages.append(orjson.dumps(row))
        payloads.append(row)
    return messages, payloads, poison


def expected_labels(model_dirs: dict[str, Path], rows: list[dict[str, Any]]) -> dict[str, np.ndarray[Any, Any]]:
    """What each version predicts for ``rows``, in this process, with MLflow's own loader."""
    import mlflow.pyfunc

    frame = pd.DataFrame(rows)
    return {v: np.asarray(mlflow.pyfunc.load_model(str(d)).predict(frame)) for v, d in model_dirs.items()}
