"""``export_bundle``: a registered version in, a self-contained, checked edge bundle folder out.

    model.onnx | model.ort   the graph, tensor outputs only (optionally int8/fp16 weights)
    golden.json              sample rows and the ORIGINAL model's outputs on them
    parity.json, parity.md   the bundle against the original: differences, latency, sizes, verdict
    predict.py               the runner (onnxruntime + numpy + standard library)
    manifest.json            provenance, inputs, outputs, classes, opsets, tolerances, sha256 of each file
    manifest.sig             Ed25519 signature of manifest.json (only with a signing key)

The bundle is assembled in a scratch folder beside ``out`` and renamed into place once complete and
self-tested, so a half-written bundle is never found at ``out``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from modelport import __version__
from modelport.edge.browser import add_browser_example, web_package
from modelport.edge.manifest import Manifest, ModelFormat, Quantization, Tolerances, min_onnxruntime
from modelport.edge.parity import ParityFigures, measure_latency
from modelport.edge.quantize import quantize
from modelport.edge.runner import GOLDEN, MANIFEST, Runner, file_digests
from modelport.edge.signing import SIGNATURE_FILE, sign_manifest
from modelport.errors import AlreadyExists, InvalidRequest, ParityFailed
from modelport.runtime.ort import OnnxPredictor, new_session
from modelport.runtime.tensor_export import TensorExport, export_tensor_onnx
from modelport.types import SAMPLE_FILENAME

__all__ = ["ExportRequest", "ExportResult", "export_bundle"]

GOLDEN_ROWS = 500
"""Sample rows kept as golden vectors: enough to catch a drifting graph, small enough to ship."""
_CALIBRATION_BATCH = 64


@dataclass(frozen=True)
class ExportRequest:
    """What to export and how; ``name``/``version``/``alias``/``source`` are provenance for the manifest."""

    model_dir: Path
    out: Path
    name: str
    version: int
    alias: str | None = None
    source: str = ""
    quantization: Quantization = Quantization.NONE
    model_format: ModelFormat = ModelFormat.ONNX
    calibrate: bool = False
    """int8 only: static quantization with activation ranges from the sample instead of dynamic."""
    force: bool = False
    """Write the bundle even when it misses its tolerances (the parity report says so)."""
    sign_key: Path | None = None
    overwrite: bool = False
    web: Path | None = None
    """An onnxruntime-web package folder: vendor it with a page that reruns the golden vectors in a browser."""


@dataclass(frozen=True)
class ExportResult:
    out: Path
    manifest: Manifest
    parity: ParityFigures
    model_sha256: str


def export_bundle(request: ExportRequest) -> ExportResult:
    """Convert, optionally quantize, check, and write the bundle; :class:`ParityFailed` when it misses."""
    out = request.out
    if request.calibrate and request.quantization is not Quantization.INT8:
        raise InvalidRequest("--calibrate applies to --quantize int8 only")
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not request.overwrite:
        raise AlreadyExists(f"{out} exists and is not empty (--overwrite to replace it)")
    # A wrong --web or --sign is said before minutes of conversion, not after.
    if request.web is not None:
        web_package(request.web)
    if request.sign_key is not None:
        sign_manifest(b"", request.sign_key)
    exported = export_tensor_onnx(request.model_dir)
    calibration = _calibration(exported) if request.calibrate else []
    graph = quantize(exported.onnx, request.quantization, calibration)
    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        scratch.chmod(0o755)  # mkdtemp makes it private; the bundle is meant to be copied and read
        result = _assemble(request, exported, graph, scratch)
        if out.exists():
            shutil.rmtree(out)
        scratch.rename(out)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return ExportResult(out, result.manifest, result.parity, result.model_sha256)


def _assemble(request: ExportRequest, exported: TensorExport, graph: bytes, root: Path) -> ExportResult:
    import onnx

    proto = onnx.load_from_string(graph)
    try:
        onnx.checker.check_model(proto)
    except onnx.checker.ValidationError as exc:
        raise ParityFailed(f"the {request.quantization.value} graph is not valid ONNX: {exc}") from exc
    model_file = f"model.{request.model_format.value}"
    _write_model(graph, request.model_format, root / model_file)
    try:
        bundle = OnnxPredictor(
            new_session(str(root / model_file)),
            exported.schema.names,
            classes=exported.classes,
            probabilities=exported.predicts_probabilities,
        )
        candidate = bundle.predict(exported.sample)
    except Exception as exc:  # a graph onnxruntime refuses is a refused export, whatever the reason
        raise ParityFailed(f"onnxruntime cannot run the exported graph: {type(exc).__name__}: {exc}") from exc
    tolerances = Tolerances.for_quantization(request.quantization)
    parity = ParityFigures.measure(
        exported.reference,
        candidate,
        tolerances=tolerances,
        classifier=exported.classes is not None,
        latency={
            "original": measure_latency(exported.original.predict, exported.sample),
            "bundle": measure_latency(bundle.predict, exported.sample),
        },
        sizes={
            "original": sum(p.stat().st_size for p in request.model_dir.rglob("*") if _is_model_file(p)),
            "onnx_fp32": len(exported.onnx),
            "bundle_model": (root / model_file).stat().st_size,
        },
        quantization=_method(request, exported.sample.n_rows),
    )
    if not parity.passed and not request.force:
        raise ParityFailed(
            f"the {request.quantization.value} export misses its tolerances ({'; '.join(parity.comparison.failures)})"
            f": {parity.summary()}; --force writes it anyway"
        )
    title = f"{request.name}/{request.version} ({request.quantization.value}, {request.model_format.value})"
    _write_json(root / "parity.json", parity.to_dict())
    (root / "parity.md").write_text(parity.to_markdown(title), encoding="utf-8")
    _write_json(root / GOLDEN, _golden(exported))
    (root / "predict.py").write_text(resources.files("modelport.edge").joinpath("runner.py").read_text("utf-8"))
    web_files, web_runtime = add_browser_example(root, request.web) if request.web is not None else ([], None)
    manifest = replace(
        _manifest(request, exported, proto, model_file, tolerances, root, web_files), onnxruntime_web=web_runtime
    )
    manifest_bytes = _write_json(root / MANIFEST, manifest.to_dict())
    if request.sign_key is not None:
        (root / SIGNATURE_FILE).write_text(sign_manifest(manifest_bytes, request.sign_key) + "\n")
    check = Runner(root, threads=1).self_test()
    if not check.passed and not request.force:  # the runner disagrees with the export: never ship that
        raise ParityFailed(f"the bundle fails its own self-test: {'; '.join(check.failures)}")
    return ExportResult(root, manifest, parity, manifest.files[model_file])


def _manifest(
    request: ExportRequest,
    exported: TensorExport,
    proto: Any,
    model_file: str,
    tolerances: Tolerances,
    root: Path,
    extra_files: list[str],
) -> Manifest:
    import onnxruntime

    opsets = {entry.domain or "ai.onnx": int(entry.version) for entry in proto.opset_import}
    running = onnxruntime.__version__
    minimum = running if request.model_format is ModelFormat.ORT else min_onnxruntime(opsets, proto.ir_version, running)
    roles = ["prediction", "probabilities"] if exported.predicts_probabilities else ["prediction"]
    outputs = tuple(zip((o.name for o in proto.graph.output), roles, strict=False))
    graph_inputs = tuple((i.name, _onnx_type(i), len(i.type.tensor_type.shape.dim)) for i in proto.graph.input)
    files = [model_file, GOLDEN, "parity.json", "parity.md", "predict.py", *extra_files]
    return Manifest(
        name=request.name,
        version=request.version,
        alias=request.alias,
        source=request.source,
        model_file=model_file,
        model_format=request.model_format,
        inputs=exported.schema.columns,
        graph_inputs=graph_inputs,
        outputs=outputs,
        classes=exported.classes,
        model_type=exported.model_type,
        opsets=opsets,
        ir_version=int(proto.ir_version),
        min_onnxruntime=minimum,
        quantization=request.quantization,
        quantization_method=None
        if request.quantization is Quantization.NONE
        else _method(request, exported.sample.n_rows),
        tolerances=tolerances,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        modelport_version=__version__,
        files=file_digests(root, files),
    )


def _method(request: ExportRequest, sample_rows: int) -> str:
    if request.quantization is Quantization.FP16:
        return "fp16: weights stored in half precision, float32 inputs, outputs and arithmetic"
    if request.quantization is Quantization.INT8:
        how = f"static (QDQ), calibrated on {sample_rows} sample rows" if request.calibrate else "dynamic"
        return f"int8: MatMul/Gemm weights, {how}"
    return "none"


def _onnx_type(value: Any) -> str:
    """``tensor(float)``, ``tensor(int64)``, …: the type names onnxruntime reports for inputs."""
    from onnx import helper

    name = helper.tensor_dtype_to_np_dtype(value.type.tensor_type.elem_type).name
    return {"float32": "tensor(float)", "float64": "tensor(double)", "object": "tensor(string)"}.get(
        name, f"tensor({name})"
    )


def _write_model(graph: bytes, model_format: ModelFormat, path: Path) -> None:
    if model_format is ModelFormat.ONNX:
        path.write_bytes(graph)
        return
    import onnxruntime as ort

    # ONNX Runtime writes its own format while it builds a session; basic optimizations only, so the
    # file carries no fusions specific to this machine's CPU.
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.optimized_model_filepath = str(path)
    options.add_session_config_entry("session.save_model_format", "ORT")
    ort.InferenceSession(graph, sess_options=options, providers=["CPUExecutionProvider"])


def _is_model_file(path: Path) -> bool:
    return path.is_file() and path.name != SAMPLE_FILENAME


def _calibration(exported: TensorExport) -> list[dict[str, np.ndarray]]:
    """Feeds of sample rows for static int8 quantization, in the graph's input layout."""
    sample, plan = exported.sample, exported.plan
    real = np.float32 if plan.precision == "float" else np.float64
    feeds = []
    for start in range(0, sample.n_rows, _CALIBRATION_BATCH):
        rows = sample.slice(start, start + _CALIBRATION_BATCH)
        if plan.layout == "matrix":
            feeds.append({"input": rows.matrix_as(real)})
        else:
            feeds.append({name: _column(values, real) for name, values in rows.columns.items()})
    return feeds


def _column(values: np.ndarray, real: type[np.floating[Any]]) -> np.ndarray:
    array = values.astype(real) if values.dtype.kind == "f" else values
    return array.reshape(-1, 1)


def _golden(exported: TensorExport) -> dict[str, Any]:
    rows = exported.sample.slice(0, GOLDEN_ROWS)
    reference = exported.reference.slice(0, rows.n_rows)
    columns = rows.columns
    values = [[_plain(columns[name][i]) for name in columns] for i in range(rows.n_rows)]
    return {
        "columns": list(columns),
        "rows": values,
        "expected": {
            "predictions": [_plain(v) for v in reference.predictions],
            "probabilities": None if reference.probabilities is None else reference.probabilities.tolist(),
        },
    }


def _plain(value: Any) -> Any:
    """A JSON value for one cell: NaN (a missing optional value) becomes null."""
    item = value.item() if isinstance(value, np.generic) else value
    return None if isinstance(item, float) and item != item else item


def _write_json(path: Path, document: dict[str, Any]) -> bytes:
    data = (json.dumps(document, indent=2, sort_keys=False) + "\n").encode("utf-8")
    path.write_bytes(data)
    return data
