"""MLflow's scoring protocol on modelport: ``POST /invocations``, ``GET /ping``, ``GET /version``.

Same paths, payloads and answers as ``mlflow models serve``, so MLflow's clients switch without
changing a line; the version that answered is in the ``X-Model-Version`` header.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request, Response

from modelport.inference.codecs import loads, mlflow
from modelport.serving._openapi import JSON, PREDICT, TEXT, errors, request_body, text_response
from modelport.serving.body import media_type
from modelport.serving.context import version_headers

if TYPE_CHECKING:
    from modelport.serving.context import ServingContext

__all__ = ["mlflow_router"]

_CSV = "text/csv"


def _one_of(key: str, schema: dict[str, Any]) -> dict[str, Any]:
    """An invocation carrying ``key`` and no other format."""
    others = [f for f in ("dataframe_split", "dataframe_records", "instances", "inputs") if f != key]
    return {
        "type": "object",
        "required": [key],
        "properties": {key: schema, "params": {"type": "object"}},
        "not": {"anyOf": [{"required": [o]} for o in others]},
    }


_PREDICT_ERRORS = errors(400, 401, 403, 404, 408, 413, 415, 422, 503)
_INVOCATIONS_BODY = PREDICT | request_body(
    application_json=(
        {
            "description": "Exactly one of dataframe_split, dataframe_records, instances, inputs; optional params.",
            "oneOf": [
                _one_of(
                    "dataframe_split",
                    {
                        "type": "object",
                        "required": ["data"],
                        "properties": {
                            "columns": {"type": "array", "items": {"type": "string"}},
                            "data": {"type": "array", "minItems": 1, "items": {"type": "array", "minItems": 1}},
                        },
                    },
                ),
                _one_of("dataframe_records", {"type": "array", "minItems": 1, "items": {"type": "object"}}),
                _one_of("instances", {"type": "array", "minItems": 1}),
                _one_of(
                    "inputs",
                    {
                        "oneOf": [
                            {"type": "array", "minItems": 1},
                            {
                                "type": "object",
                                "minProperties": 1,
                                "additionalProperties": {"type": "array", "minItems": 1},
                            },
                        ]
                    },
                ),
            ],
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

    @router.post(
        "/invocations", summary="Score rows (MLflow protocol)", openapi_extra=_INVOCATIONS_BODY,
        responses=_PREDICT_ERRORS,
    )  # fmt: skip
    async def invocations(request: Request) -> Response:
        return await invoke(request, None)

    @router.post(
        "/deployments/{name}/invocations", summary="Score rows with one deployment (MLflow protocol)",
        openapi_extra=_INVOCATIONS_BODY, responses=_PREDICT_ERRORS,
    )  # fmt: skip
    async def invocations_named(name: str, request: Request) -> Response:
        return await invoke(request, name)

    @router.get(
        "/ping", summary="200 when the default deployment has a model loaded", response_class=Response,
        responses=text_response() | errors(404, 503),
    )  # fmt: skip
    async def ping() -> Response:
        plane.pool(None).current()
        return Response("\n", media_type=TEXT)

    @router.get(
        "/version", summary="The MLflow version this server speaks", response_class=Response,
        responses=text_response("3.17.2"),
    )  # fmt: skip
    async def version() -> Response:
        from importlib.metadata import version as dist_version

        return Response(dist_version("mlflow"), media_type=TEXT)

    return router
