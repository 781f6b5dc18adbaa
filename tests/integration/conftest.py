"""Serving fixtures for integration tests: a real uvicorn on 127.0.0.1:0 (bound port read back), real clients."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import uvicorn
from fastapi import FastAPI
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from modelport.serving.server import bind_socket
from tests.api.models import save_sklearn
from tests.integration.serving_live import LiveServer

FEATURES = [f"f{i}" for i in range(6)]


@pytest.fixture
def serve_app() -> Iterator[Any]:
    """``serve_app(app) -> LiveServer``: run the app on a port the kernel picked; stop it at teardown."""
    running: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(app: FastAPI) -> LiveServer:
        sock = bind_socket("127.0.0.1", 0)
        host, port = sock.getsockname()[:2]
        server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="on", access_log=False))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.01)
        running.append((server, thread))
        return LiveServer(f"http://{host}:{port}", host, port)

    yield start
    for server, thread in running:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="session")
def training() -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(7)
    x = pd.DataFrame(rng.normal(size=(300, len(FEATURES))), columns=FEATURES)
    y = pd.Series((x["f0"] - x["f1"] + 0.3 * x["f2"] > 0).astype(int), name="label")
    return x, y


@pytest.fixture(scope="session")
def estimators(training: tuple[pd.DataFrame, pd.Series]) -> dict[str, Any]:
    x, y = training
    return {
        "v1": GradientBoostingClassifier(n_estimators=15, random_state=0).fit(x, y),
        "v2": LogisticRegression().fit(x, y),
    }


@pytest.fixture(scope="session")
def model_dirs(
    tmp_path_factory: pytest.TempPathFactory,
    training: tuple[pd.DataFrame, pd.Series],
    estimators: dict[str, Any],
) -> dict[str, Path]:
    x, y = training
    root = tmp_path_factory.mktemp("integration-models")
    out: dict[str, Path] = {}
    for key, model in estimators.items():
        out[key] = save_sklearn(root / key, model, x, y, sample_rows=100).path
    return out
