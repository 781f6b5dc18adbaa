"""``modelport stream redis|kafka``: a worker scoring a deployment for every record of a stream."""

from __future__ import annotations

import asyncio
import logging
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from modelport.cli.context import settings_from
from modelport.cli.helpformat import Typer
from modelport.cli.pairs import parse_pairs
from modelport.errors import InvalidRequest

if TYPE_CHECKING:
    from modelport.settings import Settings
    from modelport.stream import Source, StreamWorker

__all__ = ["app"]

app = Typer(
    help="Score a deployment for every record of a Redis stream or a Kafka topic.\n\n"
    "Example: modelport stream redis credit --in credit:in --out credit:out",
    no_args_is_help=True,
)


class Start(StrEnum):
    """Where a new consumer group starts."""

    EARLIEST = "earliest"
    LATEST = "latest"


Deployment = Annotated[str, typer.Argument(help="The deployment to score with (its policy applies).")]
DeadLetters = Annotated[
    str | None, typer.Option("--dlq", help="Dead-letter stream/topic (default: the output's name + ':dlq'/'.dlq').")
]
Group = Annotated[str | None, typer.Option(help="Consumer group shared by the workers (default: modelport).")]
BatchSize = Annotated[int | None, typer.Option(min=1, max=10_000, help="Most records per micro-batch (default 500).")]
MaxLatency = Annotated[
    float | None, typer.Option(min=0.0, help="Longest wait to fill a micro-batch, in ms (default 5).")
]
MetricsPort = Annotated[
    int | None, typer.Option(min=0, max=65535, help="Serve /metrics, /livez, /readyz on this port (0: any free).")
]
StartOpt = Annotated[Start | None, typer.Option(help="Where a new group starts: earliest (default) or latest.")]


@app.command()
def redis(
    ctx: typer.Context,
    deployment: Deployment,
    stream_in: Annotated[str, typer.Option("--in", help="Input stream (field 'data' holds the record).")],
    stream_out: Annotated[str, typer.Option("--out", help="Output stream of the answers.")],
    dlq: DeadLetters = None,
    group: Group = None,
    consumer: Annotated[str | None, typer.Option(help="Consumer name, unique per worker (default: HOST-PID).")] = None,
    url: Annotated[str | None, typer.Option(help="Redis URL (default redis://127.0.0.1:6379/0).")] = None,
    batch_size: BatchSize = None,
    max_latency_ms: MaxLatency = None,
    metrics_port: MetricsPort = None,
    start: StartOpt = None,
) -> None:
    """Score every entry of a Redis stream: exactly once into --out, poison entries into --dlq.

    Example: modelport stream redis credit --in credit:in --out credit:out
    """
    from modelport.stream import RedisSource, default_consumer_name

    settings = _settings(
        settings_from(ctx),
        group=group,
        redis_url=url,
        batch_size=batch_size,
        max_latency_ms=max_latency_ms,
        metrics_port=metrics_port,
        start=start,
    )
    stream = settings.stream
    source = RedisSource(
        stream.redis_url,
        stream_in,
        stream_out,
        dlq or f"{stream_out}:dlq",
        group=stream.group,
        consumer=consumer or default_consumer_name(),
        settings=stream,
    )
    _run(settings, deployment, source)


@app.command()
def kafka(
    ctx: typer.Context,
    deployment: Deployment,
    topic_in: Annotated[str, typer.Option("--in", help="Input topic (the value holds the record).")],
    topic_out: Annotated[str, typer.Option("--out", help="Output topic of the answers.")],
    bootstrap_servers: Annotated[
        str | None, typer.Option(help="Kafka brokers host:port,… (env: MODELPORT_STREAM__KAFKA_BOOTSTRAP_SERVERS).")
    ] = None,
    dlq: DeadLetters = None,
    group: Group = None,
    kafka_config: Annotated[
        list[str] | None,
        typer.Option("--kafka-config", help="librdkafka property KEY=VALUE (consumer.KEY / producer.KEY for one)."),
    ] = None,
    batch_size: BatchSize = None,
    max_latency_ms: MaxLatency = None,
    metrics_port: MetricsPort = None,
    start: StartOpt = None,
) -> None:
    """Score every message of a Kafka topic: at least once into --out, poison messages into --dlq.

    Example: modelport stream kafka credit --in requests --out scores --bootstrap-servers kafka:9092
    """
    from modelport.stream import KafkaSource

    base = settings_from(ctx)
    extra = {**base.stream.kafka_config, **parse_pairs(kafka_config or [], "--kafka-config")}
    settings = _settings(
        base,
        group=group,
        kafka_bootstrap_servers=bootstrap_servers,
        kafka_config=extra,
        batch_size=batch_size,
        max_latency_ms=max_latency_ms,
        metrics_port=metrics_port,
        start=start,
    )
    stream = settings.stream
    if not stream.kafka_bootstrap_servers:
        raise InvalidRequest(
            "name the Kafka brokers: --bootstrap-servers HOST:PORT (or MODELPORT_STREAM__KAFKA_BOOTSTRAP_SERVERS)"
        )
    source = KafkaSource(
        stream.kafka_bootstrap_servers,
        topic_in,
        topic_out,
        dlq or f"{topic_out}.dlq",
        group=stream.group,
        settings=stream,
        config=stream.kafka_config,
    )
    _run(settings, deployment, source)


def _settings(base: Settings, **given: object) -> Settings:
    """Flags override the environment (``MODELPORT_STREAM__*``), which overrides the defaults."""
    stream = base.stream.model_copy(update={k: v for k, v in given.items() if v is not None})
    settings = base.model_copy(update={"stream": stream})
    return type(settings).model_validate(settings.model_dump())  # model_copy does not validate


def _run(settings: Settings, deployment: str, source: Source) -> None:
    from modelport.stream import run_stream

    _configure_logging()

    def announce(worker: StreamWorker, port: int | None) -> None:
        probes = f"  (metrics: http://{settings.stream.metrics_host}:{port}/metrics)" if port is not None else ""
        typer.echo(f"modelport stream: {deployment} ← {source.describe()}{probes}")
        sys.stdout.flush()

    asyncio.run(run_stream(settings, deployment, source, on_started=announce))


def _configure_logging() -> None:
    from modelport.log_format import UtcFormatter

    handler = logging.StreamHandler()
    handler.setFormatter(UtcFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("modelport")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
