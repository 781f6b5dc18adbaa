"""Adaptive micro-batching of concurrent requests (MLServer's ``batching/adaptive.py`` idea).

Rules, in order:

* a request is never split: a batch holds whole requests, at most ``max_batch_size`` rows unless a
  single request is larger on its own;
* when no batch is running the queue is dispatched at once, so a lone client never waits;
* otherwise waiting requests go when they fill a batch or when the oldest has waited
  ``max_latency_ms`` (several batches may run at once, each in a worker thread);
* a batch that fails fails every request in it with the same exception.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from modelport.errors import NotReady
from modelport.runtime.features import Features
from modelport.runtime.result import PredictionResult

__all__ = ["AdaptiveBatcher"]


@dataclass(slots=True)
class _Pending:
    features: Features
    future: asyncio.Future[PredictionResult]
    enqueued_at: float


class AdaptiveBatcher:
    """Groups concurrent :meth:`submit` calls into batches for ``predict``; one per model per event loop."""

    def __init__(
        self,
        predict: Callable[[Features], PredictionResult],
        *,
        max_batch_size: int = 64,
        max_latency_ms: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_batch_size < 1:
            raise ValueError("max_batch_size must be at least 1")
        if max_latency_ms < 0:
            raise ValueError("max_latency_ms must not be negative")
        self._predict = predict
        self._max_rows = max_batch_size
        self._max_wait = max_latency_ms / 1000.0
        self._clock = clock
        self._queue: deque[_Pending] = deque()
        self._queued_rows = 0
        self._running: set[asyncio.Task[None]] = set()
        self._wakeup: asyncio.Event | None = None
        self._dispatcher: asyncio.Task[None] | None = None
        self._closed = False

    async def submit(self, features: Features) -> PredictionResult:
        """Predict ``features`` as part of some batch; returns exactly their rows."""
        if self._closed:
            raise NotReady("the batcher is closed")
        future: asyncio.Future[PredictionResult] = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(features, future, self._clock()))
        self._queued_rows += features.n_rows
        self._ensure_dispatcher().set()
        return await future

    async def aclose(self) -> None:
        """Dispatch what is queued, wait for running batches, refuse new requests."""
        self._closed = True
        if self._dispatcher is not None and self._wakeup is not None:
            self._wakeup.set()
            await self._dispatcher
            self._dispatcher = None

    def _ensure_dispatcher(self) -> asyncio.Event:
        if self._wakeup is None:
            self._wakeup = asyncio.Event()
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.get_running_loop().create_task(self._dispatch_forever())
        return self._wakeup

    def _due(self) -> bool:
        if self._closed or not self._running or self._queued_rows >= self._max_rows:
            return True
        return self._clock() - self._queue[0].enqueued_at >= self._max_wait

    async def _dispatch_forever(self) -> None:
        assert self._wakeup is not None
        while True:
            while self._queue and self._due():
                self._start(self._take_batch())
            if self._closed and not self._queue:
                break
            self._wakeup.clear()
            timeout = None
            if self._queue:
                timeout = max(0.0, self._queue[0].enqueued_at + self._max_wait - self._clock())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout)
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    def _take_batch(self) -> list[_Pending]:
        batch: list[_Pending] = []
        rows = 0
        while self._queue:
            pending = self._queue[0]
            if batch and rows + pending.features.n_rows > self._max_rows:
                break
            self._queue.popleft()
            self._queued_rows -= pending.features.n_rows
            if pending.future.done():  # the caller gave up (cancelled) while waiting
                continue
            batch.append(pending)
            rows += pending.features.n_rows
        return batch

    def _start(self, batch: list[_Pending]) -> None:
        if not batch:
            return
        task = asyncio.get_running_loop().create_task(self._run(batch))
        self._running.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if self._wakeup is not None:
            self._wakeup.set()

    async def _run(self, batch: list[_Pending]) -> None:
        try:
            features = Features.concat([p.features for p in batch])
            result = await asyncio.to_thread(self._predict, features)
            if result.n_rows != features.n_rows:
                raise RuntimeError(f"predict returned {result.n_rows} rows for {features.n_rows}")
        except Exception as exc:
            for pending in batch:
                if not pending.future.done():
                    pending.future.set_exception(exc)
            return
        offset = 0
        for pending in batch:
            n_rows = pending.features.n_rows
            if not pending.future.done():
                pending.future.set_result(result if len(batch) == 1 else result.slice(offset, offset + n_rows))
            offset += n_rows
