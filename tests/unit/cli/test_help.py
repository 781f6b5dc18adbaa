"""Every ``--help`` of the CLI, found by walking the command tree: names not placeholders, an example,
each ``--json`` saying what it prints, 80 columns."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from modelport.cli import app

_GENERIC_JSON_HELP = {"", "Print JSON for scripts.", "Print JSON for scripts instead of a table.", "Print as JSON."}


def _tree(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _tree(sub, (*path, name))


TREE = dict(_tree(typer.main.get_command(app)))


def _help(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "80"}, prog_name="modelport")
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_walk_reaches_nested_commands() -> None:
    # A walk that stopped at the root would make every check below pass vacuously.
    assert {("promote",), ("keys", "revoke"), ("ab", "start"), ("batch", "score"), ("stream", "kafka")} <= set(TREE)
    assert len(TREE) > 40


@pytest.mark.parametrize("path", list(TREE), ids=lambda path: " ".join(path) or "modelport")
def test_help_names_arguments_shows_an_example_and_fits_80_columns(path: tuple[str, ...]) -> None:
    text = _help(path)

    usage = text.splitlines()[0]
    assert usage.startswith(" ".join(("Usage: modelport", *path))), usage
    assert not re.search(r"\{[^}]*\}", text), "a {placeholder} in the help"
    assert not re.search(r"<[a-z][\w\[\], |]*>", text), "a <type> placeholder in the help"
    # The example is a command line of this command (or of its group), on one line of its own.
    example = re.compile(rf"^ +Example: modelport {re.escape(path[0])}\b" if path else r"^ +Example: modelport \w")
    assert any(example.match(line) for line in text.splitlines()), text
    too_long = [line for line in text.splitlines() if len(line) > 80]
    assert too_long == []


def test_arguments_read_as_names_in_the_usage_line() -> None:
    assert _help(("promote",)).splitlines()[0] == "Usage: modelport promote [OPTIONS] NAME VERSION"
    assert _help(("ab", "start")).splitlines()[0] == "Usage: modelport ab start [OPTIONS] NAME VERSIONS..."
    options = _help(("batch", "score"))
    assert "--engine local|spark" in options
    assert re.search(r"^  --json +Print", options, re.MULTILINE)  # a flag shows no value


JSON_OPTIONS = [
    (path, param)
    for path, command in TREE.items()
    for param in command.params
    if "--json" in getattr(param, "opts", ())
]


@pytest.mark.parametrize(("path", "param"), JSON_OPTIONS, ids=[" ".join(path) for path, _ in JSON_OPTIONS])
def test_every_json_option_says_what_it_prints(path: tuple[str, ...], param: Any) -> None:
    help_text = param.help or ""
    assert help_text not in _GENERIC_JSON_HELP
    assert re.search(r"JSON (object|list)", help_text), help_text
    assert re.search(r"\(\w+, \w+", help_text), f"no field named: {help_text}"
    assert help_text.split()[0] in _help(path)


def test_json_options_are_found() -> None:
    assert len(JSON_OPTIONS) >= 25


def test_keys_revoke_says_when_servers_stop_accepting_the_key() -> None:
    text = " ".join(_help(("keys", "revoke")).split())
    assert "within serving.key_cache_s seconds (default 5" in text
    assert "MODELPORT_SERVING__KEY_CACHE_S" in text
