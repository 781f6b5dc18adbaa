"""``Source``: what a broker adapter gives the worker loop — read records, write outcomes and
acknowledge their records in one step, report lag. Redis Streams and Kafka implement it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from modelport.stream.contract import Outcome, Record

__all__ = ["Source"]


class Source(Protocol):
    """A consumer-group member of one input stream, writing to an output and a dead-letter stream.

    ``write`` is where each broker's guarantee lives: it must not return before the outcomes are
    durable and their records acknowledged (Redis: one atomic script; Kafka: produce, flush,
    commit). It retries transient failures itself until ``stop`` is called.
    """

    name: str
    """``redis`` or ``kafka``: the ``protocol`` label of the data plane's metrics."""

    def describe(self) -> str:
        """One line for the log: where records come from and go to."""
        ...

    async def check(self) -> None:
        """Fail now, with one ``BackendError``, when the broker cannot be reached; join nothing.

        ``run_stream`` calls it before loading any model, so a wrong address fails in a moment.
        The default checks nothing: ``open`` reports what it cannot reach.
        """
        return None

    async def open(self) -> None:
        """Connect and join the group (creating it when missing)."""
        ...

    async def read(self, max_records: int, timeout_s: float) -> list[Record]:
        """Up to ``max_records`` records, waiting at most ``timeout_s`` for the first one."""
        ...

    async def write(self, outcomes: Sequence[Outcome]) -> int:
        """Write answers and dead letters, acknowledge their records; how many were written."""
        ...

    async def lag(self) -> Mapping[str, int]:
        """Records not yet processed, by partition (Kafka) or as ``pending``/``lag`` (Redis)."""
        ...

    def stop(self) -> None:
        """Stop retrying: the worker is shutting down (what is not acknowledged is read again later)."""
        ...

    async def close(self) -> None:
        """Leave the group and disconnect."""
        ...
