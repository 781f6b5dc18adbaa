"""Requests/s, error rate and p99 per version over the last minutes, from the state store's outcome counters.

The counters every replica flushes (``state.outcomes``) are cumulative per policy revision: good for
totals, silent about rates. A ``TrafficSampler`` reads them every few seconds and keeps the last
``keep_s`` seconds of snapshots in memory; a rate is the difference of two snapshots divided by the
time between them. A new policy revision starts its counters at zero, so across a revision change
the difference is the new revision's totals. Because the counters are summed over replicas, the
numbers describe the whole deployment, not the replica that renders the page.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from modelport.deployments import VersionStats
from modelport.state import OutcomeCounts, StateStore

__all__ = ["OutcomeSnapshot", "TrafficPoint", "TrafficSampler", "VersionTraffic", "read_outcomes"]

OutcomeSnapshot = Mapping[str, tuple[int, Mapping[int, OutcomeCounts]]]
"""deployment → (current policy revision id, 0 for none; cumulative outcomes per version under it)."""


@dataclass(frozen=True, slots=True)
class VersionTraffic:
    """What one version answered between two snapshots."""

    version: int
    requests: int
    errors: int
    seconds: float
    p99_ms: float | None
    """Upper bound of the latency bucket holding the 99th percentile (``inf``: above the last bound)."""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.requests if self.requests else None


@dataclass(frozen=True, slots=True)
class TrafficPoint:
    """One step of the charts: the traffic of every version between a snapshot and the one before."""

    time: float
    versions: dict[int, VersionTraffic]


def _minus(new: OutcomeCounts, old: OutcomeCounts) -> OutcomeCounts:
    size = max(len(new.buckets), len(old.buckets))
    a = new.buckets + (0,) * (size - len(new.buckets))
    b = old.buckets + (0,) * (size - len(old.buckets))
    return OutcomeCounts(
        count=max(0, new.count - old.count),
        errors=max(0, new.errors - old.errors),
        fallbacks=max(0, new.fallbacks - old.fallbacks),
        latency_ms_sum=max(0.0, new.latency_ms_sum - old.latency_ms_sum),
        buckets=tuple(max(0, x - y) for x, y in zip(a, b, strict=True)),
    )


_Sample = tuple[float, int, Mapping[int, OutcomeCounts]]


def _between(old: _Sample, new: _Sample) -> dict[int, VersionTraffic]:
    (t0, rev0, before), (t1, rev1, after) = old, new
    out: dict[int, VersionTraffic] = {}
    for version, counts in after.items():
        # A new revision counts from zero: its totals are what happened since it began.
        delta = _minus(counts, before.get(version, OutcomeCounts())) if rev0 == rev1 else counts
        p99 = VersionStats(delta).quantile_ms(0.99)
        out[version] = VersionTraffic(version, delta.count, delta.errors, t1 - t0, p99)
    return out


class TrafficSampler:
    """Snapshots of ``read()`` taken by ``sample()``, turned into windows and chart points."""

    def __init__(
        self,
        read: Callable[[], OutcomeSnapshot],
        *,
        keep_s: float = 600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._read = read
        self._keep_s = keep_s
        self._clock = clock
        self._samples: dict[str, deque[_Sample]] = {}

    def sample(self) -> None:
        """Read the counters once (blocking: call it in a thread) and forget what is older than ``keep_s``."""
        now = self._clock()
        snapshot = self._read()
        for name in list(self._samples):
            if name not in snapshot:
                del self._samples[name]  # a deleted deployment
        for name, (revision, totals) in snapshot.items():
            samples = self._samples.setdefault(name, deque())
            samples.append((now, revision, dict(totals)))
            while samples and samples[0][0] < now - self._keep_s:
                samples.popleft()

    def window(self, deployment: str, seconds: float = 60.0) -> dict[int, VersionTraffic]:
        """Per version, the traffic of the last ``seconds`` (as far back as the samples reach)."""
        samples = self._samples.get(deployment)
        if not samples or len(samples) < 2:
            return {}
        newest = samples[-1]
        # Only samples of the current revision: its counters started at zero when it began, so a
        # difference across the change would spread the new revision's requests over too long a time.
        same = [s for s in samples if s[1] == newest[1] and s[0] >= newest[0] - seconds and s is not newest]
        return _between(same[0] if same else samples[-2], newest)

    def points(self, deployment: str) -> list[TrafficPoint]:
        """The traffic between each pair of consecutive samples, oldest first."""
        samples = list(self._samples.get(deployment, ()))
        return [TrafficPoint(new[0], _between(old, new)) for old, new in itertools.pairwise(samples)]


def read_outcomes(store: StateStore) -> dict[str, tuple[int, dict[int, OutcomeCounts]]]:
    """Every deployment's current policy revision and its outcome totals (what ``TrafficSampler`` reads)."""
    current = store.policies.current_all()
    out: dict[str, tuple[int, dict[int, OutcomeCounts]]] = {}
    for deployment in store.list_deployments():
        revision = current.get(deployment.name)
        revision_id = 0 if revision is None else revision.id
        out[deployment.name] = (revision_id, store.outcomes.totals(deployment.name, revision_id))
    return out
