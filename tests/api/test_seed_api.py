"""The seed's REST API and per-deployment routes, against the models called in-process."""

from __future__ import annotations

import httpx
import numpy as np
import pandas as pd
import pytest

from tests.api.models import Built

pytestmark = pytest.mark.anyio


async def test_root_lists_deployments_and_protocols(client: httpx.AsyncClient) -> None:
    body = (await client.get("/")).json()
    assert set(body["deployments"]) == {"clf", "reg", "cat", "svc", "raising"}
    assert body["default_deployment"] == "clf"
    assert body["protocols"]["mlflow"] == "/invocations"


async def test_health_names_model_uri_and_version(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "healthy"
    assert body["model_loaded"] is True
    assert body["model_uri"] == "models:/clf@production"
    assert body["model_version"] == "1"
    assert body["timestamp"]
    assert response.headers["x-request-id"]


async def test_predict_matches_the_model_in_process(
    client: httpx.AsyncClient, models: dict[str, Built], rows: pd.DataFrame
) -> None:
    response = await client.post("/predict", json={"features": rows.to_dict(orient="records")})
    assert response.status_code == 200, response.text
    body = response.json()
    model = models["clf_v1"].model
    assert body["predictions"] == model.predict(rows).tolist()
    np.testing.assert_allclose(body["probabilities"], model.predict_proba(rows), atol=1e-5)
    assert (body["model_name"], body["model_version"]) == ("clf", "1")
    assert response.headers["x-model-version"] == "1"


async def test_predict_batch_counts_rows(client: httpx.AsyncClient, models: dict[str, Built]) -> None:
    frame = models["clf_v1"].frame.head(120)
    body = (await client.post("/predict/batch", json={"features": frame.to_dict(orient="records")})).json()
    assert body["count"] == 120
    assert body["predictions"] == models["clf_v1"].model.predict(frame).tolist()


async def test_model_info_describes_the_served_version(client: httpx.AsyncClient) -> None:
    body = (await client.get("/model/info")).json()
    assert body["features"] == ["a", "b", "c", "d"]
    assert body["version"] == "1"
    assert body["predictor"] in {"onnx", "native", "pyfunc"}
    assert [c["type"] for c in body["signature"]["inputs"]] == ["double"] * 4
    assert body["classes"] == [0, 1]


@pytest.mark.parametrize("name", ["reg", "svc"])
async def test_named_deployments_predict_like_their_models(
    client: httpx.AsyncClient, models: dict[str, Built], name: str
) -> None:
    frame = models[name].frame.head(7)
    response = await client.post(f"/deployments/{name}/predict", json={"features": frame.to_dict(orient="records")})
    assert response.status_code == 200, response.text
    body = response.json()
    np.testing.assert_allclose(body["predictions"], models[name].model.predict(frame), rtol=1e-4)
    assert body["probabilities"] is None


async def test_string_columns_and_multiclass(client: httpx.AsyncClient, models: dict[str, Built]) -> None:
    built = models["cat"]
    frame = built.frame.head(9)
    response = await client.post("/deployments/cat/predict", json={"features": frame.to_dict(orient="records")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["predictions"] == built.model.predict(frame).tolist()
    assert body["classes"] == built.model.classes_.tolist()
    np.testing.assert_allclose(body["probabilities"], built.model.predict_proba(frame), atol=1e-4)


async def test_deployment_view_lists_loaded_versions(client: httpx.AsyncClient) -> None:
    body = (await client.get("/deployments/clf")).json()
    assert body["model"] == "clf"
    assert body["alias"] == "production"
    assert body["versions"]["active"]["version"] == "1"
    assert body["load_error"] is None


async def test_openapi_documents_the_request_bodies(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    predict = spec["paths"]["/predict"]["post"]
    assert "features" in predict["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert "/v2/models/{name}/infer" in spec["paths"]
    assert (await client.get("/docs")).status_code == 200
