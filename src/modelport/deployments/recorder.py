"""Per-version outcome counting on the request path, flushed to the state store about once a second.

``record`` is a few integer additions under a lock (requests come from the event loop and from
worker threads); ``flush`` writes this replica's cumulative totals in one statement. Exposures and
shadow comparisons are buffered the same way, so no request ever waits for the database.
"""

from __future__ import annotations

import bisect
import logging
import threading
import uuid
from dataclasses import dataclass, field

from modelport.deployments.analysis import LATENCY_BOUNDS_MS
from modelport.state import ExposureRecord, OutcomeCounts, OutcomeKey, ShadowRecord, StateStore

__all__ = ["OutcomeRecorder"]

log = logging.getLogger(__name__)


@dataclass
class _Totals:
    count: int = 0
    errors: int = 0
    fallbacks: int = 0
    latency_ms_sum: float = 0.0
    buckets: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BOUNDS_MS) + 1))

    def frozen(self) -> OutcomeCounts:
        return OutcomeCounts(self.count, self.errors, self.fallbacks, self.latency_ms_sum, tuple(self.buckets))


class OutcomeRecorder:
    """This replica's outcome counters and report buffers."""

    def __init__(self, store: StateStore, *, replica: str | None = None) -> None:
        self._store = store
        # Identity, not routing: a fresh id per process keeps a restarted replica from overwriting
        # the totals of its previous life.
        self.replica = replica or uuid.uuid4().hex
        self._lock = threading.Lock()
        self._totals: dict[OutcomeKey, _Totals] = {}
        self._dirty: set[OutcomeKey] = set()
        self._exposures: list[ExposureRecord] = []
        self._shadow: list[ShadowRecord] = []

    def record(
        self, deployment: str, policy_revision: int, version: int, *, latency_ms: float, error: bool, fallback: bool
    ) -> None:
        """Count one request answered (or failed) by ``version`` under ``policy_revision``."""
        key = (deployment, policy_revision, version)
        index = bisect.bisect_left(LATENCY_BOUNDS_MS, latency_ms)
        with self._lock:
            totals = self._totals.get(key)
            if totals is None:
                totals = self._totals[key] = _Totals()
            totals.count += 1
            totals.errors += int(error)
            totals.fallbacks += int(fallback)
            totals.latency_ms_sum += latency_ms
            totals.buckets[index] += 1
            self._dirty.add(key)

    def expose(self, exposure: ExposureRecord) -> None:
        with self._lock:
            self._exposures.append(exposure)

    def shadow(self, record: ShadowRecord) -> None:
        with self._lock:
            self._shadow.append(record)

    def snapshot(self) -> dict[OutcomeKey, OutcomeCounts]:
        with self._lock:
            return {k: t.frozen() for k, t in self._totals.items()}

    def flush(self) -> None:
        """Write what changed since the last flush; on failure keep it for the next one."""
        with self._lock:
            dirty = {k: self._totals[k].frozen() for k in self._dirty}
            exposures, self._exposures = self._exposures, []
            shadow, self._shadow = self._shadow, []
            self._dirty = set()
        try:
            self._store.outcomes.flush(self.replica, dirty)
            self._store.outcomes.record_exposures(exposures)
            self._store.outcomes.record_shadow(shadow)
        except Exception:
            log.exception("could not flush outcomes; retrying with the next flush")
            with self._lock:
                self._dirty |= set(dirty)
                self._exposures[:0] = exposures
                self._shadow[:0] = shadow
            raise
