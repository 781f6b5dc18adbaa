"""An ``mlflow server`` process started with the compose service's own arguments, on a loopback port.

``mlflow server`` cannot bind port 0 and report it, so the port is one the OS just had free; if another
process takes it first the server fails to bind and is started again on a new one.
"""

from __future__ import annotations

import collections
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from modelport.package import MlflowServerSpec, mlflow_server_args


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TrackingServer:
    """``mlflow server`` on 127.0.0.1 with ``backend_uri`` as its store (passed as the compose file does)."""

    def __init__(self, spec: MlflowServerSpec, backend_uri: str, artifacts: Path, attempts: int = 3) -> None:
        self.output: collections.deque[str] = collections.deque(maxlen=300)
        for _ in range(attempts):
            self.spec = dataclasses.replace(
                spec, host="127.0.0.1", port=_free_port(), artifacts_destination=str(artifacts)
            )
            self.argv = mlflow_server_args(self.spec)
            clean = {k: v for k, v in os.environ.items() if not k.startswith(("MODELPORT_", "MLFLOW_"))}
            self.process = subprocess.Popen(
                [str(Path(sys.executable).with_name(self.argv[0])), *self.argv[1:]],
                env=clean | {"MLFLOW_BACKEND_STORE_URI": backend_uri},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,  # its uvicorn workers are stopped with it, as one process group
            )
            threading.Thread(target=self._drain, daemon=True).start()
            if self._wait_healthy(deadline=time.monotonic() + 180):  # a loaded machine imports slowly
                return
            in_use = "address already in use" in "".join(self.output).lower()
            self.stop()
            if not in_use:
                break
        raise AssertionError(f"mlflow server did not start:\n{''.join(self.output)}")

    @property
    def url(self) -> str:
        return f"http://{self.spec.host}:{self.spec.port}"

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)

    def _wait_healthy(self, deadline: float) -> bool:
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        return False

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
