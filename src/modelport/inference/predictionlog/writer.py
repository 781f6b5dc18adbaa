"""``PredictionLog``: a sampled record of requests and responses, written by a background thread.

The hot path (``observe``) draws a random number, checks the ``RowBudget`` (``max_rows_per_s``)
and, for a sampled request, appends one tuple of
references (the prediction, its latency, its request id, the time) to a bounded deque; a full deque
drops the record and counts it (``modelport_prediction_log_dropped``) — the log never slows or fails
a request. A deque, not a ``queue.Queue``: its ``append``/``popleft`` are atomic without the lock and
condition a queue takes on every put, and the writer wakes on its own clock anyway. Every
``flush_interval_s`` the writer thread turns what is queued into Arrow columns (JSON inputs and
outputs, as the deployment's ``fields`` allow) and writes one Parquet file per deployment and day.

What is never logged: headers, API keys, anything of the request but its validated rows.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections import defaultdict, deque
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import pyarrow as pa

from modelport.inference.budget import RowBudget
from modelport.inference.context import new_request_id, request_id_var
from modelport.inference.predictionlog.dataset import LOG_SCHEMA, prune_log, write_part

if TYPE_CHECKING:
    from modelport.inference.metrics import ServingMetrics
    from modelport.inference.prediction import Prediction
    from modelport.runtime import Features
    from modelport.settings import LogFields, PredictionLogSettings

__all__ = ["PredictionLog"]

log = logging.getLogger(__name__)

_Queued = tuple["LogFields", "Prediction", float, str, float]
_PRUNE_EVERY_S = 3600.0
_JSON = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


class PredictionLog:
    """The prediction log of one node: ``observe`` on the hot path, a writer thread off it."""

    def __init__(self, settings: PredictionLogSettings, root: Path, metrics: ServingMetrics | None = None) -> None:
        self.settings = settings
        self.root = root
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
        self._writer = uuid.uuid4().hex[:12]
        self._files = 0
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
        """Write everything queued so far, then stop the writer (blocking)."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stopping.set()
            thread.join()

    def flush(self) -> None:
        """Write what is queued now, in the calling thread (blocking; the writer thread does this by itself)."""
        batch = [self._queue.popleft() for _ in range(len(self._queue))]
        if batch:
            self._write(batch)

    def _run(self) -> None:
        last_prune = 0.0
        while True:
            stopping = self._stopping.wait(self.settings.flush_interval_s)
            batch = [self._queue.popleft() for _ in range(len(self._queue))]
            if batch:
                try:
                    self._write(batch)
                except Exception:  # the writer must outlive any one batch
                    log.exception("could not log %d prediction(s)", len(batch))
                    self.dropped += len(batch)
            if time.monotonic() - last_prune >= _PRUNE_EVERY_S:
                last_prune = time.monotonic()
                try:
                    prune_log(self.root, keep_days=self.settings.retention_days)
                except OSError:
                    log.exception("could not prune the prediction log in %s", self.root)
            if stopping:
                return

    def _write(self, batch: list[_Queued]) -> None:
        parts: dict[tuple[str, date], dict[str, list[Any]]] = {}
        for fields, prediction, latency_s, request_id, at in batch:
            when = datetime.fromtimestamp(at, UTC)
            key = (prediction.deployment, when.date())
            columns = parts.get(key)
            if columns is None:
                columns = parts[key] = defaultdict(list)
            for name, value in self._row(fields, prediction, latency_s, request_id, when).items():
                columns[name].append(value)
        for (deployment, day), columns in parts.items():
            self._files += 1
            name = f"part-{self._writer}-{self._files:06d}"
            rows = len(columns["request_id"])
            try:
                write_part(self.root, deployment, day, pa.table(dict(columns), schema=LOG_SCHEMA), name)
                self.written += rows
            except Exception:  # a full disk must not take the server down: the records are lost, and counted
                log.exception("could not write %d prediction log record(s) of %s", rows, deployment)
                self.dropped += rows
                if self._metrics is not None:
                    self._metrics.prediction_log_dropped.labels(deployment).inc(rows)

    def _row(
        self, fields: LogFields, prediction: Prediction, latency_s: float, request_id: str, when: datetime
    ) -> dict[str, Any]:
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
        return {
            "request_id": request_id,
            "deployment": prediction.deployment,
            "variant": prediction.variant,
            "model": prediction.served.model_name,
            "version": prediction.served.version,
            "time": when,
            "latency_ms": latency_s * 1000.0,
            "rows": result.n_rows,
            "inputs": inputs,
            "outputs": outputs,
        }

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
