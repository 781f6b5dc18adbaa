"""A live modelport server as the integration tests see it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

import modelport

SRC = str(Path(modelport.__file__).resolve().parents[1])


@dataclass
class LiveServer:
    """A server listening on a port the kernel picked (read back from the bound socket)."""

    url: str
    host: str
    port: int


def eventually(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Wait for something the server brings about by itself (a deadline, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.05)


def start_serve(home: Path, *args: str, env: Mapping[str, str] = {}) -> tuple[subprocess.Popen[str], str]:
    """``modelport serve --port 0 ARGS`` in a subprocess, and the URL its first line names."""
    process = subprocess.Popen(
        [sys.executable, "-m", "modelport", "--home", str(home), "serve", "--port", "0", *args],
        env=os.environ | {"PYTHONPATH": SRC} | dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:  # the first line names the port the kernel picked
        match = re.search(r"serving on (http://\S+)", line)
        if match:
            # Keep reading: a full, unread pipe would block the server's logging.
            threading.Thread(target=process.stdout.read, daemon=True).start()
            return process, match.group(1)
    raise AssertionError(f"modelport serve exited with {process.wait(timeout=30)} before listening")


def ab_requests_with_feedback(
    client: httpx.Client, rows: list[dict[str, Any]], ids: list[str], headers: Mapping[str, str] = {}
) -> dict[str, str]:
    """Once the A/B policy routes, predict once per request id (sticky on it), then post an outcome for
    each (0, 1, 0, …) to deployment ``credit``; the variant each request got."""
    warm = {"X-Request-ID": "warm", "X-Modelport-Key": "warm"}
    eventually(
        lambda: (
            client.post("/predict", json={"features": rows}, headers=warm).headers["x-modelport-variant"] in ("A", "B")
        ),
        "the A/B policy routes",
    )
    variants = {}
    for request_id in ids:
        sent = {"X-Request-ID": request_id, "X-Modelport-Key": request_id, **headers}
        response = client.post("/predict", json={"features": rows}, headers=sent)
        assert response.status_code == 200
        variants[request_id] = response.headers["x-modelport-variant"]
    for i, request_id in enumerate(ids):
        feedback = {"request_id": request_id, "outcome": float(i % 2)}
        # The exposure the feedback is attributed to is flushed by the server within a moment.
        eventually(
            lambda body=feedback: client.post("/deployments/credit/feedback", json=body).status_code == 201,
            f"feedback on {request_id} accepted",
        )
    return variants
