"""The prediction log scaled out: ``modelport serve`` (two workers) writing to a Redis stream or a Kafka topic.

Real HTTP requests under an A/B test; the records are read straight from the broker as a downstream
consumer would, checked against the requests, and read back by ``modelport log --feedback``, joined
with the feedback on the request id.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pandas as pd
import pytest
import redis
from confluent_kafka import Consumer

from tests.integration.cli_runner import Cli
from tests.integration.serving_live import SRC, ab_requests_with_feedback, eventually, start_serve

FAST = {
    "MODELPORT_ROLLOUTS__FLUSH_INTERVAL_S": "0.2",
    "MODELPORT_SERVING__POLL_INTERVAL_S": "0.1",
    "MODELPORT_PREDICTION_LOG__FLUSH_INTERVAL_S": "0.2",
}


@pytest.fixture
def home(credit_home: Path) -> Path:
    return credit_home


class Broker:
    """The sink's settings for the server and the CLI, and the records a downstream consumer reads."""

    def __init__(self, env: dict[str, str], read: Any, close: Any = None) -> None:
        self.env = env
        self.read = read  # () -> list of raw JSON messages of deployment "credit"
        self.close = close or (lambda: None)


def _redis_broker(client: redis.Redis, prefix: str) -> Broker:
    stream = f"{prefix}predictions:credit"
    env = {
        "MODELPORT_PREDICTION_LOG__SINK": "redis",
        "MODELPORT_PREDICTION_LOG__TOPIC": f"{prefix}predictions",
        "MODELPORT_PREDICTION_LOG__REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    return Broker(env, lambda: [fields[b"data"] for _id, fields in client.xrange(stream)])


def _kafka_broker(bootstrap: str) -> Broker:
    topic = f"predictions-{uuid.uuid4().hex[:8]}"
    env = {
        "MODELPORT_PREDICTION_LOG__SINK": "kafka",
        "MODELPORT_PREDICTION_LOG__TOPIC": topic,
        "MODELPORT_PREDICTION_LOG__KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "MODELPORT_STREAM__KAFKA_CONFIG": '{"log_level": "3"}',
    }
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"reader-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "topic.metadata.refresh.interval.ms": 500,
            "log_level": 3,
        }
    )
    consumer.subscribe([topic])
    seen: list[bytes] = []

    def read() -> list[bytes]:
        for message in consumer.consume(1000, 0.2):
            if message.error() is None:
                assert dict(message.headers() or [])["deployment"] == b"credit"
                seen.append(message.value())
        return seen

    return Broker(env, read, consumer.close)


@pytest.fixture(params=["redis", "kafka"])
def broker(request: pytest.FixtureRequest, redis_prefix: tuple[redis.Redis, str]) -> Iterator[Broker]:
    if request.param == "redis":
        found = _redis_broker(*redis_prefix)
    else:
        found = _kafka_broker(request.getfixturevalue("mock_cluster"))
    yield found
    found.close()  # before the mock brokers go away


def _serve(home: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    return start_serve(home, "--workers", "2", env=FAST | env)


def _ready(client: httpx.Client) -> bool:
    try:
        return client.get("/readyz").status_code == 200
    except httpx.TransportError:
        return False


def test_served_requests_reach_the_stream_and_join_their_feedback(home: Path, broker: Broker) -> None:
    cli = Cli(home, env=broker.env)
    cli("ab", "start", "credit", "1", "2")
    rows = pd.read_csv(home / "demo" / "credit_to_score.csv").head(2).to_dict(orient="records")
    ids = [f"run-{i:02d}" for i in range(12)]
    variants: dict[str, str] = {}
    process, url = _serve(home, broker.env)
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            eventually(lambda: _ready(client), "the server is ready", timeout=120)
            variants = ab_requests_with_feedback(client, rows, ids, {"Cookie": "session=secret-tok"})

            # Downstream consumers see each request while the server runs (the writers flush every 0.2 s).
            def all_logged() -> bool:
                return set(ids) <= {orjson.loads(m)["request_id"] for m in broker.read()}

            eventually(all_logged, "every request in the stream")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)

    messages = broker.read()
    assert not any(b"secret-tok" in m for m in messages)
    records = {r["request_id"]: r for r in map(orjson.loads, messages)}
    now = datetime.now(UTC)
    for request_id in ids:
        record = records[request_id]
        assert set(record) == {
            "request_id", "deployment", "variant", "model", "version", "time", "latency_ms", "rows", "inputs", "outputs"
        }  # fmt: skip
        assert (record["deployment"], record["model"], record["rows"]) == ("credit", "credit_risk", 2)
        assert record["variant"] == variants[request_id]
        assert record["version"] == ("1" if variants[request_id] == "A" else "2")
        assert [r["credit_score"] for r in record["inputs"]] == pytest.approx([r["credit_score"] for r in rows])
        assert len(record["outputs"]["predictions"]) == 2
        assert record["latency_ms"] > 0
        assert now - timedelta(minutes=10) < datetime.fromisoformat(record["time"]) <= now

    # modelport log reads the same stream back, joined with the feedback on the request id.
    logged = {e["request_id"]: e for e in cli.json("log", "credit", "--since", "10m", "--feedback")}
    assert set(ids) <= logged.keys()
    for i, request_id in enumerate(ids):
        entry = logged[request_id]
        assert entry["variant"] == records[request_id]["variant"]
        assert entry["outputs"] == records[request_id]["outputs"]
        assert [f["value"] for f in entry["feedback"]] == [float(i % 2)]
    newest = cli.json("log", "credit", "--since", "10m", "--limit", "3")
    assert [e["request_id"] for e in newest] == ids[-3:]


def test_a_stream_worker_logs_its_batches_to_the_stream_sink(
    home: Path, broker: Broker, redis_prefix: tuple[redis.Redis, str], tmp_path: Path
) -> None:
    """A ``modelport stream redis`` worker (scaled out: no Parquet on its disk) logs what it scores to the
    same sink as the servers: every scored record counted once, under the batch's first source id."""
    client, prefix = redis_prefix
    rows = pd.read_csv(home / "demo" / "credit_to_score.csv").head(50).to_dict(orient="records")
    stream_in, stream_out = f"{prefix}in", f"{prefix}out"
    for row in rows:
        client.xadd(stream_in, {"data": orjson.dumps(row)})
    env = os.environ | {"PYTHONPATH": SRC} | FAST | broker.env
    argv = [sys.executable, "-m", "modelport", "--home", str(home), "stream", "redis", "credit",
            "--in", stream_in, "--out", stream_out, "--batch-size", "20"]  # fmt: skip
    with (tmp_path / "worker.err").open("wb") as err:
        worker = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=err)
    try:
        eventually(lambda: client.xlen(stream_out) == len(rows), "every record scored", timeout=120)
        scored = {orjson.loads(fields[b"data"])["source_id"] for _id, fields in client.xrange(stream_out)}
        worker.send_signal(signal.SIGTERM)  # the log writer sends what is queued before the worker exits
        assert worker.wait(timeout=60) == 0, (tmp_path / "worker.err").read_text()[-2000:]

        def logged() -> list[dict[str, Any]]:
            return [orjson.loads(m) for m in broker.read()]

        eventually(lambda: sum(r["rows"] for r in logged()) == len(rows), "every scored record in the log")
    finally:
        if worker.poll() is None:
            worker.kill()
    records = logged()
    assert {r["deployment"] for r in records} == {"credit"}
    assert {r["request_id"] for r in records} <= scored  # a batch is logged under its first record's id
    assert all(len(r["inputs"]) == r["rows"] for r in records)
