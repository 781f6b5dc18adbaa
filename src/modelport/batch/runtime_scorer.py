"""The batch ``Scorer`` over the runtime layer: the predictor choice (ONNX, native, pyfunc) of serving."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from modelport.batch.scorer import Scores
from modelport.model_format import ARROW_TYPES
from modelport.runtime import LoadedModel, VersionLoader

__all__ = ["RuntimeScorer"]


class RuntimeScorer:
    """Scores Arrow batches with a loaded model version; thread-safe like the runtime's predictors."""

    def __init__(self, loaded: LoadedModel) -> None:
        self.loaded = loaded
        self._types = {column.name: ARROW_TYPES[column.dtype] for column in loaded.schema.columns}

    @classmethod
    def from_model_dir(cls, model_dir: Path, loader: VersionLoader | None = None) -> RuntimeScorer:
        """Load ``model_dir`` with ``loader`` (``runtime.model_loader``; default: no compiled store, every
        predictor kind allowed, one intra-op thread)."""
        return cls((loader or VersionLoader(None))(model_dir))

    @property
    def kind(self) -> str:
        """The predictor used: ``onnx``, ``native`` or ``pyfunc``."""
        return self.loaded.kind

    @property
    def input_types(self) -> Mapping[str, pa.DataType]:
        return self._types

    @property
    def classes(self) -> Sequence[Any] | None:
        return self.loaded.classes if self.loaded.predicts_probabilities else None

    def score(self, batch: pa.RecordBatch) -> Scores:
        # Only signature columns: the schema refuses extra ones, and ids or notes are the layout's business.
        present = [name for name in self._types if name in batch.schema.names]
        features, errors = self.loaded.schema.from_arrow(batch.select(present))
        result = self.loaded.predictor.predict(features)
        return Scores(result.predictions, result.probabilities, errors)
