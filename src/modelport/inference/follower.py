"""Keep a data plane in step with the control plane by polling the state revision.

Every ``poll_interval_s`` the follower reads the revision counter (one indexed row); when it moved
(a promote, a rollback, a new deployment — from any process or machine), it re-resolves every
alias and the data plane loads, warms and swaps what changed. ``wake()`` (thread-safe) reads it
at once instead of at the next poll: PostgreSQL notifications call it (``state.RevisionListener``),
so a promote is seen in milliseconds while polling stays the fallback. Aliases are also
re-resolved every ``resync_interval_s`` to catch changes made straight in MLflow. A control plane
that cannot be reached is logged and retried: the versions already loaded keep serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from modelport.inference.dataplane import DataPlane

__all__ = ["Follower"]

log = logging.getLogger(__name__)


class Follower:
    """A background task driving ``DataPlane.sync``; ``start()`` and ``stop()`` from the lifespan.

    ``after_sync`` runs after each sync that changed the versions held in memory.
    """

    def __init__(
        self,
        plane: DataPlane,
        *,
        poll_interval_s: float = 0.5,
        resync_interval_s: float = 30.0,
        after_sync: Callable[[], None] | None = None,
    ):
        self._plane = plane
        self._after_sync = after_sync
        self._poll = poll_interval_s
        self._resync = resync_interval_s
        self._revision: int | None = None
        self._synced_at = 0.0
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._woken = asyncio.Event()

    async def start(self) -> None:
        """Sync once (so the server starts with its models loaded), then follow in the background."""
        self._loop = asyncio.get_running_loop()
        await self.check()
        self._task = asyncio.create_task(self._run(), name="modelport-follower")

    def wake(self) -> None:
        """The revision may have moved: check now rather than at the next poll (from any thread)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed in between: nothing left to follow
            loop.call_soon_threadsafe(self._woken.set)

    async def check(self) -> bool:
        """Sync if the revision moved or the resync interval passed; True when a sync ran."""
        try:
            revision = await asyncio.to_thread(self._plane.catalog.revision)
        except Exception:
            log.exception("could not read the state revision; still serving the loaded versions")
            return False
        due = time.monotonic() - self._synced_at >= self._resync
        if revision == self._revision and not due:
            return False
        try:
            changed = await self._plane.sync()
        except Exception:
            log.exception("could not sync with the control plane; still serving the loaded versions")
            return False
        self._revision = revision
        self._synced_at = time.monotonic()
        if changed and self._after_sync is not None:
            self._after_sync()
        return True

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), self._poll)
            # Cleared before reading the revision: a wake-up during the check triggers another.
            self._woken.clear()
            await self.check()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
