"""MLflow's scoring protocol: the four JSON shapes and CSV give the in-process predictions."""

from __future__ import annotations

from typing import Any

import httpx
import pandas as pd
import pytest

from tests.api.models import Built

pytestmark = pytest.mark.anyio


def _shapes(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    return {
        "dataframe_split": {"dataframe_split": frame.to_dict(orient="split")},
        "dataframe_records": {"dataframe_records": frame.to_dict(orient="records")},
        "instances": {"instances": frame.to_dict(orient="records")},
        "inputs_columns": {"inputs": frame.to_dict(orient="list")},
        "inputs_rows": {"inputs": frame.to_numpy().tolist()},
    }


@pytest.mark.parametrize(
    "shape", ["dataframe_split", "dataframe_records", "instances", "inputs_columns", "inputs_rows"]
)
async def test_every_json_shape_gives_the_models_predictions(
    client: httpx.AsyncClient, models: dict[str, Built], rows: pd.DataFrame, shape: str
) -> None:
    payload = _shapes(rows)[shape] | {"params": {}}
    response = await client.post("/invocations", json=payload)
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": models["clf_v1"].model.predict(rows).tolist()}
    assert response.headers["x-model-version"] == "1"


async def test_csv_body(client: httpx.AsyncClient, models: dict[str, Built], rows: pd.DataFrame) -> None:
    response = await client.post("/invocations", content=rows.to_csv(index=False), headers={"content-type": "text/csv"})
    assert response.status_code == 200, response.text
    assert response.json()["predictions"] == models["clf_v1"].model.predict(rows).tolist()


async def test_csv_with_string_columns(client: httpx.AsyncClient, models: dict[str, Built]) -> None:
    frame = models["cat"].frame.head(6)
    response = await client.post(
        "/deployments/cat/invocations",
        content=frame.to_csv(index=False),
        headers={"content-type": "text/csv; charset=utf-8"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["predictions"] == models["cat"].model.predict(frame).tolist()


async def test_other_content_types_get_415(client: httpx.AsyncClient) -> None:
    response = await client.post("/invocations", content=b"<a/>", headers={"content-type": "application/xml"})
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


@pytest.mark.parametrize(
    "payload",
    [
        {"dataframe_records": [], "instances": []},
        {"nothing": 1},
        {"dataframe_split": [[1, 2, 3, 4]]},
        [1, 2],
    ],
)
async def test_ambiguous_or_unknown_shapes_get_400(client: httpx.AsyncClient, payload: Any) -> None:
    response = await client.post("/invocations", json=payload)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"


async def test_ping_and_version(client: httpx.AsyncClient) -> None:
    assert (await client.get("/ping")).status_code == 200
    version = await client.get("/version")
    assert version.status_code == 200
    assert version.text.startswith("3.")


async def test_split_rows_of_the_wrong_width_are_422_naming_the_row(client: httpx.AsyncClient) -> None:
    payload = {"dataframe_split": {"columns": ["a", "b", "c", "d"], "data": [[1, 2, 3, 4], [1, 2, 3]]}}
    response = await client.post("/invocations", json=payload)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert [d["row"] for d in error["details"]] == [1]


async def test_split_with_a_string_in_a_numeric_column_is_422(client: httpx.AsyncClient) -> None:
    payload = {"dataframe_split": {"columns": ["a", "b", "c", "d"], "data": [[1, 2, 3, 4], [1, "2", 3, 4]]}}
    response = await client.post("/invocations", json=payload)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0] | {"problem": ""} == {"row": 1, "column": "b", "problem": ""}
