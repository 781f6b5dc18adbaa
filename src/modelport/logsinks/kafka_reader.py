"""Reading the prediction log back from Kafka by time: ``modelport log`` with ``prediction_log.sink=kafka``.

Every partition is read from the first offset at or after ``since`` (``offsets_for_times``; the
messages carry the time the request was served) to the end it had when the read began, by a
consumer of no group (nothing is committed), keeping the newest ``limit`` entries of the deployment.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import time
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from modelport.errors import BackendError
from modelport.inference.predictionlog import LogEntry
from modelport.logsinks.kafka_log import deployment_of, kafka_properties

if TYPE_CHECKING:
    from confluent_kafka import Consumer

__all__ = ["read_kafka_log"]

log = logging.getLogger(__name__)

_IDLE_TIMEOUT_S = 30.0


def read_kafka_log(
    bootstrap_servers: str,
    topic: str,
    deployment: str,
    *,
    since: datetime,
    until: datetime | None = None,
    limit: int | None = None,
    config: Mapping[str, str] | None = None,
) -> list[LogEntry]:
    """Entries of ``deployment`` logged in ``[since, until)``, oldest first (at most the newest ``limit``)."""
    from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "group.id": f"modelport-log-reader-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            **kafka_properties(config or {}, "consumer"),
        }
    )
    try:
        try:
            metadata = consumer.list_topics(topic, timeout=_IDLE_TIMEOUT_S)
        except KafkaException as exc:
            raise BackendError(f"cannot read the prediction log from Kafka at {bootstrap_servers}: {exc}") from None
        found = metadata.topics.get(topic)
        if found is None or found.error is not None:
            return []  # nothing was ever logged to it
        offsets = _offsets(consumer, topic, sorted(found.partitions), int(since.timestamp() * 1000))
        todo = [TopicPartition(topic, p, start) for p, (start, end) in offsets.items() if start < end]
        if not todo:
            return []
        consumer.assign(todo)
        left = {tp.partition for tp in todo}
        kept: list[tuple[datetime, int, LogEntry]] = []  # a min-heap of the newest ``limit`` by time
        order = itertools.count()
        idle_since = time.monotonic()
        while left:
            messages = consumer.consume(500, 1.0)
            if not messages and time.monotonic() - idle_since > _IDLE_TIMEOUT_S:
                raise BackendError(f"reading the prediction log from Kafka at {bootstrap_servers} stalled")
            for message in messages:
                idle_since = time.monotonic()
                partition, offset, error = message.partition(), message.offset(), message.error()
                if error is not None:
                    if error.code() != KafkaError._PARTITION_EOF:
                        raise BackendError(f"cannot read the prediction log from Kafka: {error}")
                    left.discard(partition)
                    continue
                if partition is not None and offset is not None and offset + 1 >= offsets[partition][1]:
                    left.discard(partition)
                if deployment_of(message) != deployment:
                    continue
                entry = _entry(message.value())
                if entry is not None and since <= entry.time and (until is None or entry.time < until):
                    heapq.heappush(kept, (entry.time, next(order), entry))
                    if limit is not None and len(kept) > limit:
                        heapq.heappop(kept)
        return [entry for _, _, entry in sorted(kept)]
    finally:
        consumer.close()


def _offsets(consumer: Consumer, topic: str, partitions: list[int], since_ms: int) -> dict[int, tuple[int, int]]:
    """Per partition, the first offset at or after ``since_ms`` and the end offset (``start == end``: none).

    A lookup that finds nothing (-1) while the partition's last message is not older than
    ``since_ms`` means the broker does not look up by time (librdkafka's mock cluster, some
    Kafka-compatible servers): that partition is read from its beginning, filtered by time.
    """
    from confluent_kafka import TopicPartition

    found = consumer.offsets_for_times([TopicPartition(topic, p, since_ms) for p in partitions], _IDLE_TIMEOUT_S)
    out: dict[int, tuple[int, int]] = {}
    for tp in found:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, tp.partition), _IDLE_TIMEOUT_S)
        start = tp.offset
        if start < 0:
            start = low if high > low and _last_time_ms(consumer, topic, tp.partition, high) >= since_ms else high
        out[tp.partition] = (max(start, low), high)
    return out


def _last_time_ms(consumer: Consumer, topic: str, partition: int, end: int) -> int:
    from confluent_kafka import TopicPartition

    consumer.assign([TopicPartition(topic, partition, end - 1)])
    try:
        deadline = time.monotonic() + _IDLE_TIMEOUT_S
        while time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is not None and message.error() is None:
                return int(message.timestamp()[1])
        raise BackendError(f"reading the prediction log from Kafka: no answer for {topic}[{partition}]")
    finally:
        consumer.unassign()


def _entry(value: bytes | None) -> LogEntry | None:
    try:
        return LogEntry.from_json(value or b"")
    except (ValueError, KeyError, TypeError):
        log.warning("skipped a message of the prediction log topic that is not a log record")
        return None
