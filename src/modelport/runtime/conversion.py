"""Convert a fitted estimator to ONNX: skl2onnx for scikit-learn, onnxmltools for XGBoost/LightGBM.

Several *plans* (input layout x float precision) may be tried for one model; the loader keeps the
first whose output passes the parity check, so a plan that converts but drifts is simply skipped.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from modelport.runtime.schema import InputSchema

__all__ = ["ConversionFailed", "ConversionPlan", "convert", "plans_for"]

Layout = Literal["matrix", "columns"]
Precision = Literal["float", "double"]


class ConversionFailed(Exception):
    """The converter could not handle the model; the loader falls back to the native predictor."""


@dataclass(frozen=True, slots=True)
class ConversionPlan:
    """``matrix``: one ``n x k`` tensor (cheapest to feed); ``columns``: one ``n x 1`` input per column."""

    layout: Layout
    precision: Precision


def _booster_family(model: Any) -> str | None:
    """``"xgboost"``/``"lightgbm"`` when the model is one of their scikit-learn wrappers."""
    try:
        import xgboost

        if isinstance(model, xgboost.XGBModel):
            return "xgboost"
    except ImportError:
        pass
    try:
        import lightgbm

        if isinstance(model, lightgbm.LGBMModel):
            return "lightgbm"
    except ImportError:
        pass
    return None


def plans_for(model: Any, schema: InputSchema) -> Iterator[ConversionPlan]:
    """Plans worth trying, fastest first. Boosters convert to float32 matrices only."""
    if _booster_family(model) is not None:
        if schema.all_numeric:
            yield ConversionPlan("matrix", "float")
        return
    for precision in ("float", "double"):
        if schema.all_numeric:
            yield ConversionPlan("matrix", precision)
        yield ConversionPlan("columns", precision)


def _final_estimator(model: Any) -> Any:
    steps = getattr(model, "steps", None)
    return steps[-1][1] if steps else model


def convert(model: Any, schema: InputSchema, plan: ConversionPlan) -> bytes:
    """The serialized ONNX model, or :class:`ConversionFailed`."""
    try:
        family = _booster_family(model)
        if family is not None:
            return _convert_booster(model, family, len(schema.columns))
        return _convert_sklearn(model, schema, plan)
    except ConversionFailed:
        raise
    except Exception as exc:  # converters raise anything from RuntimeError to KeyError
        raise ConversionFailed(f"{type(exc).__name__}: {exc}") from exc


def _convert_booster(model: Any, family: str, n_columns: int) -> bytes:
    import onnxmltools
    from onnxmltools.convert.common.data_types import FloatTensorType

    # onnxmltools has its own FloatTensorType; skl2onnx's is a different class and is rejected.
    initial_types = [("input", FloatTensorType([None, n_columns]))]
    if family == "xgboost":
        # The converter only understands XGBoost's default feature names (f0, f1, ...); a model fitted
        # on a DataFrame carries the column names, so convert a copy whose booster has none.
        model = copy.deepcopy(model)
        model.get_booster().feature_names = None
        proto = onnxmltools.convert_xgboost(model, initial_types=initial_types)
    else:
        proto = onnxmltools.convert_lightgbm(model, initial_types=initial_types, zipmap=False)
    return bytes(proto.SerializeToString())


def _convert_sklearn(model: Any, schema: InputSchema, plan: ConversionPlan) -> bytes:
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import (
        BooleanTensorType,
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )

    real = DoubleTensorType if plan.precision == "double" else FloatTensorType
    if plan.layout == "matrix":
        initial_types: list[tuple[str, Any]] = [("input", real([None, len(schema.columns)]))]
    else:
        by_dtype = {"double": real, "float": real, "long": Int64TensorType, "integer": Int64TensorType}
        by_dtype |= {"boolean": BooleanTensorType, "string": StringTensorType}
        initial_types = [(c.name, by_dtype[c.dtype]([None, 1])) for c in schema.columns]
    final = _final_estimator(model)
    # ZipMap turns probabilities into a list of dicts per row; arrays are what we need.
    # Only classifiers with probabilities have the option (LinearSVC's converter rejects it).
    options = {id(final): {"zipmap": False}} if hasattr(final, "predict_proba") else None
    proto = convert_sklearn(model, initial_types=initial_types, options=options)
    return bytes(proto.SerializeToString())
