"""The canary analysis: wait with too few requests, abort on a breach at once, advance after the interval."""

from __future__ import annotations

import bisect

import pytest

from modelport.deployments import LATENCY_BOUNDS_MS, CanaryPolicy, CanaryThresholds, VersionStats, analyze_canary
from modelport.state import OutcomeCounts


def _counts(n: int, errors: int = 0, latency_ms: float = 3.0, slow: int = 0, slow_ms: float = 400.0) -> OutcomeCounts:
    buckets = [0] * (len(LATENCY_BOUNDS_MS) + 1)
    buckets[bisect.bisect_left(LATENCY_BOUNDS_MS, latency_ms)] += n - slow
    buckets[bisect.bisect_left(LATENCY_BOUNDS_MS, slow_ms)] += slow
    return OutcomeCounts(n, errors, 0, latency_ms * (n - slow) + slow_ms * slow, tuple(buckets))


def _policy(step: int = 0, **thresholds: float | int | None) -> CanaryPolicy:
    th = CanaryThresholds(**{"max_error_rate": 0.01, "max_p99_ms": 50.0, "min_requests": 100, **thresholds})  # type: ignore[arg-type]
    return CanaryPolicy(stable=1, candidate=2, salt="s", steps=(5, 25, 100), step=step, interval_s=60, thresholds=th)


def test_too_few_requests_waits_even_with_failures_and_after_the_interval() -> None:
    decision = analyze_canary(_policy(), _counts(1000), _counts(99, errors=50), elapsed_s=3600)
    assert decision.action == "wait"
    assert "99 < 100" in decision.reason
    assert decision.numbers["candidate"]["requests"] == 99


def test_an_error_rate_breach_aborts_before_the_interval_with_its_numbers() -> None:
    decision = analyze_canary(_policy(), _counts(2000), _counts(200, errors=40), elapsed_s=5)
    assert decision.action == "abort"
    assert "error rate 20.00% > 1.00%" in decision.reason
    assert decision.numbers["candidate"]["error_rate"] == 0.2
    assert decision.numbers["stable"]["requests"] == 2000


def test_a_slow_candidate_aborts_on_p99() -> None:
    decision = analyze_canary(_policy(), _counts(2000), _counts(200, slow=10, slow_ms=500), elapsed_s=5)
    assert decision.action == "abort"
    assert decision.reason == "p99 500 ms > 50 ms"
    assert decision.numbers["candidate"]["p99_ms"] == 500


def test_the_candidate_is_compared_with_stable_when_asked() -> None:
    base = _policy(max_error_rate=0.5, max_error_rate_increase=0.02)
    worse = analyze_canary(base, _counts(1000, errors=10), _counts(200, errors=10), elapsed_s=61)
    assert worse.action == "abort"
    assert "above stable" in worse.reason
    same = analyze_canary(base, _counts(1000, errors=40), _counts(200, errors=10), elapsed_s=61)
    assert same.action == "advance"


def test_healthy_waits_for_the_interval_then_advances_then_promotes_at_the_last_step() -> None:
    assert analyze_canary(_policy(), _counts(900), _counts(150), elapsed_s=30).action == "wait"
    advance = analyze_canary(_policy(), _counts(900), _counts(150), elapsed_s=60)
    assert advance.action == "advance"
    assert advance.reason.endswith("to 25%")
    promote = analyze_canary(_policy(step=2), OutcomeCounts(), _counts(150), elapsed_s=60)
    assert promote.action == "promote"
    assert promote.numbers["weight"] == 100


@pytest.mark.parametrize(("latencies", "p99"), [([1.0] * 99 + [40.0], 1.0), ([1.0] * 98 + [40.0] * 2, 50.0)])
def test_p99_is_the_bucket_upper_bound_holding_the_99th_percentile(latencies: list[float], p99: float) -> None:
    buckets = [0] * (len(LATENCY_BOUNDS_MS) + 1)
    for value in latencies:
        buckets[bisect.bisect_left(LATENCY_BOUNDS_MS, value)] += 1
    stats = VersionStats(OutcomeCounts(len(latencies), 0, 0, sum(latencies), tuple(buckets)))
    assert stats.quantile_ms(0.99) == p99
    assert VersionStats(OutcomeCounts()).quantile_ms(0.99) is None
