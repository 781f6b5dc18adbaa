"""MLflow's scoring protocol on modelport: ``POST /invocations``, ``GET /ping``, ``GET /version``.

Same paths, payloads and answers as ``mlflow models serve``, so MLflow's clients switch without
changing a line; the version that answered is in the ``X-Model-Version`` header.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, Response

from modelport.inference.codecs import loads, mlflow
from modelport.serving._openapi import JSON, request_body
from modelport.serving.body import media_type
from modelport.serving.context import version_headers

if TYPE_CHECKING:
    from modelport.serving.context import ServingContext

__all__ = ["mlflow_router"]

_CSV = "text/csv"
_INVOCATIONS_BODY = request_body(
    application_json=(
        {
            "type": "object",
            "description": "Exactly one of dataframe_split, dataframe_records, instances, inputs.",
            "properties": {
                "dataframe_split": {"type": "object"},
                "dataframe_records": {"type": "array", "items": {"type": "object"}},
                "instances": {"type": "array"},
                "inputs": {"oneOf": [{"type": "array"}, {"type": "object"}]},
                "params": {"type": "object"},
            },
        },
        {"dataframe_split": {"columns": ["age", "income"], "data": [[35, 75000.0]]}},
    ),
    text_csv=({"type": "string"}, "age,income\n35,75000.0\n"),
)


def mlflow_router(ctx: ServingContext) -> APIRouter:
    router = APIRouter(tags=["MLflow scoring protocol"])
    plane = ctx.plane

    async def invoke(request: Request, deployment: str | None) -> Response:
        await ctx.allow(request, "predict")
        mime = media_type(request, (JSON, _CSV))
        body = await ctx.body(request)
        inputs = mlflow.decode_csv(body) if mime == _CSV else mlflow.decode_invocation(loads(body))
        prediction = await plane.predict(deployment, inputs, protocol="mlflow", headers=request.headers)
        return Response(mlflow.answer(prediction), media_type=JSON, headers=version_headers(prediction))

    @router.post("/invocations", summary="Score rows (MLflow protocol)", openapi_extra=_INVOCATIONS_BODY)
    async def invocations(request: Request) -> Response:
        return await invoke(request, None)

    @router.post(
        "/deployments/{name}/invocations", summary="Score rows with one deployment (MLflow protocol)",
        openapi_extra=_INVOCATIONS_BODY,
    )  # fmt: skip
    async def invocations_named(name: str, request: Request) -> Response:
        return await invoke(request, name)

    @router.get("/ping", summary="200 when the default deployment has a model loaded")
    async def ping() -> Response:
        plane.pool(None).current()
        return Response("\n", media_type=JSON)

    @router.get("/version", summary="The MLflow version this server speaks")
    async def version() -> Response:
        from importlib.metadata import version as dist_version

        return Response(dist_version("mlflow"), media_type=JSON)

    return router
