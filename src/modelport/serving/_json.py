"""orjson encoding of prediction outputs (numpy arrays without a Python-list detour where possible)."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
from starlette.responses import Response

__all__ = ["dumps", "json_response", "jsonable"]

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


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


def json_response(document: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response from already-computed data, encoded once by orjson (no FastAPI re-validation)."""
    return Response(dumps(document), status_code=status, media_type="application/json", headers=headers)
