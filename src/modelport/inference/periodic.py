"""``Periodic``: blocking work (a flush to the state store) run in a thread every few seconds, and once more at stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

__all__ = ["Periodic"]

log = logging.getLogger(__name__)


class Periodic:
    """Runs ``work`` every ``interval_s`` on a worker thread while started; ``stop`` runs it a last time."""

    def __init__(self, name: str, interval_s: float, work: Callable[[], object]) -> None:
        self.name = name
        self.interval_s = interval_s
        self._work = work
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name=self.name)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await asyncio.to_thread(self._work)
            except Exception:  # a database hiccup must not stop the work for good
                log.exception("%s failed; retrying in %.1f s", self.name, self.interval_s)

    async def stop(self) -> None:
        """Cancel the loop, then run the work once more so nothing buffered is lost."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        try:
            await asyncio.to_thread(self._work)
        except Exception:
            log.exception("%s failed at stop", self.name)
