"""The prediction log: what a served request leaves in the Parquet dataset, per deployment switch."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from modelport.inference import MemoryCatalog, Node, read_log
from modelport.serving import create_app
from modelport.settings import Settings
from tests.api.models import Built

pytestmark = pytest.mark.anyio


async def _serve(settings: Settings, catalog: MemoryCatalog) -> AsyncIterator[tuple[Node, httpx.AsyncClient]]:
    node = Node(settings, catalog=catalog)
    app = create_app(settings, node=node)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield node, c


def _settings(tmp_path: Path, **log: Any) -> Settings:
    return Settings(home=tmp_path / "home", serving={"default_deployment": "clf"}, prediction_log=log)


def _since() -> datetime:
    return datetime.now(UTC) - timedelta(minutes=1)


async def test_requests_are_logged_with_ids_inputs_and_outputs(
    tmp_path: Path, catalog: MemoryCatalog, models: dict[str, Built]
) -> None:
    settings = _settings(tmp_path)
    rows = models["clf_v1"].frame.head(3).to_dict(orient="records")
    ids = []
    async for _node, client in _serve(settings, catalog):
        for i in range(4):
            response = await client.post(
                "/predict",
                json={"features": rows},
                headers={"X-Request-ID": f"req-{i}", "Cookie": "session=secret-token"},
            )
            assert response.status_code == 200
            ids.append(response.headers["x-request-id"])
    # Stopping the node wrote everything queued.
    entries = read_log(settings.prediction_log_dir, "clf", since=_since())
    assert [e.request_id for e in entries] == ids == [f"req-{i}" for i in range(4)]
    first = entries[0]
    assert (first.deployment, first.model, first.version) == ("clf", "clf", "1")
    assert (first.variant, first.rows) == ("primary", 3)
    assert first.inputs == [{k: pytest.approx(v) for k, v in r.items()} for r in rows]
    assert first.outputs is not None
    assert first.outputs["predictions"] == models["clf_v1"].model.predict(models["clf_v1"].frame.head(3)).tolist()
    assert first.latency_ms > 0
    files = list(settings.prediction_log_dir.glob("deployment=clf/date=*/*.parquet"))
    assert files
    raw = b"".join(f.read_bytes() for f in files)
    assert b"secret-token" not in raw
    assert b"session=" not in raw


async def test_per_deployment_switch(tmp_path: Path, catalog: MemoryCatalog, models: dict[str, Built]) -> None:
    settings = _settings(tmp_path, deployments={"clf": "metadata", "reg": "off"})
    rows = models["clf_v1"].frame.head(2).to_dict(orient="records")
    async for _node, client in _serve(settings, catalog):
        assert (await client.post("/deployments/clf/predict", json={"features": rows})).status_code == 200
        assert (await client.post("/deployments/reg/predict", json={"features": rows})).status_code == 200
        assert (await client.post("/deployments/svc/predict", json={"features": rows})).status_code == 200
    (clf,) = read_log(settings.prediction_log_dir, "clf", since=_since())
    assert clf.inputs is None
    assert clf.outputs is None
    assert clf.rows == 2
    assert read_log(settings.prediction_log_dir, "reg", since=_since()) == []
    (svc,) = read_log(settings.prediction_log_dir, "svc", since=_since())
    assert svc.inputs is not None


async def test_log_off_writes_nothing(tmp_path: Path, catalog: MemoryCatalog, models: dict[str, Built]) -> None:
    settings = _settings(tmp_path, fields="off")
    rows = models["clf_v1"].frame.head(2).to_dict(orient="records")
    async for node, client in _serve(settings, catalog):
        assert node.prediction_log is None
        assert (await client.post("/predict", json={"features": rows})).status_code == 200
    assert not settings.prediction_log_dir.exists()


async def test_a_full_queue_drops_instead_of_waiting(
    tmp_path: Path, catalog: MemoryCatalog, models: dict[str, Built]
) -> None:
    settings = _settings(tmp_path, queue_size=1, flush_interval_s=60.0)
    rows = models["clf_v1"].frame.head(1).to_dict(orient="records")
    async for node, client in _serve(settings, catalog):
        assert node.prediction_log is not None
        # The writer holds at most one record between its flushes: the rest are dropped and counted.
        responses = await asyncio.gather(*(client.post("/predict", json={"features": rows}) for _ in range(20)))
        assert all(r.status_code == 200 for r in responses)
        assert node.prediction_log.dropped > 0
        metrics = (await client.get("/metrics")).text
        assert 'modelport_prediction_log_dropped_total{deployment="clf"}' in metrics
