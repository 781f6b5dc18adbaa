"""Each protocol's bodies turned into an ``InferenceInput`` and its answers into documents, without HTTP.

``seed`` (``{"features": [...]}``), ``mlflow`` (``/invocations``: JSON and CSV) and ``v2`` (Open
Inference Protocol, with Triton's binary tensors); ``encoding`` is the orjson layer they share.
"""

from modelport.inference.codecs import mlflow, seed, v2
from modelport.inference.codecs.encoding import dumps, jsonable, loads

__all__ = ["dumps", "jsonable", "loads", "mlflow", "seed", "v2"]
