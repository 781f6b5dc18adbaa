"""The manifest's derived fields: the oldest onnxruntime a graph needs, tolerances per quantization."""

from __future__ import annotations

import pytest

from modelport.edge import Quantization, Tolerances
from modelport.edge.manifest import min_onnxruntime


@pytest.mark.parametrize(
    ("opsets", "ir_version", "expected"),
    [
        ({"ai.onnx": 13, "ai.onnx.ml": 1}, 7, "1.10"),
        ({"ai.onnx": 17, "ai.onnx.ml": 1}, 8, "1.12"),
        ({"ai.onnx": 15, "ai.onnx.ml": 3}, 8, "1.12"),
        ({"ai.onnx": 21, "ai.onnx.ml": 1}, 10, "1.18"),
        ({"ai.onnx": 19, "ai.onnx.ml": 1}, 10, "1.18"),  # the IR version decides here
        ({"ai.onnx": 20, "ai.onnx.ml": 4}, 9, "1.17"),
        ({"ai.onnx": 22, "ai.onnx.ml": 1}, 10, "1.32.0"),  # beyond the table: the release that ran the check
        ({"ai.onnx.ml": 1}, 11, "1.32.0"),
    ],
)
def test_min_onnxruntime_takes_the_newest_requirement(opsets: dict[str, int], ir_version: int, expected: str) -> None:
    assert min_onnxruntime(opsets, ir_version, running="1.32.0") == expected


def test_full_precision_keeps_the_serving_parity_rule_and_quantization_relaxes_it() -> None:
    exact = Tolerances.for_quantization(Quantization.NONE)
    int8 = Tolerances.for_quantization(Quantization.INT8)
    fp16 = Tolerances.for_quantization(Quantization.FP16)

    assert (exact.min_label_agreement, exact.max_abs_diff) == (1.0, 1e-4)
    assert int8.min_label_agreement == fp16.min_label_agreement == 0.99
    assert int8.max_abs_diff is None
    assert int8.to_dict()["max_mean_abs_diff"] == 0.02
