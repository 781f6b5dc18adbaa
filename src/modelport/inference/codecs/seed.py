"""The seed document's protocol: ``{"features": [{column: value}, …]}`` in, predictions with names out.

The answer document is shared by every front end that speaks it: ``/predict`` and, one record at a
time, the stream workers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from modelport.errors import InvalidRequest
from modelport.inference.codecs.encoding import jsonable
from modelport.inference.prediction import InferenceInput

if TYPE_CHECKING:
    from modelport.inference.prediction import Prediction

__all__ = ["answer", "decode_features"]


def decode_features(payload: Any) -> InferenceInput:
    """The rows of a ``{"features": [...]}`` document (raises ``InvalidRequest`` for another shape)."""
    rows = payload.get("features") if isinstance(payload, dict) else None
    if not isinstance(rows, list):
        raise InvalidRequest('the body must be {"features": [{column: value, ...}, ...]}')
    first = rows[0] if rows and isinstance(rows[0], dict) else None
    return InferenceInput(lambda schema: schema.from_records(rows), n_rows=len(rows), record=first)


def answer(prediction: Prediction, *, batch: bool = False) -> dict[str, Any]:
    """The answer document: predictions, probabilities, classes, what answered and when."""
    result = prediction.result
    doc: dict[str, Any] = {
        "predictions": jsonable(result.predictions),
        "probabilities": jsonable(result.probabilities),
        "model_name": prediction.served.model_name,
        "model_version": prediction.served.version,
        "deployment": prediction.deployment,
        "variant": prediction.variant,
        "timestamp": datetime.now(UTC),
    }
    if result.classes is not None:
        doc["classes"] = list(result.classes)
    if batch:
        doc["count"] = int(result.predictions.shape[0])
    return doc
