"""JSON in and out with orjson: request bodies parsed once, numpy outputs written without a list detour."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson

from modelport.errors import InvalidRequest

__all__ = ["dumps", "jsonable", "loads"]

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def loads(body: bytes | str) -> Any:
    """Decode a JSON document; empty or malformed input is an ``InvalidRequest`` (400)."""
    if not body:
        raise InvalidRequest("the request body is empty; send a JSON document")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"malformed JSON: {exc}") from None


def jsonable(values: np.ndarray[Any, Any] | None) -> Any:
    """An array orjson can write natively, or a list for what it cannot (object/string labels)."""
    if values is None:
        return None
    if values.dtype.kind in "biuf" and values.dtype.itemsize in (1, 2, 4, 8) and values.dtype != np.float16:
        return np.ascontiguousarray(values)
    return values.tolist()


def dumps(document: Any) -> bytes:
    """Encode a response document; NaN becomes null, numpy scalars and arrays are handled natively."""
    return orjson.dumps(document, option=_OPTIONS, default=_fallback)


def _fallback(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")
