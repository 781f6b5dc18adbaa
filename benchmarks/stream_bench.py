"""Stream scoring, side by side on one machine, one broker and one model (the demo's gradient boosting, v2).

Kafka (librdkafka's mock cluster, three brokers, hosted by this process for every contender alike):

* ``modelport stream kafka`` (the real CLI, default batch size);
* a hand-written confluent-kafka loop: consume 500 → ``json.loads`` → ``predict_proba`` on the sklearn
  model → produce → flush → commit;
* MLServer 1.7.1's Kafka server (aiokafka) with its sklearn runtime, installed by this benchmark into its
  own venv (``--mlserver-venv``, default ``/tmp/modelport-bench-mlserver``: it needs ``uvloop<0.22``, which
  must never enter the project's venv). One message is one V2 inference request of one row.

Redis Streams (the machine's server): ``modelport stream redis`` against a hand-written redis-py loop
(XREADGROUP 500 → predict → XADD + XACK in one pipeline).

Throughput: the contender starts and answers warm-up records sent one at a time (Kafka; MLServer's
consumer reads from the end of the topic) or finds N records waiting (Redis); records/s is N over the
span of the output's timestamps (first to last answer), so process start and model load do not count. Latency: the
contender runs caught up, records arrive at a fixed rate (``--rate``, 1,000/s) for ``--seconds``; end to end
is the output's timestamp minus the input's (both stamped by clients on this machine).

    PYTHONPATH=src .venv/bin/python benchmarks/stream_bench.py [--records 50000] [--no-mlserver]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from benchmarks.stream_contenders import (
    HAND_KAFKA,
    MLSERVER_VERSION,
    mlserver_settings,
    prepare_mlserver,
    v2_request,
)
from benchmarks.stream_harness import CACHE, RESULTS, Contender, Result, bench_env, prepare, wait_for
from benchmarks.stream_redis import bench_redis

# librdkafka's mock broker answers a fetch only when fetch.wait.max.ms (default 500) expires, even when
# records arrived meanwhile (a real broker answers at once): without this, every latency is ~0.5 s.
# MLServer's aiokafka consumer cannot be configured through MLServer's settings and keeps its 500 ms.
FETCH_WAIT_MS = 5


# -- Kafka --------------------------------------------------------------------------------------------


class KafkaRun:
    """Topics of one measurement on the mock cluster, a producer of inputs and a reader of outputs.

    Answers are matched to their records by key (the V2 response id for MLServer); ``answered`` holds
    the output timestamp of every expected record answered so far.
    """

    def __init__(self, bootstrap: str, name: str) -> None:
        from confluent_kafka import Consumer, Producer

        tag = uuid.uuid4().hex[:6]
        self.topic_in, self.topic_out = f"{name}-in-{tag}", f"{name}-out-{tag}"
        self.producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 1, "log_level": 3})
        self.reader = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"reader-{tag}",
                "auto.offset.reset": "earliest",
                "topic.metadata.refresh.interval.ms": 500,
                "fetch.wait.max.ms": FETCH_WAIT_MS,
                "log_level": 3,
            }
        )
        self.reader.subscribe([self.topic_out])
        self.sent_ms: dict[str, float] = {}
        self.answered: dict[str, float] = {}

    def send(self, values: list[bytes], keys: list[str], headers: list[tuple[str, bytes]] | None = None) -> None:
        for value, key in zip(values, keys, strict=True):
            while True:
                try:
                    self.producer.produce(self.topic_in, value, key, headers=headers)
                    break
                except BufferError:
                    self.producer.poll(0.01)
            self.producer.poll(0)

    def read(self) -> int:
        """Answers of expected records so far."""
        for msg in self.reader.consume(10_000, 0.02):
            if msg.error() is None:
                ref = _correlate(msg)
                if ref is not None and ref in self.sent_ms:
                    self.answered.setdefault(ref, float(msg.timestamp()[1]))
        return len(self.answered)

    def warm_up(self, name: str, encode: Any, records: list[bytes], contender: Contender) -> None:
        """Send one record every 0.2 s until one is answered (MLServer reads from the end of the topic)."""
        deadline = time.monotonic() + 300
        i = 0
        while not self.read():
            contender.check()
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} never answered")
            values, keys, headers = _encoded(encode, records, 10_000_000 + i, 1)
            self.sent_ms[keys[0]] = time.time() * 1000.0
            self.send(values, keys, headers)
            self.producer.flush(5)
            i += 1
            time.sleep(0.2)
        self.sent_ms.clear()
        self.answered.clear()


def _kafka_contenders(
    home: Path, sklearn_path: Path, bootstrap: str, mlserver_python: Path | None, logs: Path
) -> dict[str, tuple[Callable[[KafkaRun], Contender], Callable[[bytes, str], tuple[bytes, list[Any] | None]]]]:
    """name → (start a contender on a run's topics, encode one record for it)."""
    python = sys.executable

    def modelport(run: KafkaRun) -> Contender:
        argv = [python, "-m", "modelport", "--home", str(home), "stream", "kafka", "credit_risk",
                "--in", run.topic_in, "--out", run.topic_out, "--bootstrap-servers", bootstrap,
                "--kafka-config", "log_level=3", "--kafka-config", f"consumer.fetch.wait.max.ms={FETCH_WAIT_MS}",
                "--group", f"g-{run.topic_in}"]  # fmt: skip
        return Contender(argv, bench_env(), logs / "modelport-kafka.log")

    def hand(run: KafkaRun) -> Contender:
        argv = [python, "-c", HAND_KAFKA, bootstrap, run.topic_in, run.topic_out, str(sklearn_path), str(FETCH_WAIT_MS)]
        return Contender(argv, bench_env(), logs / "hand-kafka.log")

    contenders: dict[str, Any] = {
        "modelport stream kafka": (modelport, lambda value, key: (value, None)),
        "hand-written confluent-kafka loop": (hand, lambda value, key: (value, None)),
    }
    if mlserver_python is not None:
        models = prepare_mlserver(CACHE / "mlserver", sklearn_path)

        def mlserver(run: KafkaRun) -> Contender:
            env = {k: v for k, v in bench_env().items() if k != "PYTHONPATH"}
            env |= mlserver_settings(bootstrap, run.topic_in, run.topic_out)
            mlserver = mlserver_python.parent / "mlserver"
            return Contender([str(mlserver), "start", str(models.resolve())], env, logs / "mlserver.log")

        contenders[f"MLServer {MLSERVER_VERSION} Kafka server"] = (
            mlserver,
            lambda value, key: (v2_request(key, orjson.loads(value)), [("mlserver-model", b"credit_risk")]),
        )
    return contenders


def _correlate(msg: Any) -> str | None:
    key = msg.key()
    if key is not None:
        return str(key.decode())
    try:
        return str(orjson.loads(msg.value())["id"])  # MLServer: the V2 response's id
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return None


def bench_kafka(args: argparse.Namespace, home: Path, sklearn_path: Path, records: list[bytes]) -> list[Result]:
    from confluent_kafka import Producer

    owner = Producer({"test.mock.num.brokers": 3, "log_level": 3})
    bootstrap = ",".join(f"{b.host}:{b.port}" for b in owner.list_topics(timeout=10).brokers.values())
    logs = RESULTS / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    mlserver_python = None if args.no_mlserver else Path(args.mlserver_venv) / "bin" / "python"
    results: list[Result] = []
    for name, (start, encode) in _kafka_contenders(home, sklearn_path, bootstrap, mlserver_python, logs).items():
        if args.contender and args.contender not in name:
            continue
        n = args.records if "MLServer" not in name else min(args.records, args.mlserver_records)
        results.append(_kafka_throughput(name, start, encode, bootstrap, records, n))
        print(f"  {name}: {results[-1].records_per_s:,.0f} records/s", flush=True)
        p50, p99 = _kafka_latency(name, start, encode, bootstrap, records, args.rate, args.seconds)
        results[-1].p50_ms, results[-1].p99_ms = p50, p99
        print(f"  {name}: p50 {p50:.1f} ms, p99 {p99:.1f} ms at {args.rate}/s", flush=True)
    owner.flush(5)
    return results


def _encoded(encode: Callable[[bytes, str], tuple[bytes, Any]], records: list[bytes], start: int, n: int) -> Any:
    keys = [str(i) for i in range(start, start + n)]
    pairs = [encode(records[i % len(records)], k) for i, k in zip(range(start, start + n), keys, strict=True)]
    return [p[0] for p in pairs], keys, pairs[0][1] if pairs else None


def _kafka_throughput(name: str, start: Any, encode: Any, bootstrap: str, records: list[bytes], n: int) -> Result:
    run = KafkaRun(bootstrap, "tp")
    contender = start(run)
    try:
        run.warm_up(name, encode, records, contender)
        values, keys, headers = _encoded(encode, records, 0, n)
        run.sent_ms = dict.fromkeys(keys, 0.0)
        run.send(values, keys, headers)
        run.producer.flush(60)
        wait_for(f"{n} answers from {name}", lambda: run.read() >= n, contender, timeout_s=900)
    finally:
        contender.stop()
    stamps = run.answered.values()
    span_s = (max(stamps) - min(stamps)) / 1000.0
    return Result("kafka", name, n, n / span_s if span_s > 0 else float("inf"))


def _kafka_latency(
    name: str, start: Any, encode: Any, bootstrap: str, records: list[bytes], rate: int, seconds: float
) -> tuple[float, float]:
    run = KafkaRun(bootstrap, "lat")
    contender = start(run)
    try:
        run.warm_up(name, encode, records, contender)
        total = int(rate * seconds)
        values, keys, headers = _encoded(encode, records, 0, total)
        began = time.monotonic()
        for i in range(total):
            run.sent_ms[keys[i]] = time.time() * 1000.0
            run.send([values[i]], [keys[i]], headers)
            pause = began + (i + 1) / rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        run.producer.flush(10)
        wait_for("every answer", lambda: run.read() >= total, contender, timeout_s=300)
    finally:
        contender.stop()
    lat = np.asarray([run.answered[k] - run.sent_ms[k] for k in run.answered])
    return float(np.percentile(lat, 50)), float(np.percentile(lat, 99))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=50_000, help="records per throughput run (mock cluster: ≤ 80k)")
    parser.add_argument("--mlserver-records", type=int, default=10_000, help="records for MLServer (it is slow)")
    parser.add_argument("--rate", type=int, default=1000, help="records/s of the latency runs")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the latency runs")
    parser.add_argument("--no-mlserver", action="store_true", help="skip MLServer (no venv to install)")
    parser.add_argument("--mlserver-venv", default="/tmp/modelport-bench-mlserver", help="MLServer's own venv")
    parser.add_argument("--only", choices=["kafka", "redis"], default=None, help="one broker only")
    parser.add_argument("--contender", default=None, help="only contenders whose name contains this")
    args = parser.parse_args(argv)
    CACHE.mkdir(parents=True, exist_ok=True)
    home, sklearn_path, records, _ = prepare()
    if not args.no_mlserver:
        from benchmarks.stream_contenders import install_mlserver

        install_mlserver(Path(args.mlserver_venv))
    results: list[Result] = []
    if args.only in (None, "kafka"):
        results += bench_kafka(args, home, sklearn_path, records)
    if args.only in (None, "redis"):
        results += bench_redis(args, home, sklearn_path, records)
    _report(results)
    return 0


def _report(results: list[Result]) -> None:
    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print("| broker | contender | records | records/s | p50 ms | p99 ms |")
    print("|---|---|---:|---:|---:|---:|")
    for r in results:
        p50 = f"{r.p50_ms:.1f}" if r.p50_ms is not None else ""
        p99 = f"{r.p99_ms:.1f}" if r.p99_ms is not None else ""
        print(f"| {r.broker} | {r.contender} | {r.records:,} | {r.records_per_s:,.0f} | {p50} | {p99} |")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "stream.json").write_bytes(orjson.dumps([asdict(r) for r in results], option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    sys.exit(main())
