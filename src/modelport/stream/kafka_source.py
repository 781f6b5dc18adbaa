"""Kafka: at least once, with an idempotent producer and offsets committed after the output is safe.

Each batch is produced (answers to the output topic, dead letters to the dead-letter topic),
flushed until every message is acknowledged by the brokers, and only then are its offsets
committed. Duplicates come only from a batch whose offsets were not committed, and carry its
``source_id`` (``topic/partition/offset``):

- a worker killed between the flush and the commit: the partition's next owner scores it again;
- a commit refused because the group is rebalancing: whoever owns the partition next scores the
  batch again. Brokers may refuse commits as soon as a member joins or leaves (the mock cluster does;
  a real broker once the generation moved on), but a worker hears of the rebalance only at its next
  heartbeat; a worker that read on would score up to a heartbeat interval of batches, every one
  refused (thousands of duplicates at full speed: 3,600 in one test run). So a refused
  commit pauses the whole assignment until the rebalance reaches this worker (any rebalance
  callback), which bounds the duplicates of a rebalance to one batch per worker.

NB: rebalance callbacks run inside ``consume``, which the worker calls several times while it fills
one batch. A record read before its partition was revoked is not written: the partition's next owner
reads it again from the committed offset, and committing it here could move the group's offset
backwards (a broker checks a commit's generation, not who owns the partition). Each record carries
the source's count of revocations when it was read (``Record.epoch``) to tell.

Transactions (exactly once) are not used: the broker this was tested against, librdkafka's mock
cluster, does not keep offsets committed inside a transaction, so the claim could not be proven here.
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
    from confluent_kafka import Consumer, Message, Producer, TopicPartition

    from modelport.settings import StreamSettings

__all__ = ["KafkaSource", "split_config"]

log = logging.getLogger(__name__)

_CHECK_S = 10.0  # longest the start waits for a first answer from a broker
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
        self._revocations = 0  # rebalance callbacks that took partitions away
        self._revoked_at: dict[int, int] = {}  # partition → ``_revocations`` when it was last taken away
        self._held: list[TopicPartition] | None = None  # paused after a refused commit, until a rebalance
        self._held_until = 0.0
        # A rebalance reaches a member within a heartbeat; never wait longer than a session for one.
        self._hold_max_s = _seconds(self._consumer_config["session.timeout.ms"], default=10.0)

    def describe(self) -> str:
        return f"kafka {self.topic_in} → {self.topic_out} (dead letters: {self.dead_letters}), group {self.group}"

    async def check(self) -> None:
        await asyncio.to_thread(self._check)

    def _check(self) -> None:
        """Ask for metadata until a broker answers; give up when all are down, or after ``_CHECK_S``.

        librdkafka itself retries an unreachable broker forever, logging every attempt. A silent
        client of its own asks here, so a wrong address or a broker away is one line, at once.
        """
        from confluent_kafka import Consumer, KafkaError, KafkaException, Producer

        errors: list[KafkaError] = []
        give_up = (KafkaError._ALL_BROKERS_DOWN, KafkaError._AUTHENTICATION, KafkaError._RESOLVE)
        try:  # a mistake in either client's properties is the user's, whatever the brokers say
            Consumer({**self._consumer_config, "log_level": 0}).close()
            probe = Producer({**self._producer_config, "log_level": 0, "error_cb": errors.append})
        except KafkaException as exc:
            raise InvalidRequest(f"invalid Kafka configuration: {exc.args[0].str()}") from None
        deadline = time.monotonic() + _CHECK_S
        try:
            while True:
                try:
                    probe.list_topics(None, 0.25)
                    return
                except KafkaException as exc:
                    reason = exc.args[0].str()
                probe.poll(0)  # serves error_cb
                if any(e.code() in give_up for e in errors) or time.monotonic() >= deadline:
                    # "Connect to … failed: Connection refused" says more than "1/1 brokers are down"
                    cause = next((e.str() for e in errors if e.code() != KafkaError._ALL_BROKERS_DOWN), reason)
                    raise BackendError(f"no Kafka broker answers at {self.bootstrap_servers}: {cause}")
        finally:
            probe.close()

    async def open(self) -> None:
        from confluent_kafka import Consumer, KafkaException, Producer

        try:
            producer = Producer(self._producer_config)
            consumer = Consumer(self._consumer_config)
        except KafkaException as exc:
            raise InvalidRequest(f"invalid Kafka configuration: {exc.args[0].str()}") from None
        self._producer = producer
        consumer.subscribe([self.topic_in], on_assign=self._assigned, on_revoke=self._revoked, on_lost=self._lost)
        self._consumer = consumer

    # The rebalance callbacks: called by librdkafka inside ``consume``, in the thread reading.
    def _assigned(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        log.info("partitions assigned: %s", _names(partitions))
        self._release(consumer)

    def _revoked(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        log.info("partitions revoked: %s", _names(partitions))
        self._take_away(consumer, partitions)

    def _lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        log.warning("partitions lost (this worker was out of the group): %s", _names(partitions))
        self._take_away(consumer, partitions)

    def _take_away(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._revocations += 1
        for tp in partitions:
            self._revoked_at[tp.partition] = self._revocations
        self._release(consumer)

    def _hold(self, consumer: Consumer) -> None:
        """Pause the whole assignment: nothing is read until the rebalance reaches this worker."""
        held = consumer.assignment()
        if held:
            consumer.pause(held)
        self._held = held
        self._held_until = time.monotonic() + self._hold_max_s

    def _release(self, consumer: Consumer) -> None:
        """Resume what ``_hold`` paused: the group has rebalanced (a pause would outlive the assignment)."""
        held, self._held = self._held, None
        if held:
            consumer.resume(held)

    @property
    def _clients(self) -> tuple[Consumer, Producer]:
        if self._consumer is None or self._producer is None:
            raise RuntimeError("the source is not open")
        return self._consumer, self._producer

    async def read(self, max_records: int, timeout_s: float) -> list[Record]:
        consumer, _ = self._clients
        if self._held is not None and time.monotonic() >= self._held_until:
            log.warning("no rebalance within %.0f s of a refused commit: reading again", self._hold_max_s)
            self._release(consumer)
        messages = await asyncio.to_thread(_consume, consumer, max_records, max(0.0, timeout_s))
        records: list[Record] = []
        for msg in messages:
            error = msg.error()
            if error is not None:
                log.warning("consumer error: %s", error.str())
                continue
            records.append(_record(msg, self._revocations))
        return records

    async def write(self, outcomes: Sequence[Outcome]) -> int:
        owned = [outcome for outcome in outcomes if self._owned(outcome.record)]
        if len(owned) < len(outcomes):
            dropped = len(outcomes) - len(owned)
            log.info("%d records of revoked partitions not written: their next owner reads them", dropped)
        if not owned:
            return 0
        await asyncio.to_thread(self._produce_all, owned)
        await self._commit(owned)
        return len(owned)

    def _owned(self, record: Record) -> bool:
        """Not read before its partition was revoked (it may have been assigned again since)."""
        return record.partition is None or self._revoked_at.get(record.partition, 0) <= record.epoch

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
        spans: dict[int, tuple[int, int]] = {}  # partition → first and last offset of the batch
        for outcome in outcomes:
            record = outcome.record
            if record.partition is not None and record.offset is not None:
                first, last = spans.get(record.partition, (record.offset, record.offset))
                spans[record.partition] = (min(first, record.offset), max(last, record.offset))
        offsets = [TopicPartition(self.topic_in, partition, last + 1) for partition, (_, last) in spans.items()]
        delay = 0.05
        while True:
            try:
                await asyncio.to_thread(consumer.commit, offsets=offsets, asynchronous=False)
                return
            except KafkaException as exc:
                name = exc.args[0].name()
                if name in _LOST_GENERATION:
                    self._hold(consumer)
                    batch = ", ".join(f"{self.topic_in}/{p}@{a}-{b}" for p, (a, b) in sorted(spans.items()))
                    log.warning(
                        "commit refused (%s): the group is rebalancing; reading nothing until it has. "
                        "This batch is scored again by the next owner: %s",
                        name,
                        batch,
                    )
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


def _record(msg: Message, epoch: int) -> Record:
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
        epoch=epoch,
    )


def _seconds(ms: object, *, default: float) -> float:
    """A librdkafka ``*.ms`` property in seconds (librdkafka itself rejects a value that is no number)."""
    try:
        return float(str(ms)) / 1000.0
    except ValueError:
        return default


def _names(partitions: list[TopicPartition]) -> str:
    return ", ".join(f"{p.topic}/{p.partition}" for p in partitions) or "none"
