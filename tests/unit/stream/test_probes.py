"""``--metrics-port``: /metrics, /livez and /readyz over a real socket, no web framework."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from prometheus_client import CollectorRegistry

from modelport.inference import Node
from modelport.stream import StreamMetrics, StreamWorker
from modelport.stream.probes import Probes
from tests.unit.stream.conftest import ListSource, stream_settings

pytestmark = pytest.mark.anyio


async def test_probes_answer_from_the_worker_state(node: Node) -> None:
    source = ListSource([])
    metrics = StreamMetrics(node.metrics.registry, source.name)
    worker = StreamWorker(node.plane, "clf", source, stream_settings(), metrics)
    probes = Probes(worker, node.metrics, liveness_timeout_s=60.0)
    await probes.start("127.0.0.1", 0)
    base = f"http://127.0.0.1:{probes.port}"
    try:
        async with httpx.AsyncClient(base_url=base) as client:
            assert (await client.get("/readyz")).status_code == 503  # the loop is not running yet
            running = asyncio.create_task(worker.run())
            await asyncio.sleep(0.05)
            assert (await client.get("/livez")).status_code == 200
            assert (await client.get("/readyz")).status_code == 200
            scrape = await client.get("/metrics")
            assert scrape.status_code == 200
            assert "modelport_stream_records_in_total" in scrape.text
            assert "modelport_loaded_version" in scrape.text  # the data plane's series, same registry
            assert (await client.get("/nope")).status_code == 404
            assert (await client.post("/livez")).status_code == 405
            worker.stop()
            assert (await client.get("/readyz")).status_code == 503  # stopping: take it out of rotation
            await running
    finally:
        await probes.close()


async def test_a_stuck_loop_fails_liveness(node: Node) -> None:
    source = ListSource([])
    worker = StreamWorker(node.plane, "clf", source, stream_settings(), StreamMetrics(CollectorRegistry(), "list"))
    probes = Probes(worker, node.metrics, liveness_timeout_s=60.0)
    worker.running = True
    worker.heartbeat -= 120.0  # the loop last turned two minutes ago
    assert not probes.live()
    worker.heartbeat += 120.0
    assert probes.live()
