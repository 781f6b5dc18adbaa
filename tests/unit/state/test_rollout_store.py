"""Policy revisions, decisions, leases, outcome counters, feedback and shadow records on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from modelport.errors import RolloutConflict
from modelport.state import (
    ExposureRecord,
    FeedbackRecord,
    OutcomeCounts,
    ShadowRecord,
    StateStore,
)

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def test_policy_revisions_are_appended_bump_the_revision_and_the_newest_is_current(store: StateStore) -> None:
    store.create_deployment("credit", "m", "production")
    store.create_deployment("other", "m", "production")
    policies = store.policies
    assert policies.current("credit") is None
    before = store.revision()
    first = policies.append("credit", kind="ab", policy={"kind": "ab", "w": [50, 50]}, actor="ann", reason="test")
    second = policies.append("credit", kind="single", policy={"kind": "single"}, actor="bob", undoes=first.id)
    policies.append("other", kind="shadow", policy={"kind": "shadow"}, actor="ann")
    assert store.revision() == before + 3
    current = policies.current("credit")
    assert current is not None
    assert (current.id, current.kind, current.actor, current.undoes) == (second.id, "single", "bob", first.id)
    assert [r.policy for r in policies.revisions("credit")] == [{"kind": "ab", "w": [50, 50]}, {"kind": "single"}]
    assert policies.revisions("credit")[0].reason == "test"
    assert {name: r.kind for name, r in policies.current_all().items()} == {"credit": "single", "other": "shadow"}
    fetched = policies.get(first.id)
    assert fetched is not None
    assert fetched.time.tzinfo is not None


def test_an_append_expecting_a_stale_revision_is_refused_and_writes_nothing(store: StateStore) -> None:
    store.create_deployment("credit", "m", "production")
    policies = store.policies
    first = policies.append("credit", kind="canary", policy={"step": 0}, actor="ctl", expect=None)
    policies.append("credit", kind="single", policy={}, actor="human")
    revision = store.revision()
    with pytest.raises(RolloutConflict):
        policies.append("credit", kind="canary", policy={"step": 1}, actor="ctl", expect=first.id)
    assert len(policies.revisions("credit")) == 2
    assert store.revision() == revision


def test_decisions_keep_their_numbers(store: StateStore) -> None:
    policies = store.policies
    rev = policies.append("credit", kind="canary", policy={}, actor="me")
    policies.record_decision(
        "credit", policy_revision=rev.id, action="abort", reason="errors", numbers={"error_rate": 0.2}, now=T0
    )
    [decision] = policies.decisions("credit")
    assert (decision.action, decision.numbers, decision.time) == ("abort", {"error_rate": 0.2}, T0)
    assert policies.decisions("other") == []


def test_a_lease_has_one_holder_until_it_expires_then_is_taken_over(store: StateStore) -> None:
    policies = store.policies
    assert policies.acquire_lease("rollout:credit", "a", ttl_s=10, now=T0)
    assert not policies.acquire_lease("rollout:credit", "b", ttl_s=10, now=T0 + timedelta(seconds=5))
    assert policies.acquire_lease("rollout:credit", "a", ttl_s=10, now=T0 + timedelta(seconds=8))  # renewal
    assert not policies.acquire_lease("rollout:credit", "b", ttl_s=10, now=T0 + timedelta(seconds=15))
    assert policies.acquire_lease("rollout:credit", "b", ttl_s=10, now=T0 + timedelta(seconds=19))  # a died
    lease = policies.lease("rollout:credit")
    assert lease is not None
    assert (lease.holder, lease.expires) == ("b", T0 + timedelta(seconds=29))
    policies.release_lease("rollout:credit", "a")  # not the holder: nothing happens
    assert policies.lease("rollout:credit") is not None
    policies.release_lease("rollout:credit", "b")
    assert policies.acquire_lease("rollout:credit", "a", ttl_s=10, now=T0 + timedelta(seconds=20))


def test_outcome_counters_are_summed_over_replicas_and_a_flush_overwrites_the_replica_row(store: StateStore) -> None:
    outcomes = store.outcomes
    revision = store.revision()
    outcomes.flush("r1", {("credit", 7, 1): OutcomeCounts(10, 1, 0, 50.0, (5, 5))})
    outcomes.flush("r1", {("credit", 7, 1): OutcomeCounts(20, 2, 1, 90.0, (15, 5)), ("credit", 7, 2): OutcomeCounts(4)})
    outcomes.flush("r2", {("credit", 7, 1): OutcomeCounts(5, 0, 0, 10.0, (5, 0, 0))})
    outcomes.flush("r2", {("credit", 8, 1): OutcomeCounts(100)})
    outcomes.flush("r3", {})
    totals = outcomes.totals("credit", 7)
    assert totals[1] == OutcomeCounts(25, 2, 1, 100.0, (20, 5, 0))
    assert totals[2].count == 4
    assert set(totals) == {1, 2}
    assert outcomes.totals("credit", 9) == {}
    assert store.revision() == revision  # data-plane reports never make servers resync


def test_exposures_feedback_and_shadow_records_round_trip(store: StateStore) -> None:
    outcomes = store.outcomes
    outcomes.record_exposures([ExposureRecord("req-1", "credit", 3, "B", 2, "1")])
    outcomes.record_exposures([ExposureRecord("req-1", "credit", 3, "B", 2, "0")])  # a retried flush wins
    assert outcomes.exposure("req-1") == ExposureRecord("req-1", "credit", 3, "B", 2, "0")
    assert outcomes.exposure("missing") is None
    fb = FeedbackRecord("credit", 3, "B", 2, 1.0, request_id="req-1")
    outcomes.record_feedback(fb)
    outcomes.record_feedback(FeedbackRecord("credit", 4, "A", 1, 0.0, key="user-9"))
    assert outcomes.feedback("credit", 3) == [fb]
    shadow = ShadowRecord("credit", 5, 1, 2, 3, 2, 0.1, 0.3, 1.5, 2.5)
    failed = ShadowRecord("credit", 5, 1, 2, 3, None, None, None, 1.0, None, "boom")
    outcomes.record_shadow([shadow, failed])
    assert outcomes.shadow_records("credit", 5) == [shadow, failed]
    assert outcomes.shadow_records("credit", 6) == []


def test_a_deleted_and_recreated_deployment_starts_without_the_old_policies(store: StateStore) -> None:
    store.create_deployment("credit", "m", "production")
    store.policies.append("credit", kind="ab", policy={"kind": "ab"}, actor="me")
    store.delete_deployment("credit")
    assert store.policies.current_all() == {}
    store.create_deployment("credit", "m", "production")
    assert store.policies.current("credit") is None
    assert store.policies.revisions("credit") == []
