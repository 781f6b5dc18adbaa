"""Bad input gets exactly the right status and error code, and never hurts the server."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from modelport.inference import MemoryCatalog
from modelport.serving import create_app
from tests.api.models import make_settings

pytestmark = pytest.mark.anyio

GOOD = {"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0}


@pytest.mark.parametrize(
    ("record", "column", "problem"),
    [
        ({"a": 1.0, "b": 2.0, "c": 3.0}, "d", "missing required column"),
        (GOOD | {"e": 5.0}, "e", "unexpected column"),
        (GOOD | {"b": "two"}, "b", "expected a number, got string"),
        (GOOD | {"c": None}, "c", "null not allowed"),
    ],
)
async def test_schema_violations_are_422_with_row_and_column(
    client: httpx.AsyncClient, record: dict[str, Any], column: str, problem: str
) -> None:
    response = await client.post("/predict", json={"features": [GOOD, record]})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["details"] == [{"row": 1, "column": column, "problem": problem}]
    assert (await client.get("/health")).json()["status"] == "healthy"


async def test_nan_where_the_schema_forbids_it(client: httpx.AsyncClient) -> None:
    body = b'{"features": [{"a": NaN, "b": 1, "c": 1, "d": 1}]}'
    response = await client.post("/predict", content=body, headers={"content-type": "application/json"})
    # orjson refuses the non-standard NaN token: malformed JSON. A null is the JSON spelling of NaN.
    assert response.status_code == 400
    null = await client.post("/predict", json={"features": [GOOD | {"a": None}]})
    assert null.status_code == 422
    detail = null.json()["error"]["details"][0]
    assert (detail["row"], detail["column"]) == (0, "a")


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/predict", content=b'{"features": [', headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"


async def test_body_over_the_limit_is_413(tmp_path: Path, catalog: MemoryCatalog) -> None:
    app = create_app(make_settings(tmp_path, max_body_bytes=2048), catalog=catalog)
    async with app.router.lifespan_context(app), _client(app) as client:
        big = {"features": [GOOD] * 100}
        response = await client.post("/predict", json=big)
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "payload_too_large"

        async def chunks() -> Any:  # no Content-Length: the limit must hold while reading
            for _ in range(10):
                yield b" " * 1000

        streamed = await client.post("/invocations", content=chunks(), headers={"content-type": "application/json"})
        assert streamed.status_code == 413
        assert (await client.post("/predict", json={"features": [GOOD]})).status_code == 200


async def test_too_many_rows_is_413(tmp_path: Path, catalog: MemoryCatalog) -> None:
    app = create_app(make_settings(tmp_path, max_rows=10), catalog=catalog)
    async with app.router.lifespan_context(app), _client(app) as client:
        response = await client.post("/predict", json={"features": [GOOD] * 11})
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "payload_too_large"
        split = {"dataframe_split": {"columns": list(GOOD), "data": [list(GOOD.values())] * 11}}
        assert (await client.post("/invocations", json=split)).status_code == 413


async def test_unknown_deployment_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post("/deployments/nope/predict", json={"features": [GOOD]})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "deployment_not_found"
    route = await client.get("/no/such/route")
    assert route.status_code == 404
    assert route.json()["error"]["code"] == "route_not_found"


async def test_a_model_that_raises_is_500_with_the_request_id_in_body_and_log(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="modelport"):
        response = await client.post("/deployments/raising/predict", json={"features": [GOOD | {"a": 1000.0}]})
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "internal_error"
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text
    request_id = response.headers["x-request-id"]
    assert error["request_id"] == request_id
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged
    assert logged[0].exc_info is not None  # the traceback goes to the log, not to the client
    ok = await client.post("/deployments/raising/predict", json={"features": [GOOD]})
    assert ok.status_code == 200
    assert ok.json()["predictions"] == [1.0]


async def test_client_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/health", headers={"x-request-id": "trace-123"})
    assert response.headers["x-request-id"] == "trace-123"
    hostile = await client.get("/health", headers={"x-request-id": "bad id\twith spaces"})
    assert hostile.headers["x-request-id"] != "bad id\twith spaces"


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
