"""What a front end hands the data plane, and what it gets back.

``InferenceInput`` is a request decoded as far as it can go without the model (each codec makes
one); ``Prediction`` names what answered it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from modelport.inference.pool import ServedVersion
    from modelport.runtime import Features, InputSchema, LoadedModel, PredictionResult

__all__ = ["InferenceInput", "ModelLoader", "Parse", "Prediction", "PredictionObserver"]

Parse = Callable[["InputSchema"], "Features"]
"""Validate decoded rows against a model's input schema (raises ``InvalidInput`` naming row and column)."""


class ModelLoader(Protocol):
    """Blocking: turn an MLflow model directory into a loaded model (``runtime.VersionLoader``).

    ``model`` and ``version`` name the registered version the directory holds.
    """

    def __call__(self, model_dir: Path, *, model: str = "", version: str = "") -> LoadedModel: ...


@dataclass(frozen=True)
class InferenceInput:
    """A decoded request: how to make features for a schema, and what is known before that.

    ``n_rows`` is the row count when the decoder knows it (the limit is then checked before any
    row is validated); ``record`` is the first row as ``{column: value}`` when the protocol names
    columns, where a policy keyed by ``field:NAME`` reads its sticky key.
    """

    parse: Parse
    n_rows: int | None = None
    record: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Prediction:
    """What answered a request: the deployment, the variant of its policy, the exact version, its output."""

    deployment: str
    served: ServedVersion
    result: PredictionResult
    variant: str = "primary"
    fallback: bool = False
    inputs: Features | None = None
    """The validated rows the version predicted (what drift and the prediction log look at)."""


class PredictionObserver(Protocol):
    """Sees every answered prediction on the hot path (drift, the prediction log).

    ``observe`` runs on the event loop inside the request: it must only sample and hand off (append
    to a buffer or a queue), never block, never raise.
    """

    def observe(self, prediction: Prediction, latency_s: float) -> None: ...
