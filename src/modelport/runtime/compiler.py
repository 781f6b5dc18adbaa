"""Compiling one estimator: try each ONNX conversion plan, keep the first that passes parity."""

from __future__ import annotations

from typing import Any

from modelport.errors import InvalidSource
from modelport.runtime.compiled import Compiled
from modelport.runtime.conversion import ConversionFailed, convert, plans_for
from modelport.runtime.features import Features
from modelport.runtime.native import NativePredictor
from modelport.runtime.ort import OnnxPredictor, new_session
from modelport.runtime.parity import ParityReport, check_parity
from modelport.runtime.schema import InputSchema

__all__ = ["compile_estimator"]


def compile_estimator(
    raw: Any, native: NativePredictor, schema: InputSchema, sample: Features, threads: int
) -> tuple[Compiled, OnnxPredictor | None]:
    """The compiled form of ``raw`` (ONNX bytes only when a plan passed parity on ``sample``) and, when
    one did, its ready predictor."""
    model_type = type(raw).__name__
    onnx, predictor, report = _first_passing_plan(raw, native, schema, sample, threads)
    compiled = Compiled(model_type, native.predicts_probabilities, native.classes, report, onnx)
    return compiled, predictor


def _first_passing_plan(
    raw: Any, native: NativePredictor, schema: InputSchema, sample: Features, threads: int
) -> tuple[bytes | None, OnnxPredictor | None, ParityReport]:
    try:
        reference = native.predict(sample)
    except Exception as exc:  # the original model cannot score its own sample: nothing to compare with
        return None, None, ParityReport(sample.n_rows, False, reason=f"original model failed on the sample: {exc}")
    failures: list[str] = []
    last: ParityReport | None = None
    for plan in plans_for(raw, schema):
        label = f"{plan.layout}/{plan.precision}"
        try:
            onnx_bytes = convert(raw, schema, plan)
            predictor = OnnxPredictor(
                new_session(onnx_bytes, threads),
                schema.names,
                classes=native.classes,
                probabilities=native.predicts_probabilities,
            )
            candidate = predictor.predict(sample)
        except (ConversionFailed, InvalidSource) as exc:
            failures.append(f"{label}: conversion failed ({exc})")
            continue
        except Exception as exc:  # onnxruntime rejects some converted graphs at load or run time
            failures.append(f"{label}: onnxruntime failed ({type(exc).__name__}: {exc})")
            continue
        last = check_parity(reference, candidate, classifier=native.classes is not None)
        if last.passed:
            return onnx_bytes, predictor, last
        failures.append(f"{label}: {last.reason}")
    reason = "; ".join(failures) or "no ONNX converter for this model"
    if last is None:
        return None, None, ParityReport(sample.n_rows, False, reason=reason, candidate="onnx")
    return None, None, ParityReport(last.rows, False, last.max_abs_diff, last.label_agreement, reason, candidate="onnx")
