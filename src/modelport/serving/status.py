"""The one table from modelport errors to HTTP statuses, and the one error envelope.

Domain errors never know HTTP; this table does. Lookup walks the class's MRO, so a new subclass
gets its parent's status without touching this file.
"""

from __future__ import annotations

from typing import Any

import orjson

from modelport import errors

__all__ = ["STATUS_BY_ERROR", "error_body", "status_for"]

STATUS_BY_ERROR: dict[type[errors.ModelportError], int] = {
    errors.NotFound: 404,
    errors.InvalidInput: 422,
    errors.UnsupportedMediaType: 415,
    errors.PayloadTooLarge: 413,
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


def error_body(code: str, message: str, request_id: str | None, details: list[Any] | None = None) -> bytes:
    """``{"error": {"code", "message", "details"?, "request_id"}}`` as JSON bytes."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    if request_id is not None:
        error["request_id"] = request_id
    return orjson.dumps({"error": error})
