"""Deployment commands: ``deploy`` creates a named endpoint that follows an alias; ``deployments`` lists them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from modelport.cli.context import registry_from, settings_from, store_from
from modelport.cli.output import console, err_console, json_flag, print_json, print_table
from modelport.deployments import SinglePolicy, policy_from_json
from modelport.errors import AliasNotFound
from modelport.registry import DEFAULT_ALIAS, normalize_alias

if TYPE_CHECKING:
    from modelport.state import PolicyRevision

__all__ = ["register_commands"]


def deploy(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Deployment name (used in URLs).")],
    model: Annotated[str, typer.Option("--model", "-m", help="Registered model to serve.")],
    alias: Annotated[str, typer.Option("--alias", "-a", help="Alias the deployment follows.")] = DEFAULT_ALIAS,
    json_output: Annotated[
        bool, json_flag("the deployment as a JSON object (name, model, alias, created, version: null before a promote)")
    ] = False,
) -> None:
    """Create deployment NAME that serves MODEL@ALIAS and follows every move of the alias.

    Example: modelport deploy credit --model credit_risk --alias production
    """
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


def deployments(
    ctx: typer.Context,
    json_output: Annotated[
        bool,
        json_flag(
            "a JSON list of deployments (name, model, alias, created, version, policy, "
            "serving: a list of variant, version, weight)"
        ),
    ] = False,
) -> None:
    """List deployments and the version each one serves now.

    Example: modelport deployments --json
    """
    registry = registry_from(ctx)
    store = store_from(ctx)
    policies = store.policies.current_all()
    rows = []
    for d in store.list_deployments():
        try:
            version: int | None = registry.alias_version(d.model, d.alias)
        except AliasNotFound:
            version = None
        rows.append({**d.to_dict(), "version": version, **_serving(policies.get(d.name), version)})
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
        ["name", "follows", "serving now", "created"],
        [(r["name"], _follows(r), _shown(r), r["created"]) for r in rows],
        times={"created"},
    )


def _serving(revision: PolicyRevision | None, alias_version: int | None) -> dict[str, Any]:
    """What answers requests now: the alias's version, or the variants of the policy in force."""
    policy = SinglePolicy() if revision is None else policy_from_json(revision.policy)
    if isinstance(policy, SinglePolicy):
        serving = [] if alias_version is None else [{"variant": "primary", "version": alias_version, "weight": 100.0}]
    else:
        serving = [
            {"variant": v.name, "version": v.version if v.version is not None else alias_version, "weight": v.weight}
            for v in policy.variants
        ]
    return {"policy": policy.kind, "serving": serving}


def _follows(row: dict[str, Any]) -> str:
    return f"{row['model']}@{row['alias']} → " + ("-" if row["version"] is None else f"v{row['version']}")


def _shown(row: dict[str, Any]) -> str:
    live = [s for s in row["serving"] if s["weight"] > 0]
    if row["policy"] == "single":
        return f"v{live[0]['version']}" if live else "-"
    return f"{row['policy']}: " + ", ".join(f"{s['variant']} v{s['version']} {s['weight']:g}%" for s in live)


def register_commands(app: typer.Typer) -> None:
    app.command()(deploy)
    app.command()(deployments)
