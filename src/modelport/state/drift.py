"""Feature drift bin counts of every replica, merged by readers (``modelport.inference.drift``).

Written like the outcome counters (``outcomes.py``): each replica overwrites its own row per
(deployment, version, time bucket) with its cumulative counts of that bucket, so replicas never
contend for a row and a lost flush is repaired by the next one. Buckets are whole seconds since the
epoch (UTC); a reader sums every replica's rows of the buckets in its window.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson
import sqlalchemy as sa

from modelport.state import tables
from modelport.state.outcomes import upsert

__all__ = ["BucketCounts", "CountKey", "DriftCountStore", "WindowCounts"]

CountKey = tuple[str, str, datetime]
"""(deployment, version, start of the time bucket, UTC)."""


@dataclass(frozen=True)
class BucketCounts:
    """One replica's cumulative counts in one bucket: rows, and rows per bin of every feature."""

    rows: int
    bins: Mapping[str, tuple[int, ...]]


@dataclass
class WindowCounts:
    """Counts summed over replicas and buckets."""

    rows: int = 0
    bins: dict[str, list[int]] = field(default_factory=dict)

    def add(self, counts: BucketCounts) -> None:
        self.rows += counts.rows
        for name, values in counts.bins.items():
            total = self.bins.get(name)
            if total is None or len(total) != len(values):
                # Bins of one version never change; a length mismatch is a row from another
                # binning (another release, other settings): the newest wins rather than a wrong sum.
                self.bins[name] = list(values)
            else:
                self.bins[name] = [a + b for a, b in zip(total, values, strict=True)]


def _epoch(at: datetime) -> int:
    return int(at.timestamp())


class DriftCountStore:
    """Reach it as ``StateStore.drift``. None of these writes bumps the state revision."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def flush(self, replica: str, counts: Mapping[CountKey, BucketCounts]) -> None:
        """Overwrite ``replica``'s counts of each key (one statement)."""
        if not counts:
            return
        now = datetime.now(UTC)
        rows = [
            {
                "deployment": deployment,
                "version": version,
                "bucket": _epoch(bucket),
                "replica": replica,
                "rows": c.rows,
                "bins": orjson.dumps({k: list(v) for k, v in c.bins.items()}).decode(),
                "updated": now,
            }
            for (deployment, version, bucket), c in counts.items()
        ]
        with self._engine.begin() as conn:
            upsert(conn, tables.drift_counts, rows, ["deployment", "version", "bucket", "replica"])

    def window(self, deployment: str, version: str, since: datetime) -> WindowCounts:
        """Every replica's counts of buckets starting at or after ``since``, summed."""
        t = tables.drift_counts
        query = sa.select(t.c.rows, t.c.bins).where(
            t.c.deployment == deployment, t.c.version == version, t.c.bucket >= _epoch(since)
        )
        out = WindowCounts()
        with self._engine.connect() as conn:
            for r in conn.execute(query):
                out.add(BucketCounts(int(r.rows), {k: tuple(v) for k, v in orjson.loads(r.bins).items()}))
        return out

    def prune(self, before: datetime) -> None:
        """Delete buckets that start before ``before`` (every replica's)."""
        t = tables.drift_counts
        with self._engine.begin() as conn:
            conn.execute(sa.delete(t).where(t.c.bucket < _epoch(before)))
