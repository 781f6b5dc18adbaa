"""The root ``modelport`` command: builds Settings once and turns modelport errors into one line.

Exit codes: 0 ok · 1 unexpected error · 2 bad request (file, sample, alias, input) · 3 not found ·
4 conflict (version in use, nothing to roll back) · 5 authentication · 6 not ready · 7 backend
unreachable. Usage errors exit 2 as in every click program.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from typer._click import Context as ClickContext
from typer.core import TyperGroup

from modelport import __version__
from modelport.cli.context import CliState
from modelport.cli.output import err_console
from modelport.errors import ModelportError
from modelport.settings import Settings

__all__ = ["app"]


class _ModelportGroup(TyperGroup):
    """Runs every sub-command; a ModelportError becomes ``error[code]: message`` and its exit code."""

    def invoke(self, ctx: ClickContext) -> Any:
        try:
            return super().invoke(ctx)
        except ModelportError as exc:
            err_console.print(f"error[{exc.code}]: {exc.message}", markup=False)
            for detail in exc.details[:10]:
                err_console.print(f"  {detail}", markup=False)
            raise typer.Exit(exc.exit_code) from None
        finally:
            if isinstance(ctx.obj, CliState):
                ctx.obj.close()


app = typer.Typer(
    cls=_ModelportGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Take trained models from a registry to production and keep them safe there.",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"modelport {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    home: Annotated[
        Path | None, typer.Option(help="Home folder of the embedded default (env: MODELPORT_HOME).")
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    # MLflow announces its own database migrations at INFO when it is imported; a CLI user needs none of that.
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    settings = Settings() if home is None else Settings(home=home)
    ctx.obj = CliState(settings=settings)
