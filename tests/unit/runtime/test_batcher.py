"""Batcher semantics with a controlled predict function and a frozen clock.

``asyncio.wait_for(..., GUARD)`` only keeps a broken batcher from hanging the suite; no assertion
depends on how long anything takes.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any

import pytest

from modelport.errors import NotReady
from modelport.runtime import AdaptiveBatcher, ColumnSpec, Features, InputSchema, PredictionResult

GUARD = 10.0
SCHEMA = InputSchema((ColumnSpec("x", "double"),))


class FrozenClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class GatedPredict:
    """Echoes column ``x``; the first call blocks until ``release()`` so tests can hold a batch running."""

    def __init__(self, fail_on_call: int | None = None) -> None:
        self.calls: list[list[float]] = []
        self.first_started = threading.Event()
        self._gate = threading.Event()
        self._fail_on_call = fail_on_call

    def release(self) -> None:
        self._gate.set()

    def __call__(self, features: Features) -> PredictionResult:
        self.calls.append(features.columns["x"].tolist())
        call = len(self.calls)
        if call == 1:
            self.first_started.set()
            self._gate.wait(GUARD)
        if call == self._fail_on_call:
            raise RuntimeError("backend exploded")
        return PredictionResult(features.columns["x"] * 10)


def rows(*values: float) -> Features:
    return SCHEMA.from_columns({"x": list(values)})


def run(coro: Coroutine[Any, Any, None]) -> None:
    asyncio.run(asyncio.wait_for(coro, GUARD))


async def start_blocking_batch(batcher: AdaptiveBatcher, predict: GatedPredict) -> asyncio.Task[PredictionResult]:
    first = asyncio.create_task(batcher.submit(rows(0)))
    await asyncio.to_thread(predict.first_started.wait, GUARD)
    return first


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


def test_lone_request_is_dispatched_at_once() -> None:
    async def scenario() -> None:
        predict = GatedPredict()
        predict.release()
        batcher = AdaptiveBatcher(predict, max_latency_ms=3_600_000, clock=FrozenClock())
        result = await batcher.submit(rows(1.5, 2.5))
        assert result.predictions.tolist() == [15.0, 25.0]
        assert predict.calls == [[1.5, 2.5]]
        await batcher.aclose()

    run(scenario())


def test_requests_waiting_behind_a_batch_are_grouped_when_full() -> None:
    async def scenario() -> None:
        predict = GatedPredict()
        batcher = AdaptiveBatcher(predict, max_batch_size=5, max_latency_ms=3_600_000, clock=FrozenClock())
        first = await start_blocking_batch(batcher, predict)
        b = asyncio.create_task(batcher.submit(rows(1, 2)))
        await settle()
        assert len(predict.calls) == 1  # two rows do not fill a batch, and the clock is frozen
        c = asyncio.create_task(batcher.submit(rows(3, 4, 5)))
        result_b, result_c = await asyncio.gather(b, c)
        assert predict.calls[1] == [1, 2, 3, 4, 5]
        assert result_b.predictions.tolist() == [10, 20]
        assert result_c.predictions.tolist() == [30, 40, 50]
        assert not first.done()
        predict.release()
        assert (await first).predictions.tolist() == [0]
        await batcher.aclose()

    run(scenario())


def test_oldest_request_goes_when_its_latency_budget_is_spent() -> None:
    async def scenario() -> None:
        predict = GatedPredict()
        clock = FrozenClock()
        batcher = AdaptiveBatcher(predict, max_batch_size=64, max_latency_ms=2.0, clock=clock)
        first = await start_blocking_batch(batcher, predict)
        waiting = asyncio.create_task(batcher.submit(rows(7)))
        await asyncio.sleep(0.05)
        assert len(predict.calls) == 1  # frozen clock: the budget is never spent
        clock.now += 0.0021
        assert (await waiting).predictions.tolist() == [70]
        assert not first.done()  # dispatched while the first batch was still running
        predict.release()
        await first
        await batcher.aclose()

    run(scenario())


def test_a_request_is_never_split_and_waits_for_the_running_batch_when_idle_next() -> None:
    async def scenario() -> None:
        predict = GatedPredict()
        batcher = AdaptiveBatcher(predict, max_batch_size=4, max_latency_ms=3_600_000, clock=FrozenClock())
        first = await start_blocking_batch(batcher, predict)
        b = asyncio.create_task(batcher.submit(rows(1, 2, 3)))
        c = asyncio.create_task(batcher.submit(rows(4, 5, 6)))
        assert (await b).predictions.tolist() == [10, 20, 30]  # 3 + 3 > 4: b goes alone
        await settle()
        assert not c.done()
        predict.release()  # no batch running any more: c goes at once
        assert (await c).predictions.tolist() == [40, 50, 60]
        await first
        big = await batcher.submit(rows(*range(10)))  # larger than a batch: goes alone, whole
        assert big.n_rows == 10
        assert [len(call) for call in predict.calls] == [1, 3, 3, 10]
        await batcher.aclose()

    run(scenario())


def test_a_failed_batch_fails_every_request_in_it_with_the_same_exception() -> None:
    async def scenario() -> None:
        predict = GatedPredict(fail_on_call=2)
        batcher = AdaptiveBatcher(predict, max_batch_size=2, max_latency_ms=3_600_000, clock=FrozenClock())
        first = await start_blocking_batch(batcher, predict)
        b = asyncio.create_task(batcher.submit(rows(1)))
        c = asyncio.create_task(batcher.submit(rows(2)))
        outcomes = await asyncio.gather(b, c, return_exceptions=True)
        assert predict.calls[1] == [1, 2]
        assert isinstance(outcomes[0], RuntimeError)
        assert outcomes[0] is outcomes[1]
        predict.release()
        assert (await first).predictions.tolist() == [0]  # other batches are unaffected
        await batcher.aclose()

    run(scenario())


def test_close_flushes_the_queue_then_refuses() -> None:
    async def scenario() -> None:
        predict = GatedPredict()
        batcher = AdaptiveBatcher(predict, max_batch_size=64, max_latency_ms=3_600_000, clock=FrozenClock())
        first = await start_blocking_batch(batcher, predict)
        queued = asyncio.create_task(batcher.submit(rows(3)))
        await settle()
        assert not queued.done()
        closing = asyncio.create_task(batcher.aclose())
        assert (await queued).predictions.tolist() == [30]  # flushed although a batch still runs
        assert not first.done()
        predict.release()
        await closing
        assert first.done()  # close waited for the running batch
        with pytest.raises(NotReady):
            await batcher.submit(rows(1))

    run(scenario())


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="max_batch_size"):
        AdaptiveBatcher(GatedPredict(), max_batch_size=0)
    with pytest.raises(ValueError, match="max_latency_ms"):
        AdaptiveBatcher(GatedPredict(), max_latency_ms=-1)
