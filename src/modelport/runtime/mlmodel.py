"""Reading an ``MLmodel`` file without importing MLflow.

The file is plain YAML whose signature holds JSON strings. Reading it directly lets a version whose
ONNX form is already cached load in milliseconds, instead of paying MLflow's import (seconds) for
two fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import yaml

from modelport.errors import InvalidSource, MissingSignature
from modelport.types import ColumnSpec

__all__ = ["MLmodelFile", "read_mlmodel"]


@dataclass(frozen=True, slots=True)
class MLmodelFile:
    flavors: dict[str, Any]
    columns: tuple[ColumnSpec, ...]

    @property
    def flavor(self) -> str:
        """The model's own flavor (``sklearn``, ``onnx``, …), ``python_function`` when it has no other."""
        return next((name for name in self.flavors if name != "python_function"), "python_function")


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
