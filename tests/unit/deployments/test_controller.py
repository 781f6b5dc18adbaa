"""The rollout controller on a real registry and state store, with a hand-driven clock and no server."""

from __future__ import annotations

from modelport.deployments import CONTROLLER_ACTOR, CanaryThresholds, OutcomeRecorder, RolloutController, Rollouts
from tests.unit.deployments.conftest import Clock

TH = CanaryThresholds(max_error_rate=0.05, max_p99_ms=100.0, min_requests=50)


def _traffic(
    rollouts: Rollouts, recorder: OutcomeRecorder, *, stable: int, candidate: int, bad_every: int = 0, n: int = 1000
) -> None:
    """Outcomes for the current revision as servers would report them: the candidate gets its weight."""
    revision, policy = rollouts.current("credit")
    assert revision is not None
    for i in range(n):
        variant = policy.choose(f"req-{revision.id}-{i}")
        version = variant.version
        assert version in (stable, candidate)
        failed = version == candidate and bad_every > 0 and i % bad_every == 0
        recorder.record("credit", revision.id, version, latency_ms=2.0, error=failed, fallback=failed)
    recorder.flush()


def _controller(rollouts: Rollouts, clock: Clock, holder: str = "replica-a") -> RolloutController:
    return RolloutController(rollouts.store, rollouts.registry, holder=holder, lease_ttl_s=10, clock=clock)


def test_a_healthy_canary_advances_step_by_step_and_is_promoted_through_the_registry(
    rollouts: Rollouts, clock: Clock
) -> None:
    rollouts.canary("credit", 2, steps=(10, 50, 100), interval_s=30, thresholds=TH)
    controller, recorder = _controller(rollouts, clock), OutcomeRecorder(rollouts.store)
    weights = []
    for _ in range(3):
        _, policy = rollouts.current("credit")
        weights.append(policy.to_json()["steps"][policy.to_json()["step"]])
        _traffic(rollouts, recorder, stable=1, candidate=2)
        clock.advance(31)
        controller.tick()
    assert weights == [10, 50, 100]
    assert rollouts.current("credit")[1].kind == "single"
    assert rollouts.registry.alias_version("credit_risk", "production") == 2
    promotion = rollouts.registry.history("credit_risk")[-1]
    assert (promotion.action, promotion.from_version, promotion.to_version) == ("promote", 1, 2)
    decisions = rollouts.store.policies.decisions("credit")
    assert [d.action for d in decisions] == ["advance", "advance", "promote"]
    assert all(d.numbers["candidate"]["requests"] >= 40 for d in decisions)
    assert [r.actor for r in rollouts.store.policies.revisions("credit")][1:] == [CONTROLLER_ACTOR] * 3


def test_a_failing_candidate_is_aborted_at_its_first_step_with_the_numbers(rollouts: Rollouts, clock: Clock) -> None:
    rollouts.canary("credit", 2, steps=(50, 100), interval_s=60, thresholds=TH)
    controller, recorder = _controller(rollouts, clock), OutcomeRecorder(rollouts.store)
    _traffic(rollouts, recorder, stable=1, candidate=2, bad_every=5)  # 20 % of candidate requests fail
    clock.advance(1)  # well before the interval: a breach does not wait for it
    decision = controller.tick()["credit"]
    assert decision.action == "abort"
    assert decision.numbers["candidate"]["error_rate"] > 0.15
    assert decision.numbers["candidate"]["fallbacks"] == decision.numbers["candidate"]["errors"]
    assert rollouts.current("credit")[1].kind == "single"
    assert rollouts.registry.alias_version("credit_risk", "production") == 1
    [recorded] = rollouts.store.policies.decisions("credit")
    assert recorded.numbers == decision.numbers
    assert "error rate" in (rollouts.store.policies.current("credit") or recorded).reason  # type: ignore[operator]


def test_too_little_traffic_waits_and_records_the_wait_once(rollouts: Rollouts, clock: Clock) -> None:
    rollouts.canary("credit", 2, steps=(5, 100), interval_s=10, thresholds=TH)
    controller, recorder = _controller(rollouts, clock), OutcomeRecorder(rollouts.store)
    _traffic(rollouts, recorder, stable=1, candidate=2, n=400)  # ~20 candidate requests at 5 %
    for _ in range(5):
        clock.advance(11)
        assert controller.tick()["credit"].action == "wait"
    assert rollouts.current("credit")[1].to_json()["step"] == 0
    [wait] = rollouts.store.policies.decisions("credit")
    assert "too few requests" in wait.reason
    assert wait.numbers["candidate"]["requests"] < TH.min_requests


def test_one_controller_acts_per_deployment_and_another_takes_over_when_it_dies(
    rollouts: Rollouts, clock: Clock
) -> None:
    rollouts.canary("credit", 2, steps=(10, 50, 100), interval_s=5, thresholds=TH)
    a, b = _controller(rollouts, clock, "a"), _controller(rollouts, clock, "b")
    recorder = OutcomeRecorder(rollouts.store)
    assert "credit" in a.tick()
    assert b.tick() == {}
    _traffic(rollouts, recorder, stable=1, candidate=2)
    clock.advance(6)
    assert b.tick() == {}  # a's lease (renewed 6 s ago) still holds
    assert a.tick()["credit"].action == "advance"
    clock.advance(11)  # a stops renewing: its lease expires
    _traffic(rollouts, recorder, stable=1, candidate=2)
    assert b.tick()["credit"].action == "advance"
    assert a.tick() == {}
    lease = rollouts.store.policies.lease("rollout:credit")
    assert lease is not None
    assert lease.holder == "b"


def test_an_operator_change_wins_over_a_stale_controller_decision(rollouts: Rollouts, clock: Clock) -> None:
    rollouts.canary("credit", 2, steps=(50, 100), interval_s=5, thresholds=TH)
    revision = rollouts.store.policies.current("credit")
    assert revision is not None
    recorder = OutcomeRecorder(rollouts.store)
    _traffic(rollouts, recorder, stable=1, candidate=2)
    rollouts.abort("credit", reason="operator")
    clock.advance(6)
    assert _controller(rollouts, clock).step("credit", revision) is None  # judged the old revision: no effect
    assert rollouts.current("credit")[1].kind == "single"
    assert len(rollouts.store.policies.revisions("credit")) == 2
