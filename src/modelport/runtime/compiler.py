"""Compiling one estimator: try each ONNX conversion plan, keep the first that passes parity."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from modelport.errors import InvalidSource
from modelport.runtime.compiled import Compiled
from modelport.runtime.conversion import ConversionFailed, ConversionPlan, convert, plans_for
from modelport.runtime.features import Features
from modelport.runtime.native import NativePredictor
from modelport.runtime.ort import OnnxPredictor, new_session
from modelport.runtime.parity import ParityReport, check_parity
from modelport.runtime.result import PredictionResult
from modelport.runtime.schema import InputSchema

__all__ = ["PassingPlan", "PlanTrial", "compile_estimator", "try_plans"]


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
    trial = try_plans(raw, native, schema, sample, reference, threads=threads)
    if trial.passing is not None:
        return trial.passing.onnx, trial.passing.predictor, trial.passing.parity
    reason = "; ".join(trial.failures) or "no ONNX converter for this model"
    last = trial.last
    if last is None:
        return None, None, ParityReport(sample.n_rows, False, reason=reason, candidate="onnx")
    return None, None, ParityReport(last.rows, False, last.max_abs_diff, last.label_agreement, reason, candidate="onnx")


@dataclass(frozen=True)
class PassingPlan:
    """A conversion that passed parity: its plan, the ONNX bytes, a ready predictor, the figures."""

    plan: ConversionPlan
    onnx: bytes
    predictor: OnnxPredictor
    parity: ParityReport


@dataclass(frozen=True)
class PlanTrial:
    """The first plan that passed (or None), why each earlier one failed, and the last parity report."""

    passing: PassingPlan | None
    failures: list[str]
    last: ParityReport | None


def try_plans(
    raw: Any,
    native: NativePredictor,
    schema: InputSchema,
    sample: Features,
    reference: PredictionResult,
    *,
    threads: int = 1,
    session_problem: Callable[[Any], str | None] | None = None,
) -> PlanTrial:
    """Convert ``raw`` with each plan in turn and keep the first whose predictions on ``sample`` match
    ``reference``. ``session_problem`` may refuse a converted graph before it is run (edge bundles need
    tensor outputs only); serving compiles and edge exports share this loop."""
    failures: list[str] = []
    last: ParityReport | None = None
    for plan in plans_for(raw, schema):
        label = f"{plan.layout}/{plan.precision}"
        try:
            onnx_bytes = convert(raw, schema, plan)
            session = new_session(onnx_bytes, threads)
            problem = session_problem(session) if session_problem is not None else None
            if problem is not None:
                failures.append(f"{label}: {problem}")
                continue
            predictor = OnnxPredictor(
                session, schema.names, classes=native.classes, probabilities=native.predicts_probabilities
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
            return PlanTrial(PassingPlan(plan, onnx_bytes, predictor, last), failures, last)
        failures.append(f"{label}: {last.reason}")
    return PlanTrial(None, failures, last)
