"""The rollout side of one data-plane process: policy table, outcome flushing and the controller.

Whoever builds the data plane (today ``serving/app.py``'s lifespan) makes one ``RolloutAgent``,
``await``s ``start()`` (first table read, then the flush and controller loops as asyncio tasks),
installs a new table from ``read()`` whenever the state revision moves, routes with
``agent.table``, records with ``agent.recorder`` and ``await``s ``stop()`` on shutdown (last flush,
leases released). Blocking store calls run in threads so the event loop never waits for the
database. The controller records its changes as ``rollout-controller`` (see ``controller.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from modelport.deployments.controller import RolloutController
from modelport.deployments.recorder import OutcomeRecorder
from modelport.deployments.router import PolicyTable
from modelport.registry import Registry
from modelport.settings import RolloutSettings
from modelport.state import StateStore

__all__ = ["RolloutAgent"]

log = logging.getLogger(__name__)


class RolloutAgent:
    """Owns this replica's policy table, outcome recorder and (optionally) rollout controller."""

    def __init__(
        self, store: StateStore, registry: Registry | None, settings: RolloutSettings, *, replica: str | None = None
    ) -> None:
        self.store = store
        self.settings = settings
        self.table = PolicyTable()
        self.recorder = OutcomeRecorder(store, replica=replica)
        self.controller: RolloutController | None = None
        if settings.controller and registry is not None:
            self.controller = RolloutController(
                store, registry, holder=self.recorder.replica, lease_ttl_s=settings.lease_ttl_s
            )
        self._tasks: list[asyncio.Task[None]] = []

    def read(self) -> PolicyTable:
        """Every deployment's current policy, in a new table not yet routed by (blocking).

        The data plane loads the versions it needs first and only then installs it (``table = …``),
        so a request is never routed to a version that is still loading.
        """
        table = PolicyTable()
        table.refresh(self.store)
        return table

    def refresh(self) -> None:
        """Re-read every deployment's current policy and route by it at once (blocking)."""
        self.table = self.read()

    async def start(self) -> None:
        await asyncio.to_thread(self.refresh)
        self._tasks.append(asyncio.create_task(self._every(self.settings.flush_interval_s, self.recorder.flush)))
        if self.controller is not None:
            tick = self.controller.tick
            self._tasks.append(asyncio.create_task(self._every(self.settings.controller_interval_s, tick)))

    async def _every(self, interval_s: float, work: Callable[[], object]) -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                await asyncio.to_thread(work)
            except Exception:  # a database hiccup must not stop reporting for good
                log.exception("rollout background work failed; retrying in %.1f s", interval_s)

    async def stop(self) -> None:
        """Cancel the loops, flush the last outcomes, give up this replica's leases."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(Exception):
            await asyncio.to_thread(self.recorder.flush)
        if self.controller is not None:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.controller.release)
