"""What modelport knows about the MLflow model format, in one place.

- reading an ``MLmodel`` file without importing MLflow (the file is plain YAML whose signature holds JSON
  strings; reading it directly lets a compiled version load in milliseconds instead of paying MLflow's
  import, seconds, for two fields);
- a model's *flavor*;
- whether a model predicts class probabilities (one rule for estimators, one for ONNX graphs);
- the MLflow column type -> numpy / Arrow type tables;
- :class:`BadRow`, the one description of an input row (or column) that cannot be scored, used by HTTP
  error bodies, batch rejects and Spark alike.

Registration (``registry/sources.py``), the runtime's loader, batch and serving all ask this module, so
each rule lives in one place. It sits beside ``types.py`` at the bottom of the layers because the registry
needs it as much as the runtime does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

import numpy as np
import orjson
import pyarrow as pa
import yaml

from modelport.errors import InvalidSource, MissingSignature
from modelport.types import ColumnSpec

__all__ = [
    "ARROW_TYPES",
    "NUMERIC_TYPES",
    "NUMPY_DTYPES",
    "BadRow",
    "MLmodelFile",
    "estimator_predicts_probabilities",
    "flavor_of",
    "onnx_predicts_probabilities",
    "read_mlmodel",
]

#: numpy dtype of each supported MLflow column type.
NUMPY_DTYPES: Final[Mapping[str, np.dtype[Any]]] = {
    "double": np.dtype(np.float64),
    "float": np.dtype(np.float32),
    "long": np.dtype(np.int64),
    "integer": np.dtype(np.int32),
    "boolean": np.dtype(np.bool_),
    "string": np.dtype(object),
}
#: Arrow type batch input is cast to, per MLflow column type (same keys as :data:`NUMPY_DTYPES`).
ARROW_TYPES: Final[Mapping[str, pa.DataType]] = {
    "double": pa.float64(),
    "float": pa.float32(),
    "long": pa.int64(),
    "integer": pa.int32(),
    "boolean": pa.bool_(),
    "string": pa.string(),
}
#: MLflow column types that fit in one numeric matrix.
NUMERIC_TYPES: Final = frozenset({"double", "float", "long", "integer", "boolean"})

_PYFUNC = "python_function"
# ONNX Runtime's names of the tensor types a probability output may have. A ZipMap output
# (``seq(map(...))``) is not one: it gives a list of dicts per row, not an n x n_classes array.
_PROBABILITY_TENSORS: Final = frozenset({"tensor(float)", "tensor(double)"})


@dataclass(frozen=True, slots=True)
class BadRow:
    """Why one input row (or, with ``row=None``, the input as a whole) cannot be scored.

    ``row`` is the row's position in the input it came in, ``column`` None for a problem of the whole
    row. ``to_dict`` is the ``{"row", "column", "problem"}`` entry of an error's ``details``.
    """

    row: int | None
    column: str | None
    problem: str

    @property
    def index(self) -> int:
        """``row`` of a problem that belongs to one row (every batch rejection does)."""
        if self.row is None:
            raise ValueError(f"{self.problem!r} belongs to no single row")
        return self.row

    def at(self, row: int) -> BadRow:
        """The same problem, found at position ``row`` (rows renumbered from a batch to the whole input)."""
        return BadRow(row, self.column, self.problem)

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "problem": self.problem}


def flavor_of(flavors: Mapping[str, Any]) -> str:
    """The model's own flavor (``sklearn``, ``onnx``, …), ``python_function`` when it has no other."""
    return next((name for name in flavors if name != _PYFUNC), _PYFUNC)


def estimator_predicts_probabilities(model: Any) -> bool:
    """A fitted scikit-learn-compatible estimator gives probabilities: it knows its classes and has
    ``predict_proba`` (``SVC(probability=False)`` hides the method, so this is checked, not assumed)."""
    return getattr(model, "classes_", None) is not None and callable(getattr(model, "predict_proba", None))


class _OnnxSession(Protocol):
    def get_outputs(self) -> list[Any]: ...


def onnx_predicts_probabilities(session: _OnnxSession) -> bool:
    """An ONNX classifier (skl2onnx, onnxmltools convention) outputs labels, then an ``n x n_classes``
    float tensor. ``session`` is an ``onnxruntime.InferenceSession``."""
    outputs = session.get_outputs()
    return len(outputs) >= 2 and outputs[1].type in _PROBABILITY_TENSORS


@dataclass(frozen=True, slots=True)
class MLmodelFile:
    """The two things the runtime needs from ``MLmodel``: flavors and input columns."""

    flavors: dict[str, Any]
    columns: tuple[ColumnSpec, ...]

    @property
    def flavor(self) -> str:
        return flavor_of(self.flavors)


def _columns(raw_inputs: str, where: Path) -> tuple[ColumnSpec, ...]:
    try:
        entries = orjson.loads(raw_inputs)
    except orjson.JSONDecodeError as exc:
        raise InvalidSource(f"{where}: unreadable signature: {exc}") from exc
    if not isinstance(entries, list) or not entries:
        raise InvalidSource(f"{where}: the model signature has no inputs")
    columns = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("type") == "tensor" or not entry.get("name"):
            raise InvalidSource("the model signature must be column-based with named inputs")
        # MLflow 2.8+ writes "required"; older files wrote "optional".
        required = bool(entry.get("required", not entry.get("optional", False)))
        columns.append(ColumnSpec(str(entry["name"]), str(entry["type"]), required))
    return tuple(columns)


def read_mlmodel(model_dir: Path) -> MLmodelFile:
    """The flavors and input columns of the MLflow model in ``model_dir``."""
    path = model_dir / "MLmodel"
    if not path.is_file():
        raise InvalidSource(f"{model_dir} is not an MLflow model directory (no MLmodel file)")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InvalidSource(f"cannot read {path}: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("flavors"), dict):
        raise InvalidSource(f"{path} has no flavors: not an MLflow model")
    signature = document.get("signature") or {}
    inputs = signature.get("inputs") if isinstance(signature, dict) else None
    if not inputs:
        raise MissingSignature(f"{model_dir} has no input signature")
    return MLmodelFile(flavors=document["flavors"], columns=_columns(str(inputs), path))
