"""Prometheus metrics of one server, in a registry owned by the app (never the process default).

Every series a user graphs is labelled by deployment and model version, so a canary or a fresh
promotion shows up as its own line.

With several worker processes (``multiprocess_dir``), prometheus_client writes every value to
memory-mapped files in that directory (it must be in ``PROMETHEUS_MULTIPROC_DIR`` before
prometheus_client is imported: ``modelport serve`` sets it before starting the workers), and
``render()`` merges the files of every worker, so whichever worker answers a scrape describes
the whole server. Counters and histograms are summed, dead workers included (totals never go
back); each gauge says how its workers' values combine (``multiprocess_mode``).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "MULTIPROCESS_DIR_VARIABLE", "ServingMetrics", "mark_worker_dead"]

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
"""Where prometheus_client's multiprocess mode keeps the shared files (read by it at import)."""

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096)


class ServingMetrics:
    """The collectors of one app; ``render()`` is the body of ``GET /metrics``.

    ``multiprocess_dir`` is the directory shared by every worker of one server (see the module
    docstring); without it the metrics describe this process only.
    """

    def __init__(self, registry: CollectorRegistry | None = None, *, multiprocess_dir: Path | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        self.multiprocess_dir = multiprocess_dir
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
        # Gauges across workers: "livemax" keeps the single-process meaning (1 when any live
        # worker holds the version / is degraded) and forgets a worker once it is marked dead;
        # a sum would report 2 for a version two workers hold, a plain max would keep a crashed
        # worker's last word forever.
        self.loaded = Gauge(
            "modelport_loaded_version",
            "1 for each model version held in memory, by role (active, previous, pinned).",
            ["deployment", "model", "version", "role"],
            registry=r,
            multiprocess_mode="livemax",
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
            multiprocess_mode="livemax",
        )
        # Every worker computes the same value from the counts merged in the state store: the
        # most recent write of a live worker is the answer.
        self.feature_psi = Gauge(
            "modelport_feature_psi",
            "Population stability index of each input feature against the version's reference sample.",
            ["deployment", "version", "feature"],
            registry=r,
            multiprocess_mode="livemostrecent",
        )
        self.prediction_log_dropped = Counter(
            "modelport_prediction_log_dropped",
            "Prediction log records dropped because the writer fell behind or failed.",
            ["deployment"],
            registry=r,
        )
        # Summed over live workers: how many processes answer on this server's port.
        self.workers = Gauge(
            "modelport_workers", "Worker processes serving on this port.", registry=r, multiprocess_mode="livesum"
        )
        self.workers.set(1)

    def set_loaded(self, deployment: str, model: str, roles: list[tuple[str, str]]) -> None:
        """Replace the loaded-version series of one deployment by ``[(role, version), …]``."""
        for labels in list(self._loaded_labels(deployment)):
            if self.multiprocess_dir is None:
                self.loaded.remove(*labels)
            else:
                # A series cannot leave the shared files (prometheus_client cannot remove labels
                # in multiprocess mode): 0 says this worker no longer holds that version.
                self.loaded.labels(*labels).set(0)
        for role, version in roles:
            self.loaded.labels(deployment, model, version, role).set(1)

    def drop_feature_psi(self, deployment: str, version: str, feature: str) -> None:
        """Stop exporting one feature's PSI (the version is no longer served here)."""
        if self.multiprocess_dir is None:
            with contextlib.suppress(KeyError):
                self.feature_psi.remove(deployment, version, feature)

    def _loaded_labels(self, deployment: str) -> list[tuple[str, ...]]:
        found: list[tuple[str, ...]] = []
        for metric in self.loaded.collect():
            for sample in metric.samples:
                if sample.labels.get("deployment") == deployment:
                    lab = sample.labels
                    found.append((lab["deployment"], lab["model"], lab["version"], lab["role"]))
        return found

    def render(self) -> bytes:
        """The Prometheus text exposition: this process's registry, or every worker's files merged."""
        if self.multiprocess_dir is None:
            return bytes(generate_latest(self.registry))
        # A fresh registry per scrape, as prometheus_client prescribes: the collector reads the
        # files present now (workers started or restarted since the last scrape included).
        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged, path=str(self.multiprocess_dir))  # type: ignore[no-untyped-call]
        return bytes(generate_latest(merged))

    def close(self) -> None:
        """This worker is stopping: drop its live gauges from the shared files (no-op otherwise)."""
        if self.multiprocess_dir is not None:
            mark_worker_dead(self.multiprocess_dir, os.getpid())


def mark_worker_dead(multiprocess_dir: Path, pid: int) -> None:
    """Forget the live gauges of worker ``pid`` (its counters keep counting in the totals)."""
    multiprocess.mark_process_dead(pid, str(multiprocess_dir))  # type: ignore[no-untyped-call]
