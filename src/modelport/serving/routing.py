"""A prediction routed by the deployment's traffic policy: variant, fallback, shadow copy, outcomes.

The policy table is already in memory (refreshed by the follower), so routing costs one hash. The
answer is counted for the rollout controller; a failed canary prediction is retried on the stable
version when the policy says so (the failure still counts); a shadow gets a copy in a background
task whose result is only compared and recorded — users never wait for it.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from modelport.deployments import compare_results, request_key
from modelport.errors import InvalidRequest
from modelport.serving.logs import request_id_var
from modelport.state import ExposureRecord, ShadowRecord

if TYPE_CHECKING:
    from modelport.deployments import RolloutAgent
    from modelport.runtime import Features, InputSchema, PredictionResult
    from modelport.serving.dataplane import DataPlane, Prediction
    from modelport.serving.pool import ModelPool, ServedVersion

__all__ = ["predict_routed"]

log = logging.getLogger(__name__)
_background: set[asyncio.Task[None]] = set()  # keeps shadow tasks referenced until they finish


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000.0


async def predict_routed(
    plane: DataPlane,
    agent: RolloutAgent,
    pool: ModelPool,
    parse: Callable[[InputSchema], Features],
    headers: Mapping[str, str],
    record: Mapping[str, Any] | None = None,
) -> Prediction:
    from modelport.serving.dataplane import Prediction

    active = pool.current()
    revision, policy = agent.table.policy(pool.name)
    request_id = request_id_var.get() or uuid.uuid4().hex
    # Keyless requests are keyed by their request id: random, so they spread uniformly.
    route = agent.table.route(pool.name, int(active.version), request_key(policy, headers, record) or request_id)
    served = pool.loaded(str(route.version))
    variant = route.variant
    if served is None:  # the policy's version is still loading: the alias answers, and says so
        served, variant = active, "primary"
    started = time.perf_counter()
    try:
        result = await plane._run(served, parse)
    except InvalidRequest:
        raise  # the caller's input, not the version's health
    except Exception:
        fallback = pool.loaded(str(route.fallback)) if route.fallback is not None else None
        agent.recorder.record(
            pool.name, revision, int(served.version), latency_ms=_ms(started), error=True, fallback=fallback is not None
        )
        if fallback is None:
            raise
        log.warning("v%s failed on %s; answered by stable v%s", served.version, pool.name, fallback.version)
        started = time.perf_counter()
        result = await plane._run(fallback, parse)
        agent.recorder.record(
            pool.name, revision, int(fallback.version), latency_ms=_ms(started), error=False, fallback=False
        )
        return Prediction(pool.name, fallback, result, variant="stable", fallback=True)
    primary_ms = _ms(started)
    agent.recorder.record(pool.name, revision, int(served.version), latency_ms=primary_ms, error=False, fallback=False)
    if policy.kind == "ab":
        label = str(result.predictions[0]) if result.n_rows == 1 else None
        agent.recorder.expose(
            ExposureRecord(request_id, pool.name, revision, route.variant, int(served.version), label)
        )
    if route.mirror is not None:
        shadow = pool.loaded(str(route.mirror))
        if shadow is not None:
            task = asyncio.create_task(
                _shadow(plane, agent, pool.name, revision, served, shadow, parse, result, primary_ms)
            )
            _background.add(task)
            task.add_done_callback(_background.discard)
    return Prediction(pool.name, served, result, variant=variant)


async def _shadow(
    plane: DataPlane,
    agent: RolloutAgent,
    deployment: str,
    revision: int,
    primary: ServedVersion,
    shadow: ServedVersion,
    parse: Callable[[InputSchema], Features],
    primary_result: PredictionResult,
    primary_ms: float,
) -> None:
    started = time.perf_counter()
    n_rows = primary_result.n_rows
    versions = (int(primary.version), int(shadow.version))
    try:
        result = await plane._run(shadow, parse)
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
    agent.recorder.shadow(record)
