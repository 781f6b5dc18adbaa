"""Prometheus metrics of one server, in a registry owned by the app (never the process default).

Every series a user graphs is labelled by deployment and model version, so a canary or a fresh
promotion shows up as its own line.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "ServingMetrics"]

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096)


class ServingMetrics:
    """The collectors of one app; ``render()`` is the body of ``GET /metrics``."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "modelport_requests",
            "Prediction requests answered, by deployment, version and protocol.",
            ["deployment", "version", "protocol"],
            registry=r,
        )
        self.rows = Counter("modelport_predicted_rows", "Rows predicted.", ["deployment", "version"], registry=r)
        self.latency = Histogram(
            "modelport_request_latency_seconds",
            "Time from parsed body to predictions, by deployment, version and protocol.",
            ["deployment", "version", "protocol"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.errors = Counter(
            "modelport_errors", "Requests answered with an error, by error code.", ["code"], registry=r
        )
        self.batch_rows = Histogram(
            "modelport_batch_rows",
            "Rows per model call after adaptive batching.",
            ["deployment", "version"],
            buckets=_BATCH_BUCKETS,
            registry=r,
        )
        self.loaded = Gauge(
            "modelport_loaded_version",
            "1 for each model version held in memory, by role (active, previous, pinned).",
            ["deployment", "model", "version", "role"],
            registry=r,
        )
        self.load_failures = Counter(
            "modelport_load_failures",
            "Versions that failed to load (the previous version kept serving).",
            ["deployment", "version"],
            registry=r,
        )
        self.degraded = Gauge(
            "modelport_deployment_degraded",
            "1 while the version a deployment should serve failed to load.",
            ["deployment"],
            registry=r,
        )

    def set_loaded(self, deployment: str, model: str, roles: list[tuple[str, str]]) -> None:
        """Replace the loaded-version series of one deployment by ``[(role, version), …]``."""
        for labels in list(self._loaded_labels(deployment)):
            self.loaded.remove(*labels)
        for role, version in roles:
            self.loaded.labels(deployment, model, version, role).set(1)

    def _loaded_labels(self, deployment: str) -> list[tuple[str, ...]]:
        found: list[tuple[str, ...]] = []
        for metric in self.loaded.collect():
            for sample in metric.samples:
                if sample.labels.get("deployment") == deployment:
                    lab = sample.labels
                    found.append((lab["deployment"], lab["model"], lab["version"], lab["role"]))
        return found

    def render(self) -> bytes:
        return bytes(generate_latest(self.registry))
