"""Open Inference Protocol V2 REST (KServe v2, Triton HTTP): health, metadata, infer.

The V2 model name is the deployment name; ``/versions/{v}`` pins a registry version (loaded on
demand and kept warm). Works with ``tritonclient.http`` and KServe's client unchanged.
"""

from __future__ import annotations

from importlib.metadata import version as dist_version
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request, Response

from modelport.errors import InvalidRequest, NotReady
from modelport.inference.codecs.v2 import DATATYPES, decode_request, encode_outputs, model_metadata
from modelport.serving._json import json_response
from modelport.serving._openapi import PREDICT, errors, request_body
from modelport.serving.context import version_headers

if TYPE_CHECKING:
    from modelport.serving.context import ServingContext

__all__ = ["v2_router"]

_MODEL_ERRORS = errors(401, 403, 404, 503, v2=True)
_INFER_ERRORS = errors(400, 401, 403, 404, 408, 413, 415, 422, 503, v2=True)
_INFER_BODY = PREDICT | request_body(
    application_json=(
        {
            "type": "object",
            "required": ["inputs"],
            "properties": {
                "id": {"type": "string"},
                "inputs": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["name", "shape", "datatype", "data"],
                        "properties": {
                            "name": {"type": "string"},
                            "shape": {"type": "array", "minItems": 1, "items": {"type": "integer", "minimum": 1}},
                            "datatype": {"enum": list(DATATYPES)},
                            "data": {"type": "array", "minItems": 1},
                        },
                    },
                },
                "outputs": {"type": "array", "items": {"type": "object", "required": ["name"]}},
            },
        },
        {"inputs": [{"name": "input-0", "shape": [1, 2], "datatype": "FP64", "data": [35, 75000.0]}]},
    )
)


def v2_router(ctx: ServingContext) -> APIRouter:
    router = APIRouter(prefix="/v2", tags=["Open Inference Protocol V2"])
    plane = ctx.plane

    @router.get("", summary="Server metadata")
    async def server() -> Response:
        doc = {
            "name": "modelport",
            "version": dist_version("modelport"),
            "extensions": ["binary_tensor_data"],
        }
        return json_response(doc)

    @router.get("/health/live", summary="The server process is up")
    async def live() -> Response:
        return json_response({"live": True})

    @router.get("/health/ready", summary="Every deployment has a model loaded", responses=errors(503, v2=True))
    async def ready() -> Response:
        if not plane.ready:
            raise NotReady("not every deployment has a model version loaded")
        return json_response({"ready": True})

    # Model routes may load a version (pinned): they need what predict needs.
    async def metadata(request: Request, name: str, version: str | None) -> Response:
        await ctx.allow(request, "predict")
        served = await plane.served(name, version)
        loaded = [s.version for _, s in plane.pool(name).versions()]
        return json_response(model_metadata(name, served, loaded))

    async def model_ready(request: Request, name: str, version: str | None) -> Response:
        await ctx.allow(request, "predict")
        served = await plane.served(name, version)
        return json_response({"name": name, "version": served.version, "ready": True})

    async def infer(request: Request, name: str, version: str | None) -> Response:
        await ctx.allow(request, "predict")
        body = await ctx.body(request)
        header = request.headers.get("inference-header-content-length")
        if header is not None and not header.isdigit():
            raise InvalidRequest("Inference-Header-Content-Length must be a byte count")
        v2 = decode_request(body, int(header) if header is not None else None)
        prediction = await plane.predict(name, v2.input(), version=version, protocol="v2", headers=request.headers)
        doc: dict[str, Any] = {
            "model_name": name,
            "model_version": prediction.served.version,
            "outputs": encode_outputs(prediction.result, v2.outputs, prediction.served.model),
        }
        if v2.id is not None:
            doc["id"] = v2.id
        return json_response(doc, headers=version_headers(prediction))

    @router.get(
        "/models/{name}", summary="Model metadata (the active version)", openapi_extra=PREDICT, responses=_MODEL_ERRORS
    )
    async def model(name: str, request: Request) -> Response:
        return await metadata(request, name, None)

    @router.get(
        "/models/{name}/versions/{version}",
        summary="Metadata of one version",
        openapi_extra=PREDICT,
        responses=_MODEL_ERRORS,
    )
    async def model_version(name: str, version: str, request: Request) -> Response:
        return await metadata(request, name, version)

    @router.get(
        "/models/{name}/ready", summary="The active version is loaded", openapi_extra=PREDICT, responses=_MODEL_ERRORS
    )
    async def ready_model(name: str, request: Request) -> Response:
        return await model_ready(request, name, None)

    @router.get(
        "/models/{name}/versions/{version}/ready",
        summary="That version is loaded",
        openapi_extra=PREDICT,
        responses=_MODEL_ERRORS,
    )
    async def ready_version(name: str, version: str, request: Request) -> Response:
        return await model_ready(request, name, version)

    @router.post(
        "/models/{name}/infer", summary="Predict with the active version", openapi_extra=_INFER_BODY,
        responses=_INFER_ERRORS,
    )  # fmt: skip
    async def infer_active(name: str, request: Request) -> Response:
        return await infer(request, name, None)

    @router.post(
        "/models/{name}/versions/{version}/infer", summary="Predict with a pinned version",
        openapi_extra=_INFER_BODY, responses=_INFER_ERRORS,
    )  # fmt: skip
    async def infer_version(name: str, version: str, request: Request) -> Response:
        return await infer(request, name, version)

    return router
