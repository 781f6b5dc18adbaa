"""An unreachable or missing registry is one line ``error[backend_error]: …`` and exit 7, password masked.

Real failures, in a real subprocess: a PostgreSQL port with nothing listening, a database that
does not exist on the machine's PostgreSQL, an HTTP tracking server with nothing listening.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.conftest import PG_ADMIN_DSN

PASSWORD = "s3cret-Pw"
COMMANDS = [
    ("models", "--json"),
    ("promote", "credit_risk", "2"),
    ("history", "credit_risk", "--json"),
    ("deploy", "credit", "--model", "credit_risk"),
    ("batch", "score", "credit_risk@production", "in.csv", "out.parquet"),
    ("serve", "--port", "0"),  # refuses to start: it would serve nothing
]


def _with_password(dsn: str, database: str | None = None) -> str:
    parts = urlsplit(dsn)
    host = parts.netloc.rpartition("@")[2]
    user = parts.username or "postgres"
    path = f"/{database}" if database else parts.path
    return urlunsplit(parts._replace(netloc=f"{user}:{PASSWORD}@{host}", path=path))


@pytest.fixture(scope="module")
def closed_port() -> Iterator[int]:
    """A port nothing listens on: held bound (never listening) so no one else takes it meanwhile."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def _uris(port: int) -> dict[str, str]:
    return {
        "nothing listening": f"postgresql://modelport:{PASSWORD}@127.0.0.1:{port}/registry",
        "missing database": _with_password(PG_ADMIN_DSN, f"modelport_missing_{uuid.uuid4().hex[:8]}"),
        "http, nothing listening": f"http://ops:{PASSWORD}@127.0.0.1:{port}",
    }


CASES = [
    *(("nothing listening", command) for command in COMMANDS),  # every kind of command, once
    ("missing database", COMMANDS[0]),
    ("missing database", COMMANDS[1]),
    ("http, nothing listening", COMMANDS[0]),
    ("http, nothing listening", COMMANDS[2]),
    ("missing database", COMMANDS[-1]),
    ("http, nothing listening", COMMANDS[-1]),
]


@pytest.mark.parametrize(("case", "command"), CASES, ids=[f"{case}-{command[0]}" for case, command in CASES])
def test_every_command_fails_in_one_line_with_exit_7(
    tmp_path: Path, closed_port: int, case: str, command: tuple[str, ...]
) -> None:
    (tmp_path / "in.csv").write_text("income,age\n1,2\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELPORT_", "MLFLOW_"))}
    env.update(MODELPORT_HOME=str(tmp_path / "home"), MODELPORT_REGISTRY_URI=_uris(closed_port)[case])
    run = subprocess.run(
        [sys.executable, "-m", "modelport", *command],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = run.stderr.strip().splitlines()
    assert (run.returncode, len(lines)) == (7, 1), run.stderr
    assert lines[0].startswith("error[backend_error]: registry "), lines[0]
    assert "unreachable" in lines[0]
    assert ":***@127.0.0.1:" in lines[0]  # the URI is shown, its password masked
    assert PASSWORD not in run.stderr + run.stdout
    assert run.stdout == ""
