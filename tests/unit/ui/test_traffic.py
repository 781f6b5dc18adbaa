"""The traffic sampler: rates from cumulative counters, revision changes, the window, forgetting old samples."""

from __future__ import annotations

import math

import pytest

from modelport.deployments import LATENCY_BOUNDS_MS
from modelport.state import OutcomeCounts
from modelport.ui import OutcomeSnapshot, TrafficSampler


def counts(requests: int, errors: int = 0, *, slow: int = 0) -> OutcomeCounts:
    """``requests`` answered, ``slow`` of them in the 100 ms bucket and the rest in the 1 ms one."""
    buckets = [0] * (len(LATENCY_BOUNDS_MS) + 1)
    buckets[LATENCY_BOUNDS_MS.index(1)] = requests - slow
    buckets[LATENCY_BOUNDS_MS.index(100)] = slow
    return OutcomeCounts(requests, errors, 0, 0.0, tuple(buckets))


class Counters:
    """What the state store would say, changed by the test between samples, with the clock."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.snapshot: dict[str, tuple[int, dict[int, OutcomeCounts]]] = {}

    def read(self) -> OutcomeSnapshot:
        return dict(self.snapshot)

    def clock(self) -> float:
        return self.now


@pytest.fixture
def counters() -> Counters:
    return Counters()


@pytest.fixture
def sampler(counters: Counters) -> TrafficSampler:
    return TrafficSampler(counters.read, keep_s=30.0, clock=counters.clock)


def test_rates_are_differences_of_the_cumulative_counters_over_the_time_between_samples(
    counters: Counters, sampler: TrafficSampler
) -> None:
    counters.snapshot = {"credit": (0, {1: counts(100, 1)})}
    sampler.sample()
    assert sampler.window("credit") == {}  # one sample says nothing about a rate
    counters.now += 10
    counters.snapshot = {"credit": (0, {1: counts(300, 3, slow=10)})}
    sampler.sample()
    [traffic] = sampler.window("credit").values()
    assert (traffic.version, traffic.requests, traffic.errors) == (1, 200, 2)
    assert traffic.rps == pytest.approx(20.0)
    assert traffic.error_rate == pytest.approx(0.01)
    assert traffic.p99_ms == 100  # 10 of the 200 new requests are slow: 5 % > 1 %


def test_a_new_policy_revision_counts_from_zero(counters: Counters, sampler: TrafficSampler) -> None:
    counters.snapshot = {"credit": (3, {1: counts(1000)})}
    sampler.sample()
    counters.now += 5
    counters.snapshot = {"credit": (4, {1: counts(40), 2: counts(10, 10)})}
    sampler.sample()
    window = sampler.window("credit")
    assert {v: t.requests for v, t in window.items()} == {1: 40, 2: 10}  # not 40 - 1000
    assert window[2].error_rate == 1.0


def test_the_window_starts_with_the_current_revision(counters: Counters, sampler: TrafficSampler) -> None:
    for revision, total in [(1, 0), (1, 100), (2, 10), (2, 50), (2, 90)]:
        counters.snapshot = {"credit": (revision, {1: counts(total)})}
        sampler.sample()
        counters.now += 10
    [traffic] = sampler.window("credit", 60.0).values()
    assert (traffic.requests, traffic.seconds) == (80, 20.0)  # 4 requests/s, not 90 over 40 s


def test_the_window_reaches_back_as_far_as_asked_and_points_go_sample_to_sample(
    counters: Counters, sampler: TrafficSampler
) -> None:
    for i in range(5):
        counters.snapshot = {"credit": (0, {1: counts(10 * i * i)})}
        sampler.sample()
        counters.now += 2
    assert sampler.window("credit", 4.0)[1].requests == 160 - 40  # the last two steps only
    assert sampler.window("credit", 60.0)[1].requests == 160
    points = sampler.points("credit")
    assert [p.versions[1].requests for p in points] == [10, 30, 50, 70]
    assert [p.time for p in points] == [1002.0, 1004.0, 1006.0, 1008.0]


def test_old_samples_and_deleted_deployments_are_forgotten(counters: Counters, sampler: TrafficSampler) -> None:
    counters.snapshot = {"credit": (0, {1: counts(1)}), "fraud": (0, {})}
    for _ in range(20):
        sampler.sample()
        counters.now += 5
    assert len(sampler.points("credit")) == 30 // 5  # keep_s=30: seven samples, six steps
    del counters.snapshot["fraud"]
    sampler.sample()
    assert sampler.points("fraud") == []
    assert sampler.window("nowhere") == {}


def test_a_p99_beyond_the_last_bucket_is_infinite_and_no_requests_have_no_error_rate(
    counters: Counters, sampler: TrafficSampler
) -> None:
    beyond = OutcomeCounts(1, 0, 0, 0.0, (0,) * len(LATENCY_BOUNDS_MS) + (1,))
    counters.snapshot = {"credit": (0, {1: OutcomeCounts(), 2: OutcomeCounts()})}
    sampler.sample()
    counters.now += 1
    counters.snapshot = {"credit": (0, {1: beyond, 2: OutcomeCounts()})}
    sampler.sample()
    window = sampler.window("credit")
    assert window[1].p99_ms is not None
    assert math.isinf(window[1].p99_ms)
    assert (window[2].rps, window[2].error_rate, window[2].p99_ms) == (0.0, None, None)
