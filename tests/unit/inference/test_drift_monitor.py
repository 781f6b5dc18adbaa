"""``DriftMonitor``: sampling on the hot path, counting at flush, buckets, and no counts lost to a failed write."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from modelport.errors import NoReference
from modelport.inference import Prediction, ServedVersion
from modelport.inference.budget import RowBudget
from modelport.inference.drift import BucketCounts, CountKey, DriftMonitor, MemoryDriftCounts, WindowCounts
from modelport.runtime import ColumnSpec, Features, InputSchema, LoadedModel, PredictionResult
from modelport.settings import DriftSettings

NOT_USED: Any = object()
SCHEMA = InputSchema((ColumnSpec("x", "double", True), ColumnSpec("y", "double", True)))


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 10, 0, 5, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class Failing(MemoryDriftCounts):
    """The state store, down for a while."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False

    def flush(self, replica: str, counts: Mapping[CountKey, BucketCounts]) -> None:
        if self.down:
            raise OSError("database unreachable")
        super().flush(replica, counts)


def _features(n: int, shift: float = 0.0, seed: int = 0) -> Features:
    rng = np.random.default_rng(seed)
    return SCHEMA.from_columns({"x": rng.normal(shift, 1.0, n), "y": rng.normal(0.0, 1.0, n)})


def _served(sample: Features | None) -> ServedVersion:
    model = LoadedModel(
        predictor=NOT_USED,  # the monitor reads the sample, never predicts
        schema=SCHEMA,
        flavor="sklearn",
        model_type="test",
        predicts_probabilities=False,
        classes=None,
        parity=None,
        sample_table=None,
        sample_features=sample,
    )
    return ServedVersion("m", "1", model, batcher=NOT_USED)


def _prediction(served: ServedVersion, features: Features) -> Prediction:
    return Prediction("d", served, PredictionResult(np.zeros(features.n_rows)), inputs=features)


def _window(counts: MemoryDriftCounts) -> WindowCounts:
    return counts.window("d", "1", datetime(2026, 1, 1, tzinfo=UTC))


def test_flush_counts_what_was_observed_into_the_current_bucket() -> None:
    counts, clock = MemoryDriftCounts(), Clock()
    monitor = DriftMonitor(DriftSettings(min_rows=10), counts, clock=clock)
    served = _served(_features(500, seed=1))
    for seed in range(20):
        monitor.observe(_prediction(served, _features(10, shift=5.0, seed=seed)), 0.001)
    assert _window(counts).rows == 0  # nothing is written on the hot path
    monitor.flush()
    assert _window(counts).rows == 200
    report = monitor.report(served, "d")
    assert report.drifted == ["x"]
    assert report.window.rows == 200


def test_a_failed_write_keeps_the_counts_for_the_next_flush() -> None:
    counts, clock = Failing(), Clock()
    monitor = DriftMonitor(DriftSettings(), counts, clock=clock)
    served = _served(_features(500, seed=1))
    monitor.observe(_prediction(served, _features(30)), 0.001)
    counts.down = True
    with pytest.raises(OSError, match="unreachable"):
        monitor.flush()
    counts.down = False
    monitor.observe(_prediction(served, _features(20)), 0.001)
    monitor.flush()
    assert _window(counts).rows == 50


def test_buckets_roll_and_the_window_slides() -> None:
    counts, clock = MemoryDriftCounts(), Clock()
    monitor = DriftMonitor(DriftSettings(window_s=120.0, bucket_s=60.0), counts, clock=clock)
    served = _served(_features(500, seed=1))
    monitor.observe(_prediction(served, _features(30)), 0.001)
    monitor.flush()
    clock.now += timedelta(seconds=60)
    monitor.observe(_prediction(served, _features(20)), 0.001)
    monitor.flush()
    assert monitor.report(served, "d").window.rows == 50
    clock.now += timedelta(seconds=150)  # the first bucket left the window, the second is in it
    assert monitor.report(served, "d").window.rows == 20


def test_sampling_keeps_about_the_configured_share() -> None:
    counts = MemoryDriftCounts()
    monitor = DriftMonitor(DriftSettings(sample_rate=0.25), counts, clock=Clock())
    served = _served(_features(500, seed=1))
    one = _features(1)
    for _ in range(4000):
        monitor.observe(_prediction(served, one), 0.001)
    monitor.flush()
    assert 800 <= _window(counts).rows <= 1200


def test_a_version_without_sample_is_skipped_and_reported_as_such() -> None:
    counts = MemoryDriftCounts()
    monitor = DriftMonitor(DriftSettings(), counts, clock=Clock())
    served = _served(None)
    monitor.observe(_prediction(served, _features(10)), 0.001)
    monitor.flush()
    assert _window(counts).rows == 0
    with pytest.raises(NoReference, match="kept no sample"):
        monitor.report(served, "d")


def test_rows_beyond_the_budget_of_a_second_are_not_counted() -> None:
    counts, now = MemoryDriftCounts(), [0.0]
    budget = RowBudget(250, clock=lambda: now[0])
    monitor = DriftMonitor(DriftSettings(), counts, clock=Clock(), budget=budget)
    served = _served(_features(500, seed=1))
    for seed in range(4):  # 100 + 100 + the 50 left of this second + nothing
        monitor.observe(_prediction(served, _features(100, seed=seed)), 0.001)
    now[0] += 1.0
    monitor.observe(_prediction(served, _features(100, seed=9)), 0.001)
    monitor.flush()
    assert _window(counts).rows == 350
