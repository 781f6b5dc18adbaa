"""Turn one column of user values into a typed numpy array, noting each bad row.

Strict on purpose: a numeric string is not a number, ``True`` is not ``1``, ``1.5`` is not a long,
and a number is finite in its column's type (``inf``, or ``1e39`` in a float32 column, is refused).
Silent coercion is how a model ends up scoring garbage without anyone noticing. Every protocol
(JSON, CSV, V2 tensors, batch files) reaches the model through here.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from typing import Any, Final

import numpy as np

from modelport.model_format import NUMPY_DTYPES

#: Marks a value absent from a record (distinct from an explicit null).
MISSING: Final = object()

_FLOATS: Final = frozenset({"double", "float"})
_INTS: Final = frozenset({"long", "integer"})
_INT_BOUNDS: Final = {"long": (-(2**63), 2**63 - 1), "integer": (-(2**31), 2**31 - 1)}
_FLOAT32_MAX: Final = float(np.finfo(np.float32).max)

Problems = list[tuple[int, str]]


def is_null(value: Any) -> bool:
    if value is None:
        return True
    pd = sys.modules.get("pandas")  # pd.NA / pd.NaT exist only once pandas is loaded
    if pd is not None and (value is pd.NA or value is pd.NaT):
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


def _kind_name(value: Any) -> str:
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool | np.bool_):
        return "boolean"
    if isinstance(value, int | np.integer | float | np.floating):
        return "number"
    return type(value).__name__


def coerce_column(dtype: str, required: bool, values: Sequence[Any] | np.ndarray) -> tuple[np.ndarray, Problems]:
    """Return ``(array, problems)``; rows named in ``problems`` hold a placeholder in ``array``."""
    if isinstance(values, np.ndarray) and values.dtype.kind != "O":
        fast = _coerce_typed_array(dtype, required, values)
        if fast is not None:
            return fast
        values = values.astype(object)
    items = values.tolist() if isinstance(values, np.ndarray) else list(values)
    fast_list = _coerce_plain_list(dtype, required, items)
    if fast_list is not None:
        return fast_list
    return _coerce_slowly(dtype, required, items)


def _null_rows(required: bool, mask: np.ndarray) -> Problems:
    if not required or not mask.any():
        return []
    return [(int(i), "null not allowed") for i in np.flatnonzero(mask)]


def _float_problems(required: bool, out: np.ndarray) -> Problems:
    """NaN is a null (refused when required); an infinity is never a value."""
    finite = np.isfinite(out)
    if finite.all():
        return []
    problems = _null_rows(required, np.isnan(out))
    problems += [(int(i), "not a finite number") for i in np.flatnonzero(np.isinf(out))]
    return sorted(problems)


def _to_float(values: Any, target: np.dtype[Any]) -> np.ndarray:
    with np.errstate(over="ignore"):  # a float32 overflow becomes inf, refused by _float_problems
        return np.asarray(values, dtype=target)


def _coerce_typed_array(dtype: str, required: bool, arr: np.ndarray) -> tuple[np.ndarray, Problems] | None:
    """Whole-array checks for arrays that already carry a numeric/bool/str dtype; None = go slow."""
    kind = arr.dtype.kind
    target = NUMPY_DTYPES[dtype]
    if dtype in _FLOATS and kind in "iuf":
        out = _to_float(arr, target)
        return out, _float_problems(required, out) if kind == "f" else []
    if dtype in _INTS and kind in "iu":
        low, high = _INT_BOUNDS[dtype]
        if arr.size and (int(arr.min()) < low or int(arr.max()) > high):
            return None
        return arr.astype(target, copy=False), []
    if dtype in _INTS and kind == "f":
        nan = np.isnan(arr)
        if nan.any() or not np.all(arr == np.round(arr)):
            return None
        return arr.astype(target), []
    if dtype == "boolean" and kind == "b":
        return arr, []
    if dtype == "string" and kind == "U":
        return arr.astype(object), []
    return None


def _coerce_plain_list(dtype: str, required: bool, items: list[Any]) -> tuple[np.ndarray, Problems] | None:
    """The common case of clean JSON values, checked with cheap exact-type tests."""
    if dtype in _FLOATS and all(type(v) is float or type(v) is int for v in items):
        out = _to_float(items, NUMPY_DTYPES[dtype])
        return out, _float_problems(required, out)
    if dtype in _INTS and all(type(v) is int for v in items):
        low, high = _INT_BOUNDS[dtype]
        if items and (min(items) < low or max(items) > high):
            return None
        return np.array(items, dtype=NUMPY_DTYPES[dtype]), []
    if dtype == "boolean" and all(type(v) is bool for v in items):
        return np.array(items, dtype=np.bool_), []
    if dtype == "string" and all(type(v) is str for v in items):
        out = np.empty(len(items), dtype=object)
        out[:] = items
        return out, []
    return None


def _coerce_slowly(dtype: str, required: bool, items: list[Any]) -> tuple[np.ndarray, Problems]:
    """Value by value, naming the problem of each bad row; nulls become NaN/None when allowed."""
    problems: Problems = []
    converted: list[Any] = []
    has_null = False
    for row, value in enumerate(items):
        if value is MISSING or is_null(value):
            if required:
                problems.append((row, "missing required column" if value is MISSING else "null not allowed"))
            else:
                has_null = True
            converted.append(None)
            continue
        ok, clean, problem = _check_value(dtype, value)
        if not ok:
            problems.append((row, problem))
        converted.append(clean)
    return _to_array(dtype, converted, has_null), problems


def _check_value(dtype: str, value: Any) -> tuple[bool, Any, str]:
    is_bool = isinstance(value, bool | np.bool_)
    if dtype == "string":
        if isinstance(value, str):
            return True, value, ""
        return False, None, f"expected a string, got {_kind_name(value)}"
    if dtype == "boolean":
        if is_bool:
            return True, bool(value), ""
        return False, None, f"expected a boolean, got {_kind_name(value)}"
    if is_bool or not isinstance(value, int | np.integer | float | np.floating):
        expected = "an integer" if dtype in _INTS else "a number"
        return False, None, f"expected {expected}, got {_kind_name(value)}"
    if dtype in _FLOATS:
        number = float(value)
        if not math.isfinite(number) or (dtype == "float" and abs(number) > _FLOAT32_MAX):
            return False, None, "not a finite number"
        return True, number, ""
    if isinstance(value, float | np.floating):
        if not math.isfinite(value) or value != math.floor(value):
            return False, None, f"expected an integer, got {value!r}"
        value = int(value)
    low, high = _INT_BOUNDS[dtype]
    if not low <= int(value) <= high:
        return False, None, f"integer {int(value)} out of range for {dtype}"
    return True, int(value), ""


def _to_array(dtype: str, converted: list[Any], has_null: bool) -> np.ndarray:
    """Bad rows are None here; they are dropped or the request is refused, so any placeholder works."""
    if dtype == "string" or (dtype == "boolean" and has_null):
        out = np.empty(len(converted), dtype=object)
        out[:] = converted
        return out
    if dtype in _FLOATS or has_null:
        # An optional integer column with nulls becomes float64 with NaN, as pandas does.
        target = NUMPY_DTYPES[dtype] if dtype in _FLOATS else np.dtype(np.float64)
        return np.array([np.nan if v is None else v for v in converted], dtype=target)
    fill: Any = False if dtype == "boolean" else 0
    return np.array([fill if v is None else v for v in converted], dtype=NUMPY_DTYPES[dtype])
