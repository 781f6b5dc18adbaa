"""Drift bin counts in the state store: one row per replica and bucket, summed by readers, pruned by age."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from modelport.state import BucketCounts, FeedbackRecord, StateStore

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _counts(rows: int, a: tuple[int, ...]) -> BucketCounts:
    return BucketCounts(rows, {"a": a})


def test_replicas_overwrite_their_own_rows_and_readers_sum_them(store: StateStore) -> None:
    drift = store.drift
    drift.flush("r1", {("d", "1", T0): _counts(2, (1, 1))})
    drift.flush("r1", {("d", "1", T0): _counts(5, (3, 2))})  # cumulative: replaces, never adds
    drift.flush("r2", {("d", "1", T0): _counts(4, (0, 4))})
    drift.flush("r2", {("d", "1", T0 + timedelta(minutes=1)): _counts(1, (1, 0))})
    drift.flush("r2", {("d", "2", T0): _counts(7, (7, 0)), ("other", "1", T0): _counts(9, (9, 0))})

    total = drift.window("d", "1", T0)
    assert total.rows == 10
    assert total.bins == {"a": [4, 6]}
    later = drift.window("d", "1", T0 + timedelta(seconds=30))
    assert later.rows == 1
    assert drift.window("d", "3", T0).rows == 0


def test_prune_forgets_old_buckets_of_every_replica(store: StateStore) -> None:
    drift = store.drift
    drift.flush("r1", {("d", "1", T0): _counts(1, (1,)), ("d", "1", T0 + timedelta(hours=1)): _counts(2, (2,))})
    drift.flush("r2", {("d", "1", T0): _counts(3, (3,))})
    drift.prune(T0 + timedelta(minutes=30))
    assert drift.window("d", "1", T0 - timedelta(days=1)).rows == 2


def test_feedback_by_request_id(store: StateStore) -> None:
    store.create_deployment("d", "m", "production")
    for request_id, value in (("a", 1.0), ("b", 0.0), ("a", 0.5)):
        store.outcomes.record_feedback(FeedbackRecord("d", 1, "control", 1, value, request_id=request_id))
    store.outcomes.record_feedback(FeedbackRecord("d", 1, "control", 1, 1.0, key="user-1"))
    joined = store.outcomes.feedback_for_requests("d", ["a", "b", "c"])
    assert {k: [f.value for f in v] for k, v in joined.items()} == {"a": [1.0, 0.5], "b": [0.0]}
    assert store.outcomes.feedback_for_requests("other", ["a"]) == {}
