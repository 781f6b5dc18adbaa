"""Smaller weights for an exported graph: int8 (onnxruntime's quantizer) or fp16 weight storage.

Both only touch the weights of ``MatMul``/``Gemm`` nodes (MLPs, linear layers). A graph made only of
``ai.onnx.ml`` operators (tree ensembles, ``LinearClassifier``, ``Scaler``) has no such weights:
onnxruntime's quantizer fails on it with an obscure error, so it is refused up front in one line.

fp16 stores each weight in half precision behind a ``Cast`` back to float, so inputs, outputs and
arithmetic stay float32. Converting the whole graph (onnxruntime's ``float16`` helper) casts the raw
inputs to half precision too: a feature above 65504 (an income, a balance) becomes infinity and the
model answers NaN, which is exactly the silent breakage a bundle must not ship.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from modelport.edge.manifest import Quantization
from modelport.errors import QuantizationUnsupported

__all__ = ["quantize"]

_WEIGHTED_OPS = ("MatMul", "Gemm")
_SMALLEST_WEIGHT = 16  # elements; biases and scalars stay float32


def quantize(onnx_bytes: bytes, quantization: Quantization, calibration: Sequence[dict[str, np.ndarray]] = ()) -> bytes:
    """The graph with quantized weights; int8 is static (QDQ) when ``calibration`` feeds are given."""
    import onnx

    if quantization is Quantization.NONE:
        return onnx_bytes
    model = onnx.load_from_string(onnx_bytes)
    weights = _weight_names(model)
    if not weights:
        ops = sorted({n.op_type for n in model.graph.node if n.domain == "ai.onnx.ml"})
        raise QuantizationUnsupported(
            f"{quantization.value} needs MatMul/Gemm weights, and this graph is made only of ai.onnx.ml operators "
            f"({', '.join(ops) or 'none'}) that onnxruntime cannot quantize: export it with --quantize none, "
            "or as --format ort for a smaller runtime"
        )
    if quantization is Quantization.FP16:
        return _fp16_weights(model, weights)
    return _int8(onnx_bytes, calibration)


def _weight_names(model: Any) -> set[str]:
    initializers = {i.name for i in model.graph.initializer}
    return {
        name
        for node in model.graph.node
        if node.domain in ("", "ai.onnx") and node.op_type in _WEIGHTED_OPS
        for name in node.input
        if name in initializers
    }


def _fp16_weights(model: Any, weights: set[str]) -> bytes:
    from onnx import TensorProto, helper, numpy_helper

    casts = []
    for initializer in model.graph.initializer:
        if initializer.name not in weights or initializer.data_type != TensorProto.FLOAT:
            continue
        values = numpy_helper.to_array(initializer)
        if values.size < _SMALLEST_WEIGHT:
            continue
        name = initializer.name
        initializer.CopyFrom(numpy_helper.from_array(values.astype(np.float16), f"{name}_fp16"))
        casts.append(helper.make_node("Cast", [f"{name}_fp16"], [name], to=TensorProto.FLOAT))
    nodes = [*casts, *model.graph.node]
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    return bytes(model.SerializeToString())


@contextmanager
def _quiet_quantizer() -> Iterator[None]:
    """onnxruntime's quantizer logs advice (``pre-processing``) on the root logger; a CLI user needs none."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def _int8(onnx_bytes: bytes, calibration: Sequence[dict[str, np.ndarray]]) -> bytes:
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_dynamic,
        quantize_static,
    )

    class _Rows(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self._feeds = iter(calibration)

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self._feeds, None)

    with tempfile.TemporaryDirectory(prefix="modelport-quantize-") as tmp, _quiet_quantizer():
        source, target = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        source.write_bytes(onnx_bytes)
        if calibration:
            quantize_static(
                source,
                target,
                _Rows(),
                quant_format=QuantFormat.QDQ,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
                op_types_to_quantize=list(_WEIGHTED_OPS),
            )
        else:
            quantize_dynamic(source, target, weight_type=QuantType.QInt8, op_types_to_quantize=list(_WEIGHTED_OPS))
        return target.read_bytes()
