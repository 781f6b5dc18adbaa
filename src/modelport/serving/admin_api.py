"""``/admin/…``: the rollout operations over HTTP (admin key), and ``POST /deployments/{name}/feedback``.

Every admin route checks the key before reading the body, so a refused request changes nothing.
The operations are ``modelport.deployments.Rollouts`` — the same core as the CLI — run in a thread,
built per request as the verified key's name: that name is the actor in the policy revisions and
in the model history of every change the request makes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from fastapi import APIRouter, Request, Response

from modelport.deployments import (
    CanaryThresholds,
    KeySource,
    Rollouts,
    ab_report,
    deployment_history,
    record_feedback,
    rollout_status,
    shadow_report,
)
from modelport.errors import InvalidRequest
from modelport.inference.codecs import loads
from modelport.serving._json import json_response

if TYPE_CHECKING:
    from modelport.registry import Registry
    from modelport.serving.context import ServingContext
    from modelport.state import StateStore

__all__ = ["admin_router"]


def _field(body: dict[str, Any], name: str, kind: type, default: Any = ...) -> Any:
    value = body.get(name, default)
    if value is ...:
        raise InvalidRequest(f"missing field {name!r}", details=[{"row": None, "column": name, "problem": "missing"}])
    if value is not None and default is not None and not isinstance(value, kind | int if kind is float else kind):
        raise InvalidRequest(
            f"field {name!r} must be {kind.__name__}", details=[{"row": None, "column": name, "problem": "type"}]
        )
    return value


class _Result(Protocol):
    """What an admin operation or view returns: a typed value whose ``to_dict`` is the ``--json`` shape."""

    def to_dict(self) -> dict[str, Any]: ...


def admin_router(ctx: ServingContext, store: StateStore, registry: Registry) -> APIRouter:
    router = APIRouter(tags=["rollouts"])

    async def admin(request: Request) -> tuple[Rollouts, dict[str, Any]]:
        """The rollout operations as the request's key, and its JSON body ({} for GET)."""
        caller = await ctx.auth.admin(request.headers)
        rollouts = Rollouts(store, registry, actor=caller.name)
        if request.method == "GET":
            return rollouts, {}
        raw = await ctx.body(request)
        body = loads(raw) if raw.strip() else {}
        if not isinstance(body, dict):
            raise InvalidRequest("the body must be a JSON object")
        return rollouts, body

    async def run(work: Callable[[], _Result | Sequence[_Result]]) -> Response:
        result = await asyncio.to_thread(work)
        if isinstance(result, Sequence):
            return json_response([r.to_dict() for r in result])
        return json_response(result.to_dict())

    @router.post("/admin/deployments/{name}/canary", summary="Start a progressive canary")
    async def canary(name: str, request: Request) -> Response:
        rollouts, b = await admin(request)
        thresholds = CanaryThresholds(
            max_error_rate=float(_field(b, "max_error_rate", float, 0.01)),
            max_p99_ms=_field(b, "max_p99_ms", float, None),
            min_requests=int(_field(b, "min_requests", int, 200)),
            max_error_rate_increase=_field(b, "max_error_rate_increase", float, None),
        )
        return await run(
            lambda: rollouts.canary(
                name,
                int(_field(b, "version", int)),
                steps=_field(b, "steps", list, [5, 25, 50, 100]),
                interval_s=float(_field(b, "interval_s", float, 60.0)),
                thresholds=thresholds,
                fallback=bool(_field(b, "fallback", bool, True)),
                reason=_field(b, "reason", str, None),
            )
        )

    @router.post("/admin/deployments/{name}/ab", summary="Start a sticky A/B test")
    async def ab(name: str, request: Request) -> Response:
        rollouts, b = await admin(request)
        key = KeySource.parse(_field(b, "key", str, "header:X-Modelport-Key"))
        versions = [int(v) for v in _field(b, "versions", list)]
        weights = _field(b, "weights", list, None)
        return await run(lambda: rollouts.ab(name, versions, weights=weights, key=key, reason=b.get("reason")))

    @router.post("/admin/deployments/{name}/shadow", summary="Mirror traffic to a version")
    async def shadow(name: str, request: Request) -> Response:
        rollouts, b = await admin(request)
        version, sample = int(_field(b, "version", int)), float(_field(b, "sample", float, 1.0))
        return await run(lambda: rollouts.shadow(name, version, sample=sample, reason=b.get("reason")))

    @router.post("/admin/deployments/{name}/bluegreen", summary="Load a version warm next to the live one")
    async def bluegreen(name: str, request: Request) -> Response:
        rollouts, b = await admin(request)
        version = int(_field(b, "version", int))
        return await run(lambda: rollouts.bluegreen(name, version, reason=b.get("reason")))

    @router.post("/admin/deployments/{name}/{operation}", summary="switch, promote, abort or rollback")
    async def operation(name: str, operation: str, request: Request) -> Response:
        rollouts, b = await admin(request)
        reason = b.get("reason")
        ops: dict[str, Callable[[], _Result]] = {
            "switch": lambda: rollouts.switch(name, reason=reason),
            "promote": lambda: rollouts.promote(name, reason=reason),
            "abort": lambda: rollouts.abort(name, reason=reason),
            "rollback": lambda: rollouts.rollback(name, reason=reason),
        }
        if operation not in ops:
            raise InvalidRequest(f"unknown operation {operation!r}: use one of {', '.join(ops)}")
        return await run(ops[operation])

    @router.get("/admin/deployments/{name}/{view}", summary="status, history, ab-report or shadow-report")
    async def view(name: str, view: str, request: Request) -> Response:
        rollouts, _ = await admin(request)
        mde = request.query_params.get("mde")
        views: dict[str, Callable[[], _Result | Sequence[_Result]]] = {
            "status": lambda: rollout_status(rollouts, name),
            "history": lambda: deployment_history(rollouts, name),
            "ab-report": lambda: ab_report(rollouts, name, mde=float(mde) if mde else None),
            "shadow-report": lambda: shadow_report(rollouts, name),
        }
        if view not in views:
            raise InvalidRequest(f"unknown view {view!r}: use one of {', '.join(views)}")
        return await run(views[view])

    @router.post("/deployments/{name}/feedback", tags=["deployments"], summary="An observed outcome or label")
    async def feedback(name: str, request: Request) -> Response:
        await ctx.allow(request, "predict")
        b = await ctx.json(request)
        if not isinstance(b, dict):
            raise InvalidRequest("the body must be a JSON object")
        label = b.get("label")
        record = await asyncio.to_thread(
            record_feedback,
            store,
            name,
            request_id=b.get("request_id"),
            key=b.get("key"),
            outcome=float(b["outcome"]) if b.get("outcome") is not None else None,
            label=None if label is None else str(label),
        )
        return json_response({"deployment": name, "variant": record.variant, "version": record.version}, status=201)

    return router
