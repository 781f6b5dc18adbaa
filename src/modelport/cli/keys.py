"""``modelport keys create|list|revoke``: API keys for the servers, stored hashed."""

from __future__ import annotations

from typing import Annotated, Literal, cast

import typer

from modelport.cli.context import settings_from, store_from
from modelport.cli.helpformat import Typer
from modelport.cli.output import console, json_flag, print_json, print_table
from modelport.errors import InvalidRequest

__all__ = ["app"]

app = Typer(
    no_args_is_help=True,
    help="Create, list and revoke API keys.\n\nExample: modelport keys create ci-deployer --scope admin",
)

_KEY_FIELDS = "name, scope, prefix, created, revoked"


@app.command()
def create(
    ctx: typer.Context,
    name: str,
    scope: Annotated[
        str, typer.Option(metavar="predict|admin", help="predict (call models) or admin (change deployments).")
    ] = "predict",
    json_output: Annotated[bool, json_flag(f"the key as a JSON object ({_KEY_FIELDS}, token: the secret)")] = False,
) -> None:
    """Create key NAME; its secret is printed once and never stored.

    Example: modelport keys create ci-deployer --scope admin
    """
    if scope not in ("predict", "admin"):
        raise InvalidRequest(f"invalid scope {scope!r}: use predict or admin")
    key, token = store_from(ctx).create_api_key(name, cast(Literal["predict", "admin"], scope))
    if json_output:
        print_json({**key.to_dict(), "token": token})
        return
    console.print(f"API key {key.name} ({key.scope}) created. Its secret, shown only now:")
    console.print(token, markup=False)


@app.command("list")
def list_keys(
    ctx: typer.Context, json_output: Annotated[bool, json_flag(f"a JSON list of keys ({_KEY_FIELDS})")] = False
) -> None:
    """List keys (names, scopes, prefixes; never secrets).

    Example: modelport keys list
    """
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
                k.created,
                k.revoked,
            )
            for k in found
        ],
        times={"created", "revoked"},
    )


@app.command()
def revoke(
    ctx: typer.Context,
    name: str,
    json_output: Annotated[bool, json_flag(f"the revoked key as a JSON object ({_KEY_FIELDS})")] = False,
) -> None:
    """Revoke key NAME. Servers refuse it within serving.key_cache_s seconds (default 5; env
    MODELPORT_SERVING__KEY_CACHE_S): each server trusts a key it has verified that long before it
    asks the state store again.

    Example: modelport keys revoke ci-deployer
    """
    key = store_from(ctx).revoke_api_key(name)
    if json_output:
        print_json(key.to_dict())
    else:
        delay = settings_from(ctx).serving.key_cache_s
        console.print(
            f"API key {key.name} revoked; servers refuse it within {delay:g} s (serving.key_cache_s)", markup=False
        )
