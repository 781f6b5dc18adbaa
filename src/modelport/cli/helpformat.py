"""How ``--help`` reads: ``NAME VERSION`` for arguments, option values named, no type placeholders.

typer's own help writes a required argument as ``{name}`` and puts ``<str>``, ``<bool>`` or
``<list[str]>`` beside every parameter. The CLI uses click's plain layout instead (it wraps to the
terminal, 80 columns at most) with three changes: arguments are shown by their upper-case name
(``[NAME]`` when optional, ``NAME...`` when repeated), a value option by the name of its value
(``--alias ALIAS``, ``--engine local|spark``) and a flag by itself, and a group lists each
sub-command's first sentence whole.

Every command and group is built from :class:`Typer`, so none is missed; ``tests/unit/cli/test_help.py``
walks the whole command tree and checks each ``--help``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption
from typer.models import CommandFunctionType

__all__ = ["HelpfulCommand", "HelpfulGroup", "Typer"]

_SHORT_HELP_LIMIT = 200  # a whole first sentence: the formatter wraps it


def _argument_name(argument: TyperArgument) -> str:
    name = argument.metavar or (argument.name or "").upper()
    if argument.nargs != 1:
        name += "..."
    return name if argument.required else f"[{name}]"


def _option_value(option: TyperOption) -> str:
    """What follows the option on the command line: nothing for a flag."""
    if option.is_flag or option.count:
        return ""
    if option.metavar is not None:
        return option.metavar
    described = option.type_descriptor
    if described.is_choice and described.choices:
        return "|".join(str(getattr(choice, "value", choice)) for choice in described.choices)
    long_names = [opt for opt in option.opts if opt.startswith("--")]
    return (long_names[0] if long_names else option.opts[0]).lstrip("-").replace("-", "_").upper()


def _usage_pieces(command: TyperCommand | TyperGroup, ctx: Any) -> list[str]:
    pieces = [command.options_metavar] if command.options_metavar else []
    return pieces + [_argument_name(p) for p in command.get_params(ctx) if isinstance(p, TyperArgument)]


def _help_of(param: TyperArgument | TyperOption, ctx: Any) -> str:
    record = param.get_help_record(ctx)
    return "" if record is None else record[1]


def _write_parameters(command: TyperCommand | TyperGroup, ctx: Any, formatter: Any) -> None:
    arguments: list[tuple[str, str]] = []
    options: list[tuple[str, str]] = []
    for param in command.get_params(ctx):
        if getattr(param, "hidden", False):
            continue
        if isinstance(param, TyperArgument):
            arguments.append((_argument_name(param).strip("[]"), _help_of(param, ctx)))
        elif isinstance(param, TyperOption):
            names = ", ".join(sorted(param.opts, key=len) + param.secondary_opts)
            value = _option_value(param)
            options.append((f"{names} {value}" if value else names, _help_of(param, ctx)))
    for title, rows in (("Arguments", arguments), ("Options", options)):
        if rows:
            with formatter.section(title):
                formatter.write_dl(rows)


class HelpfulCommand(TyperCommand):
    """A command whose ``--help`` follows the module's rules."""

    # ``ctx`` and ``formatter`` are typer's click objects, whose classes typer keeps private: typed loosely.
    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return _usage_pieces(self, ctx)

    def format_options(self, ctx: Any, formatter: Any) -> None:
        _write_parameters(self, ctx, formatter)


class HelpfulGroup(TyperGroup):
    """A group whose ``--help`` follows the module's rules and lists its commands' first sentences."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return [*_usage_pieces(self, ctx), self.subcommand_metavar]

    def format_options(self, ctx: Any, formatter: Any) -> None:
        _write_parameters(self, ctx, formatter)
        self.format_commands(ctx, formatter)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(_SHORT_HELP_LIMIT)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class Typer(typer.Typer):
    """``typer.Typer`` whose groups and commands are :class:`HelpfulGroup` and :class:`HelpfulCommand`."""

    def __init__(self, *, cls: type[TyperGroup] | None = HelpfulGroup, **options: Any) -> None:
        # No rich markup: click's plain help layout, the one the classes above adjust.
        super().__init__(cls=cls, rich_markup_mode=None, **options)

    def command(
        self, name: str | None = None, *, cls: type[TyperCommand] | None = HelpfulCommand, **options: Any
    ) -> Callable[[CommandFunctionType], CommandFunctionType]:
        return super().command(name, cls=cls, **options)
