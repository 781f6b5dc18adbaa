"""export_bundle on real models: the files, the manifest, tensor outputs, golden vectors, refusals."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import mlflow.sklearn
import numpy as np
import onnx
import pandas as pd
import pytest

from modelport.edge import ExportRequest, ModelFormat, Quantization, export_bundle
from modelport.edge.runner import Runner
from modelport.errors import AlreadyExists, InvalidRequest, InvalidSource
from tests.unit.edge.conftest import Export

BUNDLE_FILES = {"manifest.json", "model.onnx", "golden.json", "parity.json", "parity.md", "predict.py"}


@pytest.mark.parametrize("model", ["logistic", "boosting", "mlp", "xgboost", "lightgbm", "regressor", "mixed"])
def test_a_bundle_holds_its_files_with_their_hashes_and_reproduces_its_golden_vectors(
    export: Export, model: str
) -> None:
    result = export(model)

    assert {p.name for p in result.out.iterdir()} == BUNDLE_FILES
    manifest = json.loads((result.out / "manifest.json").read_text())
    assert set(manifest["files"]) == BUNDLE_FILES - {"manifest.json"}
    for name, entry in manifest["files"].items():
        assert hashlib.sha256((result.out / name).read_bytes()).hexdigest() == entry["sha256"]
    assert manifest["model"] == {"name": model, "version": 1, "alias": "production", "source": ""}
    assert manifest["quantization"] == "none"
    check = Runner(result.out).self_test()
    assert check.passed, check.failures
    assert check.rows == json.loads((result.out / "parity.json").read_text())["rows"] > 0


@pytest.mark.parametrize("model", ["logistic", "xgboost", "lightgbm"])
def test_classifier_outputs_are_plain_tensors_named_in_the_manifest(
    pristine: Callable[[str], Path], model: str
) -> None:
    out = pristine(model)

    graph = onnx.load(str(out / "model.onnx")).graph
    assert all(o.type.HasField("tensor_type") for o in graph.output)  # no ZipMap sequence of maps
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["outputs"] == [
        {"name": o.name, "role": r} for o, r in zip(graph.output, ["prediction", "probabilities"], strict=True)
    ]
    assert manifest["classes"] == [0, 1]
    assert manifest["task"] == "classification"
    assert [c["name"] for c in manifest["inputs"]][:2] == ["age", "income"]
    assert manifest["opset"]["ai.onnx.ml"] >= 1
    assert manifest["min_onnxruntime"]


def test_the_parity_report_has_differences_latency_and_sizes(export: Export) -> None:
    result = export("boosting")

    parity = json.loads((result.out / "parity.json").read_text())
    assert parity["passed"] is True
    assert parity["label_agreement"] == 1.0
    assert parity["outputs"]["probabilities"]["max_abs_diff"] <= 1e-4
    for who in ("original", "bundle"):
        for batch in ("batch_1", "batch_256"):
            figures = parity["latency_ms"][who][batch]
            assert 0 < figures["p50_ms"] <= figures["p99_ms"]
    assert parity["sizes_bytes"]["bundle_model"] == (result.out / "model.onnx").stat().st_size
    assert "**passed**" in (result.out / "parity.md").read_text()


def test_golden_vectors_hold_the_original_models_outputs(
    pristine: Callable[[str], Path], models: dict[str, Path]
) -> None:
    golden = json.loads((pristine("mixed") / "golden.json").read_text())
    original = mlflow.sklearn.load_model(str(models["mixed"]))

    frame = pd.DataFrame(golden["rows"], columns=golden["columns"])
    assert golden["expected"]["predictions"] == original.predict(frame).tolist()
    np.testing.assert_allclose(golden["expected"]["probabilities"], original.predict_proba(frame), atol=1e-12)


def test_ort_format_is_written_and_loads(export: Export) -> None:
    result = export("mlp", model_format=ModelFormat.ORT)

    assert (result.out / "model.ort").is_file()
    assert not (result.out / "model.onnx").exists()
    assert Runner(result.out).self_test().passed


def test_a_non_empty_folder_is_not_overwritten_without_asking(export: Export, tmp_path: Path) -> None:
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("mine")

    with pytest.raises(AlreadyExists):
        export("logistic", out=out)
    assert (out / "keep.txt").read_text() == "mine"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".taken-")]  # no scratch left behind

    export("logistic", out=out, overwrite=True)
    assert not (out / "keep.txt").exists()


def test_calibrate_without_int8_is_refused(export: Export) -> None:
    with pytest.raises(InvalidRequest, match="--calibrate"):
        export("mlp", quantization=Quantization.FP16, calibrate=True)


def test_a_model_without_sample_rows_is_not_exported(models: dict[str, Path], tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    shutil.copytree(models["logistic"], bare)
    (bare / "modelport_sample.parquet").unlink()

    with pytest.raises(InvalidSource, match="no sample rows"):
        export_bundle(ExportRequest(bare, tmp_path / "out", "bare", 1))
    assert not (tmp_path / "out").exists()
