"""``--metrics-port``: ``/metrics``, ``/livez`` and ``/readyz`` for Prometheus and Kubernetes, without a web framework.

A few lines of asyncio in the worker's own event loop: the answers read the worker's state
directly, and a worker whose loop is stuck stops answering ``/livez`` too — which is the point.
``/livez`` fails when the loop has not turned for ``liveness_timeout_s``; ``/readyz`` when no
version of the deployment is loaded or the worker is stopping.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from modelport.inference import ServingMetrics
    from modelport.stream.worker import StreamWorker

__all__ = ["Probes"]

log = logging.getLogger(__name__)

_REQUEST_LIMIT = 8192
_METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Probes:
    """The probe and metrics endpoint of one worker; ``start`` binds, ``port`` is the bound port."""

    def __init__(self, worker: StreamWorker, metrics: ServingMetrics, *, liveness_timeout_s: float) -> None:
        self._worker = worker
        self._metrics = metrics
        self._liveness_timeout_s = liveness_timeout_s
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._handle, host, port, limit=_REQUEST_LIMIT)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    def live(self) -> bool:
        worker = self._worker
        return not worker.running or time.monotonic() - worker.heartbeat < self._liveness_timeout_s

    def ready(self) -> bool:
        return self._worker.ready

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = await asyncio.wait_for(reader.readline(), timeout=5.0)
            while (await asyncio.wait_for(reader.readline(), timeout=5.0)) not in (b"\r\n", b"\n", b""):
                pass  # headers: nothing here needs them
            parts = request_line.decode("latin-1").split()
            method, path = (parts[0], parts[1].split("?", 1)[0]) if len(parts) >= 2 else ("", "")
            status, content_type, body = self._answer(method, path)
            head = (
                f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n"
            )
            writer.write(head.encode("latin-1") + (body if method != "HEAD" else b""))
            await writer.drain()
        except (TimeoutError, ConnectionError, ValueError, asyncio.LimitOverrunError):
            pass  # a bad or slow client gets nothing
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    def _answer(self, method: str, path: str) -> tuple[str, str, bytes]:
        if method not in ("GET", "HEAD"):
            return "405 Method Not Allowed", "text/plain", b"method not allowed\n"
        routes: dict[str, Callable[[], tuple[str, str, bytes]]] = {
            "/metrics": lambda: ("200 OK", _METRICS_TYPE, self._metrics.render()),
            "/livez": lambda: _probe(self.live()),
            "/readyz": lambda: _probe(self.ready()),
        }
        route = routes.get(path)
        return route() if route is not None else ("404 Not Found", "text/plain", b"not found\n")


def _probe(ok: bool) -> tuple[str, str, bytes]:
    return ("200 OK", "text/plain", b"ok\n") if ok else ("503 Service Unavailable", "text/plain", b"not ok\n")
