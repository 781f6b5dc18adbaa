"""``modelport keys create|list|revoke``: API keys for the servers, stored hashed."""

from __future__ import annotations

from typing import Annotated, Literal, cast

import typer

from modelport.cli.context import store_from
from modelport.cli.output import console, print_json, print_table
from modelport.errors import InvalidRequest

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, help="Create, list and revoke API keys.")


@app.command()
def create(
    ctx: typer.Context,
    name: str,
    scope: Annotated[str, typer.Option(help="predict (call models) or admin (change deployments).")] = "predict",
    json_output: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create a key; its secret is printed once and never stored."""
    if scope not in ("predict", "admin"):
        raise InvalidRequest(f"invalid scope {scope!r}: use predict or admin")
    key, token = store_from(ctx).create_api_key(name, cast(Literal["predict", "admin"], scope))
    if json_output:
        print_json({**key.to_dict(), "token": token})
        return
    console.print(f"API key {key.name} ({key.scope}) created. Its secret, shown only now:")
    console.print(token, markup=False)


@app.command("list")
def list_keys(ctx: typer.Context, json_output: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List keys (names, scopes, prefixes; never secrets)."""
    found = store_from(ctx).list_api_keys()
    if json_output:
        print_json([k.to_dict() for k in found])
        return
    print_table(
        "API keys",
        ["name", "scope", "prefix", "created", "revoked"],
        [
            (
                k.name,
                k.scope,
                k.prefix + "…",
                k.created.isoformat(),
                k.revoked.isoformat() if k.revoked else "",
            )
            for k in found
        ],
    )


@app.command()
def revoke(ctx: typer.Context, name: str, json_output: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Revoke a key at once; servers refuse it from their next request."""
    key = store_from(ctx).revoke_api_key(name)
    if json_output:
        print_json(key.to_dict())
    else:
        console.print(f"API key {key.name} revoked")
