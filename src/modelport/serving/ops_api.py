"""Operations routes: Kubernetes probes, Prometheus metrics, and admin actions (admin key only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, Response

from modelport.errors import NotReady
from modelport.inference.describe import describe_pool, pool_status
from modelport.inference.metrics import CONTENT_TYPE_LATEST
from modelport.serving._json import json_response
from modelport.serving._openapi import ADMIN, errors

if TYPE_CHECKING:
    from modelport.inference import Follower
    from modelport.serving.context import ServingContext

__all__ = ["ops_router"]


def ops_router(ctx: ServingContext, follower: Follower) -> APIRouter:
    router = APIRouter(tags=["operations"])
    plane = ctx.plane

    @router.get("/livez", summary="Liveness: the process answers")
    async def livez() -> Response:
        return json_response({"live": True})

    @router.get(
        "/readyz",
        summary="Readiness: deployments loaded; one that cannot load is named, not blocking (503 otherwise)",
        responses=errors(503),
    )
    async def readyz() -> Response:
        statuses = {p.name: pool_status(p) for p in plane.pools}
        if not plane.ready:
            raise NotReady(f"not ready: {statuses or 'no deployments'}")
        unready = {p.name: p.failure.message for p in plane.pools if not p.ready and p.failure is not None}
        return json_response({"ready": True, "deployments": statuses, "unready": unready})

    @router.get(
        "/metrics", summary="Prometheus metrics", response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}},
    )  # fmt: skip
    async def metrics() -> Response:
        return Response(ctx.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    @router.get(
        "/admin/status", tags=["admin"], summary="Every deployment, its loaded versions, load errors",
        openapi_extra=ADMIN, responses=errors(401, 403),
    )  # fmt: skip
    async def status(request: Request) -> Response:
        await ctx.allow(request, "admin")
        doc = {
            "started": ctx.started,
            "last_sync": plane.last_sync,
            "deployments": [describe_pool(p) for p in plane.pools],
        }
        return json_response(doc)

    @router.post(
        "/admin/sync", tags=["admin"], summary="Re-resolve every alias now instead of at the next poll",
        openapi_extra=ADMIN, responses=errors(401, 403, 503),
    )  # fmt: skip
    async def sync(request: Request) -> Response:
        await ctx.allow(request, "admin")
        await plane.sync()
        return json_response({"deployments": [describe_pool(p) for p in plane.pools]})

    return router
