"""``/admin/…``: the rollout operations over HTTP (admin key), and ``POST /deployments/{name}/feedback``.

Every admin route checks the key before reading the body, so a refused request changes nothing.
Bodies are JSON only (a web page cannot send a cross-site "simple" ``text/plain`` request that
changes state) and parsed by the typed models of ``admin_bodies``. The operations are
``modelport.deployments.Rollouts`` — the same core as the CLI — run in a thread, built per request
as the verified key's name: that name is the actor in the policy revisions and in the model
history of every change the request makes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from fastapi import APIRouter, Request, Response
from fastapi.types import DecoratedCallable
from pydantic import BaseModel

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
from modelport.inference.codecs import loads
from modelport.serving._json import json_response
from modelport.serving._openapi import ADMIN, JSON, PREDICT, errors, request_body
from modelport.serving.admin_bodies import (
    ABBody,
    BlueGreenBody,
    CanaryBody,
    FeedbackBody,
    ReasonBody,
    ShadowBody,
    parse_body,
    parse_mde,
)
from modelport.serving.body import media_type

if TYPE_CHECKING:
    from modelport.registry import Registry
    from modelport.serving.context import ServingContext
    from modelport.state import StateStore

__all__ = ["admin_router"]

_Body = TypeVar("_Body", bound=BaseModel)
_CHANGE_ERRORS = errors(400, 401, 403, 404, 408, 409, 413, 415, 422, 503)
_VIEW_ERRORS = errors(401, 403, 404, 422, 503)


class _Result(Protocol):
    """What an admin operation or view returns: a typed value whose ``to_dict`` is the ``--json`` shape."""

    def to_dict(self) -> dict[str, Any]: ...


def _documented(model: type[BaseModel], example: dict[str, Any], *, admin: bool = True) -> dict[str, Any]:
    body = request_body(application_json=(model.model_json_schema(), example))
    body["requestBody"]["required"] = bool(model.model_json_schema().get("required"))
    return (ADMIN if admin else PREDICT) | body


def admin_router(ctx: ServingContext, store: StateStore, registry: Registry) -> APIRouter:
    router = APIRouter(tags=["rollouts"])

    async def admin(request: Request, model: type[_Body]) -> tuple[Rollouts, _Body]:
        """The rollout operations as the request's key, and its body as ``model``."""
        caller = await ctx.auth.admin(request.headers)
        return Rollouts(store, registry, actor=caller.name), await _read(request, model)

    async def _read(request: Request, model: type[_Body]) -> _Body:
        raw = await ctx.body(request)
        if raw.strip():
            media_type(request, (JSON,))
        return parse_body(model, loads(raw) if raw.strip() else {})

    async def run(work: Callable[[], _Result | Sequence[_Result]]) -> Response:
        result = await asyncio.to_thread(work)
        if isinstance(result, Sequence):
            return json_response([r.to_dict() for r in result])
        return json_response(result.to_dict())

    def change(
        path: str, summary: str, model: type[BaseModel], example: dict[str, Any]
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return router.post(path, summary=summary, openapi_extra=_documented(model, example), responses=_CHANGE_ERRORS)

    @change("/admin/deployments/{name}/canary", "Start a progressive canary", CanaryBody, {"version": 2})
    async def canary(name: str, request: Request) -> Response:
        rollouts, b = await admin(request, CanaryBody)
        thresholds = CanaryThresholds(
            max_error_rate=b.max_error_rate,
            max_p99_ms=b.max_p99_ms,
            min_requests=b.min_requests,
            max_error_rate_increase=b.max_error_rate_increase,
        )
        return await run(
            lambda: rollouts.canary(
                name,
                b.version,
                steps=b.steps,
                interval_s=b.interval_s,
                thresholds=thresholds,
                fallback=b.fallback,
                reason=b.reason,
            )
        )

    @change("/admin/deployments/{name}/ab", "Start a sticky A/B test", ABBody, {"versions": [1, 2]})
    async def ab(name: str, request: Request) -> Response:
        rollouts, b = await admin(request, ABBody)
        key = KeySource.parse(b.key)
        return await run(lambda: rollouts.ab(name, b.versions, weights=b.weights, key=key, reason=b.reason))

    @change("/admin/deployments/{name}/shadow", "Mirror traffic to a version", ShadowBody, {"version": 2})
    async def shadow(name: str, request: Request) -> Response:
        rollouts, b = await admin(request, ShadowBody)
        return await run(lambda: rollouts.shadow(name, b.version, sample=b.sample, reason=b.reason))

    @change(
        "/admin/deployments/{name}/bluegreen", "Load a version warm next to the live one", BlueGreenBody, {"version": 2}
    )
    async def bluegreen(name: str, request: Request) -> Response:
        rollouts, b = await admin(request, BlueGreenBody)
        return await run(lambda: rollouts.bluegreen(name, b.version, reason=b.reason))

    operations: dict[str, tuple[str, Callable[[Rollouts, str, str | None], _Result]]] = {
        "switch": ("Blue-green: send traffic to the other colour", lambda r, n, why: r.switch(n, reason=why)),
        "promote": ("Finish the rollout: its candidate becomes the alias", lambda r, n, why: r.promote(n, reason=why)),
        "abort": ("Stop the rollout: back to the stable version", lambda r, n, why: r.abort(n, reason=why)),
        "rollback": ("Undo the deployment's last change, whatever it was", lambda r, n, why: r.rollback(n, reason=why)),
    }
    for op, (summary, work) in operations.items():
        router.add_api_route(
            f"/admin/deployments/{{name}}/{op}",
            _operation(admin, run, work),
            methods=["POST"],
            summary=summary,
            name=op,
            openapi_extra=_documented(ReasonBody, {"reason": "why"}),
            responses=_CHANGE_ERRORS,
        )

    def view(path: str, summary: str) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return router.get(path, summary=summary, openapi_extra=ADMIN, responses=_VIEW_ERRORS)

    @view("/admin/deployments/{name}/status", "The policy in force, its step and the numbers behind it")
    async def status(name: str, request: Request) -> Response:
        rollouts, _ = await admin(request, ReasonBody)
        return await run(lambda: rollout_status(rollouts, name))

    @view("/admin/deployments/{name}/history", "Every policy revision and controller decision")
    async def history(name: str, request: Request) -> Response:
        rollouts, _ = await admin(request, ReasonBody)
        return await run(lambda: deployment_history(rollouts, name))

    @view("/admin/deployments/{name}/ab-report", "The A/B test's difference, confidence interval and p-value")
    async def report(name: str, request: Request, mde: str | None = None) -> Response:
        rollouts, _ = await admin(request, ReasonBody)
        effect = parse_mde(mde)
        return await run(lambda: ab_report(rollouts, name, mde=effect))

    @view("/admin/deployments/{name}/shadow-report", "Agreement and latency of the shadow copy")
    async def shadow_view(name: str, request: Request) -> Response:
        rollouts, _ = await admin(request, ReasonBody)
        return await run(lambda: shadow_report(rollouts, name))

    @router.post(
        "/deployments/{name}/feedback", tags=["deployments"], summary="An observed outcome or label",
        status_code=201, openapi_extra=_documented(FeedbackBody, {"request_id": "…", "outcome": 1}, admin=False),
        responses=errors(400, 401, 403, 404, 408, 413, 415, 422, 503),
    )  # fmt: skip
    async def feedback(name: str, request: Request) -> Response:
        await ctx.allow(request, "predict")
        b = await _read(request, FeedbackBody)
        label = None if b.label is None else str(b.label)
        record = await asyncio.to_thread(
            record_feedback, store, name, request_id=b.request_id, key=b.key, outcome=b.outcome, label=label
        )
        return json_response({"deployment": name, "variant": record.variant, "version": record.version}, status=201)

    return router


def _operation(
    admin: Callable[[Request, type[ReasonBody]], Any],
    run: Callable[[Callable[[], _Result]], Any],
    work: Callable[[Rollouts, str, str | None], _Result],
) -> Callable[[str, Request], Any]:
    async def operate(name: str, request: Request) -> Response:
        rollouts, b = await admin(request, ReasonBody)
        response: Response = await run(lambda: work(rollouts, name, b.reason))
        return response

    return operate
