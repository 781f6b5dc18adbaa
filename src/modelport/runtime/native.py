"""Predictors that call the original model: the raw framework estimator, or MLflow pyfunc."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from modelport.model_format import estimator_predicts_probabilities
from modelport.runtime.features import Features
from modelport.runtime.result import PredictionResult, empty_result

__all__ = ["NativePredictor", "PyfuncPredictor", "as_1d"]


class NativePredictor:
    """Calls ``predict``/``predict_proba`` of a scikit-learn-compatible estimator in-process.

    The estimator gets a numpy matrix when it was fitted without feature names (no per-call
    DataFrame cost), else a DataFrame in signature order, which is what it was fitted on.
    """

    kind = "native"

    def __init__(self, model: Any) -> None:
        self.model = model
        self._wants_frame = hasattr(model, "feature_names_in_")
        classes = getattr(model, "classes_", None)
        self.classes: tuple[Any, ...] | None = None if classes is None else tuple(np.asarray(classes).tolist())
        self.predicts_probabilities = estimator_predicts_probabilities(model)

    def _inputs(self, features: Features) -> Any:
        if self._wants_frame:
            return features.to_pandas()
        if features.schema.all_numeric:
            return features.matrix
        return features.to_pandas().to_numpy(dtype=object)

    def predict(self, features: Features) -> PredictionResult:
        if features.n_rows == 0:
            return empty_result(self.classes, self.predicts_probabilities)
        inputs = self._inputs(features)
        predictions = as_1d(self.model.predict(inputs))
        if not self.predicts_probabilities:
            return PredictionResult(predictions, None, self.classes)
        probabilities = np.asarray(self.model.predict_proba(inputs))
        return PredictionResult(predictions, probabilities, self.classes)


class PyfuncPredictor:
    """MLflow's generic ``pyfunc`` path: always works, pays a DataFrame per call."""

    kind = "pyfunc"

    def __init__(self, model: Any) -> None:
        self.model = model

    def predict(self, features: Features) -> PredictionResult:
        if features.n_rows == 0:
            return empty_result(None, False)
        return PredictionResult(as_1d(self.model.predict(features.to_pandas())))


def as_1d(output: Any) -> np.ndarray:
    """Flatten a single-column output (Series, one-column frame or ``n x 1`` array) to 1-D."""
    pd = sys.modules.get("pandas")  # an output can only be a pandas object if pandas is loaded
    if pd is not None and isinstance(output, pd.DataFrame | pd.Series):
        output = output.to_numpy()
    array = np.asarray(output)
    if array.ndim == 2 and array.shape[1] == 1:
        return array.ravel()
    return array
