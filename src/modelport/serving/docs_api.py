"""The API's documentation: the OpenAPI document, and ``/docs`` and ``/redoc`` served with
modelport's own copies of Swagger UI and ReDoc (no CDN).

Servers in production often have no internet access; the vendored files are listed with their
versions and licences in ``serving/static/README.md``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib.resources import files
from typing import Any

from fastapi import APIRouter, FastAPI, Response
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi

from modelport.serving._openapi import security_schemes

__all__ = ["docs_router", "openapi_document"]

_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
    "redoc.standalone.js": "text/javascript",
}
_PREFIX = "/static/docs"


def docs_router(openapi_url: str, title: str) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/docs")
    async def swagger() -> Response:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} — API",
            swagger_js_url=f"{_PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{_PREFIX}/swagger-ui.css",
            swagger_favicon_url=f"{_PREFIX}/favicon-32x32.png",
        )

    @router.get("/redoc")
    async def redoc() -> Response:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{title} — API",
            redoc_js_url=f"{_PREFIX}/redoc.standalone.js",
            redoc_favicon_url=f"{_PREFIX}/favicon-32x32.png",
            with_google_fonts=False,
        )

    for name, media in _ASSETS.items():
        content = (files("modelport.serving") / "static" / name).read_bytes()
        router.add_api_route(f"{_PREFIX}/{name}", _asset(content, media), methods=["GET"])
    return router


def _asset(content: bytes, media: str) -> Callable[[], Awaitable[Response]]:
    async def serve() -> Response:
        return Response(content, media_type=media, headers={"cache-control": "public, max-age=86400"})

    return serve


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document with the API-key schemes, without the validation error it documents on its own.

    FastAPI documents a 422 ``HTTPValidationError`` for every route with parameters; modelport never
    answers that shape (its 422 is the error envelope, documented where it happens).
    """
    if app.openapi_schema is not None:
        return app.openapi_schema
    doc = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
    for operations in doc.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            default = responses.get("422", {}).get("content", {}).get("application/json", {}).get("schema", {})
            if default.get("$ref", "").endswith("/HTTPValidationError"):
                del responses["422"]
    components = doc.setdefault("components", {})
    schemas = components.get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    components["securitySchemes"] = security_schemes()
    app.openapi_schema = doc
    return doc
