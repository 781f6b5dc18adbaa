"""The transport-free data plane: deployments → model pools → batched predictions.

Every front end (the HTTP protocols, stream workers) decodes its payload into an
``InferenceInput`` with a codec and calls ``DataPlane.predict``; the follower calls
``DataPlane.sync`` when the control plane moves. Nothing here knows HTTP.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from modelport.errors import DeploymentNotFound, ModelportError, VersionNotFound
from modelport.inference.limits import RequestLimits
from modelport.inference.pool import LoadFailure, ModelPool, ServedVersion
from modelport.inference.prediction import InferenceInput, ModelLoader, Prediction, PredictionObserver
from modelport.inference.routing import Router

if TYPE_CHECKING:
    from modelport.deployments import PolicyTable, RolloutAgent
    from modelport.inference.catalog import Catalog, DeploymentSpec
    from modelport.inference.metrics import ServingMetrics
    from modelport.runtime import Features, LoadedModel, PredictionResult

__all__ = ["DataPlane"]

log = logging.getLogger(__name__)


class DataPlane:
    """Every deployment this server serves, and the one place predictions are made."""

    def __init__(
        self,
        catalog: Catalog,
        loader: ModelLoader,
        metrics: ServingMetrics,
        *,
        only: Sequence[str] = (),
        default: str | None = None,
        limits: RequestLimits | None = None,
        max_batch_size: int = 64,
        max_latency_ms: float = 2.0,
        rollouts: RolloutAgent | None = None,
        observers: Sequence[PredictionObserver] = (),
    ) -> None:
        self.catalog = catalog
        self.rollouts = rollouts
        self.metrics = metrics
        self.limits = limits if limits is not None else RequestLimits()
        self._router = Router(rollouts, self.score) if rollouts is not None else None
        self._observers = tuple(observers)
        self._loader = loader
        self._only = frozenset(only)
        self._default = default
        self._max_batch_size = max_batch_size
        self._max_latency_ms = max_latency_ms
        self._pools: dict[str, ModelPool] = {}
        self._sync_lock = asyncio.Lock()
        self._pin_lock = asyncio.Lock()
        self.last_sync: datetime | None = None

    # -- what is served -------------------------------------------------------------------------
    @property
    def pools(self) -> list[ModelPool]:
        return list(self._pools.values())

    @property
    def default_name(self) -> str | None:
        if self._default is not None:
            return self._default
        return next(iter(self._pools)) if len(self._pools) == 1 else None

    @property
    def ready(self) -> bool:
        """True when a deployment serves and every other one serves too or has failed for a reason of its own.

        A deployment whose alias points nowhere, or whose version does not load, answers 503 on its own
        routes and is named by ``/readyz``; it does not take the others out of rotation. Still loading
        (no version, no failure yet) holds readiness back.
        """
        pools = self._pools.values()
        return any(p.ready for p in pools) and all(p.ready or p.failure is not None for p in pools)

    def pool(self, name: str | None = None) -> ModelPool:
        """The pool of deployment ``name`` (``None``: the default deployment)."""
        key = name if name is not None else self.default_name
        if key is None:
            known = ", ".join(sorted(self._pools)) or "none"
            raise DeploymentNotFound(
                f"no default deployment: name one (serving {known}) or start the server with --default"
            )
        pool = self._pools.get(key)
        if pool is None:
            raise DeploymentNotFound(f"no deployment named {key!r} is served here")
        return pool

    async def served(self, deployment: str | None, version: str | None = None) -> ServedVersion:
        """The version that answers: the active one, or ``version`` loaded on demand and pinned."""
        pool = self.pool(deployment)
        if version is None:
            return pool.current()
        if version.isdigit() and version != str(int(version)):
            # "01" would load version 1 a second time, as a pinned entry evicting a real one.
            raise VersionNotFound(f"deployment {pool.name!r} has no version {version!r}; write it {int(version)}")
        held = pool.loaded(version)
        if held is not None:
            return held
        async with self._pin_lock:
            held = pool.loaded(version)
            if held is None:
                held = await self._load(pool, version)
                await self._close(pool.pin(held))
                self._publish(pool)
            return held

    # -- the hot path ---------------------------------------------------------------------------
    async def predict(
        self,
        deployment: str | None,
        request: InferenceInput,
        *,
        version: str | None = None,
        protocol: str = "seed",
        headers: Mapping[str, str] | None = None,
    ) -> Prediction:
        """Pick the version (pinned, or by the deployment's traffic policy), parse, predict through its batcher."""
        started = time.perf_counter()
        if request.n_rows is not None:
            self.limits.check_rows(request.n_rows)  # before a single row is validated
        pool = self.pool(deployment)
        if version is None and self._router is not None:
            prediction = await self._router.predict(pool, request, headers or {})
        else:
            served = await self.served(deployment, version)
            features, result = await self.score(served, request)
            prediction = Prediction(pool.name, served, result, inputs=features)
        name, served = prediction.deployment, prediction.served
        latency = time.perf_counter() - started
        self.metrics.requests.labels(name, served.version, protocol).inc()
        self.metrics.rows.labels(name, served.version).inc(prediction.result.n_rows)
        self.metrics.latency.labels(name, served.version, protocol).observe(latency)
        for observer in self._observers:
            observer.observe(prediction, latency)
        return prediction

    async def score(self, served: ServedVersion, request: InferenceInput) -> tuple[Features, PredictionResult]:
        """Validate ``request`` against ``served``'s schema and predict with it; the rows and their predictions."""
        features = request.parse(served.model.schema)
        self.limits.check_rows(features.n_rows)
        return features, await served.predict(features)

    async def run(self, served: ServedVersion, request: InferenceInput) -> PredictionResult:
        """Validate ``request`` against ``served``'s schema and predict with it (no routing, no metrics)."""
        return (await self.score(served, request))[1]

    # -- following the control plane ------------------------------------------------------------
    async def sync(self) -> bool:
        """Resolve every deployment's alias now; load, warm and swap in what changed.

        Returns True when the versions held in memory changed (loaded, swapped or dropped).
        """
        changed = False
        async with self._sync_lock:
            # The policies are read now but routed by only once the versions they need are loaded:
            # until then the previous policies keep routing to versions already in memory, so no
            # request is answered by a stand-in while a version loads (stickiness holds throughout).
            table = await asyncio.to_thread(self.rollouts.read) if self.rollouts is not None else None
            specs = await asyncio.to_thread(self.catalog.deployments)
            wanted = {s.name: s for s in specs if not self._only or s.name in self._only}
            missing = sorted(self._only - wanted.keys())
            if missing:
                log.warning("asked to serve %s, but no such deployment exists (yet)", ", ".join(missing))
            for name in [n for n in self._pools if n not in wanted]:
                log.warning("deployment %s was removed; no longer serving it", name)
                await self._close(self._pools.pop(name).drain())
                self.metrics.set_loaded(name, "", [])
                changed = True
            needed: dict[str, dict[str, ServedVersion]] = {}
            for spec in wanted.values():
                changed |= await self._follow(spec)
                if table is not None:
                    needed[spec.name], loaded = await self._load_policy(self._pools[spec.name], table)
                    changed |= loaded
            if self.rollouts is not None and table is not None:
                # No await until every pool is done: routing switches to the new table and the pools
                # release what it no longer needs in one step of the event loop.
                self.rollouts.table = table
                released = {name: self._pools[name].hold(held) for name, held in needed.items()}
                for name, dropped in released.items():
                    if dropped:
                        self._publish(self._pools[name])
                        changed = True
                for dropped in released.values():
                    await self._close(dropped)
            self.last_sync = datetime.now(UTC)
        return changed

    async def _follow(self, spec: DeploymentSpec) -> bool:
        pool = self._pools.get(spec.name)
        if pool is None or pool.spec != spec:
            if pool is not None:
                await self._close(pool.drain())
            pool = self._pools[spec.name] = ModelPool(spec)
        try:
            version = await asyncio.to_thread(self.catalog.resolve, spec.model, spec.alias)
        except ModelportError as exc:
            self._fail(pool, f"{spec.model}@{spec.alias}", exc)
            return False
        active = pool.active
        if active is not None and active.version == version:
            self._recovered(pool)  # e.g. rolled back from a version that failed to load
            return False
        served = pool.loaded(version)
        if served is None:
            try:
                served = await self._load(pool, version)
            except Exception as exc:  # any load failure must leave the old version serving
                self._fail(pool, version, exc)
                return False
        await self._close(pool.swap(served))
        self._recovered(pool)
        self._publish(pool)
        old = f"v{active.version}" if active is not None else "nothing"
        log.info("deployment %s now serves %s v%s (was %s)", pool.name, spec.model, version, old)
        return True

    def _recovered(self, pool: ModelPool) -> None:
        if pool.failure is not None:
            pool.failure = None
            self.metrics.degraded.labels(pool.name).set(0)

    async def _load_policy(self, pool: ModelPool, table: PolicyTable) -> tuple[dict[str, ServedVersion], bool]:
        """Load (warm) every version ``table`` routes this deployment to, releasing nothing yet.

        Returns those versions and whether any had to be loaded.
        """
        active = pool.active
        needed: dict[str, ServedVersion] = {}
        loaded = False
        if active is None or not active.version.isdigit():
            return needed, loaded
        for number in sorted(table.versions(pool.name, int(active.version))):
            version = str(number)
            if version == active.version:
                continue
            served = pool.loaded(version)
            if served is None:
                try:
                    served = await self._load(pool, version)
                except Exception as exc:  # the policy's other versions still serve; routing skips this one
                    self._fail(pool, version, exc)
                    continue
                # Held next to what the current table routes to, until the new table is installed.
                pool.hold({**pool.policy_versions(), version: served})
                self._publish(pool)
                loaded = True
            needed[version] = served
        return needed, loaded

    async def _load(self, pool: ModelPool, version: str) -> ServedVersion:
        model_name = pool.spec.model
        model_dir = await asyncio.to_thread(self.catalog.model_dir, model_name, version)
        loaded = await asyncio.to_thread(self._load_warm, model_dir, model_name, version)
        from modelport.runtime import AdaptiveBatcher

        batch_rows = self.metrics.batch_rows.labels(pool.name, version)
        predictor = loaded.predictor

        def predict(features: Features) -> PredictionResult:
            batch_rows.observe(features.n_rows)
            return predictor.predict(features)

        batcher = AdaptiveBatcher(predict, max_batch_size=self._max_batch_size, max_latency_ms=self._max_latency_ms)
        log.info("loaded %s v%s with the %s predictor", model_name, version, loaded.kind)
        return ServedVersion(model_name, version, loaded, batcher)

    def _load_warm(self, model_dir: Path, model: str, version: str) -> LoadedModel:
        loaded = self._loader(model_dir, model=model, version=version)
        loaded.warm_up()
        return loaded

    def _fail(self, pool: ModelPool, what: str, exc: BaseException) -> None:
        message = exc.message if isinstance(exc, ModelportError) else f"{type(exc).__name__}: {exc}"
        pool.failure = LoadFailure(what, message, datetime.now(UTC))
        self.metrics.load_failures.labels(pool.name, what).inc()
        self.metrics.degraded.labels(pool.name).set(1)
        serving = f"v{pool.active.version}" if pool.active else "nothing"
        log.error("deployment %s could not load %s (still serving %s): %s", pool.name, what, serving, message)

    def _publish(self, pool: ModelPool) -> None:
        roles = [(role, s.version) for role, s in pool.versions()]
        self.metrics.set_loaded(pool.name, pool.spec.model, roles)

    async def _close(self, dropped: Sequence[ServedVersion]) -> None:
        for served in dropped:
            await served.batcher.aclose()

    async def drain(self) -> None:
        """Let background predictions (shadow copies) finish, bounded; their outcomes are recorded."""
        if self._router is not None:
            await self._router.aclose()

    async def aclose(self) -> None:
        """Drain, then stop every batcher (in-flight batches finish first)."""
        await self.drain()
        for pool in list(self._pools.values()):
            await self._close(pool.drain())
        self._pools.clear()
