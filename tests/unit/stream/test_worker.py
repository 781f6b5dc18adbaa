"""The micro-batch loop: bounded batches, every record written once, SIGTERM finishes the batch in flight."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from prometheus_client import CollectorRegistry

from modelport.inference import Node
from modelport.stream import Record, StreamMetrics, StreamWorker
from tests.api.models import Built
from tests.unit.stream.conftest import ListSource, stream_settings

pytestmark = pytest.mark.anyio


def _records(built: Built, n: int) -> list[Record]:
    rows = built.frame.to_dict(orient="records")
    return [Record(source_id=f"{i}-0", value=orjson.dumps(rows[i % len(rows)])) for i in range(n)]


def _worker(node: Node, source: ListSource, **settings: object) -> StreamWorker:
    metrics = StreamMetrics(CollectorRegistry(), source.name)
    return StreamWorker(node.plane, "clf", source, stream_settings(**settings), metrics)


async def test_batches_are_bounded_and_every_record_is_written_once_in_order(
    node: Node, stream_models: dict[str, Built]
) -> None:
    source = ListSource(_records(stream_models["clf"], 1234))
    worker = _worker(node, source, batch_size=500)
    running = asyncio.create_task(worker.run())
    while source.records or not source.written or sum(map(len, source.written)) < 1234:
        await asyncio.sleep(0.01)
    worker.stop()
    await running

    assert [len(batch) for batch in source.written] == [500, 500, 234]
    ids = [o.record.source_id for batch in source.written for o in batch]
    assert ids == [f"{i}-0" for i in range(1234)]
    assert source.stopped


async def test_stop_lets_the_batch_in_flight_be_written_then_reads_nothing_more(
    node: Node, stream_models: dict[str, Built]
) -> None:
    source = ListSource(_records(stream_models["clf"], 300))
    source.write_gate = asyncio.Event()
    worker = _worker(node, source, batch_size=100)
    running = asyncio.create_task(worker.run())
    await source.writing.wait()  # the first batch is scored and being written

    worker.stop()
    source.write_gate.set()
    await running

    assert [len(batch) for batch in source.written] == [100]
    assert len(source.records) == 200  # never read: the next worker gets them


async def test_a_batch_closes_when_the_latency_budget_is_spent(node: Node, stream_models: dict[str, Built]) -> None:
    source = ListSource(_records(stream_models["clf"], 10))
    worker = _worker(node, source, batch_size=500, max_latency_ms=0.0)
    running = asyncio.create_task(worker.run())
    while sum(map(len, source.written)) < 10:
        await asyncio.sleep(0.01)
    worker.stop()
    await running
    assert [len(batch) for batch in source.written] == [10]  # not held back waiting for 490 more
