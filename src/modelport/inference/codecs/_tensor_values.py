"""JSON tensor data checked against its declared V2 datatype before numpy sees it.

numpy converts too willingly: ``"35"`` and ``true`` become numbers, ``1.5`` becomes the integer 1,
``1000`` overflows an ``INT8`` with an exception. Every value must be of the declared type and in
its range, or the request is a 422 naming the tensor and the row of the first bad value. ``null``
in a float tensor is NaN (JSON has no NaN): whether a missing value or an infinity is acceptable
is the model's schema's call (``runtime``), which names the model's column — for every protocol.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from modelport.errors import InvalidInput

__all__ = ["flatten", "json_values"]

_ALLOWED: dict[str, tuple[type, ...]] = {
    "b": (bool,),
    "i": (int,),
    "u": (int,),
    "f": (int, float, type(None)),
    "O": (str,),
}


def flatten(data: Any) -> list[Any]:
    """Nested JSON lists → one flat list (row-major), as V2 allows either layout."""
    if not isinstance(data, list):
        return [data]
    if not any(isinstance(v, list) for v in data):
        return data
    out: list[Any] = []
    for item in data:
        out.extend(flatten(item))
    return out


def json_values(
    flat: list[Any], dtype: np.dtype[Any], datatype: str, bad: Callable[[int, str], InvalidInput]
) -> np.ndarray[Any, Any]:
    """``flat`` as an array of ``dtype``, or ``bad(index, problem)`` for the first value that does not fit."""
    allowed = _ALLOWED[dtype.kind]
    kinds = set(map(type, flat))
    if not kinds.issubset(allowed) or (bool in kinds and bool not in allowed):
        index = next(i for i, v in enumerate(flat) if type(v) not in allowed)
        raise bad(index, f"{_shown(flat[index])} is not a {datatype} value")
    if dtype.kind == "O":
        return np.array(flat, dtype=object)
    if dtype.kind in "iu" and flat:
        info = np.iinfo(dtype)
        if min(flat) < info.min or max(flat) > info.max:
            index = next(i for i, v in enumerate(flat) if not info.min <= v <= info.max)
            raise bad(index, f"{flat[index]} is outside the {datatype} range [{info.min}, {info.max}]")
    with np.errstate(over="ignore"):  # a float overflow becomes inf, which the schema refuses
        return np.array(flat, dtype=dtype)


def _shown(value: Any) -> str:
    text = repr(value) if not isinstance(value, float) or math.isfinite(value) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."
