"""The stream benchmark on Redis Streams: ``modelport stream redis`` against a hand-written redis-py loop."""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from benchmarks.stream_contenders import HAND_REDIS
from benchmarks.stream_harness import RESULTS, Contender, Result, bench_env, wait_for


def bench_redis(args: argparse.Namespace, home: Path, sklearn_path: Path, records: list[bytes]) -> list[Result]:
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379)
    logs = RESULTS / "logs"
    logs.mkdir(parents=True, exist_ok=True)  # `--only redis` runs before anything else made it
    python = sys.executable
    results: list[Result] = []

    def modelport(stream_in: str, stream_out: str) -> Contender:
        argv = [python, "-m", "modelport", "--home", str(home), "stream", "redis", "credit_risk",
                "--in", stream_in, "--out", stream_out]  # fmt: skip
        return Contender(argv, bench_env(), logs / "modelport-redis.log")

    def hand(stream_in: str, stream_out: str) -> Contender:
        return Contender(
            [python, "-c", HAND_REDIS, stream_in, stream_out, str(sklearn_path)], bench_env(), logs / "hr.log"
        )

    for name, start in (("modelport stream redis", modelport), ("hand-written redis-py loop", hand)):
        if args.contender and args.contender not in name:
            continue
        prefix = f"bench:{uuid.uuid4().hex[:6]}:"
        stream_in, stream_out = f"{prefix}in", f"{prefix}out"
        try:
            pipe = client.pipeline(transaction=False)
            for i in range(args.records):
                pipe.xadd(stream_in, {"data": records[i % len(records)]})
                if i % 5000 == 4999:
                    pipe.execute()
            pipe.execute()
            contender = start(stream_in, stream_out)
            try:
                wait_for(name, lambda out=stream_out: client.xlen(out) >= args.records, contender, timeout_s=900)
            finally:
                contender.stop()
            stamps = [int(i.split(b"-")[0]) for i, _ in client.xrange(stream_out)]
            span_s = (max(stamps) - min(stamps)) / 1000.0
            results.append(Result("redis", name, args.records, args.records / span_s if span_s > 0 else float("inf")))
            print(f"  {name}: {results[-1].records_per_s:,.0f} records/s", flush=True)
            results[-1].p50_ms, results[-1].p99_ms = _redis_latency(client, start, prefix, records, args)
            print(f"  {name}: p50 {results[-1].p50_ms:.1f} ms, p99 {results[-1].p99_ms:.1f} ms", flush=True)
        finally:
            keys = list(client.scan_iter(match=f"{prefix}*"))
            if keys:
                client.delete(*keys)
    return results


def _redis_latency(client: Any, start: Any, prefix: str, records: list[bytes], args: argparse.Namespace) -> Any:
    stream_in, stream_out = f"{prefix}lat-in", f"{prefix}lat-out"
    contender = start(stream_in, stream_out)
    try:
        client.xadd(stream_in, {"data": records[0]})
        wait_for("the first answer", lambda: client.xlen(stream_out) >= 1, contender, timeout_s=300)
        total = int(args.rate * args.seconds)
        began = time.monotonic()
        for i in range(total):
            client.xadd(stream_in, {"data": records[i % len(records)]})
            pause = began + (i + 1) / args.rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        wait_for("every answer", lambda: client.xlen(stream_out) >= 1 + total, contender, timeout_s=120)
    finally:
        contender.stop()
    lat = []
    for out_id, fields in client.xrange(stream_out):
        source = fields.get(b"source_id") or orjson.loads(fields[b"data"])["source_id"].encode()
        lat.append(int(out_id.split(b"-")[0]) - int(source.split(b"-")[0]))
    lat_ms = np.asarray(lat[1:], dtype=float)
    return float(np.percentile(lat_ms, 50)), float(np.percentile(lat_ms, 99))
