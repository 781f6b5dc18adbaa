"""``PredictionLogSink``: where the prediction log's writer thread sends what it logged.

The writer (``PredictionLog``) owns sampling, the bounded queue and the per-deployment fields; a
sink only moves finished ``LogRecord``\\ s somewhere, always from the writer thread, never on a
request's path. The embedded default is ``ParquetSink`` (a dataset partitioned by deployment and
date); the scaled-out sinks — Redis Streams and Kafka — live in ``modelport.logsinks``, above the
data plane, because only front ends may pull in broker clients. A front end hands ``Node`` a
``LogSinkFactory`` (``modelport.logsinks.open_log_sink``); without one, ``Node`` opens the
Parquet sink and refuses a broker setting rather than silently writing elsewhere.

A sink never raises out of ``write``: what it could not deliver it returns as lost records per
deployment, and the writer counts them in ``modelport_prediction_log_dropped``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from modelport.inference.predictionlog.record import LogRecord
    from modelport.settings import Settings

__all__ = ["LogSinkFactory", "Lost", "PredictionLogSink"]

Lost = Mapping[str, int]
"""Records a sink could not deliver, per deployment."""


class PredictionLogSink(Protocol):
    """A destination of prediction log records, driven by one writer thread."""

    def describe(self) -> str:
        """Where the records go, for the log (no secret in it)."""
        ...

    def write(self, records: Sequence[LogRecord]) -> Lost:
        """Deliver ``records``; returns what is known lost since the last call (a sink that delivers
        asynchronously reports a failed delivery with a later call). Never raises."""
        ...

    def prune(self, keep_days: int) -> None:
        """Drop records older than ``keep_days`` days, where the sink keeps them itself."""
        ...

    def close(self) -> Lost:
        """Deliver what is still in flight (waiting a bounded time) and let go of connections."""
        ...


LogSinkFactory = Callable[["Settings"], PredictionLogSink]
"""Opens the sink ``settings.prediction_log.sink`` names (called only when something is logged)."""
