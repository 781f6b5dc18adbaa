"""The stream worker's own Prometheus series, next to the data plane's in the node's registry."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["StreamMetrics"]

_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 10_000)
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class StreamMetrics:
    """Records in and out, dead letters, batch sizes, end-to-end latency and lag of one worker."""

    def __init__(self, registry: CollectorRegistry, source: str) -> None:
        self.source = source
        r = registry
        self.records_in = Counter(
            "modelport_stream_records_in", "Records read from the input stream.", ["source"], registry=r
        )
        self.records_out = Counter(
            "modelport_stream_records_out",
            "Answers written to the output stream, by deployment and version.",
            ["source", "deployment", "version"],
            registry=r,
        )
        self.dead_letters = Counter(
            "modelport_stream_dead_letters",
            "Records written to the dead-letter stream, by error code.",
            ["source", "code"],
            registry=r,
        )
        self.duplicates_skipped = Counter(
            "modelport_stream_duplicates_skipped",
            "Outcomes not written because another consumer acknowledged the record first (Redis) "
            "or its partition moved to another consumer while the batch was read (Kafka).",
            ["source"],
            registry=r,
        )
        self.retries = Counter(
            "modelport_stream_retries",
            "Transient failures retried with backoff, by reason.",
            ["source", "reason"],
            registry=r,
        )
        self.batch_records = Histogram(
            "modelport_stream_batch_records", "Records per micro-batch.", ["source"], buckets=_BATCH_BUCKETS, registry=r
        )
        self.latency = Histogram(
            "modelport_stream_end_to_end_latency_seconds",
            "From the broker's timestamp of a record to its outcome being acknowledged.",
            ["source"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.lag = Gauge(
            "modelport_stream_lag",
            "Records not yet processed: per partition (Kafka), pending and lag of the group (Redis).",
            ["source", "partition"],
            registry=r,
        )

    def set_lag(self, lag: Mapping[str, int]) -> None:
        for partition, value in lag.items():
            self.lag.labels(self.source, partition).set(value)

    def retry(self, reason: str) -> None:
        self.retries.labels(self.source, reason).inc()
