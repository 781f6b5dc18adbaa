"""``create_app``: the FastAPI application of one server process (one lifespan, one error handler)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request, Response
from prometheus_client import CollectorRegistry
from starlette.exceptions import HTTPException as StarletteHTTPException

from modelport.errors import ModelportError
from modelport.serving.auth import Authenticator, is_loopback
from modelport.serving.catalog import Catalog, RegistryCatalog
from modelport.serving.context import ServingContext
from modelport.serving.dataplane import DataPlane, ModelLoader
from modelport.serving.follower import Follower
from modelport.serving.logs import request_id_var
from modelport.serving.metrics import ServingMetrics
from modelport.serving.middleware import RequestIdMiddleware
from modelport.serving.mlflow_api import mlflow_router
from modelport.serving.ops_api import ops_router
from modelport.serving.seed_api import seed_router
from modelport.serving.status import error_body, status_for
from modelport.serving.v2_api import v2_router

if TYPE_CHECKING:
    from modelport.deployments import RolloutAgent
    from modelport.registry import Registry
    from modelport.settings import Settings
    from modelport.state import StateStore

__all__ = ["create_app"]

log = logging.getLogger(__name__)

_HTTP_CODES = {404: "route_not_found", 405: "method_not_allowed"}


def create_app(
    settings: Settings,
    *,
    registry: Registry | None = None,
    store: StateStore | None = None,
    catalog: Catalog | None = None,
    loader: ModelLoader | None = None,
    metrics_registry: CollectorRegistry | None = None,
    metrics_dir: Path | None = None,
) -> FastAPI:
    """The server for ``settings``: deployments from ``catalog`` (default: the registry + state store).

    Without a ``catalog``, ``registry`` and ``store`` are opened from ``settings`` when not given.
    ``store`` verifies API keys (without one, no key is valid: admin routes are closed).
    ``loader`` turns a model directory into a predictor (default ``runtime.load_model``).
    ``metrics_dir``: this app is one of several worker processes sharing that prometheus_client
    multiprocess directory, and ``/metrics`` describes them all (``modelport.serving.workers``).
    """
    serving = settings.serving
    owned_store = None  # a store this app opened is closed by this app
    followed_store = None  # the store whose revision the follower reads
    if catalog is None:
        if store is None:
            store = owned_store = _open_store(settings)
        registry = registry if registry is not None else _open_registry(settings, store)
        catalog = RegistryCatalog(registry, store)
        followed_store = store
    if loader is None:
        from modelport.runtime import model_loader

        loader = model_loader(settings, store)
    metrics = ServingMetrics(metrics_registry, multiprocess_dir=metrics_dir)
    agent = _rollout_agent(settings, store, registry)
    plane = DataPlane(
        catalog,
        loader,
        metrics,
        only=serving.deployments,
        default=serving.default_deployment,
        max_rows=serving.max_rows,
        max_batch_size=settings.runtime.max_batch_size,
        max_latency_ms=settings.runtime.max_latency_ms,
        rollouts=agent,
    )
    predict_requires_key = settings.auth == "required" or (settings.auth == "auto" and not is_loopback(serving.host))
    auth = Authenticator(
        store.verify_api_key if store is not None else None,
        predict_requires_key=predict_requires_key,
        cache_s=serving.key_cache_s,
    )
    ctx = ServingContext(plane=plane, auth=auth, metrics=metrics, settings=serving)
    follower = Follower(
        plane,
        poll_interval_s=serving.poll_interval_s,
        resync_interval_s=serving.resync_interval_s,
        after_sync=_freeze_heap,
    )
    # PostgreSQL tells the follower of a revision bump at once; SQLite has no listener (None).
    listener = followed_store.revision_listener(follower.wake) if followed_store is not None else None

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _limit_cpu_threads(serving.cpu_threads)
        if agent is not None:
            await agent.start()
        await follower.start()  # the first sync freezes the heap with the models in it
        if listener is not None:
            listener.start()
        served = {p.name: (p.active.version if p.active else None) for p in plane.pools}
        log.info("serving %s (predict needs a key: %s)", served or "no deployments", predict_requires_key)
        try:
            yield
        finally:
            if listener is not None:
                await asyncio.to_thread(listener.stop)
            await follower.stop()
            if agent is not None:
                await agent.stop()
            await plane.aclose()
            if owned_store is not None:
                owned_store.close()
            metrics.close()

    app = FastAPI(
        title="modelport",
        summary="Registry models served: the seed /predict API, MLflow /invocations, Open Inference V2.",
        version=_version(),
        lifespan=lifespan,
    )

    async def on_modelport_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ModelportError)
        metrics.errors.labels(exc.code).inc()
        body = error_body(exc.code, exc.message, request_id_var.get(), exc.details)
        return Response(body, status_code=status_for(exc), media_type="application/json")

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        metrics.errors.labels(code).inc()
        body = error_body(code, str(exc.detail), request_id_var.get())
        return Response(body, status_code=exc.status_code, media_type="application/json", headers=exc.headers)

    app.add_exception_handler(ModelportError, on_modelport_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    for router in (seed_router(ctx), mlflow_router(ctx), v2_router(ctx), ops_router(ctx, follower)):
        app.include_router(router)
    if agent is not None and registry is not None:
        from modelport.deployments import Rollouts
        from modelport.serving.admin_api import admin_router

        app.include_router(admin_router(ctx, Rollouts(agent.store, registry, actor=settings.actor or "admin-api")))
    if serving.cors_origins:
        from starlette.middleware.cors import CORSMiddleware

        # Explicit origins only, and no credentials: the seed's "*" + credentials is what not to do.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=serving.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "X-Request-ID"],
        )
    app.add_middleware(RequestIdMiddleware, on_error=lambda code: metrics.errors.labels(code).inc())
    app.state.serving = ctx
    return app


def _rollout_agent(settings: Settings, store: StateStore | None, registry: Registry | None) -> RolloutAgent | None:
    """Routing by traffic policies needs the state store; the controller also needs the registry."""
    if store is None:
        return None
    from modelport.deployments import RolloutAgent

    return RolloutAgent(store, registry, settings.rollouts)


def _open_store(settings: Settings) -> StateStore:
    from modelport.state import StateStore

    return StateStore.open(settings)


def _open_registry(settings: Settings, store: StateStore) -> Registry:
    from modelport.registry import Registry

    return Registry.open(settings, store)


def _freeze_heap() -> None:
    # Hundreds of thousands of long-lived objects (mlflow, sklearn, pandas, the loaded models)
    # would otherwise be re-scanned by every full collection: 100+ ms pauses that made the p99.
    # Runs when the loaded versions changed (start-up, promote, rollback): unfreeze and collect
    # so a dropped version's reference cycles are freed, then freeze what is left.
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _limit_cpu_threads(n: int) -> None:
    # Env vars (set by asgi.py before numpy loads) cover worker processes; this covers a server
    # started in-process, where numpy and its BLAS/OpenMP pools may already be loaded.
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    threadpool_limits(limits=n)


def _version() -> str:
    from modelport import __version__

    return __version__
