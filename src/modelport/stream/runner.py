"""``run_stream``: one worker process — a ``Node`` for one deployment, a source, the loop, the probes.

The same as ``serving.create_app`` for HTTP: the node follows the registry and the deployment's
policy; the worker adds only its transport. SIGTERM and SIGINT finish the batch in flight,
acknowledge it, and return normally (exit 0).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry

from modelport.inference import Node
from modelport.logsinks import open_log_sink
from modelport.stream.metrics import StreamMetrics
from modelport.stream.probes import Probes
from modelport.stream.worker import StreamWorker

if TYPE_CHECKING:
    from modelport.settings import Settings
    from modelport.stream.source import Source

__all__ = ["run_stream"]

log = logging.getLogger(__name__)


async def run_stream(
    settings: Settings,
    deployment: str,
    source: Source,
    *,
    node: Node | None = None,
    on_started: Callable[[StreamWorker, int | None], None] | None = None,
    handle_signals: bool = True,
) -> None:
    """Score ``deployment`` for every record of ``source`` until SIGTERM/SIGINT (or the worker's ``stop``).

    ``on_started(worker, metrics_port)`` is called once records flow (``metrics_port``: the bound
    port of the probes, ``None`` without ``stream.metrics_port``).
    """
    stream = settings.stream
    registry = CollectorRegistry(auto_describe=True)
    if node is None:
        node = Node(settings, deployments=[deployment], metrics_registry=registry, log_sink=open_log_sink)
    stop_requested = asyncio.Event()
    loop = asyncio.get_running_loop()
    if handle_signals:  # before the node starts: a SIGTERM while models load must still end cleanly
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop_requested.set)
    try:
        await source.check()  # an unreachable broker fails before a model loads
        async with node:
            node.plane.pool(deployment)  # DeploymentNotFound now, not on the first record
            await source.open()
            worker = StreamWorker(
                node.plane, deployment, source, stream, StreamMetrics(node.metrics.registry, source.name)
            )
            probes: Probes | None = None
            try:
                if stream.metrics_port is not None:
                    probes = Probes(worker, node.metrics, liveness_timeout_s=stream.liveness_timeout_s)
                    await probes.start(stream.metrics_host, stream.metrics_port)
                stopper = asyncio.create_task(_stop_when(stop_requested, worker))
                log.info("streaming %s: %s", deployment, source.describe())
                running = asyncio.create_task(worker.run())
                await asyncio.sleep(0)  # the loop is running when the caller hears of it
                if on_started is not None:
                    on_started(worker, probes.port if probes is not None else None)
                if stop_requested.is_set():
                    worker.stop()
                await running
                stopper.cancel()
            finally:
                if probes is not None:
                    await probes.close()
                await source.close()
    finally:
        if handle_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(Exception):
                    loop.remove_signal_handler(sig)
    log.info("stream worker stopped")


async def _stop_when(event: asyncio.Event, worker: StreamWorker) -> None:
    await event.wait()
    worker.stop()
