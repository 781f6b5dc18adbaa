"""The seed document's REST API (``/predict``, ``/health``, ``/model/info``) and per-deployment routes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, Response

from modelport.inference.codecs import dumps, seed
from modelport.inference.describe import describe_pool, health_document, model_info
from modelport.serving._json import json_response
from modelport.serving._openapi import JSON, PREDICT, errors, request_body
from modelport.serving.context import version_headers

if TYPE_CHECKING:
    from modelport.serving.context import ServingContext

__all__ = ["seed_router"]

_PREDICT_ERRORS = errors(400, 401, 403, 404, 408, 413, 415, 422, 503)
_FEATURES_BODY = PREDICT | request_body(
    application_json=(
        {
            "type": "object",
            "required": ["features"],
            "properties": {
                "features": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"type": "object", "minProperties": 1, "additionalProperties": True},
                    "description": "Rows as objects of column values, in any column order.",
                }
            },
        },
        {"features": [{"age": 35, "income": 75000.0}]},
    )
)


def seed_router(ctx: ServingContext) -> APIRouter:
    router = APIRouter()
    plane = ctx.plane

    async def predict(request: Request, deployment: str | None, batch: bool) -> Response:
        await ctx.allow(request, "predict")
        inputs = seed.decode_features(await ctx.json(request))
        prediction = await plane.predict(deployment, inputs, protocol="seed", headers=request.headers)
        body = dumps(seed.answer(prediction, batch=batch))
        return Response(body, media_type=JSON, headers=version_headers(prediction))

    @router.get("/", tags=["seed API"], summary="What this server serves and where")
    async def root() -> Response:
        return json_response(
            {
                "message": "modelport model server",
                "docs": "/docs",
                "health": "/health",
                "deployments": [p.name for p in plane.pools],
                "default_deployment": plane.default_name,
                "protocols": {
                    "seed": "/predict",
                    "mlflow": "/invocations",
                    "open_inference_v2": "/v2/models/{name}/infer",
                },
            }
        )

    @router.get("/health", tags=["seed API"], summary="Status of the default deployment (always 200: read status)")
    async def health() -> Response:
        return json_response(health_document(plane))

    @router.post(
        "/predict", tags=["seed API"], summary="Predict rows", openapi_extra=_FEATURES_BODY, responses=_PREDICT_ERRORS
    )
    async def predict_default(request: Request) -> Response:
        return await predict(request, None, batch=False)

    @router.post(
        "/predict/batch", tags=["seed API"], summary="Predict many rows", openapi_extra=_FEATURES_BODY,
        responses=_PREDICT_ERRORS,
    )  # fmt: skip
    async def predict_batch(request: Request) -> Response:
        return await predict(request, None, batch=True)

    @router.get("/model/info", tags=["seed API"], summary="The default deployment's model", responses=errors(404, 503))
    async def info() -> Response:
        return json_response(model_info(plane.pool(None)))

    @router.get("/deployments", tags=["deployments"], summary="Every deployment served here")
    async def deployments() -> Response:
        return json_response([describe_pool(p) for p in plane.pools])

    @router.get(
        "/deployments/{name}", tags=["deployments"], summary="One deployment and its loaded versions",
        responses=errors(404),
    )  # fmt: skip
    async def deployment(name: str) -> Response:
        return json_response(describe_pool(plane.pool(name)))

    @router.post(
        "/deployments/{name}/predict", tags=["deployments"], summary="Predict with one deployment",
        openapi_extra=_FEATURES_BODY, responses=_PREDICT_ERRORS,
    )  # fmt: skip
    async def predict_named(name: str, request: Request) -> Response:
        return await predict(request, name, batch=False)

    return router
