"""``modelport serve``: every deployment (or those named) on one port, N workers, following the registry."""

from __future__ import annotations

from typing import Annotated

import typer

from modelport.cli.context import settings_from

__all__ = ["register", "serve"]


def serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option(help="Address to bind; anything but loopback makes predict routes need a key.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port (0 picks a free one, printed at start).")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes sharing the port.")] = 1,
    deployment: Annotated[
        list[str] | None, typer.Option("--deployment", "-d", help="Serve only this deployment (repeatable).")
    ] = None,
    default: Annotated[
        str | None, typer.Option("--default", help="Deployment answering /predict and /invocations.")
    ] = None,
) -> None:
    """Serve deployments over REST: the /predict API, MLflow /invocations and Open Inference V2."""
    base = settings_from(ctx)
    serving = base.serving.model_copy(
        update={
            "host": host,
            "port": port,
            "workers": workers,
            "deployments": list(deployment or base.serving.deployments),
            "default_deployment": default or base.serving.default_deployment,
        }
    )
    settings = base.model_copy(update={"serving": serving})
    # Validate the copy (model_copy skips validation) before any process is started.
    settings = type(settings).model_validate(settings.model_dump())

    from modelport.serving.asgi import limit_threads_env

    limit_threads_env(settings.serving.cpu_threads)
    from modelport.serving.logs import configure_logging
    from modelport.serving.server import run_server

    configure_logging(json_logs=settings.serving.json_logs)

    def announce(bound_host: str, bound_port: int) -> None:
        base_url = f"http://{bound_host}:{bound_port}"
        typer.echo(f"modelport serving on {base_url}  (docs: {base_url}/docs, metrics: {base_url}/metrics)")

    run_server(settings, on_bound=announce)


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to the root ``modelport`` app."""
    app.command("serve")(serve)
