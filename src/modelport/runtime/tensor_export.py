"""A version as an ONNX graph for use *outside* modelport: tensor outputs only, checked against the original.

The serving loader keeps ONNX as an internal, cached speed-up. An edge bundle instead ships the graph
to a device that has nothing but onnxruntime, so the graph must stand on its own: every output a plain
tensor (no ZipMap: its sequence-of-maps output cannot be read outside Python), and the first conversion
plan that passes the parity rule on the registration sample is the one exported.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from modelport.errors import InvalidInput, InvalidSource
from modelport.model_format import read_mlmodel
from modelport.runtime.compiler import try_plans
from modelport.runtime.conversion import ConversionPlan
from modelport.runtime.features import Features
from modelport.runtime.native import NativePredictor
from modelport.runtime.parity import ParityReport
from modelport.runtime.result import PredictionResult
from modelport.runtime.schema import InputSchema
from modelport.types import SAMPLE_FILENAME

__all__ = ["TensorExport", "export_tensor_onnx"]


@dataclass(frozen=True, eq=False)
class TensorExport:
    """An ONNX graph of a version, the original model it was checked against, and the check."""

    onnx: bytes
    schema: InputSchema
    original: NativePredictor
    """The framework model itself, for reference outputs and latency comparisons."""
    sample: Features
    """The registration sample's valid rows: what parity was (and golden vectors are) computed on."""
    reference: PredictionResult
    """The original model's output on ``sample``."""
    model_type: str
    plan: ConversionPlan
    parity: ParityReport

    @property
    def classes(self) -> tuple[Any, ...] | None:
        return self.original.classes

    @property
    def predicts_probabilities(self) -> bool:
        return self.original.predicts_probabilities


def export_tensor_onnx(model_dir: Path) -> TensorExport:
    """Convert the MLflow model in ``model_dir`` to ONNX with tensor outputs and check it on its sample.

    Raises :class:`~modelport.errors.InvalidSource` when the model is not a scikit-learn, XGBoost or
    LightGBM estimator, has no sample to check against, or no conversion plan passes parity.
    """
    meta = read_mlmodel(model_dir)
    schema = InputSchema(meta.columns)
    raw = _raw_estimator(model_dir)
    original = NativePredictor(raw)
    sample = _sample(model_dir, schema)
    try:
        reference = original.predict(sample)
    except Exception as exc:  # nothing to compare with: a bundle without a check is not offered
        raise InvalidSource(f"the original model cannot score its own sample: {exc}") from exc
    trial = try_plans(raw, original, schema, sample, reference, session_problem=_non_tensor_outputs)
    if trial.passing is not None:
        passing = trial.passing
        return TensorExport(
            passing.onnx, schema, original, sample, reference, type(raw).__name__, passing.plan, passing.parity
        )
    failures = trial.failures
    reasons = "; ".join(failures) or "no ONNX converter handles this model"
    raise InvalidSource(f"cannot export {type(raw).__name__} to ONNX: {reasons}")


def _non_tensor_outputs(session: Any) -> str | None:
    kinds = [o.type for o in session.get_outputs()]
    if any(not kind.startswith("tensor(") for kind in kinds):
        return f"outputs are not all tensors ({', '.join(kinds)})"
    return None


def _raw_estimator(model_dir: Path) -> Any:
    import mlflow.pyfunc

    try:
        pyfunc = mlflow.pyfunc.load_model(str(model_dir))
    except Exception as exc:
        raise InvalidSource(f"cannot load the model in {model_dir}: {exc}") from exc
    try:
        raw = pyfunc.get_raw_model()
    except Exception:  # most flavors do not implement get_raw_model
        raw = None
    if raw is None or not (hasattr(raw, "predict") and hasattr(raw, "get_params")):
        flavor = read_mlmodel(model_dir).flavor
        raise InvalidSource(
            f"edge export converts scikit-learn, XGBoost and LightGBM models; this version is a {flavor} model"
        )
    return raw


def _sample(model_dir: Path, schema: InputSchema) -> Features:
    path = model_dir / SAMPLE_FILENAME
    if not path.is_file():
        raise InvalidSource("the version has no sample rows: parity cannot be checked, so it cannot be exported")
    try:
        table = pq.ParquetFile(path).read()
        features, _rejected = schema.from_arrow(table.select([n for n in table.column_names if n in schema.names]))
    except (OSError, pa.ArrowException, InvalidInput) as exc:
        raise InvalidSource(f"the version's sample rows cannot be read: {exc}") from exc
    if features.n_rows == 0:
        raise InvalidSource("the version's sample has no valid rows: parity cannot be checked")
    return features
