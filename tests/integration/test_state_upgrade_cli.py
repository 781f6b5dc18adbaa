"""Upgrading modelport with a state database an older version made: the first command upgrades it in place."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from tests.conftest import PostgresDatabases
from tests.unit.state.old_schema import build_old_database


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_first_command_upgrades_an_old_state_database(
    kind: str, tmp_path: Path, postgres: PostgresDatabases
) -> None:
    url = f"sqlite:///{tmp_path / 'old-state.db'}" if kind == "sqlite" else postgres.create()
    build_old_database(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELPORT_", "MLFLOW_"))}
    env.update(MODELPORT_HOME=str(tmp_path / "home"), MODELPORT_STATE_URI=url)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "modelport", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    listed = run("keys", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    keys = [(k["name"], k["scope"], k["prefix"]) for k in orjson.loads(listed.stdout)]
    assert keys == [("ci", "admin", "mp_abcdefgh")]
    created = run("keys", "create", "bot", "--scope", "predict", "--json")
    assert created.returncode == 0, created.stderr
    assert sorted(k["name"] for k in orjson.loads(run("keys", "list", "--json").stdout)) == ["bot", "ci"]
