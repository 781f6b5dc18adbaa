"""The one table from modelport errors to HTTP statuses, and the error envelopes.

Domain errors never know HTTP; this table does. Lookup walks the class's MRO, so a new subclass
gets its parent's status without touching this file. Every route answers
``{"error": {"code", "message", …}}`` except the Open Inference Protocol's (``/v2/…``), whose
clients (tritonclient, the KServe SDK) read ``{"error": "<message>"}``: there the code and the
details stand beside it. Both carry the code in the ``X-Modelport-Error-Code`` header too.
"""

from __future__ import annotations

from typing import Any

import orjson

from modelport import errors

__all__ = ["ERROR_CODE_HEADER", "STATUS_BY_ERROR", "error_body", "is_open_inference", "status_for"]

ERROR_CODE_HEADER = "x-modelport-error-code"
"""Response header naming the error code, whichever envelope the body uses."""

STATUS_BY_ERROR: dict[type[errors.ModelportError], int] = {
    errors.NotFound: 404,
    errors.InvalidInput: 422,
    errors.UnsupportedMediaType: 415,
    errors.PayloadTooLarge: 413,
    errors.RequestTimeout: 408,
    errors.InvalidField: 422,
    errors.InvalidRequest: 400,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.AuthError: 401,
    errors.Conflict: 409,
    errors.NotReady: 503,
    errors.BackendError: 503,
    errors.ModelportError: 500,
}


def status_for(exc: errors.ModelportError) -> int:
    """The HTTP status of an error: the entry of its nearest class in ``STATUS_BY_ERROR``."""
    for cls in type(exc).__mro__:
        status = STATUS_BY_ERROR.get(cls)
        if status is not None:
            return status
    return 500


def is_open_inference(path: str) -> bool:
    """True for the Open Inference Protocol's routes (``/v2`` and below)."""
    return path == "/v2" or path.startswith("/v2/")


def error_body(
    code: str, message: str, request_id: str | None, details: list[Any] | None = None, *, path: str = "/"
) -> bytes:
    """The error envelope of the route at ``path`` as JSON bytes (see the module docstring)."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    if request_id is not None:
        error["request_id"] = request_id
    if is_open_inference(path):
        return orjson.dumps({"error": message} | {k: v for k, v in error.items() if k != "message"})
    return orjson.dumps({"error": error})
