"""Kafka: at least once, with an idempotent producer and offsets committed after the output is safe.

Each batch is produced (answers to the output topic, dead letters to the dead-letter topic),
flushed until every message is acknowledged by the brokers, and only then are its offsets
committed. A worker killed between the flush and the commit leaves that one batch uncommitted:
whoever owns the partition next scores it again, and the duplicates carry the same ``source_id``
(``topic/partition/offset``). Rebalances happen only inside ``consume``, which the loop calls only
once the previous batch is committed, so a revoked partition never has uncommitted work to hand
over; a commit refused because the group rebalanced meanwhile (the worker was too slow) means
that batch is scored again by the partition's new owner. Transactions (exactly once) are not
used: the broker this was tested against, librdkafka's mock cluster, does not keep offsets
committed inside a transaction, so the claim could not be proven here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from modelport.errors import BackendError, InvalidRequest
from modelport.stream.contract import Answer, Outcome, Record

if TYPE_CHECKING:
    from confluent_kafka import Consumer, Message, Producer

    from modelport.settings import StreamSettings

__all__ = ["KafkaSource", "split_config"]

log = logging.getLogger(__name__)

_LOST_GENERATION = ("REBALANCE_IN_PROGRESS", "ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID", "FENCED_INSTANCE_ID")


def split_config(pairs: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """``consumer.X`` → the consumer only, ``producer.X`` → the producer only, anything else → both."""
    consumer: dict[str, str] = {}
    producer: dict[str, str] = {}
    for key, value in pairs.items():
        if key.startswith("consumer."):
            consumer[key.removeprefix("consumer.")] = value
        elif key.startswith("producer."):
            producer[key.removeprefix("producer.")] = value
        else:
            consumer[key] = producer[key] = value
    return consumer, producer


class KafkaSource:
    """Consumes ``topic_in`` in ``group``; produces to ``topic_out`` and ``dead_letters``."""

    name = "kafka"

    def __init__(
        self,
        bootstrap_servers: str,
        topic_in: str,
        topic_out: str,
        dead_letters: str,
        *,
        group: str,
        settings: StreamSettings,
        config: Mapping[str, str] | None = None,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.topic_in, self.topic_out, self.dead_letters = topic_in, topic_out, dead_letters
        self.group = group
        extra_consumer, extra_producer = split_config(config or {})
        self._consumer_config: dict[str, Any] = {
            "bootstrap.servers": bootstrap_servers,
            "group.id": group,
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "auto.offset.reset": settings.start,
            "session.timeout.ms": 10_000,
            "heartbeat.interval.ms": 1_000,
            **extra_consumer,
        }
        self._producer_config: dict[str, Any] = {
            "bootstrap.servers": bootstrap_servers,
            "enable.idempotence": True,  # broker-side retries never duplicate or reorder an output
            "linger.ms": 2,
            **extra_producer,
        }
        self._retry_max_s = settings.retry_backoff_max_s
        self._flush_timeout_s = max(1.0, settings.poll_timeout_s)
        self._stopping = False
        self._consumer: Consumer | None = None
        self._producer: Producer | None = None
        self._failed: list[Message] = []

    def describe(self) -> str:
        return f"kafka {self.topic_in} → {self.topic_out} (dead letters: {self.dead_letters}), group {self.group}"

    async def open(self) -> None:
        from confluent_kafka import Consumer, KafkaException, Producer

        try:
            producer = Producer(self._producer_config)
            consumer = Consumer(self._consumer_config)
        except KafkaException as exc:
            raise InvalidRequest(f"invalid Kafka configuration: {exc.args[0].str()}") from None
        try:  # fail now, in one line, rather than consume nothing forever
            await asyncio.to_thread(producer.list_topics, None, 10.0)
        except KafkaException as exc:
            consumer.close()
            raise BackendError(f"no Kafka broker answers at {self.bootstrap_servers}: {exc.args[0].str()}") from None
        self._producer = producer
        consumer.subscribe([self.topic_in], on_assign=_log_assignment("assigned"), on_revoke=_log_assignment("revoked"))
        self._consumer = consumer

    @property
    def _clients(self) -> tuple[Consumer, Producer]:
        if self._consumer is None or self._producer is None:
            raise RuntimeError("the source is not open")
        return self._consumer, self._producer

    async def read(self, max_records: int, timeout_s: float) -> list[Record]:
        consumer, _ = self._clients
        messages = await asyncio.to_thread(_consume, consumer, max_records, max(0.0, timeout_s))
        records: list[Record] = []
        for msg in messages:
            error = msg.error()
            if error is not None:
                log.warning("consumer error: %s", error.str())
                continue
            records.append(_record(msg))
        return records

    async def write(self, outcomes: Sequence[Outcome]) -> int:
        if not outcomes:
            return 0
        await asyncio.to_thread(self._produce_all, outcomes)
        await self._commit(outcomes)
        return len(outcomes)

    def _produce_all(self, outcomes: Sequence[Outcome]) -> None:
        """Produce every outcome and block until the brokers acknowledged all of them."""
        from modelport.stream.scorer import Stopping

        _, producer = self._clients
        for outcome in outcomes:
            record = outcome.record
            if isinstance(outcome, Answer):
                topic = self.topic_out
                headers = [("source_id", record.source_id), ("model_version", outcome.version)]
            else:
                topic, headers = self.dead_letters, [("source_id", record.source_id), ("error", outcome.code)]
            self._produce(producer, topic, outcome.body, record.key, headers)
        delay = 0.05
        while True:
            left = producer.flush(self._flush_timeout_s)
            failed, self._failed = self._failed, []
            if not left and not failed:
                return
            if self._stopping:
                raise Stopping
            log.warning("%d outputs not yet acknowledged, %d failed; retrying", left, len(failed))
            for msg in failed:
                self._produce(producer, msg.topic() or self.topic_out, msg.value(), msg.key(), msg.headers())
            time.sleep(delay)
            delay = min(delay * 2, self._retry_max_s)

    def _produce(self, producer: Producer, topic: str, value: Any, key: Any, headers: Any) -> None:
        while True:
            try:
                producer.produce(topic, value, key, headers=headers, on_delivery=self._delivered)
                return
            except BufferError:  # the producer's queue is full: the output is slow, wait for it (backpressure)
                producer.poll(0.05)

    def _delivered(self, error: Any, msg: Message) -> None:
        if error is not None:
            log.warning("output to %s failed: %s", msg.topic(), error.str())
            self._failed.append(msg)

    async def _commit(self, outcomes: Sequence[Outcome]) -> None:
        from confluent_kafka import KafkaException, TopicPartition

        from modelport.stream.scorer import Stopping

        consumer, _ = self._clients
        ends: dict[tuple[str, int], int] = {}
        for outcome in outcomes:
            record = outcome.record
            if record.partition is not None and record.offset is not None:
                place = (self.topic_in, record.partition)
                ends[place] = max(ends.get(place, -1), record.offset + 1)
        offsets = [TopicPartition(topic, partition, end) for (topic, partition), end in ends.items()]
        delay = 0.05
        while True:
            try:
                await asyncio.to_thread(consumer.commit, offsets=offsets, asynchronous=False)
                return
            except KafkaException as exc:
                name = exc.args[0].name()
                if name in _LOST_GENERATION:
                    log.warning("commit refused (%s): the group rebalanced; the batch will be scored again", name)
                    return
                if self._stopping:
                    raise Stopping from exc
                log.warning("commit failed (%s); retrying in %.2f s", exc.args[0].str(), delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._retry_max_s)

    async def lag(self) -> Mapping[str, int]:
        consumer, _ = self._clients
        return await asyncio.to_thread(self._lag, consumer)

    def _lag(self, consumer: Consumer) -> dict[str, int]:
        lags: dict[str, int] = {}
        assigned = consumer.assignment()
        for tp in consumer.position(assigned) if assigned else []:
            low, high = consumer.get_watermark_offsets(tp, timeout=1.0)
            position = tp.offset if tp.offset >= 0 else low
            lags[str(tp.partition)] = max(0, high - position)
        return lags

    def stop(self) -> None:
        self._stopping = True

    async def close(self) -> None:
        consumer, producer = self._consumer, self._producer
        self._consumer = self._producer = None
        if consumer is not None:
            await asyncio.to_thread(consumer.close)  # leaves the group: its partitions move at once
        if producer is not None:
            await asyncio.to_thread(producer.flush, 5.0)


def _consume(consumer: Consumer, max_records: int, timeout_s: float) -> list[Message]:
    """What is there now, up to ``max_records``; when nothing is, the first message within ``timeout_s``.

    ``Consumer.consume(n, timeout)`` waits for all ``n`` messages or the whole timeout: at 1,000
    records/s a 500-record read would hold the first one for half a second.
    """
    messages = consumer.consume(max_records, 0)
    if messages or timeout_s <= 0:
        return messages
    first = consumer.poll(timeout_s)
    if first is None:
        return []
    return [first, *consumer.consume(max_records - 1, 0)] if max_records > 1 else [first]


def _record(msg: Message) -> Record:
    key = msg.key()
    raw = msg.headers() or ()
    pairs: list[tuple[str, Any]] = list(raw.items()) if isinstance(raw, dict) else list(raw)
    headers = {k: (v.decode("utf-8", errors="replace") if isinstance(v, bytes) else str(v)) for k, v in pairs}
    partition, offset = msg.partition(), msg.offset()
    stamp_kind, stamp = msg.timestamp()
    return Record(
        source_id=f"{msg.topic()}/{partition}/{offset}",
        value=msg.value() or b"",
        key=key.decode("utf-8", errors="replace") if isinstance(key, bytes) else key,
        headers=headers,
        timestamp_ms=stamp if stamp_kind != 0 and stamp > 0 else None,
        partition=partition,
        offset=offset,
    )


def _log_assignment(what: str) -> Any:
    def log_it(consumer: Any, partitions: list[Any]) -> None:
        log.info("partitions %s: %s", what, ", ".join(f"{p.topic}/{p.partition}" for p in partitions) or "none")

    return log_it
