"""The real registry behind a live server: promote and rollback from another process under load."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import mlflow.pyfunc
import numpy as np
import pandas as pd
import pytest

import modelport
from modelport.demo.dataset import FEATURES
from modelport.registry import Registry
from modelport.serving import create_app
from modelport.settings import ServingSettings, Settings
from modelport.state import StateStore
from tests.integration.serving_live import LiveServer, eventually

SRC = str(Path(modelport.__file__).resolve().parents[1])


def _cli(home: Path, *args: str) -> None:
    env = os.environ | {"PYTHONPATH": SRC}
    done = subprocess.run(
        [sys.executable, "-m", "modelport", "--home", str(home), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture
def demo_settings(demo_home: Path) -> Settings:
    settings = Settings(home=demo_home, serving=ServingSettings(poll_interval_s=0.1))
    store = StateStore.open(settings)
    store.create_deployment("credit", "credit_risk", "production")
    store.close()
    return settings


@pytest.fixture
def rows(demo_home: Path) -> pd.DataFrame:
    return pd.read_csv(demo_home / "demo" / "credit_to_score.csv").head(8)


@pytest.fixture
def ground_truth(demo_settings: Settings) -> Callable[[int, pd.DataFrame], list[Any]]:
    registry = Registry.open(demo_settings)
    loaded: dict[int, Any] = {}

    def predict(version: int, frame: pd.DataFrame) -> list[Any]:
        if version not in loaded:
            loaded[version] = mlflow.pyfunc.load_model(str(registry.local_model_dir("credit_risk", version)))
        return np.asarray(loaded[version].predict(frame)).tolist()

    return predict


def test_every_protocol_gives_the_in_process_predictions(
    serve_app: Any, demo_settings: Settings, rows: pd.DataFrame, ground_truth: Callable[[int, pd.DataFrame], list[Any]]
) -> None:
    live: LiveServer = serve_app(create_app(demo_settings))
    expected = ground_truth(1, rows)
    with httpx.Client(base_url=live.url, timeout=30) as client:
        seed = client.post("/predict", json={"features": rows.to_dict(orient="records")}).json()
        assert (seed["model_name"], seed["model_version"], seed["predictions"]) == ("credit_risk", "1", expected)
        for payload in (
            {"dataframe_split": rows.to_dict(orient="split")},
            {"dataframe_records": rows.to_dict(orient="records")},
            {"instances": rows.to_dict(orient="records")},
            {"inputs": rows.to_dict(orient="list")},
        ):
            assert client.post("/invocations", json=payload).json()["predictions"] == expected
        csv = client.post("/invocations", content=rows.to_csv(index=False), headers={"content-type": "text/csv"})
        assert csv.json()["predictions"] == expected
        matrix = rows[list(FEATURES)].to_numpy()
        tensor = {"name": "x", "shape": list(matrix.shape), "datatype": "FP64", "data": matrix.ravel().tolist()}
        v2 = client.post("/v2/models/credit/infer", json={"inputs": [tensor]}).json()
        assert next(o for o in v2["outputs"] if o["name"] == "predict")["data"] == expected


def test_promote_and_rollback_under_load_with_zero_failed_requests(
    serve_app: Any,
    demo_settings: Settings,
    demo_home: Path,
    rows: pd.DataFrame,
    ground_truth: Callable[[int, pd.DataFrame], list[Any]],
) -> None:
    live: LiveServer = serve_app(create_app(demo_settings))
    expected = {1: ground_truth(1, rows), 2: ground_truth(2, rows)}
    records = {"features": rows.to_dict(orient="records")}
    answers: list[tuple[int, str, list[Any]]] = []
    failures: list[str] = []
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(base_url=live.url, timeout=30) as client:
            while not stop.is_set():
                try:
                    response = client.post("/predict", json=records)
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))
                    continue
                if response.status_code != 200:
                    failures.append(response.text)
                    continue
                body = response.json()
                answers.append((response.status_code, body["model_version"], body["predictions"]))

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        eventually(lambda: len(answers) > 20, "traffic flowing on v1")
        _cli(demo_home, "promote", "credit_risk", "2", "--reason", "integration test")
        eventually(lambda: {a[1] for a in answers[-20:]} == {"2"}, "every response on v2")
        _cli(demo_home, "rollback", "credit_risk")
        eventually(lambda: {a[1] for a in answers[-20:]} == {"1"}, "every response back on v1")
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert failures == []
    assert {version for _, version, _ in answers} == {"1", "2"}
    for _, version, predictions in answers:
        assert predictions == expected[int(version)]  # each response names the version that served it
