"""``PredictionLog``: a sampled record of requests and responses, written by a background thread.

The hot path (``observe``) draws a random number, checks the ``RowBudget`` (``max_rows_per_s``)
and, for a sampled request, appends one tuple of
references (the prediction, its latency, its request id, the time) to a bounded deque; a full deque
drops the record and counts it (``modelport_prediction_log_dropped``) — the log never slows or fails
a request. A deque, not a ``queue.Queue``: its ``append``/``popleft`` are atomic without the lock and
condition a queue takes on every put, and the writer wakes on its own clock anyway. Every
``flush_interval_s`` the writer thread turns what is queued into ``LogRecord``\\ s (JSON inputs and
outputs, as the deployment's ``fields`` allow) and hands them to its ``PredictionLogSink`` (Parquet
files, or a Redis/Kafka stream). A slow sink holds up only this thread: the deque fills, and new
records are dropped and counted, never waited for.

What is never logged: headers, API keys, anything of the request but its validated rows.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from modelport.inference.budget import RowBudget
from modelport.inference.context import new_request_id, request_id_var
from modelport.inference.predictionlog.record import LogRecord

if TYPE_CHECKING:
    from modelport.inference.metrics import ServingMetrics
    from modelport.inference.prediction import Prediction
    from modelport.inference.predictionlog.sink import PredictionLogSink
    from modelport.runtime import Features
    from modelport.settings import LogFields, PredictionLogSettings

__all__ = ["PredictionLog"]

log = logging.getLogger(__name__)

_Queued = tuple["LogFields", "Prediction", float, str, float]
_PRUNE_EVERY_S = 3600.0
_JSON = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


class PredictionLog:
    """The prediction log of one node: ``observe`` on the hot path, a writer thread off it."""

    def __init__(
        self, settings: PredictionLogSettings, sink: PredictionLogSink, metrics: ServingMetrics | None = None
    ) -> None:
        self.settings = settings
        self.sink = sink  # the log closes it on stop
        self._metrics = metrics
        self._queue: deque[_Queued] = deque()
        self._limit = settings.queue_size
        self._stopping = threading.Event()
        self._real: dict[int, bool] = {}  # id(schema) -> every column is a float (inputs via the matrix)
        self._rate = settings.sample_rate
        self._random = random.random
        self._budget = RowBudget(settings.max_rows_per_s)
        self._overrides, self._default_fields = dict(settings.deployments), settings.fields
        self._max_rows = settings.max_rows_per_request
        self._thread: threading.Thread | None = None
        self.written = 0
        self.dropped = 0

    def fields_for(self, deployment: str) -> LogFields:
        """What is logged of ``deployment``'s requests (its override, else the default)."""
        return self._overrides.get(deployment, self._default_fields)

    # -- the hot path ---------------------------------------------------------------------------
    def observe(self, prediction: Prediction, latency_s: float) -> None:
        """Queue ``prediction`` for the writer when sampled (never blocks, never raises)."""
        if self._rate < 1.0 and self._random() >= self._rate:
            return
        fields = self.fields_for(prediction.deployment)
        if fields == "off":
            return
        rows = min(prediction.result.n_rows, self._max_rows)
        if self._budget.take(rows) < rows:
            return  # this second's budget is spent: not logged, not an error
        if len(self._queue) >= self._limit:
            self.dropped += 1
            if self._metrics is not None:
                self._metrics.prediction_log_dropped.labels(prediction.deployment).inc()
            return
        request_id = request_id_var.get() or new_request_id()
        self._queue.append((fields, prediction, latency_s, request_id, time.time()))

    # -- the writer -----------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="modelport-prediction-log", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Write everything queued so far, then stop the writer and close the sink (blocking)."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stopping.set()
            thread.join()
        self._drain()  # anything observed while the thread was finishing
        self._count_lost(self.sink.close(), handed=True)

    def flush(self) -> None:
        """Write what is queued now, in the calling thread (blocking; the writer thread does this by itself)."""
        batch = [self._queue.popleft() for _ in range(len(self._queue))]
        if batch:
            self._write(batch)

    def _run(self) -> None:
        last_prune = 0.0
        while True:
            stopping = self._stopping.wait(self.settings.flush_interval_s)
            self._drain()
            if time.monotonic() - last_prune >= _PRUNE_EVERY_S:
                last_prune = time.monotonic()
                self.sink.prune(self.settings.retention_days)
            if stopping:
                return

    def _drain(self) -> None:
        batch = [self._queue.popleft() for _ in range(len(self._queue))]
        if batch:
            try:
                self._write(batch)
            except Exception:  # the writer must outlive any one batch
                log.exception("could not log %d prediction(s)", len(batch))
                self._count_lost(Counter(prediction.deployment for _, prediction, _, _, _ in batch))

    def _write(self, batch: list[_Queued]) -> None:
        records = [self._record(*queued) for queued in batch]
        self.written += len(records)
        self._count_lost(self.sink.write(records), handed=True)

    def _count_lost(self, lost: Mapping[str, int], *, handed: bool = False) -> None:
        """Count records lost per deployment (``handed``: by the sink, after ``written`` counted them)."""
        for deployment, count in lost.items():
            if count:
                self.dropped += count
                if handed:
                    self.written -= count
                if self._metrics is not None:
                    self._metrics.prediction_log_dropped.labels(deployment).inc(count)

    def _record(
        self, fields: LogFields, prediction: Prediction, latency_s: float, request_id: str, at: float
    ) -> LogRecord:
        result = prediction.result
        keep = self.settings.max_rows_per_request
        inputs = outputs = None
        if fields in ("outputs", "full"):
            out: dict[str, Any] = {"predictions": result.predictions[:keep]}
            if result.probabilities is not None:
                out["probabilities"] = result.probabilities[:keep]
            if result.classes is not None:
                out["classes"] = list(result.classes)
            outputs = orjson.dumps(out, option=_JSON, default=str).decode()
        if fields == "full" and prediction.inputs is not None:
            inputs = orjson.dumps(self._records(prediction.inputs, keep), option=_JSON, default=str).decode()
        return LogRecord(
            request_id=request_id,
            deployment=prediction.deployment,
            variant=prediction.variant,
            model=prediction.served.model_name,
            version=prediction.served.version,
            time=datetime.fromtimestamp(at, UTC),
            latency_ms=latency_s * 1000.0,
            rows=result.n_rows,
            inputs=inputs,
            outputs=outputs,
        )

    def _records(self, inputs: Features, keep: int) -> list[dict[str, Any]]:
        """The first ``keep`` rows as ``{column: value}``; through the numeric matrix when it holds them exactly."""
        features = inputs if inputs.n_rows <= keep else inputs.slice(0, keep)
        schema = features.schema
        real = self._real.get(id(schema))
        if real is None:
            real = self._real[id(schema)] = all(c.dtype in ("double", "float") for c in schema.columns)
        names = schema.names
        if real:  # one tolist of a matrix the fast path usually built already: ~10x cheaper than per column
            return [dict(zip(names, row, strict=True)) for row in features.matrix.tolist()]
        columns = features.columns
        values = [columns[n].tolist() for n in names]
        return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]
