"""``DriftMonitor``: samples served inputs on the hot path, counts them off it, reports PSI per feature.

The hot path (``observe``) costs a random draw, a ``RowBudget`` check (``drift.max_rows_per_s``) and,
for a sampled request, one ``deque.append`` of the already-parsed ``Features``: no numpy, no lock,
no I/O. ``flush`` (a background task of the
node, in a thread) counts the pending features into the bins of their version's reference, adds
them to this replica's current time bucket and writes the buckets that changed to the shared
``DriftCounts``; it then refreshes the ``modelport_feature_psi`` gauges from the merged counts.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from modelport.errors import NoReference
from modelport.inference.budget import RowBudget
from modelport.inference.drift.bins import ReferenceBins
from modelport.inference.drift.counts import BucketCounts, CountKey, DriftCounts
from modelport.inference.drift.reference import no_reference, reference_bins
from modelport.inference.drift.report import DriftReport, DriftWindow, build_report

if TYPE_CHECKING:
    from modelport.inference.metrics import ServingMetrics
    from modelport.inference.pool import ServedVersion
    from modelport.inference.prediction import Prediction
    from modelport.runtime import Features
    from modelport.settings import DriftSettings

__all__ = ["DriftMonitor", "read_report"]

log = logging.getLogger(__name__)


def read_report(
    counts: DriftCounts,
    reference: ReferenceBins,
    settings: DriftSettings,
    *,
    deployment: str,
    model: str,
    version: str,
    now: datetime | None = None,
) -> DriftReport:
    """The drift of ``deployment``'s ``version`` over the settings' window, from the merged counts."""
    end = now or datetime.now(UTC)
    start = _bucket(end - timedelta(seconds=settings.window_s), settings.bucket_s)
    merged = counts.window(deployment, version, start)
    window = DriftWindow(settings.window_s, start, end, merged.rows, reference.rows)
    current = {name: np.asarray(values, dtype=np.int64) for name, values in merged.bins.items()}
    return build_report(
        reference,
        current,
        deployment=deployment,
        model=model,
        version=version,
        window=window,
        threshold=settings.threshold,
        min_rows=settings.min_rows,
    )


def _bucket(at: datetime, bucket_s: float) -> datetime:
    seconds = at.timestamp()
    return datetime.fromtimestamp(seconds - seconds % bucket_s, UTC)


class _Totals:
    """This replica's cumulative counts of one (deployment, version, bucket)."""

    def __init__(self, reference: ReferenceBins) -> None:
        self.rows = 0
        self.bins = reference.empty()

    def frozen(self) -> BucketCounts:
        return BucketCounts(self.rows, {k: tuple(int(x) for x in v) for k, v in self.bins.items()})


class DriftMonitor:
    """Feature drift of every deployment served by one node (see the module docstring)."""

    def __init__(
        self,
        settings: DriftSettings,
        counts: DriftCounts,
        metrics: ServingMetrics | None = None,
        *,
        replica: str | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        budget: RowBudget | None = None,
    ) -> None:
        self.settings = settings
        self.counts = counts
        self.replica = replica or uuid.uuid4().hex
        self._metrics = metrics
        self._clock = clock
        self._rate = settings.sample_rate
        self._random = random.random
        self._budget = budget if budget is not None else RowBudget(settings.max_rows_per_s)
        self._pending: deque[tuple[str, ServedVersion, Features]] = deque(maxlen=settings.max_pending)
        self._lock = threading.Lock()  # one flush at a time (the loop and the final flush at stop)
        self._references: dict[tuple[str, str], ReferenceBins | None] = {}
        self._totals: dict[CountKey, _Totals] = {}
        self._dirty: set[CountKey] = set()
        self._models: dict[tuple[str, str], tuple[str, float]] = {}  # (deployment, version) → (model, seen)
        self._last_prune = 0.0

    # -- the hot path ---------------------------------------------------------------------------
    def observe(self, prediction: Prediction, latency_s: float) -> None:
        """Keep ``prediction``'s inputs for the next flush when sampled (never blocks, never raises)."""
        features = prediction.inputs
        if features is None or (self._rate < 1.0 and self._random() >= self._rate):
            return
        rows = self._budget.take(features.n_rows)
        if rows:
            part = features if rows == features.n_rows else features.slice(0, rows)
            self._pending.append((prediction.deployment, prediction.served, part))

    # -- off the hot path -----------------------------------------------------------------------
    def reference(self, served: ServedVersion) -> ReferenceBins | None:
        """The bins of ``served``'s registration sample (None when it kept none); computed once."""
        key = (served.model_name, served.version)
        if key not in self._references:
            try:
                what = f"{served.model_name} v{served.version}"
                self._references[key] = reference_bins(served.model.sample_features, self.settings, what=what)
            except NoReference:
                self._references[key] = None
        return self._references[key]

    def flush(self) -> None:
        """Count what was sampled since the last flush and write this replica's changed buckets (blocking)."""
        with self._lock:
            now = self._clock()
            bucket = _bucket(now, self.settings.bucket_s)
            grouped: dict[tuple[str, int], tuple[ServedVersion, list[Features]]] = {}
            # popleft, not a swap of deques: the event loop may be appending right now, and
            # deque.append/popleft are atomic where iterating a deque being appended to is not.
            for _ in range(len(self._pending)):
                deployment, served, features = self._pending.popleft()
                grouped.setdefault((deployment, id(served)), (served, []))[1].append(features)
            for (deployment, _), (served, parts) in grouped.items():
                self._count(deployment, served, parts, bucket)
            dirty = {key: self._totals[key].frozen() for key in self._dirty}
            self._dirty = set()
            try:
                self.counts.flush(self.replica, dirty)
            except Exception:
                self._dirty |= set(dirty)
                raise
            # A finished bucket is in the store for good: only the current one keeps counting here.
            for key in [k for k in self._totals if k[2] < bucket]:
                del self._totals[key]
            if now.timestamp() - self._last_prune >= self.settings.bucket_s:
                self._last_prune = now.timestamp()
                self.counts.prune(now - timedelta(seconds=2 * self.settings.window_s + self.settings.bucket_s))
            self._refresh_gauges(now)

    def _count(self, deployment: str, served: ServedVersion, parts: list[Features], bucket: datetime) -> None:
        reference = self.reference(served)
        if reference is None:
            return
        rows, counted = reference.count_all(parts)
        key = (deployment, served.version, bucket)
        totals = self._totals.get(key)
        if totals is None:
            totals = self._totals[key] = _Totals(reference)
        for name, values in counted.items():
            totals.bins[name] += values
        totals.rows += rows
        self._dirty.add(key)
        self._models[(deployment, served.version)] = (served.model_name, time.monotonic())

    def _refresh_gauges(self, now: datetime) -> None:
        if self._metrics is None:
            return
        gauge = self._metrics.feature_psi
        horizon = time.monotonic() - self.settings.window_s
        for (deployment, version), (model, seen) in list(self._models.items()):
            reference = self._references.get((model, version))
            if reference is None:
                continue
            if seen < horizon:  # not served here for a whole window: its series goes
                del self._models[(deployment, version)]
                for bins in reference.features:
                    self._metrics.drop_feature_psi(deployment, version, bins.name)
                continue
            report = read_report(
                self.counts, reference, self.settings, deployment=deployment, model=model, version=version, now=now
            )
            for feature in report.features:
                if feature.psi is not None:
                    gauge.labels(deployment, version, feature.name).set(feature.psi)

    def report(self, served: ServedVersion, deployment: str) -> DriftReport:
        """The merged drift of ``served`` in ``deployment`` now (blocking: reads the shared counts)."""
        reference = self.reference(served)
        if reference is None:
            raise no_reference(f"{served.model_name} v{served.version}")
        return read_report(
            self.counts,
            reference,
            self.settings,
            deployment=deployment,
            model=served.model_name,
            version=served.version,
            now=self._clock(),
        )
