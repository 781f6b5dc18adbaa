"""What the OpenAPI document says beyond the routes: request bodies read as raw bytes, the error
envelopes every route may answer, and the API-key security schemes.

Routes read raw bytes (no pydantic on the hot path), so their bodies are documented here; every
4xx is documented with the envelope it really carries (``/v2`` routes: the Open Inference one).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

__all__ = [
    "ADMIN",
    "JSON",
    "PREDICT",
    "TEXT",
    "ErrorEnvelope",
    "V2Error",
    "errors",
    "request_body",
    "security_schemes",
    "text_response",
]

JSON = "application/json"
TEXT = "text/plain"


def text_response(example: str | None = None) -> dict[int | str, dict[str, Any]]:
    """A 200 documented as ``text/plain``."""
    media: dict[str, Any] = {"schema": {"type": "string"}}
    if example is not None:
        media["example"] = example
    return {200: {"content": {TEXT: media}}}


_DESCRIPTIONS = {
    400: "Malformed request (invalid_request)",
    401: "No or unknown API key (unauthorized)",
    403: "The key lacks the scope (forbidden)",
    404: "Unknown deployment, model, version or route",
    408: "The body stopped arriving (request_timeout)",
    409: "Conflicts with the deployment's state",
    413: "Body or row count over the limit (payload_too_large)",
    415: "Content type or encoding not supported (unsupported_media_type)",
    422: "Values that violate the model's signature, by row and column (invalid_input)",
    503: "Not ready: no version loaded yet, or the state store is unreachable",
}


class ErrorDetail(BaseModel):
    """One problem: the row (0-based, null for the whole request) and the column (field) at fault."""

    row: int | None = None
    column: str | None = None
    problem: str


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail] | None = None
    request_id: str | None = None


class ErrorEnvelope(BaseModel):
    """Every route but ``/v2``: ``{"error": {"code", "message", "details"?, "request_id"}}``."""

    error: ErrorBody


class V2Error(BaseModel):
    """The Open Inference Protocol's error, ``{"error": "<message>"}``, with the code and details beside it."""

    error: str
    code: str
    details: list[ErrorDetail] | None = None
    request_id: str | None = None


def errors(*statuses: int, v2: bool = False) -> dict[int | str, dict[str, Any]]:  # FastAPI's `responses` type
    """The ``responses`` of a route answering ``statuses`` (always also 400, 408, 413, 415 for bodies)."""
    model = V2Error if v2 else ErrorEnvelope
    return {status: {"model": model, "description": _DESCRIPTIONS[status]} for status in sorted(set(statuses))}


PREDICT: dict[str, Any] = {"security": [{"bearerKey": []}, {"apiKeyHeader": []}, {}]}
"""Predict routes: a key when the server requires one (a public address, or ``auth = required``)."""

ADMIN: dict[str, Any] = {"security": [{"bearerKey": []}, {"apiKeyHeader": []}]}
"""Admin routes: an admin key, always."""


def security_schemes() -> dict[str, Any]:
    """The two ways to send an API key (Swagger's Authorize button offers both)."""
    return {
        "bearerKey": {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer <key>"},
        "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    }


def request_body(**content: tuple[dict[str, Any], Any]) -> dict[str, Any]:
    """``openapi_extra`` documenting a required body: ``media_type=(schema, example)``.

    Media types are keyword names with ``_`` for ``/`` (``application_json``, ``text_csv``).
    """
    return {
        "requestBody": {
            "required": True,
            "content": {
                media.replace("_", "/", 1): {"schema": schema, "example": example}
                for media, (schema, example) in content.items()
            },
        }
    }
