"""The runtime layer: turn a registered model version into the fastest *correct* predictor.

Every data plane (REST server, batch, stream) validates input with :class:`InputSchema`, predicts
with a :class:`Predictor` from :func:`load_model`, and may group concurrent requests with
:class:`AdaptiveBatcher`.
"""

from modelport.runtime.batcher import AdaptiveBatcher
from modelport.runtime.features import Features
from modelport.runtime.loader import SAMPLE_FILE, LoadedModel, load_model
from modelport.runtime.parity import ParityReport, check_parity
from modelport.runtime.predictor import ClassifierPredictor, Predictor
from modelport.runtime.result import PredictionResult
from modelport.runtime.schema import ColumnSpec, InputSchema

__all__ = [
    "SAMPLE_FILE",
    "AdaptiveBatcher",
    "ClassifierPredictor",
    "ColumnSpec",
    "Features",
    "InputSchema",
    "LoadedModel",
    "ParityReport",
    "PredictionResult",
    "Predictor",
    "check_parity",
    "load_model",
]
