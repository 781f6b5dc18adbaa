"""OpenAPI request-body documentation for routes that read raw bytes (no pydantic on the hot path)."""

from __future__ import annotations

from typing import Any

__all__ = ["JSON", "request_body"]

JSON = "application/json"


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
