"""Shadow comparison of two versions' predictions, and its summary over many requests."""

from __future__ import annotations

import numpy as np
import pytest

from modelport.deployments import compare_results, summarize_shadow
from modelport.runtime import PredictionResult
from modelport.state import ShadowRecord


def test_labels_and_probabilities_are_compared_by_class_even_in_another_order() -> None:
    primary = PredictionResult(np.array([0, 1, 1]), np.array([[0.9, 0.1], [0.3, 0.7], [0.4, 0.6]]), (0, 1))
    shadow = PredictionResult(np.array([0, 0, 1]), np.array([[0.2, 0.8], [0.6, 0.4], [0.1, 0.9]]), (1, 0))
    cmp = compare_results(primary, shadow)
    assert (cmp.rows, cmp.agreeing_rows) == (3, 2)
    diffs = np.abs(np.array([[0.9, 0.1], [0.3, 0.7], [0.4, 0.6]]) - np.array([[0.8, 0.2], [0.4, 0.6], [0.9, 0.1]]))
    assert cmp.mean_abs_diff == pytest.approx(diffs.mean())
    assert cmp.max_abs_diff == pytest.approx(0.5)


def test_regressors_compare_labels_only() -> None:
    cmp = compare_results(PredictionResult(np.array([1.5, 2.0])), PredictionResult(np.array([1.5, 2.5])))
    assert (cmp.agreeing_rows, cmp.mean_abs_diff, cmp.max_abs_diff) == (1, None, None)


def test_the_summary_weights_by_rows_and_counts_shadow_failures_apart() -> None:
    records = [
        ShadowRecord(
            "d", 1, 1, 2, rows=1, agreeing_rows=1, mean_abs_diff=0.1, max_abs_diff=0.1, primary_ms=2, shadow_ms=4
        ),
        ShadowRecord(
            "d", 1, 1, 2, rows=3, agreeing_rows=1, mean_abs_diff=0.3, max_abs_diff=0.6, primary_ms=4, shadow_ms=8
        ),
        ShadowRecord("d", 1, 1, 2, 2, None, None, None, primary_ms=3, shadow_ms=None, shadow_error="boom"),
    ]
    report = summarize_shadow(records)
    assert (report.requests, report.rows, report.shadow_errors) == (3, 6, 1)
    assert report.agreement == pytest.approx(2 / 4)
    assert report.mean_abs_diff == pytest.approx((0.1 + 0.9) / 4)
    assert report.max_abs_diff == 0.6
    assert report.primary_latency["mean_ms"] == pytest.approx(3.0)
    assert report.shadow_latency["mean_ms"] == pytest.approx(6.0)
    assert summarize_shadow([]).agreement is None
