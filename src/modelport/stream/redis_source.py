"""Redis Streams: a consumer group member whose outcomes and acknowledgements are one atomic step.

Effectively exactly once. ``write`` runs one Lua script per batch that, for each record, XACKs it
and — only when the XACK removed it from the group's pending list — XADDs its answer or dead
letter. A script runs atomically, so an outcome is written if and only if its record was
acknowledged by that very call: a worker killed at any point leaves either both or neither, and
when two consumers hold the same record (one was thought dead and its entry reclaimed), the first
to write wins and the other's copy is dropped. Entries left pending by a dead consumer are
reclaimed with XAUTOCLAIM once idle for ``claim_idle_ms``. On Redis Cluster the three streams
must share a hash slot (name them ``{scores}:in``, ``{scores}:out``, ``{scores}:dlq``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from modelport.errors import BackendError
from modelport.stream.contract import Answer, Outcome, Record
from modelport.urls import mask_url, mask_urls_in

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from modelport.settings import StreamSettings

__all__ = ["RedisSource", "default_consumer_name"]

log = logging.getLogger(__name__)

# KEYS: input, output, dead letters. ARGV: group, then (entry id, "a"|"d", body) per outcome.
_WRITE_AND_ACK = """
local written = 0
for i = 2, #ARGV, 3 do
  if redis.call('XACK', KEYS[1], ARGV[1], ARGV[i]) == 1 then
    local target = KEYS[2]
    if ARGV[i + 1] == 'd' then target = KEYS[3] end
    redis.call('XADD', target, '*', 'data', ARGV[i + 2], 'source_id', ARGV[i])
    written = written + 1
  end
end
return written
"""

_DATA, _KEY = b"data", b"key"
_SERVER_TICK_S = 0.1  # a BLOCK shorter than Redis's clock tick (hz 10) times out on the tick
_POLL_EVERY_S = 0.001  # how often a wait shorter than that asks again


def default_consumer_name() -> str:
    """``HOSTNAME-PID``: unique per process (two workers must never share a name)."""
    return f"{socket.gethostname()}-{os.getpid()}"


class RedisSource:
    """Reads ``stream_in`` as ``consumer`` of ``group``; writes to ``stream_out`` and ``dead_letters``."""

    name = "redis"

    def __init__(
        self,
        url: str,
        stream_in: str,
        stream_out: str,
        dead_letters: str,
        *,
        group: str,
        consumer: str,
        settings: StreamSettings,
    ) -> None:
        self.url = url
        self.stream_in, self.stream_out, self.dead_letters = stream_in, stream_out, dead_letters
        self.group, self.consumer = group, consumer
        self._start_id = "0" if settings.start == "earliest" else "$"
        self._claim_idle_ms = settings.claim_idle_ms
        self._claim_every_s = max(0.1, settings.claim_idle_ms / 2000.0)
        self._claim_at = 0.0  # reclaim at once on start: a previous life of this group may have left entries
        self._claim_cursor = "0-0"
        # redis-py's default socket timeout (5 s) would break a blocking XREADGROUP longer than that.
        self._socket_timeout = settings.poll_timeout_s + 10.0
        self._retry_max_s = settings.retry_backoff_max_s
        self._stopping = False
        self._redis: aioredis.Redis | None = None
        self._script: Any = None

    def describe(self) -> str:
        return f"redis {self.stream_in} → {self.stream_out} (dead letters: {self.dead_letters}), group {self.group}"

    def _connect(self) -> aioredis.Redis:
        import redis.asyncio as aioredis

        return aioredis.Redis.from_url(
            self.url, socket_timeout=self._socket_timeout, socket_connect_timeout=5.0, decode_responses=False
        )

    async def check(self) -> None:
        from redis.exceptions import RedisError

        client = self._connect()
        try:
            await client.ping()
        except RedisError as exc:
            raise BackendError(f"cannot reach Redis at {mask_url(self.url)}: {mask_urls_in(str(exc))}") from None
        finally:
            await client.aclose()

    async def open(self) -> None:
        from redis.exceptions import RedisError, ResponseError

        client = self._connect()
        try:
            await client.xgroup_create(self.stream_in, self.group, id=self._start_id, mkstream=True)
            log.info("created consumer group %s on %s", self.group, self.stream_in)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                await client.aclose()
                raise BackendError(f"cannot create the consumer group {self.group!r}: {exc}") from None
        except RedisError as exc:
            await client.aclose()
            raise BackendError(f"cannot reach Redis at {mask_url(self.url)}: {mask_urls_in(str(exc))}") from None
        self._redis = client
        self._script = client.register_script(_WRITE_AND_ACK)

    @property
    def _client(self) -> aioredis.Redis:
        if self._redis is None:
            raise RuntimeError("the source is not open")
        return self._redis

    async def read(self, max_records: int, timeout_s: float) -> list[Record]:
        from redis.exceptions import ConnectionError, TimeoutError

        try:
            if time.monotonic() >= self._claim_at:
                claimed = await self._reclaim(max_records)
                if claimed:
                    return claimed
            if timeout_s >= _SERVER_TICK_S:
                reply = await self._xreadgroup(max_records, block_ms=int(timeout_s * 1000))
            else:
                # NB: Redis ends a BLOCK that no entry interrupts on its clock tick (1/hz: 100 ms by
                # default), not on time. The worker waits a few ms for more records of a batch it
                # holds, and a BLOCK 5 held that batch 100 ms whenever the input paused: the p99
                # stalls of the benchmark. Short waits poll without BLOCK instead.
                deadline = time.monotonic() + timeout_s
                while not (reply := await self._xreadgroup(max_records)) and time.monotonic() < deadline:
                    await asyncio.sleep(min(_POLL_EVERY_S, max(0.0, deadline - time.monotonic())))
        except (ConnectionError, TimeoutError) as exc:
            log.warning("reading %s failed (%s); retrying", self.stream_in, exc)
            await asyncio.sleep(min(1.0, max(timeout_s, 0.05)))
            return []
        streams: list[Any] = list(reply.items()) if isinstance(reply, dict) else list(reply or ())  # RESP3 / RESP2
        return [_record(entry_id, fields) for _, entries in streams for entry_id, fields in entries]

    async def _xreadgroup(self, count: int, block_ms: int | None = None) -> Any:
        """New entries for this consumer; without ``block_ms``, what is there now (maybe nothing)."""
        return await self._client.xreadgroup(
            self.group, self.consumer, {self.stream_in: ">"}, count=count, block=block_ms or None
        )

    async def _reclaim(self, max_records: int) -> list[Record]:
        """Entries another consumer (probably dead) left pending longer than ``claim_idle_ms``."""
        reply = await self._client.xautoclaim(
            self.stream_in,
            self.group,
            self.consumer,
            min_idle_time=self._claim_idle_ms,
            start_id=self._claim_cursor,
            count=max_records,
        )
        cursor, entries = reply[0], reply[1]
        self._claim_cursor = cursor.decode() if isinstance(cursor, bytes) else str(cursor)
        if self._claim_cursor == "0-0":  # scanned the whole pending list: wait before scanning again
            self._claim_at = time.monotonic() + self._claim_every_s
        records = [_record(entry_id, fields) for entry_id, fields in entries]
        if records:
            log.warning("reclaimed %d entries left pending by another consumer", len(records))
        return records

    async def write(self, outcomes: Sequence[Outcome]) -> int:
        from redis.exceptions import ConnectionError, TimeoutError

        from modelport.stream.scorer import Stopping

        if not outcomes:
            return 0
        args: list[bytes | str] = [self.group]
        for outcome in outcomes:
            args += [outcome.record.source_id, "a" if isinstance(outcome, Answer) else "d", outcome.body]
        keys = [self.stream_in, self.stream_out, self.dead_letters]
        delay = 0.05
        while True:
            try:
                # Safe to repeat: a record acknowledged by an attempt whose reply was lost is skipped.
                return int(await self._script(keys=keys, args=args))
            except (ConnectionError, TimeoutError) as exc:
                if self._stopping:
                    raise Stopping from exc
                log.warning("writing to %s failed (%s); retrying in %.2f s", self.stream_out, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._retry_max_s)

    async def lag(self) -> Mapping[str, int]:
        groups = await self._client.xinfo_groups(self.stream_in)
        for group in groups:
            name = group.get("name")
            if (name.decode() if isinstance(name, bytes) else name) == self.group:
                found = {"pending": int(group.get("pending") or 0)}
                if group.get("lag") is not None:
                    found["lag"] = int(group["lag"])
                return found
        return {}

    def stop(self) -> None:
        self._stopping = True

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None


def _record(entry_id: bytes | str, fields: Mapping[bytes, bytes] | None) -> Record:
    source_id = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    fields = fields or {}
    headers = {
        k.decode(errors="replace"): v.decode(errors="replace") for k, v in fields.items() if k not in (_DATA, _KEY)
    }
    key = fields.get(_KEY)
    return Record(
        source_id=source_id,
        value=fields.get(_DATA, b""),
        key=key.decode(errors="replace") if key is not None else None,
        headers=headers,
        timestamp_ms=int(source_id.split("-", 1)[0]),
    )
