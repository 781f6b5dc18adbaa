"""Redis Streams, the machine's real server: worker processes killed with SIGKILL, a promotion halfway.

What it must show: 0 records lost, 0 duplicated, every poison record in the dead-letter stream
with its reason, predictions equal to the model in this process, the version switched once.
"""

from __future__ import annotations

import itertools
import signal
import time
from pathlib import Path

import orjson
import pytest
import redis

from modelport.registry import Registry
from modelport.settings import Settings
from modelport.state import StateStore
from tests.integration.stream_workers import credit_records, expected_labels, wait_until, workers

pytestmark = [pytest.mark.redis, pytest.mark.slow]

N_RECORDS = 20_000


def _deploy(home: Path) -> tuple[Registry, StateStore]:
    settings = Settings(home=home)
    store = StateStore.open(settings)
    store.create_deployment("credit", "credit_risk", "production")
    return Registry.open(settings, store), store


def test_exactly_once_through_two_kills_and_a_promotion(
    demo_home: Path, tmp_path: Path, redis_prefix: tuple[redis.Redis, str]
) -> None:
    client, prefix = redis_prefix
    stream_in, stream_out, dlq = f"{prefix}in", f"{prefix}out", f"{prefix}dlq"
    registry, store = _deploy(demo_home)
    messages, rows, poison = credit_records(demo_home, N_RECORDS)
    ids: list[str] = []

    def feed(stop: int) -> None:
        """Append input records up to index ``stop`` (the test decides how much each worker can see)."""
        pipe = client.pipeline(transaction=False)
        for message in messages[len(ids) : stop]:
            pipe.xadd(stream_in, {"data": message})
        ids.extend(i.decode() for i in pipe.execute())

    def done() -> int:
        return int(client.xlen(stream_out)) + int(client.xlen(dlq))

    def pending() -> int:
        return int(client.xpending(stream_in, "modelport")["pending"])

    def newest_version() -> str | None:
        newest = client.xrevrange(stream_out, count=1)
        return str(orjson.loads(newest[0][1][b"data"])["model_version"]) if newest else None

    args = ["redis", "credit", "--in", stream_in, "--out", stream_out, "--dlq", dlq, "--batch-size", "100"]
    env = {"MODELPORT_STREAM__CLAIM_IDLE_MS": "1000", "MODELPORT_SERVING__POLL_INTERVAL_S": "0.2"}
    in_flight_at_kill: list[int] = []
    with workers(demo_home, tmp_path, env) as running:
        feed(8_000)
        first = running.start(args)
        wait_until("4,000 outcomes", lambda: done() >= 4_000, running)
        running.kill(first)
        in_flight_at_kill.append(pending())
        feed(10_000)
        second = running.start(args)
        wait_until("10,000 outcomes", lambda: done() >= 10_000, running)
        registry.promote("credit_risk", 2, reason="halfway through the stream", actor="test")
        while newest_version() != "2":  # a trickle of records while the worker loads v2 and switches
            assert len(ids) < 16_000, "the worker did not switch to v2 within 6,000 records"
            feed(len(ids) + 20)
            wait_until("the records fed so far", lambda: done() >= len(ids), running)
            time.sleep(0.1)
        feed(18_000)
        wait_until("17,000 outcomes", lambda: done() >= 17_000, running)
        running.kill(second)
        in_flight_at_kill.append(pending())
        feed(N_RECORDS)
        third = running.start(args)
        wait_until("every record scored and acknowledged", lambda: done() >= N_RECORDS and pending() == 0, running)
        wait_until("the third worker to be running", lambda: running.started(2), running)
        third.send_signal(signal.SIGTERM)
        assert third.wait(timeout=60) == 0, running.stderr(2)[-2000:]

    outputs = [orjson.loads(fields[b"data"]) for _, fields in client.xrange(stream_out)]
    letters = [orjson.loads(fields[b"data"]) for _, fields in client.xrange(dlq)]
    position = {entry_id: i for i, entry_id in enumerate(ids)}
    answered = [position[doc["source_id"]] for doc in outputs]
    dead = {position[doc["source_id"]]: doc for doc in letters}

    # 0 lost, 0 duplicated: every input id exactly once in the output or the dead-letter stream.
    assert len(answered) == len(set(answered)) == N_RECORDS - len(poison)
    assert len(letters) == len(dead) == len(poison)
    assert set(answered) | set(dead) == set(range(N_RECORDS))
    # Every poison record is a dead letter with its reason and the record as sent.
    assert set(dead) == poison
    for i, doc in dead.items():
        assert doc["error"]["code"] in ("invalid_request", "invalid_input")
        assert doc["error"]["message"]
        assert doc["record"] == messages[i].decode()
    # The version switched once, from 1 to 2, and never back.
    versions = [doc["model_version"] for doc in outputs]
    switches = [(a, b) for a, b in itertools.pairwise(versions) if a != b]
    assert switches == [("1", "2")]
    # Predictions equal the model's, version by version, computed here with MLflow's loader.
    dirs = {v: registry.local_model_dir("credit_risk", int(v)) for v in ("1", "2")}
    expected = expected_labels(dirs, [rows[i] for i in answered])
    got = [doc["prediction"] for doc in outputs]
    want = [expected[doc["model_version"]][k] for k, doc in enumerate(outputs)]
    assert got == want
    assert {doc["deployment"] for doc in outputs} == {"credit"}
    store.close()
    print(f"entries pending when each worker was killed: {in_flight_at_kill}")
