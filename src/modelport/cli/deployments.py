"""Deployment commands: ``deploy`` creates a named endpoint that follows an alias; ``deployments`` lists them."""

from __future__ import annotations

from typing import Annotated

import typer

from modelport.cli.context import registry_from, settings_from, store_from
from modelport.cli.output import console, err_console, print_json, print_table
from modelport.errors import AliasNotFound
from modelport.registry import DEFAULT_ALIAS, normalize_alias

__all__ = ["register_commands"]


def deploy(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Deployment name (used in URLs).")],
    model: Annotated[str, typer.Option("--model", "-m", help="Registered model to serve.")],
    alias: Annotated[str, typer.Option("--alias", "-a", help="Alias the deployment follows.")] = DEFAULT_ALIAS,
    json_output: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create a deployment that serves MODEL@ALIAS and follows every move of the alias."""
    from modelport.registry.names import validate_model_name

    validate_model_name(name)
    registry = registry_from(ctx)
    alias = normalize_alias(alias)
    try:
        version: int | None = registry.alias_version(model, alias)
    except AliasNotFound:
        version = None
    deployment = store_from(ctx).create_deployment(name, model, alias)
    if json_output:
        print_json({**deployment.to_dict(), "version": version})
        return
    console.print(f"Deployment {name} follows {model}@{alias}" + (f" (now version {version})" if version else ""))
    if version is None:
        err_console.print(f"warning: {model} has no alias {alias!r} yet; promote a version before serving")


def deployments(ctx: typer.Context, json_output: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List deployments and the version each one serves now."""
    registry = registry_from(ctx)
    rows = []
    for d in store_from(ctx).list_deployments():
        try:
            version: int | None = registry.alias_version(d.model, d.alias)
        except AliasNotFound:
            version = None
        rows.append({**d.to_dict(), "version": version})
    if json_output:
        print_json(rows)
        return
    if not rows:
        err_console.print(
            f"no deployments in {settings_from(ctx).home}; create one: modelport deploy NAME --model MODEL",
            markup=False,
        )
        return
    print_table(
        "Deployments",
        ["name", "model", "alias", "version", "created"],
        [(r["name"], r["model"], r["alias"], r["version"] or "-", r["created"]) for r in rows],
    )


def register_commands(app: typer.Typer) -> None:
    app.command()(deploy)
    app.command()(deployments)
