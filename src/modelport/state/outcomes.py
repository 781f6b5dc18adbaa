"""What the data plane reports: per-version outcome counters, exposures, feedback, shadow comparisons.

Counters are written the cheap way: each replica keeps cumulative totals in memory and, about once
a second, overwrites *its own* row per (deployment, policy revision, version) with them. Replicas
never contend for a row and a lost flush is repaired by the next one; readers sum over replicas.
A replica that restarts gets a new id, so the rows of its previous life still count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from modelport.state import tables
from modelport.state.records import ExposureRecord, FeedbackRecord, OutcomeCounts, ShadowRecord
from modelport.state.timestamps import utcnow

__all__ = ["OutcomeKey", "OutcomeStore", "upsert"]

OutcomeKey = tuple[str, int, int]
"""(deployment, policy revision id, version)."""


def upsert(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]], keys: list[str]) -> None:
    """Insert ``rows``, or overwrite every non-key column of the rows whose ``keys`` exist."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(table).values(rows)
    updates = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
    conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=updates))


class OutcomeStore:
    """Reach it as ``StateStore.outcomes``. None of these writes bumps the state revision."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    # -- outcome counters --------------------------------------------------------------------------

    def flush(self, replica: str, totals: Mapping[OutcomeKey, OutcomeCounts], *, now: datetime | None = None) -> None:
        """Overwrite ``replica``'s cumulative totals (one statement for every key)."""
        if not totals:
            return
        time = now or utcnow()
        rows = [
            {
                "deployment": deployment,
                "policy_revision": revision,
                "version": version,
                "replica": replica,
                "count": c.count,
                "errors": c.errors,
                "fallbacks": c.fallbacks,
                "latency_ms_sum": c.latency_ms_sum,
                "buckets": orjson.dumps(list(c.buckets)).decode(),
                "updated": time,
            }
            for (deployment, revision, version), c in totals.items()
        ]
        with self._engine.begin() as conn:
            upsert(conn, tables.outcome_counters, rows, ["deployment", "policy_revision", "version", "replica"])

    def totals(self, deployment: str, policy_revision: int) -> dict[int, OutcomeCounts]:
        """Outcomes per version under one policy revision, summed over every replica."""
        t = tables.outcome_counters
        query = sa.select(t).where(t.c.deployment == deployment, t.c.policy_revision == policy_revision)
        out: dict[int, OutcomeCounts] = {}
        with self._engine.connect() as conn:
            for r in conn.execute(query):
                counts = OutcomeCounts(
                    count=int(r._mapping["count"]),  # ``Row.count`` is the tuple method
                    errors=int(r.errors),
                    fallbacks=int(r.fallbacks),
                    latency_ms_sum=float(r.latency_ms_sum),
                    buckets=tuple(orjson.loads(r.buckets)),
                )
                out[int(r.version)] = out.get(int(r.version), OutcomeCounts()) + counts
        return out

    # -- exposures and feedback --------------------------------------------------------------------

    def record_exposures(self, exposures: Iterable[ExposureRecord], *, now: datetime | None = None) -> None:
        time = now or utcnow()
        rows = [
            {
                "request_id": e.request_id,
                "deployment": e.deployment,
                "policy_revision": e.policy_revision,
                "variant": e.variant,
                "version": e.version,
                "label": e.label,
                "time": time,
            }
            for e in exposures
        ]
        if rows:
            with self._engine.begin() as conn:
                upsert(conn, tables.exposures, rows, ["request_id"])

    def exposure(self, request_id: str) -> ExposureRecord | None:
        t = tables.exposures
        with self._engine.connect() as conn:
            r = conn.execute(sa.select(t).where(t.c.request_id == request_id)).first()
        if r is None:
            return None
        return ExposureRecord(r.request_id, r.deployment, int(r.policy_revision), r.variant, int(r.version), r.label)

    def record_feedback(self, feedback: FeedbackRecord, *, now: datetime | None = None) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                sa.insert(tables.feedback).values(
                    deployment=feedback.deployment,
                    policy_revision=feedback.policy_revision,
                    variant=feedback.variant,
                    version=feedback.version,
                    request_id=feedback.request_id,
                    key=feedback.key,
                    value=feedback.value,
                    time=now or utcnow(),
                )
            )

    def feedback(self, deployment: str, policy_revision: int) -> list[FeedbackRecord]:
        t = tables.feedback
        query = (
            sa.select(t).where(t.c.deployment == deployment, t.c.policy_revision == policy_revision).order_by(t.c.id)
        )
        with self._engine.connect() as conn:
            return [_feedback(r) for r in conn.execute(query)]

    def feedback_for_requests(self, deployment: str, request_ids: Sequence[str]) -> dict[str, list[FeedbackRecord]]:
        """Feedback given on any of ``request_ids`` of ``deployment``, by request id (the prediction log's join)."""
        t = tables.feedback
        out: dict[str, list[FeedbackRecord]] = {}
        with self._engine.connect() as conn:
            for start in range(0, len(request_ids), 500):  # bounded IN lists
                chunk = list(request_ids[start : start + 500])
                query = sa.select(t).where(t.c.deployment == deployment, t.c.request_id.in_(chunk)).order_by(t.c.id)
                for r in conn.execute(query):
                    out.setdefault(r.request_id, []).append(_feedback(r))
        return out

    # -- shadow comparisons ------------------------------------------------------------------------

    def record_shadow(self, records: Iterable[ShadowRecord], *, now: datetime | None = None) -> None:
        time = now or utcnow()
        rows = [
            {
                "deployment": s.deployment,
                "policy_revision": s.policy_revision,
                "primary_version": s.primary_version,
                "shadow_version": s.shadow_version,
                "rows": s.rows,
                "agreeing_rows": s.agreeing_rows,
                "mean_abs_diff": s.mean_abs_diff,
                "max_abs_diff": s.max_abs_diff,
                "primary_ms": s.primary_ms,
                "shadow_ms": s.shadow_ms,
                "shadow_error": s.shadow_error,
                "time": time,
            }
            for s in records
        ]
        if rows:
            with self._engine.begin() as conn:
                conn.execute(sa.insert(tables.shadow_comparisons), rows)

    def shadow_records(self, deployment: str, policy_revision: int) -> list[ShadowRecord]:
        t = tables.shadow_comparisons
        query = (
            sa.select(t).where(t.c.deployment == deployment, t.c.policy_revision == policy_revision).order_by(t.c.id)
        )
        with self._engine.connect() as conn:
            return [
                ShadowRecord(
                    deployment=r.deployment,
                    policy_revision=int(r.policy_revision),
                    primary_version=int(r.primary_version),
                    shadow_version=int(r.shadow_version),
                    rows=int(r.rows),
                    agreeing_rows=r.agreeing_rows,
                    mean_abs_diff=r.mean_abs_diff,
                    max_abs_diff=r.max_abs_diff,
                    primary_ms=float(r.primary_ms),
                    shadow_ms=r.shadow_ms,
                    shadow_error=r.shadow_error,
                )
                for r in conn.execute(query)
            ]


def _feedback(row: Any) -> FeedbackRecord:
    return FeedbackRecord(
        deployment=row.deployment,
        policy_revision=int(row.policy_revision),
        variant=row.variant,
        version=int(row.version),
        value=float(row.value),
        request_id=row.request_id,
        key=row.key,
    )
