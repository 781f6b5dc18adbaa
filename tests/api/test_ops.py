"""Probes, metrics, CORS and logs: what operators and Kubernetes see."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import httpx
import pandas as pd
import pytest
from fastapi import FastAPI

from modelport.inference import MemoryCatalog
from modelport.serving import create_app
from modelport.serving.logs import configure_logging
from tests.api.models import Built, make_settings

pytestmark = pytest.mark.anyio


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def test_probes_when_ready(client: httpx.AsyncClient) -> None:
    assert (await client.get("/livez")).json() == {"live": True}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["deployments"]["clf"] == "healthy"


async def test_not_ready_until_a_version_is_loaded(tmp_path: Path, models: dict[str, Built]) -> None:
    catalog = MemoryCatalog()
    catalog.add_version("clf", "1", models["clf_v1"].path)
    catalog.deploy("clf", "clf")  # no alias yet: nothing to serve
    app = create_app(make_settings(tmp_path), catalog=catalog)
    async with app.router.lifespan_context(app), _client(app) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["error"]["code"] == "not_ready"
        assert (await client.get("/health")).json()["status"] == "unhealthy"
        assert (await client.get("/v2/health/ready")).status_code == 503
        predict = await client.post("/predict", json={"features": [{"a": 1, "b": 1, "c": 1, "d": 1}]})
        assert predict.status_code == 503
        assert predict.json()["error"]["code"] == "not_ready"
        assert (await client.get("/livez")).status_code == 200


async def test_metrics_by_deployment_and_version(client: httpx.AsyncClient, rows: pd.DataFrame) -> None:
    await client.post("/predict", json={"features": rows.to_dict(orient="records")})
    await client.post("/invocations", json={"dataframe_records": rows.to_dict(orient="records")})
    await client.post("/predict", json={"features": [{"a": "x"}]})
    response = await client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'modelport_requests_total{deployment="clf",protocol="seed",version="1"} 1.0' in text
    assert 'modelport_requests_total{deployment="clf",protocol="mlflow",version="1"} 1.0' in text
    assert 'modelport_predicted_rows_total{deployment="clf",version="1"} 10.0' in text
    assert 'modelport_errors_total{code="invalid_input"} 1.0' in text
    assert 'modelport_loaded_version{deployment="clf",model="clf",role="active",version="1"} 1.0' in text
    assert 'modelport_batch_rows_count{deployment="clf",version="1"}' in text
    assert "modelport_request_latency_seconds_bucket" in text


async def test_each_app_has_its_own_metrics(tmp_path: Path, catalog: MemoryCatalog, rows: pd.DataFrame) -> None:
    first = create_app(make_settings(tmp_path), catalog=catalog)
    second = create_app(make_settings(tmp_path), catalog=catalog)
    async with (
        first.router.lifespan_context(first),
        second.router.lifespan_context(second),
        _client(first) as a,
        _client(second) as b,
    ):
        await a.post("/predict", json={"features": rows.to_dict(orient="records")})
        assert 'protocol="seed",version="1"} 1.0' in (await a.get("/metrics")).text
        assert 'protocol="seed"' not in (await b.get("/metrics")).text


async def test_no_cors_unless_origins_are_configured(
    client: httpx.AsyncClient, tmp_path: Path, catalog: MemoryCatalog
) -> None:
    preflight = {"origin": "https://app.example", "access-control-request-method": "POST"}
    closed = await client.options("/predict", headers=preflight)
    assert "access-control-allow-origin" not in closed.headers
    app = create_app(make_settings(tmp_path, cors_origins=["https://app.example"]), catalog=catalog)
    async with app.router.lifespan_context(app), _client(app) as open_client:
        allowed = await open_client.options("/predict", headers=preflight)
        assert allowed.headers["access-control-allow-origin"] == "https://app.example"
        assert "access-control-allow-credentials" not in allowed.headers
        other = await open_client.options("/predict", headers=preflight | {"origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


async def test_json_logs_carry_the_request_id(client: httpx.AsyncClient) -> None:
    stream = io.StringIO()
    configure_logging(json_logs=True, level=logging.DEBUG)
    logger = logging.getLogger("modelport")
    handler = logger.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    try:
        response = await client.post("/predict", json={"features": [{"a": "x"}]}, headers={"x-request-id": "abc-1"})
    finally:
        for name in ("modelport", "uvicorn", "uvicorn.error", "uvicorn.access"):  # as they were
            configured = logging.getLogger(name)
            configured.handlers.clear()
            configured.propagate = True
            configured.setLevel(logging.NOTSET)
    assert response.status_code == 422
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = [e for e in lines if e["logger"] == "modelport.serving.access"]
    assert access
    assert access[0]["request_id"] == "abc-1"
    assert "422" in access[0]["message"]


async def test_a_deployment_whose_alias_points_nowhere_does_not_hold_back_the_others(
    tmp_path: Path, models: dict[str, Built]
) -> None:
    catalog = MemoryCatalog()
    catalog.add_version("clf", "1", models["clf_v1"].path)
    catalog.point("clf", "production", "1")
    catalog.deploy("clf", "clf")
    catalog.deploy("orphan", "clf", alias="staging")  # nobody promoted to staging
    app = create_app(make_settings(tmp_path), catalog=catalog)
    async with app.router.lifespan_context(app), _client(app) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        body = ready.json()
        assert body["deployments"] == {"clf": "healthy", "orphan": "unhealthy"}
        assert list(body["unready"]) == ["orphan"]
        assert "staging" in body["unready"]["orphan"]
        orphan = await client.post("/deployments/orphan/predict", json={"features": [{"a": 1, "b": 1, "c": 1, "d": 1}]})
        assert (orphan.status_code, orphan.json()["error"]["code"]) == (503, "not_ready")
        assert (await client.post("/predict", json={"features": [{"a": 1, "b": 1, "c": 1, "d": 1}]})).status_code == 200
