"""``modelport demo``: the main job on the embedded default, from an empty folder."""

from __future__ import annotations

from typing import Annotated

import typer

from modelport.cli.context import registry_from, settings_from
from modelport.cli.output import console, print_json
from modelport.demo import run_demo

__all__ = ["demo"]


def demo(
    ctx: typer.Context,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Stop after the registry part (for scripts).")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print what was done as JSON.")] = False,
) -> None:
    """Train a credit-risk model in two versions, register both, promote version 1 to production."""
    settings = settings_from(ctx)
    registry = registry_from(ctx)
    with console.status("Training and registering the demo models…", spinner="dots") if not json_output else _null():
        result = run_demo(registry, settings.resolved_home / "demo")
    if json_output:
        print_json(
            {
                "model": result.model,
                "versions": result.versions,
                "production": result.production,
                "reused": result.reused,
                "data_dir": str(result.data_dir),
                "registry_uri": registry.tracking_uri,
            }
        )
        return
    verb = "Reused" if result.reused else "Registered"
    for kind, version in sorted(result.versions.items(), key=lambda kv: kv[1]):
        acc = f" (accuracy {result.accuracy[kind]:.3f})" if kind in result.accuracy else ""
        console.print(f"{verb} {result.model} version {version}: {kind.replace('_', ' ')}{acc}")
    console.print(f"production → version {result.production}")
    console.print(f"Registry: {registry.tracking_uri}\nData: {result.data_dir}")
    console.print("\nTry next:")
    gb = result.versions["gradient_boosting"]
    for line in (
        f"modelport versions {result.model}",
        f"modelport describe {result.model} {gb}",
        f"modelport promote {result.model} {gb} --reason 'better accuracy'",
        f"modelport rollback {result.model}",
        f"modelport history {result.model}",
    ):
        console.print(f"  {line}", markup=False)
    del no_serve  # serving arrives with `modelport serve`; until then the demo is the registry part


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
