"""``GET /deployments/{name}/drift`` and ``modelport_feature_psi``: a shifted feature is flagged, and only it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from modelport.inference import MemoryCatalog, Node
from modelport.serving import create_app
from modelport.settings import Settings
from tests.api.models import NUMERIC, Built, make_settings, numeric_frame, save_sklearn

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def drift_model(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """A classifier that kept 1000 sample rows: a reference big enough for steady PSI."""
    x = numeric_frame(11, n=1000)
    y = (x["a"] + x["b"] > 0).astype(int)
    return save_sklearn(tmp_path_factory.mktemp("drift") / "m", LogisticRegression().fit(x, y), x, y, sample_rows=1000)


@pytest.fixture
async def served(tmp_path: Path, drift_model: Built) -> AsyncIterator[tuple[Node, httpx.AsyncClient]]:
    catalog = MemoryCatalog()
    catalog.add_version("risk", "1", drift_model.path)
    catalog.point("risk", "production", "1")
    catalog.deploy("risk", "risk")
    settings = make_settings(tmp_path, default_deployment="risk")
    settings.drift.max_rows_per_s = 1_000_000  # every row counts, however fast the test runs
    node = Node(settings, catalog=catalog)
    app = create_app(settings, node=node)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield node, c


async def _send(client: httpx.AsyncClient, frame: pd.DataFrame, batch: int = 50) -> None:
    for start in range(0, len(frame), batch):
        rows = frame.iloc[start : start + batch].to_dict(orient="records")
        response = await client.post("/deployments/risk/predict", json={"features": rows})
        assert response.status_code == 200, response.text


async def test_shifted_feature_is_flagged_and_only_it(served: tuple[Node, httpx.AsyncClient]) -> None:
    node, client = served
    traffic = numeric_frame(99, n=1500)
    traffic["c"] += 4.0  # four standard deviations
    await _send(client, traffic)
    assert node.drift is not None
    await asyncio.to_thread(node.drift.flush)

    response = await client.get("/deployments/risk/drift")
    assert response.status_code == 200
    body = response.json()
    assert (body["deployment"], body["model"], body["version"]) == ("risk", "risk", "1")
    assert body["window"]["rows"] == 1500
    assert body["window"]["reference_rows"] == 1000
    assert body["drifted"] == ["c"]
    flags = {f["name"]: f["drifted"] for f in body["features"]}
    assert flags == {"a": False, "b": False, "c": True, "d": False}
    psi = {f["name"]: f["psi"] for f in body["features"]}
    assert psi["c"] > 1.0
    assert max(psi[n] for n in NUMERIC if n != "c") < 0.1

    metrics = (await client.get("/metrics")).text
    gauges = {
        line.split('feature="')[1].split('"')[0]: float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("modelport_feature_psi{")
    }
    assert gauges.keys() == set(NUMERIC)
    assert gauges["c"] == pytest.approx(psi["c"], rel=1e-3)
    assert all(gauges[n] < 0.2 for n in NUMERIC if n != "c")


async def test_unshifted_traffic_drifts_nowhere(served: tuple[Node, httpx.AsyncClient]) -> None:
    node, client = served
    await _send(client, numeric_frame(5, n=1000))
    assert node.drift is not None
    await asyncio.to_thread(node.drift.flush)
    body = (await client.get("/deployments/risk/drift")).json()
    assert body["enough_data"]
    assert body["drifted"] == []


async def test_too_few_rows_report_no_psi(served: tuple[Node, httpx.AsyncClient]) -> None:
    node, client = served
    await _send(client, numeric_frame(5, n=20))
    assert node.drift is not None
    await asyncio.to_thread(node.drift.flush)
    body = (await client.get("/deployments/risk/drift")).json()
    assert not body["enough_data"]
    assert body["window"]["rows"] == 20
    assert [f["psi"] for f in body["features"]] == [None] * 4


async def test_unknown_deployment_and_version(served: tuple[Node, httpx.AsyncClient]) -> None:
    _, client = served
    missing = await client.get("/deployments/nope/drift")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "deployment_not_found"
    version = await client.get("/deployments/risk/drift", params={"version": "9"})
    assert version.status_code == 404
    assert version.json()["error"]["code"] == "version_not_found"


async def test_a_version_without_sample_has_no_reference(tmp_path: Path, drift_model: Built) -> None:
    import shutil

    bare = tmp_path / "bare"
    shutil.copytree(drift_model.path, bare)
    (bare / "modelport_sample.parquet").unlink()
    catalog = MemoryCatalog()
    catalog.add_version("bare", "1", bare)
    catalog.point("bare", "production", "1")
    catalog.deploy("bare", "bare")
    app = create_app(make_settings(tmp_path, default_deployment="bare"), catalog=catalog)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        response = await c.get("/deployments/bare/drift")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "no_reference"


async def test_drift_off(tmp_path: Path, drift_model: Built) -> None:
    catalog = MemoryCatalog()
    catalog.add_version("risk", "1", drift_model.path)
    catalog.point("risk", "production", "1")
    catalog.deploy("risk", "risk")
    settings = Settings(home=tmp_path / "home", drift={"enabled": False})
    app = create_app(settings, catalog=catalog)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        response = await c.get("/deployments/risk/drift")
    assert response.status_code == 404
    assert "off" in response.json()["error"]["message"]
