"""Servers sharing a registry and state store on PostgreSQL follow promotes and rollbacks: polling and LISTEN/NOTIFY."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import psycopg
import pytest

from modelport.demo import run_demo
from modelport.registry import Registry
from modelport.serving import create_app
from modelport.settings import ServingSettings, Settings
from modelport.state.listener import APPLICATION_NAME
from tests.integration import promote_worker
from tests.integration.serving_live import LiveServer, eventually

pytestmark = pytest.mark.postgres


def test_replicas_follow_promote_and_rollback(serve_app: Any, pg_settings: Settings, tmp_path: Path) -> None:
    control = Registry.open(pg_settings)  # the "operator's machine"
    demo = run_demo(control, tmp_path / "demo", actor="tester")
    control.store.create_deployment("credit", demo.model, "production")
    rows = pd.read_csv(demo.data_dir / "credit_to_score.csv").head(3)
    payload = {"features": rows.to_dict(orient="records")}

    replica_settings = pg_settings.model_copy(update={"serving": ServingSettings(poll_interval_s=0.1)})
    replicas: list[LiveServer] = [serve_app(create_app(replica_settings)) for _ in range(2)]

    def versions() -> set[str]:
        out = set()
        for replica in replicas:
            response = httpx.post(f"{replica.url}/predict", json=payload, timeout=30)
            assert response.status_code == 200, response.text
            out.add(response.json()["model_version"])
        return out

    assert versions() == {"1"}
    control.promote(demo.model, 2, actor="tester", reason="replicas test")
    eventually(lambda: versions() == {"2"}, "both replicas serve v2")
    control.rollback(demo.model, actor="tester")
    eventually(lambda: versions() == {"1"}, "both replicas are back on v1")
    control.store.close()


def _promote_elsewhere(settings: Settings, version: int) -> None:
    """Move credit_risk@production to ``version`` from another process, as an operator would."""
    subprocess.run(
        promote_worker.command(settings, version - 1, 1),  # round 0 of worker w promotes 1 + w % 2
        cwd=promote_worker.ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )


def _listener_pids(state_uri: str) -> list[int]:
    with psycopg.connect(state_uri, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND datname = current_database()",
            [APPLICATION_NAME],
        ).fetchall()
    return [int(pid) for (pid,) in rows]


def test_notifications_are_followed_without_polling_even_after_the_listener_is_killed(
    serve_app: Any, pg_settings: Settings, tmp_path: Path
) -> None:
    control = Registry.open(pg_settings)
    demo = run_demo(control, tmp_path / "demo", actor="tester")
    control.store.create_deployment("credit", demo.model, "production")
    control.store.close()
    rows = pd.read_csv(demo.data_dir / "credit_to_score.csv").head(3)
    payload = {"features": rows.to_dict(orient="records")}
    # Polling an hour apart: whatever the server follows within the test, a notification told it.
    hourly = ServingSettings(poll_interval_s=3600, resync_interval_s=3600)
    server = serve_app(create_app(pg_settings.model_copy(update={"serving": hourly})))

    def version() -> str:
        response = httpx.post(f"{server.url}/predict", json=payload, timeout=30)
        assert response.status_code == 200, response.text
        return str(response.json()["model_version"])

    assert version() == "1"
    eventually(lambda: len(_listener_pids(pg_settings.resolved_state_uri)) == 1, "the server listens")
    _promote_elsewhere(pg_settings, 2)
    eventually(lambda: version() == "2", "the promote is followed")

    # The LISTEN connection dies (failover, idle-session killer): the server reconnects and
    # catches up on what it missed while it was not listening.
    [killed] = _listener_pids(pg_settings.resolved_state_uri)
    with psycopg.connect(pg_settings.resolved_state_uri, autocommit=True) as conn:
        assert conn.execute("SELECT pg_terminate_backend(%s)", [killed]).fetchone() == (True,)
    _promote_elsewhere(pg_settings, 1)
    eventually(lambda: version() == "1", "the promote after the kill is followed")
    eventually(lambda: _listener_pids(pg_settings.resolved_state_uri) not in ([], [killed]), "it listens again")
    _promote_elsewhere(pg_settings, 2)
    eventually(lambda: version() == "2", "the next promote is followed")
