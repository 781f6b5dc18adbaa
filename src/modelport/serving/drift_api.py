"""``GET /deployments/{name}/drift``: feature drift of what a deployment serves (read like predict routes).

The body is ``DriftReport.to_dict()`` (see ``modelport.inference.drift.report``): PSI per feature
of the served inputs against the version's registration sample, merged over every worker and
replica sharing the state store, over the sliding window of ``drift.window_s`` seconds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, Response

from modelport.serving._json import json_response
from modelport.serving._openapi import PREDICT, errors

if TYPE_CHECKING:
    from modelport.inference import Node
    from modelport.serving.context import ServingContext

__all__ = ["drift_router"]


def drift_router(ctx: ServingContext, node: Node) -> APIRouter:
    router = APIRouter(tags=["deployments"])

    @router.get(
        "/deployments/{name}/drift", summary="Feature drift (PSI per feature) of the served version",
        openapi_extra=PREDICT, responses=errors(401, 403, 404, 503),
    )  # fmt: skip
    async def drift(name: str, request: Request) -> Response:
        await ctx.allow(request, "predict")
        report = await node.drift_report(name, request.query_params.get("version"))
        return json_response(report.to_dict())

    return router
