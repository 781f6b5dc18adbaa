"""The one interface every prediction backend implements (MLServer's ``MLModel`` idea, smaller)."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from modelport.runtime.features import Features
from modelport.runtime.result import PredictionResult

__all__ = ["ClassifierPredictor", "Predictor"]


@runtime_checkable
class Predictor(Protocol):
    """Predicts validated features. Implementations are thread-safe."""

    kind: str
    """``"onnx"``, ``"native"`` or ``"pyfunc"``."""

    def predict(self, features: Features) -> PredictionResult:
        """Predict every row of ``features``."""
        ...


@runtime_checkable
class ClassifierPredictor(Predictor, Protocol):
    """A predictor that knows the model's classes; check with ``isinstance``."""

    classes: tuple[Any, ...] | None
    """The estimator's ``classes_`` (order of the probability columns); None for regressors."""
    predicts_probabilities: bool
