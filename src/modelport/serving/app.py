"""``create_app``: the FastAPI application of one server process over a ``Node`` (one lifespan, one error handler)."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from modelport.errors import ModelportError
from modelport.inference import Node, request_id_var
from modelport.logsinks import open_log_sink
from modelport.serving.auth import Authenticator, is_loopback
from modelport.serving.context import ServingContext
from modelport.serving.docs_api import docs_router, openapi_document
from modelport.serving.drift_api import drift_router
from modelport.serving.middleware import RequestIdMiddleware
from modelport.serving.mlflow_api import mlflow_router
from modelport.serving.ops_api import ops_router
from modelport.serving.seed_api import seed_router
from modelport.serving.status import ERROR_CODE_HEADER, error_body, status_for
from modelport.serving.ui_api import ui_router
from modelport.serving.v2_api import v2_router

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from modelport.inference import Catalog, ModelLoader
    from modelport.registry import Registry
    from modelport.settings import Settings
    from modelport.state import StateStore

__all__ = ["create_app"]

log = logging.getLogger(__name__)

_HTTP_CODES = {404: "route_not_found", 405: "method_not_allowed"}


def create_app(
    settings: Settings,
    *,
    node: Node | None = None,
    registry: Registry | None = None,
    store: StateStore | None = None,
    catalog: Catalog | None = None,
    loader: ModelLoader | None = None,
    metrics_registry: CollectorRegistry | None = None,
    metrics_dir: Path | None = None,
) -> FastAPI:
    """The server for ``settings`` over ``node`` (default: a ``Node`` built from the other arguments,
    its prediction log going to the sink ``settings.prediction_log.sink`` names).

    The app's lifespan starts and stops the node. The node's store verifies API keys (without a
    store, no key is valid: admin routes are closed). See ``Node`` for the other arguments.
    """
    if node is None:
        node = Node(
            settings,
            registry=registry,
            store=store,
            catalog=catalog,
            loader=loader,
            metrics_registry=metrics_registry,
            metrics_dir=metrics_dir,
            log_sink=open_log_sink,
        )
    serving = settings.serving
    plane, metrics, agent = node.plane, node.metrics, node.agent
    predict_requires_key = settings.auth == "required" or (settings.auth == "auto" and not is_loopback(serving.host))
    auth = Authenticator(
        node.store.verify_api_key if node.store is not None else None,
        predict_requires_key=predict_requires_key,
        cache_s=serving.key_cache_s,
    )
    ctx = ServingContext(plane=plane, auth=auth, metrics=metrics, settings=serving)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await node.start()
        log.info("serving (predict needs a key: %s)", predict_requires_key)
        try:
            yield
        finally:
            await node.stop()

    app = FastAPI(
        title="modelport",
        summary="Registry models served: the seed /predict API, MLflow /invocations, Open Inference V2.",
        version=_version(),
        lifespan=lifespan,
        docs_url=None,  # served by docs_router with vendored assets (no CDN)
        redoc_url=None,
    )

    async def on_modelport_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ModelportError)
        metrics.errors.labels(exc.code).inc()
        body = error_body(exc.code, exc.message, request_id_var.get(), exc.details, path=request.url.path)
        headers = {ERROR_CODE_HEADER: exc.code}
        return Response(body, status_code=status_for(exc), media_type="application/json", headers=headers)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        metrics.errors.labels(code).inc()
        body = error_body(code, str(exc.detail), request_id_var.get(), path=request.url.path)
        headers = {**(exc.headers or {}), ERROR_CODE_HEADER: code}
        if exc.status_code == 405:  # Starlette names the methods of the first route matching the path only
            headers = {k: v for k, v in headers.items() if k.lower() != "allow"}
            headers["allow"] = ", ".join(_allowed_methods(app, request.url.path))
        return Response(body, status_code=exc.status_code, media_type="application/json", headers=headers)

    app.add_exception_handler(ModelportError, on_modelport_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    for router in (
        seed_router(ctx),
        mlflow_router(ctx),
        v2_router(ctx),
        ops_router(ctx, node.follower),
        ui_router(ctx, node),
    ):
        app.include_router(router)
    app.include_router(drift_router(ctx, node))
    registry = node.registry
    if agent is not None and registry is not None:
        from modelport.serving.admin_api import admin_router

        app.include_router(admin_router(ctx, agent.store, registry))
    if serving.cors_origins:
        from starlette.middleware.cors import CORSMiddleware

        # Explicit origins only, and no credentials: the seed's "*" + credentials is what not to do.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=serving.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "X-Request-ID"],
        )
    app.include_router(docs_router(app.openapi_url or "/openapi.json", app.title))
    app.openapi = functools.partial(openapi_document, app)  # type: ignore[method-assign]
    app.add_middleware(RequestIdMiddleware, on_error=lambda code: metrics.errors.labels(code).inc())
    app.state.serving = ctx
    return app


def _allowed_methods(app: FastAPI, path: str) -> list[str]:
    allowed = []
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        scope = {"type": "http", "path": path, "root_path": "", "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in app.router.routes):
            allowed.append(method)
    return allowed


def _version() -> str:
    from modelport import __version__

    return __version__
