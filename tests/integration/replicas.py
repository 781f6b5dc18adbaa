"""Server replicas as separate processes, and a bounded load generator that drives them over loopback.

Each replica is ``python -m modelport serve --port 0`` with its settings in ``MODELPORT_*``
variables; the first line it prints names the port the kernel picked. The load generator runs a
few threads with their own ``httpx.Client``, paced (never more than ``rate`` requests a second in
total), bounded in count and time, and records every answer with what served it.
"""

from __future__ import annotations

import collections
import itertools
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

import modelport

SRC = Path(modelport.__file__).resolve().parents[1]
ROOT = SRC.parent  # the repository: tests.integration.candidates must be importable by the servers


class Replica:
    """One ``modelport serve`` process on 127.0.0.1 (port 0, read back from its first line)."""

    def __init__(self, home: Path, env: Mapping[str, str], deployment: str) -> None:
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("MODELPORT_", "MLFLOW_"))}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "modelport", "--home", str(home), "serve", "--port", "0", "-d", deployment],
            env=clean | dict(env) | {"PYTHONPATH": os.pathsep.join([str(SRC), str(ROOT)])},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output: collections.deque[str] = collections.deque(maxlen=200)
        self.url = self._read_url()

    def _read_url(self) -> str:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            match = re.search(r"serving on (http://\S+)", line)
            if match:
                # Keep reading: a full, unread pipe would block the server's logging.
                threading.Thread(target=self._drain, daemon=True).start()
                return match.group(1)
        self.process.wait(timeout=30)
        raise AssertionError(f"the server exited with {self.process.returncode}:\n{''.join(self.output)}")

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.url, timeout=5) as client:
            while time.monotonic() < deadline:
                try:
                    if client.get("/readyz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        raise AssertionError(f"{self.url} never became ready:\n{''.join(self.output)}")

    def stop(self) -> None:
        """SIGTERM (in-flight requests finish), then wait; kill only if it hangs."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass(frozen=True)
class Answer:
    """One request as the client saw it: where it went, its key, when, and what served it."""

    slot: int
    key: str
    sticky: bool
    sent: float  # wall clock (comparable with the state store's timestamps)
    received: float
    status: int | str
    variant: str | None = None
    version: str | None = None
    deployment: str | None = None
    body_ok: bool = False


class LoadGenerator:
    """Steady, paced traffic to every attached replica; every other request carries a sticky user key.

    Fresh keys (``fresh-…``, each used once) measure the split; sticky keys (``user-0`` … ``user-N``)
    are sent again and again to every replica to check that they keep their variant.
    """

    def __init__(
        self,
        rows: Sequence[Mapping[str, Any]],
        *,
        deployment: str,
        slots: int,
        threads: int = 4,
        rate: float = 120.0,
        sticky_users: int = 40,
        max_requests: int = 20_000,
        max_seconds: float = 150.0,
    ) -> None:
        self._rows = list(rows)
        self._path = f"/deployments/{deployment}/predict"
        self._urls: list[str | None] = [None] * slots
        self._in_flight = [0] * slots
        self._cond = threading.Condition()
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)]
        self._interval = threads / rate
        self._sticky_users = sticky_users
        self._budget = itertools.count()
        self._max_requests = max_requests
        self._deadline = time.monotonic() + max_seconds
        self._stop = threading.Event()
        self.answers: list[Answer] = []

    def attach(self, slot: int, url: str) -> None:
        with self._cond:
            self._urls[slot] = url

    def detach(self, slot: int) -> None:
        """Stop sending to ``slot`` and wait until its in-flight requests are answered (a drained replica)."""
        with self._cond:
            self._urls[slot] = None
            self._cond.wait_for(lambda: self._in_flight[slot] == 0, timeout=60)

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> list[Answer]:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)
        return list(self.answers)

    def _pick(self, n: int) -> tuple[int, str] | None:
        with self._cond:
            live = [(i, u) for i, u in enumerate(self._urls) if u is not None]
            if not live:
                return None
            slot, url = live[n % len(live)]
            self._in_flight[slot] += 1
            return slot, url

    def _done(self, slot: int) -> None:
        with self._cond:
            self._in_flight[slot] -= 1
            self._cond.notify_all()

    def _run(self, thread: int) -> None:
        with httpx.Client(timeout=30) as client:
            for n in itertools.count():
                if self._stop.is_set() or time.monotonic() > self._deadline:
                    return
                if next(self._budget) >= self._max_requests:
                    return
                started = time.monotonic()
                picked = self._pick(n + thread)
                if picked is not None:
                    self._send(client, thread, n, *picked)
                self._stop.wait(max(0.0, self._interval - (time.monotonic() - started)))

    def _send(self, client: httpx.Client, thread: int, n: int, slot: int, url: str) -> None:
        sticky = n % 2 == 1
        key = f"user-{(n * 7 + thread) % self._sticky_users}" if sticky else f"fresh-{thread}-{n}"
        row = self._rows[(n * 4 + thread) % len(self._rows)]
        sent = time.time()
        try:
            response = client.post(url + self._path, json={"features": [row]}, headers={"X-Modelport-Key": key})
        except httpx.HTTPError as exc:
            self.answers.append(Answer(slot, key, sticky, sent, time.time(), repr(exc)))
            return
        finally:
            self._done(slot)
        received = time.time()
        if response.status_code != 200:
            self.answers.append(Answer(slot, key, sticky, sent, received, f"{response.status_code}: {response.text}"))
            return
        doc = response.json()
        h = response.headers
        self.answers.append(
            Answer(
                slot,
                key,
                sticky,
                sent,
                received,
                200,
                variant=h.get("x-modelport-variant"),
                version=h.get("x-model-version"),
                deployment=h.get("x-modelport-deployment"),
                body_ok=(doc.get("variant"), doc.get("model_version"), doc.get("deployment"))
                == (h.get("x-modelport-variant"), h.get("x-model-version"), h.get("x-modelport-deployment")),
            )
        )
