"""What every predictor returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["PredictionResult", "empty_result"]


@dataclass(frozen=True, slots=True)
class PredictionResult:
    """Predictions for ``n`` rows.

    ``predictions`` is 1-D (labels or regression values); ``probabilities`` is ``n x n_classes`` in
    the order of ``classes`` (the estimator's ``classes_``) when the model gives probabilities.
    """

    predictions: np.ndarray
    probabilities: np.ndarray | None = None
    classes: tuple[Any, ...] | None = None

    @property
    def n_rows(self) -> int:
        return len(self.predictions)

    def slice(self, start: int, stop: int) -> PredictionResult:
        """Rows ``start:stop`` of this result (views, no copy)."""
        probabilities = None if self.probabilities is None else self.probabilities[start:stop]
        return PredictionResult(self.predictions[start:stop], probabilities, self.classes)


def empty_result(classes: tuple[Any, ...] | None, with_probabilities: bool) -> PredictionResult:
    """The result for zero rows (backends such as scikit-learn refuse empty input)."""
    probabilities = np.empty((0, len(classes or ())), dtype=np.float64) if with_probabilities else None
    return PredictionResult(np.empty(0), probabilities, classes)
