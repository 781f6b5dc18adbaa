"""The parity rule: a faster predictor is used only when it agrees with the original model."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from modelport.runtime.result import PredictionResult

__all__ = ["PROBABILITY_ATOL", "REGRESSION_RTOL", "ParityReport", "check_parity"]

PROBABILITY_ATOL = 1e-4
"""Largest absolute difference allowed between two probabilities of the same row and class."""
REGRESSION_RTOL = 1e-4
"""Largest difference allowed between two regression outputs, relative to the original's magnitude."""


@dataclass(frozen=True, slots=True)
class ParityReport:
    """How a candidate predictor compared with the original model on the registration sample."""

    rows: int
    passed: bool
    max_abs_diff: float | None = None
    label_agreement: float | None = None
    reason: str | None = None
    candidate: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ParityReport:
        return cls(
            rows=int(data["rows"]),
            passed=bool(data["passed"]),
            max_abs_diff=data.get("max_abs_diff"),
            label_agreement=data.get("label_agreement"),
            reason=data.get("reason"),
            candidate=data.get("candidate"),
        )


def check_parity(
    reference: PredictionResult,
    candidate: PredictionResult,
    *,
    classifier: bool,
    candidate_kind: str = "onnx",
) -> ParityReport:
    """Compare ``candidate`` with ``reference`` (the original model's output on the same rows).

    Classifiers: every label identical and, when the reference gives probabilities, each within
    :data:`PROBABILITY_ATOL`. Regressors: within :data:`REGRESSION_RTOL` of the reference value,
    with the scale floored at the sample's mean magnitude so values near zero do not demand
    exactness beyond float precision.
    """
    rows = reference.n_rows
    if candidate.n_rows != rows or candidate.predictions.shape != reference.predictions.shape:
        return ParityReport(rows, False, reason="output shapes differ", candidate=candidate_kind)
    if classifier:
        return _classifier_parity(reference, candidate, candidate_kind)
    ref = reference.predictions.astype(np.float64)
    got = candidate.predictions.astype(np.float64)
    diff = np.abs(got - ref)
    scale = np.maximum(np.abs(ref), np.abs(ref).mean() if rows else 0.0)
    max_diff = float(diff.max()) if rows else 0.0
    if np.all(diff <= REGRESSION_RTOL * scale + 1e-12):
        return ParityReport(rows, True, max_diff, candidate=candidate_kind)
    worst = float((diff / np.maximum(scale, 1e-300)).max())
    return ParityReport(
        rows,
        False,
        max_diff,
        reason=f"regression outputs differ by {worst:.2e} relative",
        candidate=candidate_kind,
    )


def _classifier_parity(reference: PredictionResult, candidate: PredictionResult, kind: str) -> ParityReport:
    rows = reference.n_rows
    agree = float(np.mean(reference.predictions == candidate.predictions)) if rows else 1.0
    max_diff: float | None = None
    if reference.probabilities is not None:
        if candidate.probabilities is None or candidate.probabilities.shape != reference.probabilities.shape:
            return ParityReport(rows, False, None, agree, "probabilities missing or of another shape", kind)
        diff = np.abs(candidate.probabilities.astype(np.float64) - reference.probabilities.astype(np.float64))
        max_diff = float(diff.max()) if diff.size else 0.0
    if agree < 1.0:
        return ParityReport(rows, False, max_diff, agree, f"labels differ on {1 - agree:.2%} of rows", kind)
    if max_diff is not None and max_diff > PROBABILITY_ATOL:
        return ParityReport(rows, False, max_diff, agree, f"probabilities differ by up to {max_diff:.2e}", kind)
    return ParityReport(rows, True, max_diff, agree, candidate=kind)
