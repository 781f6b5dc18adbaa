"""``manifest.json``: what a bundle holds, where it came from, and the sha256 of every other file.

The runner reads it as plain JSON (it cannot import modelport), so the field names here are the
bundle format; ``format_version`` changes when a field changes meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from modelport.types import ColumnSpec

__all__ = [
    "FORMAT_VERSION",
    "Manifest",
    "ModelFormat",
    "Quantization",
    "Tolerances",
    "min_onnxruntime",
]

FORMAT_VERSION = 1

# The first onnxruntime release implementing each ai.onnx opset, ai.onnx.ml opset and IR version
# (onnxruntime's compatibility table). Anything newer than the table needs the running release.
_ORT_FOR_OPSET = {15: "1.10", 16: "1.11", 17: "1.12", 18: "1.14", 19: "1.15", 20: "1.17", 21: "1.18"}
_ORT_FOR_ML_OPSET = {2: "1.10", 3: "1.12", 4: "1.17"}
_ORT_FOR_IR = {8: "1.10", 9: "1.15", 10: "1.18"}


class Quantization(StrEnum):
    """How the exported graph's weights are stored."""

    NONE = "none"
    INT8 = "int8"
    FP16 = "fp16"


class ModelFormat(StrEnum):
    """``onnx``: any onnxruntime; ``ort``: ONNX Runtime's own format for its mobile/minimal builds."""

    ONNX = "onnx"
    ORT = "ort"


@dataclass(frozen=True, slots=True)
class Tolerances:
    """What the bundle must reproduce of the original model's outputs on the sample to be exported.

    Full precision keeps the serving rule (every label, probabilities within 1e-4); quantized weights
    are allowed to move probabilities a little, never more than 1 % of the labels.
    """

    min_label_agreement: float
    max_abs_diff: float | None
    """Largest difference of one probability; None: not judged (int8 moves a few rows' probabilities a lot
    while keeping their labels, so the mean and the labels are what say whether it is usable)."""
    max_mean_abs_diff: float
    max_rel_diff: float

    @classmethod
    def for_quantization(cls, quantization: Quantization) -> Tolerances:
        if quantization is Quantization.INT8:
            return cls(0.99, None, 0.02, 0.05)
        if quantization is Quantization.FP16:
            return cls(0.99, 1e-2, 1e-3, 1e-2)
        return cls(1.0, 1e-4, 1e-4, 1e-4)

    def to_dict(self) -> dict[str, float | None]:
        return {
            "min_label_agreement": self.min_label_agreement,
            "max_abs_diff": self.max_abs_diff,
            "max_mean_abs_diff": self.max_mean_abs_diff,
            "max_rel_diff": self.max_rel_diff,
        }


def min_onnxruntime(opsets: dict[str, int], ir_version: int, running: str) -> str:
    """The oldest onnxruntime that can load a graph with these opset imports and IR version."""
    needed = ["1.10"]
    for table, wanted in ((_ORT_FOR_OPSET, opsets.get("ai.onnx")), (_ORT_FOR_ML_OPSET, opsets.get("ai.onnx.ml"))):
        if wanted is not None and wanted > min(table):
            needed.append(table.get(wanted, running))
    if ir_version > min(_ORT_FOR_IR):
        needed.append(_ORT_FOR_IR.get(ir_version, running))
    return max(needed, key=lambda v: tuple(int(p) for p in v.split(".")[:2]))


@dataclass(frozen=True)
class Manifest:
    """Everything ``manifest.json`` says; ``files`` maps each other file of the bundle to its sha256."""

    name: str
    version: int
    alias: str | None
    source: str
    model_file: str
    model_format: ModelFormat
    inputs: tuple[ColumnSpec, ...]
    graph_inputs: tuple[tuple[str, str, int], ...]
    """(name, ONNX type, rank) of each graph input: one matrix, or one tensor per column."""
    outputs: tuple[tuple[str, str], ...]
    """(name, role) of each graph output read: role ``prediction`` or ``probabilities``."""
    classes: tuple[Any, ...] | None
    model_type: str
    opsets: dict[str, int]
    ir_version: int
    min_onnxruntime: str
    quantization: Quantization
    quantization_method: str | None
    """How the weights were quantized (``dynamic``, ``static, calibrated on N sample rows``, …)."""
    tolerances: Tolerances
    created: str
    modelport_version: str
    files: dict[str, str] = field(default_factory=dict)
    onnxruntime_web: str | None = None
    """The vendored onnxruntime-web version when the bundle has the browser example."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "model": {"name": self.name, "version": self.version, "alias": self.alias, "source": self.source},
            "model_type": self.model_type,
            "model_file": self.model_file,
            "model_format": self.model_format.value,
            "inputs": [{"name": c.name, "type": c.dtype, "required": c.required} for c in self.inputs],
            "graph_inputs": [{"name": name, "type": kind, "rank": rank} for name, kind, rank in self.graph_inputs],
            "outputs": [{"name": name, "role": role} for name, role in self.outputs],
            "task": "regression" if self.classes is None else "classification",
            "classes": None if self.classes is None else list(self.classes),
            "opset": dict(self.opsets),
            "ir_version": self.ir_version,
            "min_onnxruntime": self.min_onnxruntime,
            "quantization": self.quantization.value,
            "quantization_method": self.quantization_method,
            "tolerances": self.tolerances.to_dict(),
            "created": self.created,
            "modelport_version": self.modelport_version,
            "onnxruntime_web": self.onnxruntime_web,
            "files": {name: {"sha256": digest} for name, digest in sorted(self.files.items())},
        }
