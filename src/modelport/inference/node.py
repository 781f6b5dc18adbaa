"""``Node``: everything one data-plane process needs, built from ``Settings``, started and stopped as one.

An HTTP server (``serving.create_app``), a stream worker and an embedding program each make one
``Node`` and drive its ``plane``: the node opens the state store and the registry (unless given),
builds the catalog, the model loader, the rollout agent, the data plane, the follower and — on
PostgreSQL — the LISTEN/NOTIFY listener that wakes it. ``start`` loads what the deployments serve
before returning; ``stop`` undoes everything in reverse order. Front ends add only their transport.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from modelport.cpu import limit_cpu_threads
from modelport.errors import NotFound, VersionNotFound
from modelport.inference.catalog import Catalog, RegistryCatalog
from modelport.inference.dataplane import DataPlane
from modelport.inference.drift import DriftMonitor, MemoryDriftCounts
from modelport.inference.follower import Follower
from modelport.inference.limits import RequestLimits
from modelport.inference.metrics import ServingMetrics
from modelport.inference.periodic import Periodic
from modelport.inference.predictionlog import PredictionLog, parquet_sink

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from modelport.deployments import RolloutAgent
    from modelport.inference.drift import DriftCounts, DriftReport
    from modelport.inference.prediction import ModelLoader, PredictionObserver
    from modelport.inference.predictionlog import LogSinkFactory
    from modelport.registry import Registry
    from modelport.settings import Settings
    from modelport.state import RevisionListener, StateStore

__all__ = ["Node"]

log = logging.getLogger(__name__)


class Node:
    """One data-plane process: control-plane clients, the data plane, and what keeps it current.

    Without a ``catalog``, ``registry`` and ``store`` are opened from ``settings`` when not given
    (a store the node opened, it closes). With a ``catalog`` (``MemoryCatalog``), there is no
    store: no traffic policies, no API keys. ``deployments`` restricts what is served (default:
    ``settings.serving.deployments``; empty means every deployment). ``metrics_dir`` makes this
    node one of several worker processes sharing prometheus_client's multiprocess directory.
    ``log_sink`` opens the prediction log's sink (default: Parquet only; front ends pass
    ``modelport.logsinks.open_log_sink``, which also knows Redis and Kafka).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        registry: Registry | None = None,
        store: StateStore | None = None,
        catalog: Catalog | None = None,
        loader: ModelLoader | None = None,
        deployments: Sequence[str] | None = None,
        metrics_registry: CollectorRegistry | None = None,
        metrics_dir: Path | None = None,
        log_sink: LogSinkFactory = parquet_sink,
    ) -> None:
        self.settings = settings
        self._owned_store: StateStore | None = None
        followed: StateStore | None = None  # the store whose revision notifications wake the follower
        if catalog is None:
            if store is None:
                store = self._owned_store = _open_store(settings)
            registry = registry if registry is not None else _open_registry(settings, store)
            catalog = RegistryCatalog(
                registry,
                store,
                served_forms=settings.served_forms_dir,
                verify_aliases_s=settings.serving.resync_interval_s,
            )
            followed = store
        self.store = store
        self.registry = registry
        self.catalog = catalog
        self.metrics = ServingMetrics(metrics_registry, multiprocess_dir=metrics_dir)
        self.agent: RolloutAgent | None = _rollout_agent(settings, store, registry)
        observers: list[PredictionObserver] = []
        # Drift counts meet in the state store (every worker and replica); without one, in memory.
        self.drift: DriftMonitor | None = None
        self._drift_flush: Periodic | None = None
        if settings.drift.enabled:
            self.drift = DriftMonitor(settings.drift, _drift_counts(store), self.metrics)
            self._drift_flush = Periodic("drift flush", settings.drift.flush_interval_s, self.drift.flush)
            observers.append(self.drift)
        self.prediction_log: PredictionLog | None = None
        if _logs_anything(settings):
            self.prediction_log = PredictionLog(settings.prediction_log, log_sink(settings), self.metrics)
            observers.append(self.prediction_log)
        serving = settings.serving
        self.plane = DataPlane(
            catalog,
            loader if loader is not None else _default_loader(settings, store),
            self.metrics,
            only=serving.deployments if deployments is None else deployments,
            default=serving.default_deployment,
            limits=RequestLimits(max_rows=serving.max_rows),
            max_batch_size=settings.runtime.max_batch_size,
            max_latency_ms=settings.runtime.max_latency_ms,
            rollouts=self.agent,
            observers=observers,
        )
        self.follower = Follower(
            self.plane,
            poll_interval_s=serving.poll_interval_s,
            resync_interval_s=serving.resync_interval_s,
            after_sync=_HeapFreezer(),
        )
        # PostgreSQL tells the follower of a revision bump at once; SQLite has no listener (None).
        self.listener: RevisionListener | None = (
            followed.revision_listener(self.follower.wake) if followed is not None else None
        )

    async def start(self) -> None:
        """Load every deployment's versions, then follow the control plane in the background."""
        limit_cpu_threads(self.settings.serving.cpu_threads)
        if self.agent is not None:
            await self.agent.start()
        if self.prediction_log is not None:
            self.prediction_log.start()
        if self._drift_flush is not None:
            self._drift_flush.start()
        await self.follower.start()  # the first sync freezes the heap with the models in it
        if self.listener is not None:
            self.listener.start()
        served = {p.name: (p.active.version if p.active else None) for p in self.plane.pools}
        log.info("data plane started: %s", served or "no deployments")

    async def stop(self) -> None:
        """Stop following, flush outcomes, finish in-flight work, close what this node opened."""
        if self.listener is not None:
            await asyncio.to_thread(self.listener.stop)
        await self.follower.stop()
        await self.plane.drain()  # shadow copies record their outcomes before the last flush
        if self.agent is not None:
            await self.agent.stop()
        if self._drift_flush is not None:
            await self._drift_flush.stop()  # the last sampled inputs are counted and written
        if self.prediction_log is not None:
            await asyncio.to_thread(self.prediction_log.stop)
        await self.plane.aclose()
        if self._owned_store is not None:
            self._owned_store.close()
        self.metrics.close()

    async def drift_report(self, deployment: str | None, version: str | None = None) -> DriftReport:
        """The feature drift of ``deployment``'s active version (or ``version``, when loaded here)."""
        if self.drift is None:
            raise NotFound("feature drift is off on this server (MODELPORT_DRIFT__ENABLED=false)")
        pool = self.plane.pool(deployment)
        served = pool.current() if version is None else pool.loaded(version)
        if served is None:
            raise VersionNotFound(f"version {version} of deployment {pool.name!r} is not loaded on this server")
        return await asyncio.to_thread(self.drift.report, served, pool.name)

    async def __aenter__(self) -> Node:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()


def _rollout_agent(settings: Settings, store: StateStore | None, registry: Registry | None) -> RolloutAgent | None:
    """Routing by traffic policies needs the state store; the controller also needs the registry."""
    if store is None:
        return None
    from modelport.deployments import RolloutAgent

    return RolloutAgent(store, registry, settings.rollouts)


def _drift_counts(store: StateStore | None) -> DriftCounts:
    return MemoryDriftCounts() if store is None else store.drift


def _logs_anything(settings: Settings) -> bool:
    log_settings = settings.prediction_log
    modes = {log_settings.fields, *log_settings.deployments.values()}
    return log_settings.sample_rate > 0 and modes != {"off"}


def _open_store(settings: Settings) -> StateStore:
    from modelport.state import StateStore

    return StateStore.open(settings)


def _open_registry(settings: Settings, store: StateStore) -> Registry:
    from modelport.registry import Registry

    return Registry.open(settings, store)


def _default_loader(settings: Settings, store: StateStore | None) -> ModelLoader:
    # Compiled once for every replica: the state store's compiled versions behind this machine's disk cache.
    from modelport.runtime import model_loader

    return model_loader(settings, store)


class _HeapFreezer:
    """Called when the loaded versions changed (start-up, promote, rollback).

    Hundreds of thousands of long-lived objects (mlflow, sklearn, pandas, the loaded models) would
    otherwise be re-scanned by every full collection: 100+ ms pauses that made the p99. After a
    change, unfreeze and collect so a dropped version's reference cycles are freed, then freeze what
    is left. At start-up nothing was dropped yet: freezing alone spares the first prediction a full
    collection (~0.2 s), at the price of keeping whatever garbage start-up left until the next change.
    """

    def __init__(self) -> None:
        self._frozen_once = False

    def __call__(self) -> None:
        if self._frozen_once:
            gc.unfreeze()
            gc.collect()
        gc.freeze()
        self._frozen_once = True
