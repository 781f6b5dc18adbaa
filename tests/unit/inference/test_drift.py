"""Drift maths: bins fixed from a reference, PSI, and the report's verdict per feature."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from modelport.inference.drift import DriftWindow, FeatureBins, ReferenceBins, build_report, psi
from modelport.runtime import ColumnSpec, Features, InputSchema

SCHEMA = InputSchema(
    (
        ColumnSpec("income", "double", True),
        ColumnSpec("age", "long", True),
        ColumnSpec("city", "string", False),
        ColumnSpec("member", "boolean", True),
    )
)
CITIES = np.array(["paris", "lyon", "nice"], dtype=object)


def _frame(rng: np.random.Generator, n: int, *, income_shift: float = 0.0) -> Features:
    return SCHEMA.from_columns(
        {
            "income": rng.normal(50.0 + income_shift, 10.0, n),
            "age": rng.integers(18, 80, n),
            "city": rng.choice(CITIES, n).tolist(),
            "member": rng.random(n) < 0.3,
        }
    )


def _report(reference: ReferenceBins, current: Features, *, min_rows: int = 100) -> list[tuple[str, bool]]:
    now = datetime.now(UTC)
    window = DriftWindow(60.0, now, now, current.n_rows, reference.rows)
    report = build_report(
        reference,
        reference.count(current),
        deployment="d",
        model="m",
        version="1",
        window=window,
        threshold=0.2,
        min_rows=min_rows,
    )
    return [(f.name, f.drifted) for f in report.features]


def test_quantile_bins_share_the_reference_evenly() -> None:
    values = np.random.default_rng(0).normal(size=10_000)
    bins = FeatureBins.fixed_from("x", values, n_bins=10, max_categories=5)
    counts = bins.count(values)
    assert bins.size == 11
    assert len(counts) == 11
    assert counts[-1] == 0
    assert np.all(np.abs(counts[:-1] - 1000) <= 1)


def test_missing_and_non_finite_values_go_to_the_missing_bin() -> None:
    bins = FeatureBins.fixed_from("x", np.arange(100, dtype=np.float64), n_bins=4, max_categories=5)
    counts = bins.count(np.array([np.nan, np.inf, 5.0, -np.inf]))
    assert counts[-1] == 3
    assert counts.sum() == 4
    assert bins.labels[-1] == "missing"


def test_discrete_features_keep_one_bin_per_value() -> None:
    bins = FeatureBins.fixed_from("k", np.array([0, 1, 2, 3] * 50), n_bins=10, max_categories=5)
    assert bins.edges == (1.0, 2.0, 3.0)
    assert bins.count(np.array([0, 1, 2, 3, 7])).tolist() == [1, 1, 1, 2, 0]


def test_categories_unseen_values_and_nulls() -> None:
    bins = FeatureBins.fixed_from("c", np.array(["a", "b", "b", None, "c"], dtype=object), n_bins=10, max_categories=2)
    assert bins.categories == ("a", "b")  # "b" most frequent, then "a" before "c" by name
    assert bins.labels == ("a", "b", "other", "missing")
    assert bins.count(np.array(["a", "z", None, "b", "c"], dtype=object)).tolist() == [1, 1, 2, 1]


def test_psi_is_zero_for_equal_histograms_and_grows_with_the_shift() -> None:
    ref = np.array([100, 100, 100, 100])
    assert psi(ref, ref * 3) == pytest.approx(0.0)
    small = psi(ref, np.array([110, 100, 100, 90]))
    large = psi(ref, np.array([10, 40, 150, 200]))
    assert 0 < small < 0.05 < 0.2 < large


def test_psi_refuses_different_bins_and_empty_histograms() -> None:
    with pytest.raises(ValueError, match="different bins"):
        psi(np.array([1, 2]), np.array([1, 2, 3]))
    with pytest.raises(ValueError, match="at least one value"):
        psi(np.array([1, 2]), np.array([0, 0]))


def test_a_shifted_feature_is_flagged_and_only_it() -> None:
    rng = np.random.default_rng(7)
    reference = ReferenceBins.from_features(_frame(rng, 1000))
    assert _report(reference, _frame(rng, 2000)) == [
        ("income", False),
        ("age", False),
        ("city", False),
        ("member", False),
    ]
    assert _report(reference, _frame(rng, 2000, income_shift=30.0)) == [
        ("income", True),
        ("age", False),
        ("city", False),
        ("member", False),
    ]


def test_too_few_rows_judge_nothing() -> None:
    rng = np.random.default_rng(3)
    reference = ReferenceBins.from_features(_frame(rng, 500))
    current = _frame(rng, 20, income_shift=30.0)
    now = datetime.now(UTC)
    report = build_report(
        reference,
        reference.count(current),
        deployment="d",
        model="m",
        version="1",
        window=DriftWindow(60.0, now, now, 20, 500),
        threshold=0.2,
        min_rows=100,
    )
    assert not report.enough_data
    assert report.drifted == []
    assert all(f.psi is None for f in report.features)
    body = report.to_dict()
    assert body["window"]["rows"] == 20
    assert body["features"][0]["name"] == "income"
    assert body["features"][0]["bins"][-1]["label"] == "missing"


def test_counting_many_requests_at_once_equals_counting_them_merged() -> None:
    rng = np.random.default_rng(5)
    numeric = InputSchema((ColumnSpec("x", "double", True), ColumnSpec("k", "long", True)))
    parts = [numeric.from_columns({"x": rng.normal(size=3), "k": rng.integers(0, 5, 3)}) for _ in range(7)]
    reference = ReferenceBins.from_features(
        numeric.from_columns({"x": rng.normal(size=300), "k": rng.integers(0, 5, 300)})
    )
    rows, counts = reference.count_all(parts)
    merged = reference.count(Features.concat(parts))
    assert rows == 21
    assert {k: v.tolist() for k, v in counts.items()} == {k: v.tolist() for k, v in merged.items()}

    mixed = [_frame(rng, 4) for _ in range(5)]
    mixed_reference = ReferenceBins.from_features(_frame(rng, 300))
    rows, counts = mixed_reference.count_all(mixed)
    assert rows == 20
    assert counts["city"].sum() == 20
    assert counts["member"].tolist() == mixed_reference.count(Features.concat(mixed))["member"].tolist()
