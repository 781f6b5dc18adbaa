"""int8 and fp16 exports: checked, smaller, within tolerance; tree-only graphs refused in one line."""

from __future__ import annotations

import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from modelport.edge import Quantization
from modelport.edge.quantize import quantize
from modelport.edge.runner import Runner
from modelport.errors import ParityFailed, QuantizationUnsupported
from tests.unit.edge.conftest import Export


def test_int8_on_an_mlp_keeps_the_labels_and_halves_the_model(export: Export) -> None:
    result = export("mlp", quantization=Quantization.INT8)

    parity = json.loads((result.out / "parity.json").read_text())
    assert parity["passed"] is True
    assert parity["label_agreement"] >= 0.99
    assert parity["sizes_bytes"]["bundle_model"] <= parity["sizes_bytes"]["onnx_fp32"] / 2
    graph = onnx.load(str(result.out / "model.onnx"))
    onnx.checker.check_model(graph)
    assert "MatMulInteger" in {n.op_type for n in graph.graph.node}
    manifest = json.loads((result.out / "manifest.json").read_text())
    assert (manifest["quantization"], manifest["quantization_method"]) == ("int8", "int8: MatMul/Gemm weights, dynamic")
    assert Runner(result.out).self_test().passed


def test_static_int8_is_calibrated_on_the_sample(export: Export) -> None:
    result = export("mlp", quantization=Quantization.INT8, calibrate=True)

    graph = onnx.load(str(result.out / "model.onnx"))
    assert "QuantizeLinear" in {n.op_type for n in graph.graph.node}
    assert (
        "calibrated on 400 sample rows" in json.loads((result.out / "manifest.json").read_text())["quantization_method"]
    )
    assert json.loads((result.out / "parity.json").read_text())["label_agreement"] >= 0.99


def test_fp16_keeps_float_inputs_and_outputs_and_stays_finite_on_large_features(export: Export) -> None:
    result = export("mlp", quantization=Quantization.FP16)

    session = ort.InferenceSession(str(result.out / "model.onnx"), providers=["CPUExecutionProvider"])
    assert [i.type for i in session.get_inputs()] == ["tensor(float)"]
    assert session.get_outputs()[1].type == "tensor(float)"
    huge = np.full((1, 20), 1e6, dtype=np.float32)  # far beyond fp16's 65504: a whole-graph cast gives NaN here
    assert np.isfinite(session.run(None, {"input": huge})[1]).all()
    parity = json.loads((result.out / "parity.json").read_text())
    assert parity["outputs"]["probabilities"]["max_abs_diff"] <= 1e-2
    assert parity["sizes_bytes"]["bundle_model"] < parity["sizes_bytes"]["onnx_fp32"]


@pytest.mark.parametrize("quantization", [Quantization.INT8, Quantization.FP16])
@pytest.mark.parametrize("model", ["boosting", "logistic"])
def test_graphs_of_ml_operators_only_are_refused_in_one_line(
    export: Export, model: str, quantization: Quantization
) -> None:
    with pytest.raises(QuantizationUnsupported) as caught:
        export(model, quantization=quantization)

    message = caught.value.message
    assert "\n" not in message
    assert "ai.onnx.ml" in message
    assert "--quantize none" in message


def test_an_export_missing_its_tolerances_is_refused_unless_forced(export: Export, tmp_path: object) -> None:
    # Static int8 on raw, unscaled credit features (incomes of 1e5 beside ratios of 0.1) crushes the
    # small inputs to zero: the labels move, which no tolerance allows.
    with pytest.raises(ParityFailed, match="label agreement"):
        export("mlp_raw", quantization=Quantization.INT8, calibrate=True)

    result = export("mlp_raw", quantization=Quantization.INT8, calibrate=True, force=True)
    parity = json.loads((result.out / "parity.json").read_text())
    assert parity["passed"] is False
    assert parity["failures"]
    assert "**FAILED**" in (result.out / "parity.md").read_text()


def test_quantize_none_returns_the_graph_unchanged() -> None:
    assert quantize(b"not even parsed", Quantization.NONE) == b"not even parsed"
