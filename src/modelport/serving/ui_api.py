"""``/ui``: the dashboard, server-rendered from ``modelport.ui`` with the API's own auth.

Reading needs what predict routes need (nothing on loopback, a key elsewhere): the key comes from
the usual headers or from the ``modelport_key`` cookie that ``/ui/login`` sets (HttpOnly, SameSite
Strict, never rendered). An action (promote, rollback, abort, switch) needs an admin key — typed in
the confirmation form or the signed-in one — a confirmation page, and a CSRF token: the form's
token must equal the ``modelport_csrf`` cookie (double submit; a cross-site page can neither read
nor set that cookie) and a cross-site ``Origin``/``Sec-Fetch-Site`` is refused outright. The change
is recorded under the key's name. Every page sets a Content-Security-Policy that lets the browser
load and fetch nothing from another host.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI, Request, Response
from starlette.responses import HTMLResponse, RedirectResponse

from modelport.deployments import Rollouts
from modelport.errors import ModelportError, NotFound
from modelport.serving._json import json_response
from modelport.serving.browser import CSRF_COOKIE, HEADERS, KEY_COOKIE, read_form, set_cookie
from modelport.serving.status import status_for
from modelport.ui import Pages, TrafficSampler, Views, read_outcomes, static_file

if TYPE_CHECKING:
    from modelport.inference import Node
    from modelport.serving.auth import KeyRecord, Scope
    from modelport.serving.context import ServingContext

__all__ = ["ui_router"]

log = logging.getLogger(__name__)

ACTIONS = ("promote", "rollback", "abort", "switch")
SAMPLE_INTERVAL_S = 2.0


def ui_router(ctx: ServingContext, node: Node) -> APIRouter:
    """The dashboard of ``node``; without a state store and registry it says so on every page."""
    store, registry = node.store, node.registry
    pages = Pages()
    sampler = TrafficSampler(lambda: read_outcomes(store) if store is not None else {})
    views = (
        None if store is None or registry is None else Views(Rollouts(store, registry, actor="ui"), ctx.plane, sampler)
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(_every(SAMPLE_INTERVAL_S, sampler.sample)) if store is not None else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    router = APIRouter(prefix="/ui", tags=["dashboard"], include_in_schema=False, lifespan=lifespan)

    def credentials(request: Request, typed: str | None = None) -> dict[str, str]:
        headers = {k: v for k, v in request.headers.items() if k in ("authorization", "x-api-key")}
        key = typed or request.cookies.get(KEY_COOKIE)
        if key and (typed or not headers):
            headers = {"authorization": f"Bearer {key}"}
        return headers

    async def check(request: Request, scope: Scope, typed: str | None = None) -> KeyRecord | None:
        return await ctx.auth.check(credentials(request, typed), scope)

    def page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
        csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
        signed_in = KEY_COOKIE in request.cookies
        done = request.query_params.get("done")
        context.setdefault("done", done if done in ACTIONS else None)
        body = pages.render(template, csrf=csrf, signed_in=signed_in, path=request.url.path, **context)
        response = HTMLResponse(body, status_code=status, headers=HEADERS)
        if request.cookies.get(CSRF_COOKIE) != csrf:
            set_cookie(response, request, CSRF_COOKIE, csrf)
        return response

    async def drift(name: str) -> dict[str, Any]:
        """The drift report of what this server serves for ``name``, or why there is none."""
        try:
            return {"drift": await node.drift_report(name), "drift_note": None}
        except ModelportError as exc:
            return {"drift": None, "drift_note": exc.message}

    def read(
        template: str, build: Callable[..., Any], *, with_drift: bool = False
    ) -> Callable[..., Awaitable[Response]]:
        """A read-only page: check the predict scope, build the view in a thread, render it."""

        async def handler(request: Request) -> Response:
            try:
                await check(request, "predict")
                if views is None:
                    raise NotFound("the dashboard needs the state store and the registry (this server has neither)")
                view = await asyncio.to_thread(build, views, **request.path_params)
            except ModelportError as exc:
                return error(request, exc)
            extra = await drift(request.path_params["name"]) if with_drift else {}
            return page(request, template, view=view, **request.path_params, **extra)

        return handler

    def error(request: Request, exc: ModelportError) -> Response:
        return page(request, "error.html", status=status_for(exc), code=exc.code, message=exc.message)

    fragments: dict[str, tuple[str, Callable[..., Any]]] = {
        "": ("overview.html", lambda v: v.overview()),
        "/fragments/deployments": ("_deployments.html", lambda v: v.overview()),
        "/models": ("models.html", lambda v: v.rollouts.registry.list_models()),
        "/deployments/{name}": ("deployment.html", lambda v, name: v.deployment(name)),
        "/deployments/{name}/fragments/drift": ("_drift.html", lambda v, name: v.rollouts.deployment(name)),
        # Each part of the deployment page polls on its own and reads only what it shows.
        "/deployments/{name}/fragments/summary": (
            "_summary.html",
            lambda v, name: v.deployment(name, timeline=False, reports=False),
        ),
        "/deployments/{name}/fragments/timeline": ("_timeline.html", lambda v, name: v.deployment(name, reports=False)),
        "/deployments/{name}/fragments/reports": ("_reports.html", lambda v, name: v.deployment(name, timeline=False)),
        "/models/{name}": ("model.html", lambda v, name: v.model(name)),
        "/models/{name}/fragments/history": ("_history.html", lambda v, name: v.model(name)),
    }
    for path, (template, build) in fragments.items():
        with_drift = template in ("deployment.html", "_drift.html")
        router.add_api_route(path, read(template, build, with_drift=with_drift), methods=["GET"])

    @router.get("/deployments/{name}/traffic.json")
    async def traffic(name: str, request: Request) -> Response:
        await check(request, "predict")
        if views is None:
            raise NotFound("the dashboard needs the state store and the registry")
        return json_response(await asyncio.to_thread(views.traffic, name), headers=HEADERS)

    @router.get("/static/{filename}")
    async def static(filename: str) -> Response:
        found = static_file(filename)
        if found is None:
            raise NotFound(f"no static file {filename!r}")
        content, media_type = found
        return Response(content, media_type=media_type, headers={"cache-control": "public, max-age=3600"})

    @router.get("/login")
    async def login_form(request: Request) -> Response:
        return page(request, "login.html", failed=None)

    @router.post("/login")
    async def login(request: Request) -> Response:
        try:
            form = await read_form(request)
            key = form.get("key", "")
            await check(request, "predict", typed=key or None)
        except ModelportError as exc:
            return page(request, "login.html", status=status_for(exc), failed=exc.message)
        response = RedirectResponse("/ui", status_code=303, headers=HEADERS)
        set_cookie(response, request, KEY_COOKIE, key)
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        try:
            await read_form(request)
        except ModelportError as exc:
            return error(request, exc)
        response = RedirectResponse("/ui", status_code=303, headers=HEADERS)
        response.delete_cookie(KEY_COOKIE, path="/ui")
        return response

    @router.get("/deployments/{name}/actions/{action}")
    async def confirm(name: str, action: str, request: Request) -> Response:
        try:
            await check(request, "predict")
            _action(action)
            if views is None:
                raise NotFound("the dashboard needs the state store and the registry")
            view = await asyncio.to_thread(views.deployment, name)
        except ModelportError as exc:
            return error(request, exc)
        return page(request, "confirm.html", view=view, name=name, action=action)

    @router.post("/deployments/{name}/actions/{action}")
    async def act(name: str, action: str, request: Request) -> Response:
        try:
            form = await read_form(request)  # the CSRF check comes before anything else
            key = await check(request, "admin", typed=form.get("key") or None)
            _action(action)
            if views is None:
                raise NotFound("the dashboard needs the state store and the registry")
            actor = key.name if key is not None else "ui"
            reason = form.get("reason") or None
            await asyncio.to_thread(_perform, views.rollouts.acting_as(actor), name, action, reason)
        except ModelportError as exc:
            return error(request, exc)
        log.info("dashboard: %s of %s by %s", action, name, actor)
        return RedirectResponse(f"/ui/deployments/{name}?done={action}", status_code=303, headers=HEADERS)

    return router


async def _every(interval_s: float, work: Callable[[], None]) -> None:
    while True:
        try:
            await asyncio.to_thread(work)
        except Exception:  # a database hiccup must not stop the charts for good
            log.exception("dashboard: reading the outcome counters failed; retrying in %.1f s", interval_s)
        await asyncio.sleep(interval_s)


def _action(action: str) -> None:
    if action not in ACTIONS:
        raise NotFound(f"unknown action {action!r}: use one of {', '.join(ACTIONS)}")


def _perform(rollouts: Rollouts, name: str, action: str, reason: str | None) -> None:
    operations: dict[str, Callable[[], object]] = {
        "promote": lambda: rollouts.promote(name, reason=reason),
        "rollback": lambda: rollouts.rollback(name, reason=reason),
        "abort": lambda: rollouts.abort(name, reason=reason),
        "switch": lambda: rollouts.switch(name, reason=reason),
    }
    operations[action]()
