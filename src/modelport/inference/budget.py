"""``RowBudget``: at most so many rows a second, so monitoring costs the same at 10 or 10,000 requests a second.

Drift and the prediction log sample with it on the request path: a clock read and two integer
operations. Rows beyond the budget are not looked at until the next second; at low traffic every
row is. The budget is per process (each worker has its own).
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["RowBudget"]


class RowBudget:
    """Grants up to ``per_second`` rows in each second of ``clock`` (called from one thread: the event loop)."""

    def __init__(self, per_second: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_second = per_second
        self._clock = clock
        self._left = per_second
        self._renew_at = 0.0

    def take(self, rows: int) -> int:
        """How many of ``rows`` may be looked at now (0 when this second's budget is spent)."""
        now = self._clock()
        if now >= self._renew_at:
            self._renew_at = now + 1.0
            self._left = self.per_second
        granted = rows if rows <= self._left else self._left
        self._left -= granted
        return granted
