"""JSON responses encoded once by orjson (the encoding itself is the core's: ``inference.codecs``)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from modelport.inference.codecs.encoding import dumps

__all__ = ["json_response"]


def json_response(document: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response from already-computed data, encoded once by orjson (no FastAPI re-validation)."""
    return Response(dumps(document), status_code=status, media_type="application/json", headers=headers)
