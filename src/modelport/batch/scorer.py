"""What the batch engines need from a model: a ``Scorer`` that turns an Arrow batch into predictions.

Engines only see this protocol; ``runtime_scorer.py`` adapts the runtime's loaded models to it, and tests
can wrap any real model in a few lines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from modelport.model_format import BadRow

__all__ = ["ModelInfo", "Scorer", "Scores"]


@dataclass(frozen=True)
class Scores:
    """Predictions for the rows of a batch that were not rejected, in batch order; ``rejected`` rows are
    positions in the batch the scorer was given."""

    predictions: np.ndarray[Any, Any]
    probabilities: np.ndarray[Any, Any] | None = None
    rejected: Sequence[BadRow] = field(default_factory=tuple)


@dataclass(frozen=True)
class ModelInfo:
    """Which model version a run scores with; recorded in the run summary and the checkpoint fingerprint."""

    name: str
    version: int
    uri: str
    predictor: str
    compiled: str | None = None
    """How the predictor's compiled form was had: ``converted`` by this run, found on ``disk`` or in the
    ``state store``; None when none was involved. Not part of the checkpoint fingerprint."""


class Scorer(Protocol):
    """Scores Arrow batches; must be safe to call from several threads at once."""

    @property
    def input_types(self) -> Mapping[str, pa.DataType]:
        """The model's input columns and the Arrow type each must have."""
        ...

    @property
    def classes(self) -> Sequence[Any] | None:
        """Class labels, in the order of the probability columns; None for models without probabilities."""
        ...

    def score(self, batch: pa.RecordBatch) -> Scores:
        """Score ``batch`` (already cast to ``input_types``); reject rows it cannot score."""
        ...
