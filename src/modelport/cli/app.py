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

from modelport import __version__
from modelport.cli.context import CliState
from modelport.cli.helpformat import HelpfulGroup, Typer
from modelport.cli.output import err_console
from modelport.errors import InvalidSettings, ModelportError
from modelport.settings import Settings

__all__ = ["app"]


class _ModelportGroup(HelpfulGroup):
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
        argv = _hoist_global_options(list(sys.argv[1:] if args is None else args))
        try:
            return super().main(argv, prog_name, complete_var, standalone_mode, windows_expand_args, **extra)
        except ModelportError as exc:
            # One line, always: scripts read the code; the details are in --json output where a command has it.
            err_console.print(f"error[{exc.code}]: {' '.join(exc.message.split())}", markup=False, soft_wrap=True)
            if not standalone_mode:
                return exc.exit_code
            sys.exit(exc.exit_code)


def _hoist_global_options(args: list[str]) -> list[str]:
    """``modelport deployments --home X`` means ``modelport --home X deployments``: the global option may
    follow the sub-command, as users type it (click only takes it before)."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        if arg == "--home" and i + 1 < len(args):
            front += args[i : i + 2]
            i += 2
            continue
        (front if arg.startswith("--home=") else rest).append(arg)
        i += 1
    return front + rest


app = Typer(
    cls=_ModelportGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Take trained models from a registry to production and keep them safe there.\n\nExample: modelport demo",
)


def _settings(home: Path | None) -> Settings:
    from pydantic import ValidationError

    try:
        return Settings() if home is None else Settings(home=home)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "__".join(str(p) for p in first["loc"]).upper()
        raise InvalidSettings(f"MODELPORT_{where}: {first['msg']}") from None


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
    settings = _settings(home)
    state = CliState(settings=settings)
    ctx.obj = state
    ctx.call_on_close(state.close)  # the stores close when the command ends, however it ends
