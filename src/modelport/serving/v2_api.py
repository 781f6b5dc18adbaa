"""Open Inference Protocol V2 REST (KServe v2, Triton HTTP): health, metadata, infer.

The V2 model name is the deployment name; ``/versions/{v}`` pins a registry version (loaded on
demand and kept warm). Works with ``tritonclient.http`` and KServe's client unchanged.
"""

from __future__ import annotations

from importlib.metadata import version as dist_version
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request, Response

from modelport.errors import InvalidRequest, NotReady
from modelport.inference.codecs.v2 import datatype_of, decode_request, encode_outputs, schema_datatype
from modelport.serving._json import json_response
from modelport.serving._openapi import request_body
from modelport.serving.context import version_headers

if TYPE_CHECKING:
    from modelport.inference import ServedVersion
    from modelport.serving.context import ServingContext

__all__ = ["v2_router"]

_INFER_BODY = request_body(
    application_json=(
        {"type": "object", "required": ["inputs"], "properties": {"inputs": {"type": "array"}}},
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

    @router.get("/health/ready", summary="Every deployment has a model loaded")
    async def ready() -> Response:
        if not plane.ready:
            raise NotReady("not every deployment has a model version loaded")
        return json_response({"ready": True})

    async def metadata(name: str, version: str | None) -> Response:
        served = await plane.served(name, version)
        loaded = [s.version for _, s in plane.pool(name).versions()]
        return json_response(_metadata(name, served, loaded))

    async def model_ready(name: str, version: str | None) -> Response:
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
            "outputs": encode_outputs(prediction.result, v2.outputs),
        }
        if v2.id is not None:
            doc["id"] = v2.id
        return json_response(doc, headers=version_headers(prediction))

    @router.get("/models/{name}", summary="Model metadata (the active version)")
    async def model(name: str) -> Response:
        return await metadata(name, None)

    @router.get("/models/{name}/versions/{version}", summary="Metadata of one version")
    async def model_version(name: str, version: str) -> Response:
        return await metadata(name, version)

    @router.get("/models/{name}/ready", summary="The active version is loaded")
    async def ready_model(name: str) -> Response:
        return await model_ready(name, None)

    @router.get("/models/{name}/versions/{version}/ready", summary="That version is loaded")
    async def ready_version(name: str, version: str) -> Response:
        return await model_ready(name, version)

    @router.post("/models/{name}/infer", summary="Predict with the active version", openapi_extra=_INFER_BODY)
    async def infer_active(name: str, request: Request) -> Response:
        return await infer(request, name, None)

    @router.post(
        "/models/{name}/versions/{version}/infer", summary="Predict with a pinned version",
        openapi_extra=_INFER_BODY,
    )  # fmt: skip
    async def infer_version(name: str, version: str, request: Request) -> Response:
        return await infer(request, name, version)

    return router


def _metadata(name: str, served: ServedVersion, loaded: list[str]) -> dict[str, Any]:
    model = served.model
    outputs: list[dict[str, Any]] = [{"name": "predict", "datatype": _prediction_type(served), "shape": [-1]}]
    if model.predicts_probabilities:
        n_classes = len(model.classes) if model.classes is not None else -1
        outputs.append({"name": "predict_proba", "datatype": "FP64", "shape": [-1, n_classes]})
    return {
        "name": name,
        "versions": loaded,
        "platform": f"modelport_{model.kind}",
        "inputs": [{"name": c.name, "datatype": schema_datatype(c.dtype), "shape": [-1]} for c in model.schema.columns],
        "outputs": outputs,
        "parameters": {"version": served.version, "model_name": served.model_name},
    }


def _prediction_type(served: ServedVersion) -> str:
    classes = served.model.classes
    if classes:
        import numpy as np

        return datatype_of(np.asarray(classes))
    return "FP64"
