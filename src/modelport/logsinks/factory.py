"""The prediction log's sink chosen by ``prediction_log.sink``, and reading back from whichever it is."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from modelport.errors import InvalidSettings
from modelport.inference.predictionlog import parquet_sink, read_log

if TYPE_CHECKING:
    from modelport.inference.predictionlog import LogEntry, PredictionLogSink
    from modelport.settings import Settings

__all__ = ["open_log_sink", "read_logged"]


def open_log_sink(settings: Settings) -> PredictionLogSink:
    """The sink ``settings.prediction_log.sink`` names (a ``LogSinkFactory`` for ``Node``).

    Connections are made lazily: a broker that is away when the server starts costs dropped
    records (counted), never a server that will not start.
    """
    log_settings = settings.prediction_log
    if log_settings.sink == "redis":
        from modelport.logsinks.redis_log import RedisLogSink

        return RedisLogSink(
            _redis_url(settings),
            log_settings.topic,
            keep_days=log_settings.retention_days,
            timeout_s=log_settings.send_timeout_s,
        )
    if log_settings.sink == "kafka":
        from modelport.logsinks.kafka_log import KafkaLogSink

        return KafkaLogSink(
            _kafka_servers(settings),
            log_settings.topic,
            config=settings.stream.kafka_config,
            queue_size=log_settings.queue_size,
            timeout_s=log_settings.send_timeout_s,
        )
    return parquet_sink(settings)


def read_logged(
    settings: Settings,
    deployment: str,
    *,
    since: datetime,
    until: datetime | None = None,
    limit: int | None = None,
) -> list[LogEntry]:
    """``deployment``'s entries in ``[since, until)`` from the configured sink, oldest first (newest ``limit``)."""
    log_settings = settings.prediction_log
    if log_settings.sink == "redis":
        from modelport.logsinks.redis_log import read_redis_log

        return read_redis_log(
            _redis_url(settings),
            log_settings.topic,
            deployment,
            since=since,
            until=until,
            limit=limit,
            timeout_s=log_settings.send_timeout_s,
        )
    if log_settings.sink == "kafka":
        from modelport.logsinks.kafka_reader import read_kafka_log

        return read_kafka_log(
            _kafka_servers(settings),
            log_settings.topic,
            deployment,
            since=since,
            until=until,
            limit=limit,
            config=settings.stream.kafka_config,
        )
    return read_log(settings.prediction_log_dir, deployment, since=since, until=until, limit=limit)


def _redis_url(settings: Settings) -> str:
    return settings.prediction_log.redis_url or settings.stream.redis_url


def _kafka_servers(settings: Settings) -> str:
    servers = settings.prediction_log.kafka_bootstrap_servers or settings.stream.kafka_bootstrap_servers
    if not servers:
        raise InvalidSettings(
            "prediction_log.sink=kafka needs brokers: set MODELPORT_PREDICTION_LOG__KAFKA_BOOTSTRAP_SERVERS "
            "(or MODELPORT_STREAM__KAFKA_BOOTSTRAP_SERVERS)"
        )
    return servers
