"""The generic micro-batch loop: read → score → write-and-acknowledge, one batch at a time.

One batch in flight bounds memory (``batch_size`` records) and gives backpressure for free: a slow
output slows ``write``, which delays the next ``read``. A batch is closed when it holds
``batch_size`` records or ``max_latency_ms`` after its first record arrived, whichever is first.
``stop()`` (SIGTERM) lets the batch in flight be written and acknowledged, then ``run`` returns.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from typing import TYPE_CHECKING

from modelport.errors import ModelportError
from modelport.stream.contract import Answer, Record
from modelport.stream.scorer import Scorer, Stopping

if TYPE_CHECKING:
    from modelport.inference import DataPlane
    from modelport.settings import StreamSettings
    from modelport.stream.metrics import StreamMetrics
    from modelport.stream.source import Source

__all__ = ["StreamWorker"]

log = logging.getLogger(__name__)


class StreamWorker:
    """Scores ``deployment`` on ``plane`` for every record ``source`` delivers, until stopped."""

    def __init__(
        self, plane: DataPlane, deployment: str, source: Source, settings: StreamSettings, metrics: StreamMetrics
    ) -> None:
        self.plane = plane
        self.deployment = deployment
        self.source = source
        self.metrics = metrics
        self._settings = settings
        self._batch_size = min(settings.batch_size, plane.limits.max_rows)
        self._stopping = asyncio.Event()
        self._scorer = Scorer(
            plane,
            deployment,
            protocol=source.name,
            max_record_bytes=settings.max_record_bytes,
            retry_max_s=settings.retry_backoff_max_s,
            stopping=self._stopping.is_set,
            on_retry=metrics.retry,
        )
        self.heartbeat = time.monotonic()  # the loop's last turn: /livez fails when it stops turning
        self.running = False
        self._lag_at = 0.0

    @property
    def ready(self) -> bool:
        """Running, not stopping, and a version of the deployment is loaded."""
        if not self.running or self._stopping.is_set():
            return False
        try:
            return self.plane.pool(self.deployment).ready
        except ModelportError:
            return False

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def stop(self) -> None:
        """Finish the batch in flight, acknowledge it, and return from ``run``."""
        if not self._stopping.is_set():
            log.info("stopping: finishing the batch in flight")
        self._stopping.set()
        self.source.stop()

    async def run(self) -> None:
        """Process batches until ``stop()``."""
        self.running = True
        try:
            while not self._stopping.is_set():
                self.heartbeat = time.monotonic()
                batch = await self._collect()
                if batch:
                    try:
                        await self._process(batch)
                    except Stopping:
                        log.info("stopped while retrying; %d records stay unacknowledged", len(batch))
                        break
                await self._report_lag()
        finally:
            self.running = False

    async def _collect(self) -> list[Record]:
        settings = self._settings
        batch = await self.source.read(self._batch_size, settings.poll_timeout_s)
        if not batch:
            return batch
        deadline = time.monotonic() + settings.max_latency_ms / 1000.0
        while len(batch) < self._batch_size and not self._stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            more = await self.source.read(self._batch_size - len(batch), left)
            if not more:
                break
            batch.extend(more)
        return batch

    async def _process(self, batch: list[Record]) -> None:
        metrics, source = self.metrics, self.source.name
        metrics.records_in.labels(source).inc(len(batch))
        metrics.batch_records.labels(source).observe(len(batch))
        outcomes = await self._scorer.score(batch)
        written = await self.source.write(outcomes)
        if written < len(outcomes):
            metrics.duplicates_skipped.labels(source).inc(len(outcomes) - written)
        answered: Counter[tuple[str, str]] = Counter()
        dead: Counter[str] = Counter()
        for outcome in outcomes:
            if isinstance(outcome, Answer):
                answered[outcome.deployment, outcome.version] += 1
            else:
                dead[outcome.code] += 1
        for (deployment, version), n in answered.items():
            metrics.records_out.labels(source, deployment, version).inc(n)
        for code, n in dead.items():
            metrics.dead_letters.labels(source, code).inc(n)
        latency = metrics.latency.labels(source)
        now_ms = time.time() * 1000.0
        for record in batch:
            if record.timestamp_ms is not None:
                latency.observe(max(0.0, (now_ms - record.timestamp_ms) / 1000.0))

    async def _report_lag(self) -> None:
        now = time.monotonic()
        if now - self._lag_at < self._settings.lag_interval_s:
            return
        self._lag_at = now
        try:
            self.metrics.set_lag(await self.source.lag())
        except Exception as exc:  # a metric must never stop the stream
            log.debug("could not read the lag: %s", exc)
