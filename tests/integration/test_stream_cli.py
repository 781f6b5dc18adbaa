"""``modelport stream``: a user's mistakes are one line and a documented exit code, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelport.settings import Settings
from modelport.state import StateStore
from tests.integration.cli_runner import Cli


@pytest.fixture
def cli(demo_home: Path) -> Cli:
    store = StateStore.open(Settings(home=demo_home))
    store.create_deployment("credit", "credit_risk", "production")
    store.close()
    return Cli(demo_home)


@pytest.mark.parametrize(
    ("args", "exit_code", "line"),
    [
        (["redis", "nope", "--in", "a", "--out", "b"], 3, "error[deployment_not_found]: no deployment named 'nope'"),
        (["kafka", "credit", "--in", "a", "--out", "b"], 2, "error[invalid_request]: name the Kafka brokers"),
        (["kafka", "credit", "--in", "a", "--out", "b", "--kafka-config", "x"], 2, "error[invalid_request]: invalid"),
        (
            ["redis", "credit", "--in", "a", "--out", "b", "--url", "redis://127.0.0.1:1/0"],
            7,
            "error[backend_error]: cannot reach Redis at redis://127.0.0.1:1/0",
        ),
        (
            ["kafka", "credit", "--in", "a", "--out", "b", "--bootstrap-servers", "127.0.0.1:1", "--kafka-config",
             "consumer.no.such.property=1"],
            2,
            "error[invalid_request]: invalid Kafka configuration",
        ),
    ],
)  # fmt: skip
def test_mistakes_are_one_line_and_an_exit_code(cli: Cli, args: list[str], exit_code: int, line: str) -> None:
    result = cli("stream", *args, expect=exit_code)
    errors = [text for text in result.stderr.splitlines() if text.startswith("error[")]
    assert len(errors) == 1
    assert errors[0].startswith(line)
    assert "Traceback" not in result.stderr
