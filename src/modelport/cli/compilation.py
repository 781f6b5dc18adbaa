"""``modelport compile REF``: convert a version to ONNX and check parity now, once for every process.

The result goes to the state store, where every server replica and batch job finds it: none of
them converts the version again (``docs/runtime.md``).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from modelport.batch.model_ref import resolve_model
from modelport.cli.context import registry_from, settings_from, store_from
from modelport.cli.output import console, err_console, json_flag, print_json
from modelport.runtime import model_loader
from modelport.runtime.compilation import compile_version

__all__ = ["compile_command"]


def compile_command(
    ctx: typer.Context,
    model_ref: Annotated[str, typer.Argument(help="NAME@alias, NAME/version or NAME (= @production).")],
    json_output: Annotated[
        bool,
        json_flag("the result as a JSON object (model, version, status, predictor, model_type, parity, origin, …)"),
    ] = False,
) -> None:
    """Compile MODEL_REF ahead of time: ONNX conversion and parity check, stored for every replica.

    Example: modelport compile credit_risk@production
    """
    settings = settings_from(ctx)
    resolved = resolve_model(model_ref, lambda: registry_from(ctx))
    # A model folder is not a version: it would be compiled under a name nobody looks up.
    store = store_from(ctx) if resolved.version else None
    loader = model_loader(settings, store)
    label = f"{resolved.name}/{resolved.version}"
    if not json_output and sys.stderr.isatty():
        err_console.print(f"compiling {label} (ONNX conversion and parity check)…", markup=False)
    report = compile_version(loader, resolved.model_dir, model=resolved.name, version=str(resolved.version))
    if json_output:
        print_json(report.to_dict())
    else:
        console.print(report.summary(), markup=False)


def register(app: typer.Typer) -> None:
    app.command("compile")(compile_command)
