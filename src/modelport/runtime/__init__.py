"""The runtime layer: turn a registered model version into the fastest *correct* predictor.

Every data plane (REST server, batch, stream) validates input with :class:`InputSchema`, predicts
with a :class:`Predictor` from the loader :func:`model_loader` builds (compiled once, shared through
the state store), and may group concurrent requests with
:class:`AdaptiveBatcher`.
"""

from modelport.runtime.batcher import AdaptiveBatcher
from modelport.runtime.compiled import Compiled, CompiledStore, DiskCompiledStore, compile_key
from modelport.runtime.features import Features
from modelport.runtime.loader import SAMPLE_FILE, LoadedModel, load_model
from modelport.runtime.parity import ParityReport, check_parity
from modelport.runtime.predictor import ClassifierPredictor, Predictor
from modelport.runtime.result import PredictionResult
from modelport.runtime.schema import ColumnSpec, InputSchema
from modelport.runtime.version_loader import VersionLoader, compiled_store, model_loader

__all__ = [
    "SAMPLE_FILE",
    "AdaptiveBatcher",
    "ClassifierPredictor",
    "ColumnSpec",
    "Compiled",
    "CompiledStore",
    "DiskCompiledStore",
    "Features",
    "InputSchema",
    "LoadedModel",
    "ParityReport",
    "PredictionResult",
    "Predictor",
    "VersionLoader",
    "check_parity",
    "compile_key",
    "compiled_store",
    "load_model",
    "model_loader",
]
