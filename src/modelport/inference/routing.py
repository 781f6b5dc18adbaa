"""A prediction routed by the deployment's traffic policy: variant, fallback, shadow copy, outcomes.

The policy table is already in memory (refreshed by the follower), so routing costs one hash. The
answer is counted for the rollout controller; a failed canary prediction is retried on the stable
version when the policy says so (the failure still counts); a shadow gets a copy in a background
task whose result is only compared and recorded — users never wait for it. The router owns those
tasks: ``aclose`` lets the running ones finish (bounded) before the versions they use are closed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

from modelport.deployments import compare_results, request_key
from modelport.errors import InvalidRequest
from modelport.inference.context import current_request_id
from modelport.inference.prediction import Prediction
from modelport.state import ExposureRecord, ShadowRecord

if TYPE_CHECKING:
    from modelport.deployments import RolloutAgent
    from modelport.inference.pool import ModelPool, ServedVersion
    from modelport.inference.prediction import InferenceInput
    from modelport.runtime import Features, PredictionResult

__all__ = ["Router", "RunVersion"]

log = logging.getLogger(__name__)

RunVersion = Callable[["ServedVersion", "InferenceInput"], Awaitable["tuple[Features, PredictionResult]"]]
"""Parse the input for one version and predict with it: the rows and their predictions (``DataPlane.score``)."""


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000.0


class Router:
    """Routes unpinned requests of every deployment by ``agent``'s policy table."""

    def __init__(self, agent: RolloutAgent, run: RunVersion, *, drain_timeout_s: float = 5.0) -> None:
        self.agent = agent
        self._run = run
        self._drain_timeout_s = drain_timeout_s
        self._shadows: set[asyncio.Task[None]] = set()  # referenced until they finish

    @property
    def shadows_running(self) -> int:
        return len(self._shadows)

    async def predict(self, pool: ModelPool, request: InferenceInput, headers: Mapping[str, str]) -> Prediction:
        agent = self.agent
        active = pool.current()
        revision, policy = agent.table.policy(pool.name)
        request_id = current_request_id()
        # Keyless requests are keyed by their request id: random, so they spread uniformly.
        key = request_key(policy, headers, request.record) or request_id
        route = agent.table.route(pool.name, int(active.version), key)
        served = pool.loaded(str(route.version))
        variant = route.variant
        if served is None:  # the policy's version is still loading: the alias answers, and says so
            served, variant = active, "primary"
        started = time.perf_counter()
        try:
            features, result = await self._run(served, request)
        except InvalidRequest:
            raise  # the caller's input, not the version's health
        except Exception:
            fallback = pool.loaded(str(route.fallback)) if route.fallback is not None else None
            agent.recorder.record(
                pool.name,
                revision,
                int(served.version),
                latency_ms=_ms(started),
                error=True,
                fallback=fallback is not None,
            )
            if fallback is None:
                raise
            log.warning("v%s failed on %s; answered by stable v%s", served.version, pool.name, fallback.version)
            started = time.perf_counter()
            features, result = await self._run(fallback, request)
            agent.recorder.record(
                pool.name, revision, int(fallback.version), latency_ms=_ms(started), error=False, fallback=False
            )
            return Prediction(pool.name, fallback, result, variant="stable", fallback=True, inputs=features)
        primary_ms = _ms(started)
        agent.recorder.record(
            pool.name, revision, int(served.version), latency_ms=primary_ms, error=False, fallback=False
        )
        if policy.kind == "ab":
            label = str(result.predictions[0]) if result.n_rows == 1 else None
            agent.recorder.expose(
                ExposureRecord(request_id, pool.name, revision, route.variant, int(served.version), label)
            )
        if route.mirror is not None:
            shadow = pool.loaded(str(route.mirror))
            if shadow is not None:
                task = asyncio.create_task(
                    self._shadow(pool.name, revision, served, shadow, request, result, primary_ms)
                )
                self._shadows.add(task)
                task.add_done_callback(self._shadows.discard)
        return Prediction(pool.name, served, result, variant=variant, inputs=features)

    async def _shadow(
        self,
        deployment: str,
        revision: int,
        primary: ServedVersion,
        shadow: ServedVersion,
        request: InferenceInput,
        primary_result: PredictionResult,
        primary_ms: float,
    ) -> None:
        started = time.perf_counter()
        n_rows = primary_result.n_rows
        versions = (int(primary.version), int(shadow.version))
        try:
            _, result = await self._run(shadow, request)
        except Exception as exc:  # recorded, never raised: users must not notice the shadow
            error = f"{type(exc).__name__}: {exc}"[:500]
            record = ShadowRecord(deployment, revision, *versions, n_rows, None, None, None, primary_ms, None, error)
        else:
            cmp = compare_results(primary_result, result)
            record = ShadowRecord(
                deployment,
                revision,
                *versions,
                n_rows,
                cmp.agreeing_rows,
                cmp.mean_abs_diff,
                cmp.max_abs_diff,
                primary_ms,
                _ms(started),
            )
        self.agent.recorder.shadow(record)

    async def aclose(self) -> None:
        """Let running shadow copies finish (up to the drain timeout), then cancel what is left."""
        pending = set(self._shadows)
        if not pending:
            return
        _, late = await asyncio.wait(pending, timeout=self._drain_timeout_s)
        for task in late:
            task.cancel()
        if late:
            log.warning("cancelled %d shadow prediction(s) still running at shutdown", len(late))
            await asyncio.gather(*late, return_exceptions=True)
