"""A state store that cannot be reached or migrated is one line ``error[backend_error]: …`` and exit 7
(docs/cli.md), through the real CLI in a subprocess; the password in the URL is never printed."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.conftest import PG_ADMIN_DSN, PostgresDatabases
from tests.integration.password_server import PasswordRefusingServer

PASSWORD = "s3cret-Pa55"  # made up: the output must never show it
HOST = PG_ADMIN_DSN.split("@", 1)[1].rsplit("/", 1)[0]  # 127.0.0.1:5432


def _run(home: Path, state_uri: str, *args: str, registry_uri: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELPORT_", "MLFLOW_"))}
    env.update(MODELPORT_HOME=str(home), MODELPORT_STATE_URI=state_uri)
    if registry_uri is not None:
        env["MODELPORT_REGISTRY_URI"] = registry_uri
    return subprocess.run(
        [sys.executable, "-m", "modelport", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _assert_one_backend_line(run: subprocess.CompletedProcess[str], *expected: str) -> str:
    assert run.returncode == 7, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("error[backend_error]: "), lines[0]
    for text in expected:
        assert text in lines[0]
    assert PASSWORD not in run.stderr + run.stdout
    return lines[0]


@pytest.mark.parametrize("command", [("deployments",), ("history", "credit_risk"), ("keys", "list")])
def test_unreachable_postgresql(tmp_path: Path, command: tuple[str, ...]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # nothing listens: every connection is refused while it stays bound
        port = sock.getsockname()[1]
        run = _run(tmp_path / "home", f"postgresql://ana:{PASSWORD}@127.0.0.1:{port}/state", *command)
    line = _assert_one_backend_line(run, "Connection refused")
    assert f"postgresql://ana:***@127.0.0.1:{port}/state" in line


def test_a_missing_database(tmp_path: Path) -> None:
    run = _run(tmp_path / "home", f"postgresql://postgres:{PASSWORD}@{HOST}/modelport_no_such_db", "deployments")
    _assert_one_backend_line(run, 'database "modelport_no_such_db" does not exist', "postgres:***@")


def test_a_wrong_password(tmp_path: Path) -> None:
    with PasswordRefusingServer() as port:
        run = _run(tmp_path / "home", f"postgresql://ana:{PASSWORD}@127.0.0.1:{port}/state", "deployments")
    _assert_one_backend_line(run, "password authentication failed", "ana:***@")


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_migration_that_fails_changes_nothing(kind: str, tmp_path: Path, postgres: PostgresDatabases) -> None:
    """A table of someone else's in the way of our migrations: the upgrade stops, rolled back."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'state.db'}"
        with sqlite3.connect(tmp_path / "state.db") as conn:
            conn.execute("CREATE TABLE history (theirs INTEGER)")
        shown = url
    else:
        url = postgres.create()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE history (theirs INTEGER)")
        shown = url
        url = url.replace("postgres@", f"postgres:{PASSWORD}@")
        shown = shown.replace("postgres@", "postgres:***@")
    run = _run(tmp_path / "home", url, "deployments")
    line = _assert_one_backend_line(run, "cannot upgrade the state store", "to revision 0004", "history")
    assert shown in line
    again = _run(tmp_path / "home", url, "deployments")  # nothing half-done: the same failure again
    assert again.stderr == run.stderr


def test_an_unsupported_url(tmp_path: Path) -> None:
    run = _run(tmp_path / "home", f"mysql://ana:{PASSWORD}@db/state", "deployments")
    _assert_one_backend_line(run, "unsupported state store URL", "sqlite:///", "postgresql://")


def test_a_state_file_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    run = _run(tmp_path / "home", f"sqlite:///{blocker}/state.db", "deployments")
    _assert_one_backend_line(run, "cannot create the folder of the state store")


def test_registry_and_state_in_one_sqlite_file_is_refused_with_the_reason(tmp_path: Path) -> None:
    """SQLite has one writer: a promote writes to MLflow while holding the state store's write lock."""
    one = f"sqlite:///{tmp_path / 'one.db'}"
    run = _run(tmp_path / "home", one, "deployments", registry_uri=one)
    _assert_one_backend_line(run, "cannot share the SQLite file", "MODELPORT_STATE_URI")
