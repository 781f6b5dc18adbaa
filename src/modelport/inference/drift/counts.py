"""Where bin counts from every worker and replica meet: a protocol, and its in-memory form.

Counts are written the way rollout outcomes are (``state/outcomes.py``): each replica keeps the
cumulative counts of the current time bucket in memory and, every flush, overwrites *its own* row
per (deployment, version, bucket). Replicas never contend for a row, a lost flush is repaired by
the next one, and a reader sums the rows of every replica whose bucket lies in the window. The
state store's ``DriftCountStore`` (``StateStore.drift``) is the shared implementation; ``MemoryDriftCounts`` serves a
node without a state store (one process).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from modelport.state.drift import BucketCounts, CountKey, WindowCounts

__all__ = ["BucketCounts", "CountKey", "DriftCounts", "MemoryDriftCounts", "WindowCounts"]


class DriftCounts(Protocol):
    """Merged bin counts (implemented by the state store and by ``MemoryDriftCounts``)."""

    def flush(self, replica: str, counts: Mapping[CountKey, BucketCounts]) -> None:
        """Overwrite ``replica``'s counts of each key."""

    def window(self, deployment: str, version: str, since: datetime) -> WindowCounts:
        """Every replica's counts of buckets starting at or after ``since``, summed."""

    def prune(self, before: datetime) -> None:
        """Forget buckets that start before ``before``."""


class MemoryDriftCounts:
    """``DriftCounts`` in this process's memory (a node without a state store)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[tuple[str, str, datetime, str], BucketCounts] = {}

    def flush(self, replica: str, counts: Mapping[CountKey, BucketCounts]) -> None:
        with self._lock:
            for (deployment, version, bucket), value in counts.items():
                self._rows[(deployment, version, bucket, replica)] = value

    def window(self, deployment: str, version: str, since: datetime) -> WindowCounts:
        out = WindowCounts()
        with self._lock:
            rows = [v for (d, ver, b, _), v in self._rows.items() if d == deployment and ver == version and b >= since]
        for value in rows:
            out.add(value)
        return out

    def prune(self, before: datetime) -> None:
        with self._lock:
            for key in [k for k in self._rows if k[2] < before]:
                del self._rows[key]
