"""MLflow's own scoring client and Triton's HTTP client, unchanged, against a live modelport server."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import requests
import tritonclient.http as triton
from mlflow.pyfunc.scoring_server.client import ScoringServerClient
from tritonclient.utils import InferenceServerException

from modelport.inference import MemoryCatalog
from modelport.serving import create_app
from modelport.settings import ServingSettings, Settings
from tests.integration.serving_live import LiveServer


@pytest.fixture
def live(serve_app: Any, model_dirs: dict[str, Path], tmp_path: Path) -> LiveServer:
    catalog = MemoryCatalog()
    catalog.add_version("risk", "1", model_dirs["v1"])
    catalog.add_version("risk", "2", model_dirs["v2"])
    catalog.point("risk", "production", "1")
    catalog.deploy("risk", "risk")
    settings = Settings(home=tmp_path / "home", serving=ServingSettings(port=0))
    server: LiveServer = serve_app(create_app(settings, catalog=catalog))
    return server


def test_mlflow_scoring_client(
    live: LiveServer, training: tuple[pd.DataFrame, pd.Series], estimators: dict[str, Any]
) -> None:
    x, _ = training
    frame = x.head(25)
    client = ScoringServerClient(live.host, live.port)
    client.wait_server_ready(timeout=30)
    client.ping()
    assert client.get_version().startswith("3.")
    response = client.invoke(frame)
    predictions = response.get_predictions(predictions_format="ndarray")
    assert predictions.tolist() == estimators["v1"].predict(frame).tolist()


def test_csv_over_plain_http(
    live: LiveServer, training: tuple[pd.DataFrame, pd.Series], estimators: dict[str, Any]
) -> None:
    frame = training[0].head(10)
    response = requests.post(
        f"{live.url}/invocations",
        data=frame.to_csv(index=False),
        headers={"Content-Type": "text/csv"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.json()["predictions"] == estimators["v1"].predict(frame).tolist()
    assert response.headers["x-model-version"] == "1"


@pytest.mark.parametrize("binary", [True, False])
def test_triton_http_client(
    live: LiveServer, training: tuple[pd.DataFrame, pd.Series], estimators: dict[str, Any], binary: bool
) -> None:
    frame = training[0].head(16)
    client = triton.InferenceServerClient(url=f"{live.host}:{live.port}")
    assert client.is_server_live()
    assert client.is_server_ready()
    assert client.is_model_ready("risk")
    metadata = client.get_model_metadata("risk")
    assert [i["name"] for i in metadata["inputs"]] == list(frame.columns)

    matrix = frame.to_numpy(dtype=np.float32)
    tensor = triton.InferInput("features", list(matrix.shape), "FP32")
    tensor.set_data_from_numpy(matrix, binary_data=binary)
    outputs = [
        triton.InferRequestedOutput("predict", binary_data=binary),
        triton.InferRequestedOutput("predict_proba"),
    ]
    result = client.infer("risk", [tensor], outputs=outputs)
    model = estimators["v1"]
    assert result.as_numpy("predict").tolist() == model.predict(frame.astype(np.float32)).tolist()
    np.testing.assert_allclose(result.as_numpy("predict_proba"), model.predict_proba(frame), atol=1e-4)
    assert result.get_response()["model_version"] == "1"

    pinned = client.infer("risk", [tensor], model_version="2")
    assert pinned.as_numpy("predict").tolist() == estimators["v2"].predict(frame).tolist()
    client.close()


@pytest.mark.parametrize("compression", ["gzip", "deflate"])
def test_triton_request_compression_errors_and_declared_datatypes(
    live: LiveServer, training: tuple[pd.DataFrame, pd.Series], estimators: dict[str, Any], compression: str
) -> None:
    frame = training[0].head(8)
    client = triton.InferenceServerClient(url=f"{live.host}:{live.port}")
    tensor = triton.InferInput("features", list(frame.shape), "FP64")
    tensor.set_data_from_numpy(frame.to_numpy(), binary_data=True)
    result = client.infer("risk", [tensor], request_compression_algorithm=compression)
    assert result.as_numpy("predict").tolist() == estimators["v1"].predict(frame).tolist()

    declared = {o["name"]: o["datatype"] for o in client.get_model_metadata("risk")["outputs"]}
    returned = {o["name"]: o["datatype"] for o in result.get_response()["outputs"]}
    assert returned == declared

    wrong = triton.InferInput("features", [1, 3], "FP64")
    wrong.set_data_from_numpy(np.zeros((1, 3)), binary_data=False)
    with pytest.raises(InferenceServerException) as caught:
        client.infer("risk", [wrong], request_compression_algorithm=compression)
    assert "expected [rows, 6]" in caught.value.message()
    assert caught.value.status() == "422"


def test_an_oversized_body_from_urllib_gets_the_413(
    serve_app: Any, model_dirs: dict[str, Path], tmp_path: Path
) -> None:
    catalog = MemoryCatalog()
    catalog.add_version("risk", "1", model_dirs["v1"])
    catalog.point("risk", "production", "1")
    catalog.deploy("risk", "risk")
    settings = Settings(home=tmp_path / "home", serving=ServingSettings(port=0, max_body_bytes=64 * 1024))
    server: LiveServer = serve_app(create_app(settings, catalog=catalog))
    body = b'{"features": [' + b" " * (12 * 1024 * 1024) + b"]}"
    request = urllib.request.Request(f"{server.url}/predict", data=body, headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as caught:  # not a ConnectionResetError
        urllib.request.urlopen(request, timeout=30)
    assert caught.value.code == 413
    assert b"payload_too_large" in caught.value.read()
