"""Reading the prediction log back by time from Redis and Kafka: ranges, the newest ``limit``, one deployment.

Records are written by the sinks themselves (real Redis; librdkafka's mock cluster), more than one
Redis page of them, with times that do not arrive in order (two writers flush independently).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis

from modelport.inference.predictionlog import LogRecord
from modelport.logsinks import open_log_sink, read_logged
from modelport.settings import Settings

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
N = 2500  # more than two pages of XREVRANGE


@pytest.fixture(params=["redis", "kafka"])
def settings(request: pytest.FixtureRequest, redis_prefix: tuple[redis.Redis, str]) -> Settings:
    log: dict[str, Any]
    if request.param == "redis":
        log = {"sink": "redis", "topic": f"{redis_prefix[1]}log", "redis_url": "redis://127.0.0.1:6379/0"}
    else:
        servers = request.getfixturevalue("mock_cluster")
        log = {"sink": "kafka", "topic": f"log-{uuid.uuid4().hex[:8]}", "kafka_bootstrap_servers": servers}
    return Settings(prediction_log=log, stream={"kafka_config": {"log_level": "3"}})


def _record(i: int, deployment: str = "d") -> LogRecord:
    return LogRecord(f"r{i:05d}", deployment, "primary", "m", "1", T0 + timedelta(seconds=i), 1.0, 1, None, None)


def test_reads_a_time_range_and_the_newest_entries_of_one_deployment(settings: Settings) -> None:
    sink = open_log_sink(settings)
    # Odd and even records come from "two writers": each batch is in order, the two are interleaved late.
    for start in range(0, N, 500):
        assert sink.write([_record(i) for i in range(start + 1, start + 500, 2)]) == {}
        assert sink.write([_record(i) for i in range(start, start + 500, 2)]) == {}
        assert sink.write([_record(i, "other") for i in range(start, start + 500, 50)]) == {}
    assert sink.close() == {}

    everything = read_logged(settings, "d", since=T0 - timedelta(minutes=1))
    assert [e.request_id for e in everything] == [f"r{i:05d}" for i in range(N)]
    newest = read_logged(settings, "d", since=T0, limit=7)
    assert [e.request_id for e in newest] == [f"r{i:05d}" for i in range(N - 7, N)]
    window = read_logged(settings, "d", since=T0 + timedelta(seconds=100), until=T0 + timedelta(seconds=110))
    assert [e.request_id for e in window] == [f"r{i:05d}" for i in range(100, 110)]
    assert len(read_logged(settings, "other", since=T0)) == N // 50
    assert read_logged(settings, "d", since=T0 + timedelta(seconds=N)) == []
    assert read_logged(settings, "nobody", since=T0) == []
