"""No wrong 200: each protocol refuses values that are not finite numbers of the declared type, by row and column."""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
import orjson
import pytest

pytestmark = pytest.mark.anyio

HEADER = "a,b,c,d\n"


async def _refused(response: httpx.Response, client: httpx.AsyncClient) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    assert (await client.get("/health")).json()["status"] == "healthy"
    return response.json()


@pytest.mark.parametrize(
    ("csv", "detail"),
    [
        (HEADER + "1,2,3,4\n9,1,2,3,4\n", {"row": 1, "column": None, "problem": "5 fields where the header has 4"}),
        (HEADER + "1,2,3\n", {"row": 0, "column": None, "problem": "3 fields where the header has 4"}),
        (HEADER + "1,2,3,4\n1,inf,3,4\n", {"row": 1, "column": "b", "problem": "not a finite number"}),
        (HEADER + "1,2,3,-inf\n", {"row": 0, "column": "d", "problem": "not a finite number"}),
    ],
)
async def test_csv_rows_of_another_width_and_infinities_are_422(
    client: httpx.AsyncClient, csv: str, detail: dict[str, Any]
) -> None:
    response = await client.post("/invocations", content=csv, headers={"content-type": "text/csv"})
    body = await _refused(response, client)
    assert body["error"]["code"] == "invalid_input"
    assert body["error"]["details"] == [detail]


@pytest.mark.parametrize(
    ("tensor", "detail"),
    [
        (
            {"name": "x", "shape": [2, 4], "datatype": "FP32", "data": [1, 2, 3, 4, 5, 1e39, 7, 8]},
            {"row": 1, "column": "b", "problem": "not a finite number"},
        ),
        (
            {"name": "x", "shape": [1, 4], "datatype": "INT8", "data": [1, 2, 3, 1000]},
            {"row": 0, "column": "x", "problem": "1000 is outside the INT8 range [-128, 127]"},
        ),
        (
            {"name": "x", "shape": [1, 4], "datatype": "UINT64", "data": [1, 2, -1, 4]},
            {"row": 0, "column": "x", "problem": "-1 is outside the UINT64 range [0, 18446744073709551615]"},
        ),
        (
            {"name": "x", "shape": [1, 4], "datatype": "INT64", "data": [1, 2, 1.5, 4]},
            {"row": 0, "column": "x", "problem": "1.5 is not a INT64 value"},
        ),
        (
            {"name": "x", "shape": [1, 4], "datatype": "FP64", "data": [1, True, 3, 4]},
            {"row": 0, "column": "x", "problem": "True is not a FP64 value"},
        ),
        (
            {"name": "x", "shape": [1, 4], "datatype": "FP64", "data": [1, "35", 3, 4]},
            {"row": 0, "column": "x", "problem": "'35' is not a FP64 value"},
        ),
    ],
)
async def test_v2_values_of_another_type_range_or_infinite_are_422(
    client: httpx.AsyncClient, tensor: dict[str, Any], detail: dict[str, Any]
) -> None:
    body = await _refused(await client.post("/v2/models/clf/infer", json={"inputs": [tensor]}), client)
    assert body["details"] == [detail]


async def test_v2_binary_infinity_and_repeated_names_are_422(client: httpx.AsyncClient) -> None:
    head = orjson.dumps(
        {"inputs": [{"name": "x", "shape": [2, 4], "datatype": "FP64", "parameters": {"binary_data_size": 64}}]}
    )
    data = np.array([1, 2, 3, 4, 5, 6, np.inf, 8], dtype=np.float64).tobytes()
    response = await client.post(
        "/v2/models/clf/infer", content=head + data, headers={"inference-header-content-length": str(len(head))}
    )
    assert (await _refused(response, client))["details"] == [
        {"row": 1, "column": "c", "problem": "not a finite number"}
    ]
    column = {"name": "a", "shape": [1], "datatype": "FP64", "data": [1.0]}
    others = [{"name": n, "shape": [1], "datatype": "FP64", "data": [1.0]} for n in "bcd"]
    twice = await client.post("/v2/models/clf/infer", json={"inputs": [column, *others, column]})
    detail = (await _refused(twice, client))["details"][0]
    assert detail == {"row": None, "column": "a", "problem": "this input name is sent twice"}
