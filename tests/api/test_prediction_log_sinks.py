"""The prediction log's broker sinks (real Redis, librdkafka's mock Kafka cluster) under the app in-process.

The per-deployment switch and the row limit hold in a stream exactly as in Parquet; a broker that
never answers costs dropped records, counted, and never a request.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from modelport.inference import MemoryCatalog, Node
from modelport.logsinks import open_log_sink, read_logged
from modelport.serving import create_app
from modelport.settings import Settings
from tests.api.models import Built

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["redis", "kafka"])
def sink(request: pytest.FixtureRequest) -> dict[str, Any]:
    """``prediction_log`` settings naming a live broker sink."""
    if request.param == "redis":
        return {
            "sink": "redis",
            "topic": request.getfixturevalue("redis_prefix")[1] + "predictions",
            "redis_url": "redis://127.0.0.1:6379",
        }
    servers = request.getfixturevalue("mock_cluster")
    return {"sink": "kafka", "topic": f"log-{uuid.uuid4().hex[:8]}", "kafka_bootstrap_servers": servers}


@pytest.fixture
def silent_broker() -> Iterator[str]:
    """``host:port`` of a socket that takes connections and never answers: the slowest broker there is."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        host, port = listener.getsockname()
        yield f"{host}:{port}"


def _settings(tmp_path: Path, **log: Any) -> Settings:
    kafka = {"kafka_config": {"log_level": "3"}}
    return Settings(home=tmp_path / "home", serving={"default_deployment": "clf"}, prediction_log=log, stream=kafka)


async def _serve(settings: Settings, catalog: MemoryCatalog) -> AsyncIterator[tuple[Node, httpx.AsyncClient]]:
    node = Node(settings, catalog=catalog, log_sink=open_log_sink)
    app = create_app(settings, node=node)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield node, c


async def test_the_per_deployment_switch_and_the_row_limit_hold_in_the_stream(
    tmp_path: Path, catalog: MemoryCatalog, models: dict[str, Built], sink: dict[str, Any]
) -> None:
    settings = _settings(tmp_path, deployments={"clf": "metadata", "reg": "off"}, max_rows_per_request=2, **sink)
    since = datetime.now(UTC) - timedelta(minutes=1)
    rows = models["clf_v1"].frame.head(3).to_dict(orient="records")
    async for node, client in _serve(settings, catalog):
        assert node.prediction_log is not None
        for name in ("clf", "reg", "svc"):
            response = await client.post(f"/deployments/{name}/predict", json={"features": rows})
            assert response.status_code == 200
    assert node.prediction_log.written == 2  # clf and svc; reg is off

    (clf,) = read_logged(settings, "clf", since=since)
    assert (clf.deployment, clf.variant, clf.version, clf.rows) == ("clf", "primary", "1", 3)
    assert (clf.inputs, clf.outputs) == (None, None)
    assert read_logged(settings, "reg", since=since) == []
    (svc,) = read_logged(settings, "svc", since=since)
    assert svc.rows == 3
    assert svc.inputs == [{k: pytest.approx(v) for k, v in r.items()} for r in rows[:2]]
    assert svc.outputs is not None
    assert svc.outputs["predictions"] == models["svc"].model.predict(models["svc"].frame.head(2)).tolist()
    assert read_logged(settings, "svc", since=datetime.now(UTC)) == []


@pytest.mark.parametrize("kind", ["redis", "kafka"])
async def test_a_broker_that_never_answers_drops_records_and_serves_every_request(
    tmp_path: Path, catalog: MemoryCatalog, models: dict[str, Built], silent_broker: str, kind: str
) -> None:
    where = {"redis_url": f"redis://{silent_broker}"} if kind == "redis" else {"kafka_bootstrap_servers": silent_broker}
    settings = _settings(tmp_path, sink=kind, send_timeout_s=0.2, flush_interval_s=0.05, **where)
    rows = models["clf_v1"].frame.head(1).to_dict(orient="records")
    async for node, client in _serve(settings, catalog):
        assert node.prediction_log is not None
        for _ in range(20):
            assert (await client.post("/predict", json={"features": rows})).status_code == 200
    # Every record was given up on — when a write timed out (Redis) or at shutdown (Kafka) — and counted.
    assert node.prediction_log.written == 0
    assert node.prediction_log.dropped == 20
