"""How commands speak: rich tables for people, stable JSON for scripts, one line for errors."""

from __future__ import annotations

import sys
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

__all__ = ["console", "err_console", "json_flag", "print_json", "print_table", "shown_time"]

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def json_flag(shape: str) -> Any:
    """The ``--json`` option, its help saying what it prints: ``shape`` such as "a JSON object: name, version, …"."""
    return typer.Option("--json", help=f"Print {shape} instead of text.")


def print_json(value: Any) -> None:
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")
    sys.stdout.flush()


_SHOWN_EXAMPLE = "2026-12-01 19:54:08Z"


def shown_time(when: datetime | str | None) -> str:
    """A time as the CLI shows it to people, always: UTC to the second, ``2026-12-01 19:54:08Z``.

    ``--json`` keeps ISO 8601 with its offset. A time without one is UTC (SQLite hands those back).
    """
    if when is None or when == "":
        return ""
    at = datetime.fromisoformat(when) if isinstance(when, str) else when
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def print_table(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *, times: Collection[str] = ()
) -> None:
    """A table that fits the terminal: cells wrap (nothing is cut off), except the ``times`` columns,
    shown by :func:`shown_time` whole on one line."""
    table = Table(title=title, title_justify="left")
    timed = [column in times for column in columns]
    for column, is_time in zip(columns, timed, strict=True):
        if is_time:
            table.add_column(column, no_wrap=True, min_width=len(_SHOWN_EXAMPLE))
        else:  # a word longer than its column is split, never cut short with an ellipsis
            table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            *(
                shown_time(cell) if is_time else "" if cell is None else str(cell)
                for cell, is_time in zip(row, timed, strict=True)
            )
        )
    console.print(table)
