"""Registry and state store in ONE PostgreSQL database, as a new user first tries it: every command works,
a real server answers, and MLflow's own ``alembic_version`` is left to MLflow."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import orjson
import pandas as pd
import psycopg
import pytest

from tests.conftest import PostgresDatabases
from tests.integration.replicas import Replica

pytestmark = pytest.mark.postgres


class SharedCli:
    """``python -m modelport`` in a subprocess with both URIs naming the same database."""

    def __init__(self, home: Path, url: str) -> None:
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("MODELPORT_", "MLFLOW_"))}
        self.env = {"MODELPORT_REGISTRY_URI": url, "MODELPORT_STATE_URI": url}
        self._full = clean | self.env | {"MODELPORT_HOME": str(home)}
        self.home = home

    def __call__(self, *args: str) -> str:
        run = subprocess.run(
            [sys.executable, "-m", "modelport", *args],
            env=self._full,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert run.returncode == 0, f"{args}: exit {run.returncode}\n{run.stderr}"
        assert "Traceback" not in run.stderr
        return run.stdout

    def json(self, *args: str) -> Any:
        return orjson.loads(self(*args, "--json"))


def test_demo_promote_rollback_deploy_and_serve_on_one_database(tmp_path: Path, postgres: PostgresDatabases) -> None:
    url = postgres.create()
    cli = SharedCli(tmp_path / "home", url)

    cli("demo", "--no-serve")
    cli("promote", "credit_risk", "2", "--reason", "shared database")
    cli("rollback", "credit_risk")
    history = cli.json("history", "credit_risk")
    assert [(h["action"], h["to_version"]) for h in history][-2:] == [("promote", 2), ("rollback", 1)]
    cli.json("deploy", "second", "--model", "credit_risk", "--alias", "production")
    assert sorted(d["name"] for d in cli.json("deployments")) == ["credit_risk", "second"]

    rows = pd.read_csv(cli.home / "demo" / "credit_to_score.csv").head(3).to_dict(orient="records")
    server = Replica(cli.home, cli.env, "second")
    try:
        server.wait_ready()
        answer = httpx.post(f"{server.url}/predict", json={"features": rows}, timeout=30)
        assert answer.status_code == 200, answer.text
        assert (answer.json()["model_name"], str(answer.json()["model_version"])) == ("credit_risk", "1")
        assert len(answer.json()["predictions"]) == 3
    finally:
        server.stop()

    with psycopg.connect(url) as conn:
        mlflow_revision = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        ours = conn.execute("SELECT version_num FROM modelport_alembic_version").fetchall()
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert ours == [("0005",)]
    assert len(mlflow_revision) == 1
    assert not mlflow_revision[0][0].isdigit()  # MLflow's own (hex) revision, not one of ours
    assert {"registered_models", "model_versions", "modelport_history", "modelport_deployments"} <= tables
