"""``modelport serve``: every deployment (or those named) on one port, N workers, following the registry."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer

from modelport.cli.context import registry_from, settings_from, store_from
from modelport.cli.output import err_console

if TYPE_CHECKING:
    from modelport.settings import Settings

__all__ = ["announcement", "register", "serve", "start_serving"]


def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None,
        typer.Option(help="Address to bind (default 127.0.0.1); not loopback: predict routes need a key."),
    ] = None,
    port: Annotated[int | None, typer.Option(help="TCP port (default 8000); 0 picks a free one.")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, max=64, help="Worker processes sharing the port (default 1).")
    ] = None,
    deployment: Annotated[
        list[str] | None, typer.Option("--deployment", "-d", help="Serve only this deployment (repeatable).")
    ] = None,
    default: Annotated[
        str | None, typer.Option("--default", help="Deployment answering /predict and /invocations.")
    ] = None,
) -> None:
    """Serve deployments over REST: the /predict API, MLflow /invocations and Open Inference V2.

    Example: modelport serve --port 8080 --workers 2 --default credit
    """
    base = settings_from(ctx)
    # Flags override the environment (MODELPORT_SERVING__*), which overrides the defaults.
    given = {"host": host, "port": port, "workers": workers, "deployments": deployment, "default_deployment": default}
    serving = base.serving.model_copy(update={k: v for k, v in given.items() if v is not None})
    settings = base.model_copy(update={"serving": serving})
    # Validate the copy (model_copy skips validation) before any process is started.
    settings = type(settings).model_validate(settings.model_dump())
    # Every deployment is resolved in the registry: one that cannot be reached is an error now (one line,
    # exit 7), not a server that starts and serves nothing. One connection, no MLflow import.
    registry_from(ctx).check_reachable()
    _warn_if_nothing_to_serve(ctx, settings)

    start_serving(settings)


def _warn_if_nothing_to_serve(ctx: typer.Context, settings: Settings) -> None:
    """The server starts anyway (it serves deployments created later), but says what is missing and where."""
    existing = {d.name for d in store_from(ctx).list_deployments()}
    wanted = set(settings.serving.deployments) or existing
    missing = sorted(wanted - existing)
    if not existing:
        err_console.print(
            f"warning: no deployments in {settings.home}: nothing to serve until one is created "
            "(modelport deploy NAME --model MODEL), or point --home / MODELPORT_HOME at your home",
            markup=False,
        )
    elif missing:
        err_console.print(
            f"warning: no deployment named {', '.join(missing)} in {settings.home} "
            f"(there are: {', '.join(sorted(existing))})",
            markup=False,
        )


def start_serving(settings: Settings, *, example: Mapping[str, Any] | None = None) -> None:
    """Serve until SIGTERM, printing the URLs once the port is bound, and a working ``curl`` line
    for ``example`` (one input row of the default deployment) when given. ``modelport demo`` ends here."""
    from modelport.cpu import limit_cpu_threads

    limit_cpu_threads(settings.serving.cpu_threads)  # before numpy loads; workers inherit it
    from modelport.serving.logs import configure_logging
    from modelport.serving.server import run_server

    configure_logging(json_logs=settings.serving.json_logs)

    def announce(host: str, port: int) -> None:
        for line in announcement(f"http://{host}:{port}", settings.serving.default_deployment, example):
            typer.echo(line)

    run_server(settings, on_bound=announce)


def announcement(base_url: str, deployment: str | None, example: Mapping[str, Any] | None) -> list[str]:
    """What ``serve`` prints once listening: the first line names the bound URL (scripts read it)."""
    v2_name = deployment or "{deployment}"
    lines = [
        f"modelport serving on {base_url}  (docs: {base_url}/docs, metrics: {base_url}/metrics)",
        f"  seed API   POST {base_url}/predict",
        f"  MLflow     POST {base_url}/invocations",
        f"  V2         POST {base_url}/v2/models/{v2_name}/infer",
    ]
    if example is not None:
        body = orjson.dumps({"features": [dict(example)]}, option=orjson.OPT_SERIALIZE_NUMPY).decode()
        lines += ["Try:", f"  curl -s {base_url}/predict -H 'Content-Type: application/json' -d {shlex.quote(body)}"]
    return lines


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to the root ``modelport`` app."""
    app.command("serve")(serve)
