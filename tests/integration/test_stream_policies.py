"""A stream follows the deployment's policy as HTTP does: A/B sticky on the message key, outcomes recorded.

The worker runs in this process over the machine's real Redis (``run_stream``, the Python API).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from pathlib import Path

import orjson
import pytest
import redis

from modelport.deployments import KeySource, Rollouts
from modelport.registry import Registry
from modelport.settings import Settings, StreamSettings
from modelport.state import StateStore
from modelport.stream import RedisSource, StreamWorker, run_stream
from tests.integration.stream_workers import credit_records

pytestmark = [pytest.mark.redis, pytest.mark.anyio]

N_RECORDS = 600


async def test_an_ab_test_routes_each_message_key_to_one_arm_and_counts_the_outcomes(
    demo_home: Path, redis_prefix: tuple[redis.Redis, str]
) -> None:
    client, prefix = redis_prefix
    settings = Settings(home=demo_home, stream=StreamSettings(poll_timeout_s=0.1, batch_size=64))
    store = StateStore.open(settings)
    store.create_deployment("credit", "credit_risk", "production")
    rollouts = Rollouts(store, Registry.open(settings, store), actor="test")
    revision = rollouts.ab("credit", [1, 2], key=KeySource("header", "X-Modelport-Key"))
    messages, _, poison = credit_records(demo_home, N_RECORDS)
    good = [i for i in range(N_RECORDS) if i not in poison]
    for i in good:  # 30 users, each sending 20 messages or so; the message key names the user
        client.xadd(f"{prefix}in", {"data": messages[i], "key": f"user-{i % 30}"})
    source = RedisSource(
        "redis://127.0.0.1:6379/0",
        f"{prefix}in",
        f"{prefix}out",
        f"{prefix}dlq",
        group="modelport",
        consumer="test",
        settings=settings.stream,
    )

    def started(worker: StreamWorker, port: int | None) -> None:
        async def stop_when_done() -> None:
            while client.xlen(f"{prefix}out") < len(good):
                await asyncio.sleep(0.02)
            worker.stop()

        tasks.append(asyncio.create_task(stop_when_done()))

    tasks: list[asyncio.Task[None]] = []
    await asyncio.wait_for(run_stream(settings, "credit", source, handle_signals=False, on_started=started), 180)

    docs = [orjson.loads(fields[b"data"]) for _, fields in client.xrange(f"{prefix}out")]
    arms: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for doc in docs:
        arms[doc["key"]].add((doc["variant"], doc["model_version"]))
    assert all(len(seen) == 1 for seen in arms.values())  # sticky: one arm per user, whatever the batch
    assert {arm for seen in arms.values() for arm in seen} == {("A", "1"), ("B", "2")}
    # Every streamed prediction counts in the rollout analysis, per version, like an HTTP request.
    totals = store.outcomes.totals("credit", revision.id)
    per_version = {version: counts.count for version, counts in totals.items()}
    answered = defaultdict(int)
    for doc in docs:
        answered[int(doc["model_version"])] += 1
    assert per_version == dict(answered)
    store.close()
