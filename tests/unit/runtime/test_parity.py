"""The parity rule, on outputs that agree and on each way they can disagree."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from modelport.runtime import ParityReport, PredictionResult, check_parity, load_model
from tests.unit.runtime.conftest import Frame, SaveModel

CLASSES = (0, 1)


def classified(labels: list[int], p1: list[float]) -> PredictionResult:
    p = np.array(p1)
    return PredictionResult(np.array(labels), np.column_stack([1 - p, p]), CLASSES)


def test_identical_classifier_outputs_pass() -> None:
    ref = classified([0, 1, 1], [0.2, 0.7, 0.9])
    report = check_parity(ref, classified([0, 1, 1], [0.20005, 0.7, 0.9]), classifier=True)
    assert report.passed
    assert report.label_agreement == 1.0
    assert report.max_abs_diff is not None
    assert report.max_abs_diff < 1e-4


def test_one_different_label_fails() -> None:
    report = check_parity(classified([0, 1, 1, 0], [0.2] * 4), classified([0, 1, 0, 0], [0.2] * 4), classifier=True)
    assert not report.passed
    assert report.label_agreement == 0.75
    assert report.reason is not None
    assert "labels differ" in report.reason


def test_probability_drift_beyond_tolerance_fails() -> None:
    report = check_parity(classified([0, 1], [0.2, 0.7]), classified([0, 1], [0.2, 0.7003]), classifier=True)
    assert not report.passed
    assert report.reason is not None
    assert "probabilities differ" in report.reason


def test_missing_probabilities_fail() -> None:
    candidate = PredictionResult(np.array([0, 1]), None, CLASSES)
    assert not check_parity(classified([0, 1], [0.2, 0.7]), candidate, classifier=True).passed


def test_regression_is_relative() -> None:
    ref = PredictionResult(np.array([1000.0, 2000.0, -500.0]))
    close = PredictionResult(np.array([1000.05, 2000.1, -500.02]))
    far = PredictionResult(np.array([1000.5, 2000.0, -500.0]))
    assert check_parity(ref, close, classifier=False).passed
    report = check_parity(ref, far, classifier=False)
    assert not report.passed
    assert report.max_abs_diff == 0.5


def test_shape_mismatch_fails() -> None:
    ref = PredictionResult(np.array([1.0, 2.0]))
    assert not check_parity(ref, PredictionResult(np.array([1.0])), classifier=False).passed


def test_report_round_trips_through_json_dict() -> None:
    report = ParityReport(10, False, 0.5, 0.9, "labels differ", "onnx")
    assert ParityReport.from_dict(report.to_dict()) == report


def test_unconvertible_model_falls_back_to_native_with_reason(save_model: SaveModel, numeric_frame: Frame) -> None:
    X, binary, _ = numeric_frame
    model = make_pipeline(FunctionTransformer(np.tanh), LogisticRegression()).fit(X, binary)
    loaded = load_model(save_model(model, X, binary))
    assert loaded.kind == "native"
    assert loaded.parity is not None
    assert not loaded.parity.passed
    assert loaded.parity.reason is not None
    assert "conversion failed" in loaded.parity.reason
    result = loaded.predictor.predict(loaded.schema.from_pandas(X))
    np.testing.assert_array_equal(result.predictions, model.predict(X))
