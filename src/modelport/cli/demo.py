"""``modelport demo``: the main job on the embedded default, from an empty folder.

Trains and registers the demo model (reusing it on later runs), deploys it as ``credit_risk``
following ``credit_risk@production``, then serves it: in the foreground by default, detached with
``--background`` (``make demo``), or not at all with ``--no-serve``.
"""

from __future__ import annotations

from contextlib import nullcontext, suppress
from typing import TYPE_CHECKING, Annotated, Any

import typer

from modelport.cli.background import start_background, stop_background
from modelport.cli.context import actor_from, registry_from, settings_from, store_from
from modelport.cli.output import console, json_flag, print_json
from modelport.cli.serve import announcement, start_serving
from modelport.errors import AlreadyExists
from modelport.settings import Settings

if TYPE_CHECKING:
    from modelport.demo import DemoResult

__all__ = ["demo"]


def _example_row(result: DemoResult) -> dict[str, Any]:
    import pyarrow.csv as pacsv

    table = pacsv.read_csv(result.data_dir / "credit_to_score.csv").slice(0, 1)
    return {name: column[0].as_py() for name, column in zip(table.column_names, table.columns, strict=True)}


def _print_registry_part(result: DemoResult, registry_uri: str) -> None:
    verb = "Reused" if result.reused else "Registered"
    for kind, version in sorted(result.versions.items(), key=lambda kv: kv[1]):
        acc = f" (accuracy {result.accuracy[kind]:.3f})" if kind in result.accuracy else ""
        console.print(f"{verb} {result.model} version {version}: {kind.replace('_', ' ')}{acc}")
    console.print(f"production → version {result.production}; deployment {result.model} follows it")
    console.print(f"Registry: {registry_uri}\nData: {result.data_dir}")
    gb = result.versions["gradient_boosting"]
    console.print("\nTry next:")
    for line in (
        f"modelport versions {result.model}",
        f"modelport describe {result.model} {gb}",
        f"modelport promote {result.model} {gb} --reason 'better accuracy'   # servers follow within 2 s",
        f"modelport rollback {result.model}",
        f"modelport history {result.model}",
        f"modelport batch score {result.model}@production {result.data_dir / 'credit_to_score.csv'} scores.parquet",
    ):
        console.print(f"  {line}", markup=False)


def demo(
    ctx: typer.Context,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Stop after the registry part (for scripts).")] = False,
    background: Annotated[
        bool, typer.Option("--background", help="Serve detached and return (stop with --stop).")
    ] = False,
    stop: Annotated[bool, typer.Option("--stop", help="Stop a server started with --background.")] = False,
    json_output: Annotated[
        bool,
        json_flag(
            "what was done as a JSON object (model, versions, production, reused, deployment, data_dir, "
            "registry_uri; url, pid, log with --background)"
        ),
    ] = False,
) -> None:
    """Train a credit-risk model in two versions, register both, promote v1, deploy and serve it.

    Example: modelport demo --background
    """
    settings: Settings = settings_from(ctx)
    if stop:
        pid = stop_background(settings)
        console.print(f"Stopped the demo server (pid {pid})" if pid else "No demo server was running")
        return
    from modelport.demo import run_demo  # trains models: numpy, pandas, scikit-learn only when asked

    registry = registry_from(ctx)
    status = console.status("Training and registering the demo models…") if not json_output else nullcontext()
    with status:
        result = run_demo(registry, settings.resolved_home / "demo", actor=actor_from(ctx))
    with suppress(AlreadyExists):
        store_from(ctx).create_deployment(result.model, result.model, "production")  # named after the model
    example = _example_row(result)
    summary: dict[str, Any] = {
        "model": result.model,
        "versions": result.versions,
        "production": result.production,
        "reused": result.reused,
        "deployment": result.model,
        "data_dir": str(result.data_dir),
        "registry_uri": registry.shown_uri,
    }
    if not json_output:
        _print_registry_part(result, registry.shown_uri)
    if no_serve:
        if json_output:
            print_json(summary)
        return
    if background:
        with console.status("Starting the server…") if not json_output else nullcontext():
            server = start_background(settings, result.model)
        if json_output:
            print_json({**summary, "url": server.url, "pid": server.pid, "log": str(server.log)})
            return
        console.print()
        for line in announcement(server.url, result.model, example):
            console.print(line, markup=False)
        console.print(f"\nThe server runs in the background (pid {server.pid}, log {server.log}).")
        console.print("Stop it with: modelport demo --stop", markup=False)
        return
    console.print()
    start_serving(
        settings.model_copy(
            update={"serving": settings.serving.model_copy(update={"default_deployment": result.model})}
        ),
        example=example,
    )
