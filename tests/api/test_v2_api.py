"""Open Inference Protocol V2: metadata, readiness, infer with matrix, column and binary tensors."""

from __future__ import annotations

import struct
from typing import Any

import httpx
import numpy as np
import orjson
import pandas as pd
import pytest

from tests.api.models import Built

pytestmark = pytest.mark.anyio


async def test_server_health_and_metadata(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v2/health/live")).json() == {"live": True}
    assert (await client.get("/v2/health/ready")).status_code == 200
    assert (await client.get("/v2")).json()["name"] == "modelport"
    meta = (await client.get("/v2/models/clf")).json()
    assert meta["name"] == "clf"
    assert [i["name"] for i in meta["inputs"]] == ["a", "b", "c", "d"]
    assert {i["datatype"] for i in meta["inputs"]} == {"FP64"}
    assert [o["name"] for o in meta["outputs"]] == ["predict", "predict_proba"]
    assert (await client.get("/v2/models/clf/ready")).status_code == 200


async def test_matrix_tensor(client: httpx.AsyncClient, models: dict[str, Built], rows: pd.DataFrame) -> None:
    matrix = rows.to_numpy(dtype=np.float32)
    payload = {
        "id": "req-1",
        "inputs": [
            {
                "name": "input-0",
                "shape": list(matrix.shape),
                "datatype": "FP32",
                "data": matrix.ravel().tolist(),
            }
        ],
    }
    response = await client.post("/v2/models/clf/infer", json=payload)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["model_name"], body["model_version"], body["id"]) == ("clf", "1", "req-1")
    outputs = {o["name"]: o for o in body["outputs"]}
    model = models["clf_v1"].model
    assert outputs["predict"]["data"] == model.predict(rows.astype(np.float32)).tolist()
    assert outputs["predict_proba"]["shape"] == [5, 2]
    np.testing.assert_allclose(
        np.reshape(outputs["predict_proba"]["data"], (5, 2)), model.predict_proba(rows), atol=1e-4
    )


async def test_named_column_tensors_with_bytes(client: httpx.AsyncClient, models: dict[str, Built]) -> None:
    frame = models["cat"].frame.head(4)
    inputs: list[dict[str, Any]] = [
        {"name": c, "shape": [4], "datatype": "FP64", "data": frame[c].tolist()} for c in ["a", "b", "c", "d"]
    ]
    inputs.append({"name": "color", "shape": [4, 1], "datatype": "BYTES", "data": frame["color"].tolist()})
    payload = {"inputs": inputs, "outputs": [{"name": "predict"}]}
    response = await client.post("/v2/models/cat/infer", json=payload)
    assert response.status_code == 200, response.text
    outputs = response.json()["outputs"]
    assert [o["name"] for o in outputs] == ["predict"]
    assert outputs[0]["datatype"] == "BYTES"
    assert outputs[0]["data"] == models["cat"].model.predict(frame).tolist()


async def test_binary_tensor_extension(client: httpx.AsyncClient, models: dict[str, Built]) -> None:
    frame = models["cat"].frame.head(3)
    numbers = frame[["a", "b", "c", "d"]].to_numpy(dtype=np.float64)
    colors = b"".join(struct.pack("<I", len(s)) + s.encode() for s in frame["color"])
    inputs = [
        {"name": c, "shape": [3], "datatype": "FP64", "parameters": {"binary_data_size": 24}}
        for c in ["a", "b", "c", "d"]
    ]
    inputs.append({"name": "color", "shape": [3], "datatype": "BYTES", "parameters": {"binary_data_size": len(colors)}})
    head = orjson.dumps({"inputs": inputs})
    body = head + b"".join(numbers[:, i].tobytes() for i in range(4)) + colors
    response = await client.post(
        "/v2/models/cat/infer",
        content=body,
        headers={
            "inference-header-content-length": str(len(head)),
            "content-type": "application/octet-stream",
        },
    )
    assert response.status_code == 200, response.text
    predict = next(o for o in response.json()["outputs"] if o["name"] == "predict")
    assert predict["data"] == models["cat"].model.predict(frame).tolist()


async def test_pinned_version_is_loaded_on_demand(
    client: httpx.AsyncClient, models: dict[str, Built], rows: pd.DataFrame
) -> None:
    payload = {"inputs": [{"name": "x", "shape": [5, 4], "datatype": "FP64", "data": rows.to_numpy().tolist()}]}
    response = await client.post("/v2/models/clf/versions/2/infer", json=payload)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model_version"] == "2"
    predict = next(o for o in body["outputs"] if o["name"] == "predict")
    assert predict["data"] == models["clf_v2"].model.predict(rows).tolist()
    assert (await client.get("/v2/models/clf/versions/2/ready")).json()["ready"] is True
    # The pin does not move the deployment: unpinned requests still get the alias's version.
    assert (await client.post("/v2/models/clf/infer", json=payload)).json()["model_version"] == "1"


async def test_unknown_model_and_version_are_404(client: httpx.AsyncClient) -> None:
    payload = {"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP64", "data": [1, 2, 3, 4]}]}
    missing = await client.post("/v2/models/nope/infer", json=payload)
    assert missing.status_code == 404
    assert missing.json()["code"] == "deployment_not_found"
    unknown = await client.post("/v2/models/clf/versions/99/infer", json=payload)
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "version_not_found"


async def test_versions_are_canonical_numbers(client: httpx.AsyncClient) -> None:
    payload = {"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP64", "data": [1, 2, 3, 4]}]}
    assert (await client.post("/v2/models/clf/versions/2/infer", json=payload)).status_code == 200
    before = (await client.get("/v2/models/clf")).json()["versions"]
    for alias in ("01", "002", "1.0", "+1"):
        response = await client.post(f"/v2/models/clf/versions/{alias}/infer", json=payload)
        assert (response.status_code, response.json()["code"]) == (404, "version_not_found"), alias
        assert (await client.get(f"/v2/models/clf/versions/{alias}")).status_code == 404
    # Nothing was loaded or evicted by the non-canonical names.
    assert (await client.get("/v2/models/clf")).json()["versions"] == before


@pytest.mark.parametrize(
    ("tensor", "column"),
    [
        ({"name": "x", "shape": [2, 3], "datatype": "FP64", "data": [1, 2, 3, 4, 5, 6]}, "x"),
        ({"name": "x", "shape": [2, 4], "datatype": "FP64", "data": [1, 2, 3]}, "x"),
        ({"name": "x", "shape": [1, 4], "datatype": "COMPLEX", "data": [1, 2, 3, 4]}, "x"),
    ],
)
async def test_wrong_tensors_are_422_naming_the_input(
    client: httpx.AsyncClient, tensor: dict[str, Any], column: str
) -> None:
    response = await client.post("/v2/models/clf/infer", json={"inputs": [tensor]})
    assert response.status_code == 422, response.text
    error = response.json()
    assert isinstance(error["error"], str)  # the Open Inference Protocol's envelope: tritonclient reads it
    assert error["code"] == response.headers["x-modelport-error-code"] == "invalid_input"
    assert error["details"][0]["column"] == column


async def test_matrix_with_a_nan_names_its_row_and_column(client: httpx.AsyncClient) -> None:
    data = [1.0, 2.0, 3.0, 4.0, 5.0, float("nan"), 7.0, 8.0]
    body = orjson.dumps({"inputs": [{"name": "x", "shape": [2, 4], "datatype": "FP64", "data": data}]})
    response = await client.post("/v2/models/clf/infer", content=body, headers={"content-type": "application/json"})
    # orjson writes NaN as null (JSON has no NaN); a null in an FP64 tensor is NaN again.
    assert response.status_code == 422, response.text
    assert response.json()["details"][0]["column"] == "b"
    binary = np.array(data).tobytes()
    head = orjson.dumps(
        {"inputs": [{"name": "x", "shape": [2, 4], "datatype": "FP64", "parameters": {"binary_data_size": 64}}]}
    )
    response = await client.post(
        "/v2/models/clf/infer", content=head + binary, headers={"inference-header-content-length": str(len(head))}
    )
    assert response.status_code == 422, response.text
    detail = response.json()["details"][0]
    assert (detail["row"], detail["column"]) == (1, "b")


async def test_integer_matrix_is_accepted_for_double_columns(
    client: httpx.AsyncClient, models: dict[str, Built]
) -> None:
    matrix = np.array([[1, 2, 3, 4], [0, -1, 2, 5]], dtype=np.int64)
    payload = {"inputs": [{"name": "x", "shape": [2, 4], "datatype": "INT64", "data": matrix.ravel().tolist()}]}
    response = await client.post("/v2/models/clf/infer", json=payload)
    assert response.status_code == 200, response.text
    predict = next(o for o in response.json()["outputs"] if o["name"] == "predict")
    frame = pd.DataFrame(matrix.astype(float), columns=["a", "b", "c", "d"])
    assert predict["data"] == models["clf_v1"].model.predict(frame).tolist()
