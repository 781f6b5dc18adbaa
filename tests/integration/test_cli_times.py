"""Every time the CLI prints for people is UTC to the second, ``2026-12-01 19:54:08Z``; tables fit 80
columns; ``--json`` keeps ISO 8601 with its offset. Through the real CLI on the demo registry."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from tests.integration.cli_runner import Cli

SHOWN = re.compile(r"\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ")
# Any other way of writing a time: ISO with a T, an offset, a "UTC" suffix, fractions of a second.
OTHER = re.compile(r"\d\d:\d\d:\d\d(?!Z)|\d{4}-\d\d-\d\dT|[+-]\d\d:\d\d\b|\bUTC\b")


@pytest.fixture
def cli(demo_home: Path) -> Cli:
    runner = Cli(demo_home, env={"COLUMNS": "80"})
    runner("deploy", "credit", "--model", "credit_risk")
    runner("promote", "credit_risk", "2", "--reason", "a longer reason, to see the table wrap it, not the time")
    runner("bluegreen", "credit", "1")
    runner("keys", "create", "ci-deployer", "--scope", "admin")
    runner("keys", "revoke", "ci-deployer")
    return runner


TABLES = [
    ("history", "credit_risk"),
    ("versions", "credit_risk"),
    ("deployments",),
    ("deployment", "history", "credit"),
    ("keys", "list"),
]


@pytest.mark.parametrize("command", TABLES, ids=" ".join)
def test_tables_show_times_one_way_and_fit_80_columns(cli: Cli, command: tuple[str, ...]) -> None:
    text = cli(*command).stdout

    assert SHOWN.search(text), text
    assert not OTHER.search(SHOWN.sub("", text)), text
    assert [line for line in text.splitlines() if len(line) > 80] == []


def test_describe_shows_the_same_format(cli: Cli) -> None:
    line = next(line for line in cli("describe", "credit_risk", "2").stdout.splitlines() if "created:" in line)
    assert SHOWN.search(line), line


@pytest.mark.parametrize(
    ("command", "field"),
    [(("history", "credit_risk"), "time"), (("keys", "list"), "created"), (("deployments",), "created")],
    ids=lambda value: " ".join(value) if isinstance(value, tuple) else value,
)
def test_json_keeps_iso_8601_with_an_offset(cli: Cli, command: tuple[str, ...], field: str) -> None:
    for row in cli.json(*command):
        assert datetime.fromisoformat(row[field]).utcoffset() is not None, row[field]
