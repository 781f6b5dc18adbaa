"""``modelport stream``: a user's mistakes are one line and a documented exit code, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelport.settings import Settings
from modelport.state import StateStore
from tests.integration.cli_runner import Cli
from tests.integration.stream_workers import SRC


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


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port that refuses connections: bound here and never listening, so nothing else can listen on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.mark.parametrize("broker", ["kafka", "redis"])
def test_an_unreachable_broker_is_one_line_and_exit_7_before_any_model_loads(
    cli: Cli, closed_port: int, broker: str
) -> None:
    where = {
        "kafka": ["--bootstrap-servers", f"127.0.0.1:{closed_port}", "--kafka-config", "sasl.password=s3cret"],
        "redis": ["--url", f"redis://scorer:s3cret@127.0.0.1:{closed_port}/0"],
    }[broker]
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    # The real command, as a user runs it; librdkafka alone would retry the broker forever.
    done = subprocess.run(
        [sys.executable, "-m", "modelport", "--home", str(cli.home), "stream", broker, "credit",
         "--in", "a", "--out", "b", *where],
        capture_output=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    stderr = done.stderr.decode()
    assert done.returncode == 7, stderr
    [line] = stderr.splitlines()  # no model was loaded, nothing logged: the error alone
    expected = {
        "kafka": f"error[backend_error]: no Kafka broker answers at 127.0.0.1:{closed_port}: ",
        "redis": f"error[backend_error]: cannot reach Redis at redis://scorer:***@127.0.0.1:{closed_port}/0: ",
    }[broker]
    assert line.startswith(expected), line
    assert "s3cret" not in stderr + done.stdout.decode()
