"""The prediction log in Redis Streams: one stream per deployment, one entry per logged request.

Stream ``<topic>:<deployment>``, entry field ``data``: the record's JSON (``LogRecord.to_json``),
the same field a stream worker reads its input from. Entry ids are Redis's clock, so retention is
a trim by id (``XADD … MINID ~``) on every write, and reading back by time is ``XREVRANGE`` from
the newest entry down to ``since``. One pipeline per writer flush; a Redis that is away or slow
costs the writer thread at most ``send_timeout_s`` per flush, and those records are lost (counted).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import time
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from modelport.errors import BackendError, InvalidSettings
from modelport.inference.predictionlog import LogEntry
from modelport.urls import mask_url

if TYPE_CHECKING:
    import redis

    from modelport.inference.predictionlog import LogRecord, Lost

__all__ = ["RedisLogSink", "read_redis_log", "redis_stream_name"]

log = logging.getLogger(__name__)

_FIELD = b"data"
_DAY_MS = 86_400_000
_PAGE = 1000
# A record's time is the server's clock when it served the request; its entry id is Redis's clock
# when the writer delivered it, a flush later. This margin covers the two clocks disagreeing by up
# to a minute, wherever ids and times are compared.
_SKEW_MS = 60_000


def redis_stream_name(topic: str, deployment: str) -> str:
    """The stream holding ``deployment``'s records."""
    return f"{topic}:{deployment}"


def _client(url: str, timeout_s: float) -> redis.Redis:
    import redis

    try:
        return redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
    except ValueError as exc:
        raise InvalidSettings(f"prediction_log.redis_url {mask_url(url)!r}: {exc}") from None


class RedisLogSink:
    """Appends records to the stream of their deployment, trimming entries older than ``keep_days``."""

    def __init__(self, url: str, topic: str, *, keep_days: int, timeout_s: float) -> None:
        self.url = url
        self.topic = topic
        self._keep_ms = keep_days * _DAY_MS
        self._redis = _client(url, timeout_s)
        self._streams: set[str] = set()  # trimmed by ``prune`` even when their deployment goes quiet
        self._failing = False

    def describe(self) -> str:
        return f"redis {mask_url(self.url)} streams {self.topic}:<deployment>"

    def write(self, records: Sequence[LogRecord]) -> Lost:
        from redis.exceptions import RedisError

        if not records:
            return {}
        oldest = self._oldest_id()
        pipe = self._redis.pipeline(transaction=False)
        for record in records:
            stream = redis_stream_name(self.topic, record.deployment)
            self._streams.add(stream)
            pipe.xadd(stream, {_FIELD: record.to_json()}, minid=oldest, approximate=True)
        try:
            replies = pipe.execute(raise_on_error=False)
        except RedisError as exc:
            self._failed(exc)
            return Counter(r.deployment for r in records)
        if self._failing:
            log.warning("prediction log: Redis at %s answers again", mask_url(self.url))
            self._failing = False
        lost = Counter(r.deployment for r, reply in zip(records, replies, strict=True) if isinstance(reply, Exception))
        if lost:
            log.warning("prediction log: Redis refused %d record(s): %s", sum(lost.values()), _first_error(replies))
        return lost

    def prune(self, keep_days: int) -> None:
        from redis.exceptions import RedisError

        oldest = self._oldest_id(keep_days * _DAY_MS)
        try:
            for stream in sorted(self._streams):
                self._redis.xtrim(stream, minid=oldest, approximate=True)
        except RedisError as exc:
            log.warning("prediction log: could not trim the Redis streams: %s", exc)

    def close(self) -> Lost:
        self._redis.close()
        return {}

    def _oldest_id(self, keep_ms: int | None = None) -> int:
        return int(time.time() * 1000) - (self._keep_ms if keep_ms is None else keep_ms)

    def _failed(self, exc: Exception) -> None:
        if not self._failing:  # once per outage, not once per flush
            log.warning(
                "prediction log: cannot write to Redis at %s (%s); records are dropped "
                "(modelport_prediction_log_dropped) until it answers",
                mask_url(self.url),
                exc,
            )
            self._failing = True


def _first_error(replies: list[Any]) -> str:
    return next(str(r) for r in replies if isinstance(r, Exception))


def _entry(value: bytes | None) -> LogEntry | None:
    try:
        return LogEntry.from_json(value or b"")
    except (ValueError, KeyError, TypeError):
        log.warning("skipped a prediction log stream entry that is not a log record")
        return None


def read_redis_log(
    url: str,
    topic: str,
    deployment: str,
    *,
    since: datetime,
    until: datetime | None = None,
    limit: int | None = None,
    timeout_s: float = 5.0,
) -> list[LogEntry]:
    """Entries of ``deployment`` logged in ``[since, until)``, oldest first (at most the newest ``limit``).

    Reads from the newest entry down: an entry's id (when Redis got it) is no earlier than its
    record's time (when the request was served), so once ``limit`` entries are kept and the ids fall
    below the oldest of them, nothing further down can be newer. ``until`` filters by the record's
    time only: a record may reach Redis any time after it was served.
    """
    from redis.exceptions import RedisError

    client = _client(url, timeout_s)
    stream = redis_stream_name(topic, deployment)
    low = int(since.timestamp() * 1000) - _SKEW_MS
    high = "+"
    kept: list[tuple[datetime, int, LogEntry]] = []  # a min-heap of the newest ``limit`` by time
    order = itertools.count()
    try:
        while True:
            page = cast("list[tuple[bytes, dict[bytes, bytes]]]", client.xrevrange(stream, high, low, _PAGE))
            for _id, fields in page:
                entry = _entry(fields.get(_FIELD))
                if entry is not None and since <= entry.time and (until is None or entry.time < until):
                    heapq.heappush(kept, (entry.time, next(order), entry))
                    if limit is not None and len(kept) > limit:
                        heapq.heappop(kept)
            if len(page) < _PAGE:
                break
            last_ms = int(page[-1][0].split(b"-", 1)[0])
            if limit is not None and len(kept) >= limit and last_ms + _SKEW_MS < kept[0][0].timestamp() * 1000:
                break
            high = "(" + page[-1][0].decode()
    except RedisError as exc:
        raise BackendError(f"cannot read the prediction log from Redis at {mask_url(url)}: {exc}") from None
    finally:
        client.close()
    return [entry for _, _, entry in sorted(kept)]
