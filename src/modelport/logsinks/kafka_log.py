"""The prediction log in Kafka: one topic, one message per logged request, keyed by request id.

Message value: the record's JSON (``LogRecord.to_json``); key: the request id (what feedback joins
on); header ``deployment`` (consumers filter without parsing); timestamp: the time the request was
served, so reading back by time is ``offsets_for_times``. The producer delivers asynchronously with
a bounded queue of its own: a full queue (a slow or absent broker) loses the record at once, a
delivery that fails in the end is reported with a later write, and what is still in flight at
shutdown after ``send_timeout_s`` is reported by ``close`` — all counted, none waited for by a
request. Retention is the topic's ``retention.ms``, set where the topic is made. ``read_kafka_log``
(``kafka_reader``) reads it back.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from modelport.errors import InvalidSettings

if TYPE_CHECKING:
    from confluent_kafka import Message

    from modelport.inference.predictionlog import LogRecord, Lost

__all__ = ["HEADER", "KafkaLogSink", "deployment_of", "kafka_properties"]

log = logging.getLogger(__name__)

HEADER = "deployment"
"""The message header naming the record's deployment."""


def kafka_properties(config: Mapping[str, str], role: str) -> dict[str, str]:
    """``stream.kafka_config`` for ``role`` ("producer"/"consumer"): ``role.X`` and plain names."""
    other = "consumer." if role == "producer" else "producer."
    return {k.removeprefix(f"{role}."): v for k, v in config.items() if not k.startswith(other)}


class KafkaLogSink:
    """Produces records to ``topic``; counts what the producer could not take or deliver."""

    def __init__(
        self, bootstrap_servers: str, topic: str, *, config: Mapping[str, str], queue_size: int, timeout_s: float
    ) -> None:
        from confluent_kafka import KafkaException, Producer

        self.bootstrap_servers = bootstrap_servers
        self.topic = topic
        self._timeout_s = timeout_s
        try:
            self._producer = Producer(
                {
                    "bootstrap.servers": bootstrap_servers,
                    "linger.ms": 100,
                    # The producer's own queue holds no more than the log's: memory stays bounded
                    # however long the broker is away.
                    "queue.buffering.max.messages": queue_size,
                    "message.timeout.ms": 60_000,
                    **kafka_properties(config, "producer"),
                }
            )
        except KafkaException as exc:
            raise InvalidSettings(f"prediction log: cannot configure the Kafka producer: {exc}") from None
        self._in_flight: Counter[str] = Counter()
        self._lost: Counter[str] = Counter()
        self._failing = False

    def describe(self) -> str:
        return f"kafka {self.bootstrap_servers} topic {self.topic}"

    def write(self, records: Sequence[LogRecord]) -> Lost:
        for record in records:
            deployment = record.deployment
            try:
                self._producer.produce(
                    self.topic,
                    record.to_json(),
                    record.request_id.encode(),
                    headers=[(HEADER, deployment.encode())],
                    timestamp=int(record.time.timestamp() * 1000),
                    on_delivery=functools.partial(self._delivered, deployment),
                )
            except BufferError:  # the producer's queue is full: the broker is slow or away
                self._lost[deployment] += 1
                self._warn("the producer's queue is full")
                continue
            self._in_flight[deployment] += 1
        self._producer.poll(0)  # delivery reports of earlier writes
        return self._take_lost()

    def prune(self, keep_days: int) -> None:
        """Retention is the topic's (``retention.ms``): nothing to do here."""

    def close(self) -> Lost:
        self._producer.flush(self._timeout_s)
        undelivered = +self._in_flight  # given up on: never delivered
        if undelivered:
            log.warning("prediction log: %d record(s) not delivered to Kafka at shutdown", undelivered.total())
        self._lost.update(undelivered)
        self._in_flight.clear()
        return self._take_lost()

    def _delivered(self, deployment: str, error: Any, _message: Message) -> None:
        self._in_flight[deployment] -= 1
        if error is not None:
            self._lost[deployment] += 1
            self._warn(str(error))
        elif self._failing:
            log.warning("prediction log: Kafka at %s takes records again", self.bootstrap_servers)
            self._failing = False

    def _take_lost(self) -> Lost:
        lost, self._lost = self._lost, Counter()
        return lost

    def _warn(self, why: str) -> None:
        if not self._failing:  # once per outage, not once per record
            log.warning(
                "prediction log: cannot deliver to Kafka at %s (%s); records are dropped "
                "(modelport_prediction_log_dropped) until it takes them again",
                self.bootstrap_servers,
                why,
            )
            self._failing = True


def deployment_of(message: Message) -> str:
    """The deployment a message of the log topic belongs to (its header)."""
    headers = message.headers() or []
    pairs = headers.items() if isinstance(headers, dict) else headers
    for key, value in pairs:
        if key == HEADER and value is not None:
            return value.decode() if isinstance(value, bytes) else str(value)
    return ""
