"""The root ``modelport`` command: builds Settings once and turns modelport errors into one line.

Exit codes: 0 ok · 1 unexpected error · 2 bad request (file, sample, alias, input) · 3 not found ·
4 conflict (version in use, nothing to roll back) · 5 authentication · 6 not ready · 7 backend
unreachable. Usage errors exit 2 as in every click program.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from modelport import __version__
from modelport.cli.context import CliState
from modelport.cli.output import err_console
from modelport.errors import ModelportError
from modelport.settings import Settings

__all__ = ["app"]


class _ModelportGroup(TyperGroup):
    """Runs every sub-command; a ModelportError becomes ``error[code]: message`` and its exit code.

    ``main`` is the entry point of both the console script and typer's test runner, and its
    signature uses no click types (typer keeps its click private), so the mapping lives here.
    """

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            return super().main(args, prog_name, complete_var, standalone_mode, windows_expand_args, **extra)
        except ModelportError as exc:
            err_console.print(f"error[{exc.code}]: {exc.message}", markup=False)
            for detail in exc.details[:10]:
                err_console.print(f"  {detail}", markup=False)
            if not standalone_mode:
                return exc.exit_code
            sys.exit(exc.exit_code)


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
    state = CliState(settings=settings)
    ctx.obj = state
    ctx.call_on_close(state.close)  # the stores close when the command ends, however it ends
