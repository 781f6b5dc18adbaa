"""The promote / rollback sequence with the MLflow registry and modelport's state on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from modelport.demo import run_demo
from modelport.registry import Registry
from modelport.settings import Settings
from tests.integration.cli_runner import Cli


def test_promote_rollback_sequence_on_postgres(pg_settings: Settings, tmp_path: Path) -> None:
    assert pg_settings.registry_uri
    assert pg_settings.registry_uri.startswith("postgresql://")
    registry = Registry.open(pg_settings)
    assert registry.store.dialect == "postgresql"
    run_demo(registry, tmp_path / "demo", actor="tester")
    registry.store.close()

    env = {
        "MODELPORT_REGISTRY_URI": pg_settings.registry_uri,
        "MODELPORT_STATE_URI": str(pg_settings.state_uri),
    }
    cli = Cli(pg_settings.home, env=env)

    def production() -> int:
        return next(v["version"] for v in cli.json("versions", "credit_risk") if "production" in v["aliases"])

    assert production() == 1
    seen = []
    for step in (
        ("promote", "credit_risk", "2"),
        ("promote", "credit_risk", "1"),
        ("rollback", "credit_risk"),
        ("rollback", "credit_risk"),
    ):
        cli(*step)
        seen.append(production())
    assert seen == [2, 1, 2, 1]
    cli("rollback", "credit_risk", expect=4)
    assert production() == 1
    history = cli.json("history", "credit_risk")
    assert [(h["action"], h["from_version"], h["to_version"]) for h in history][2:] == [
        ("promote", None, 1),
        ("promote", 1, 2),
        ("promote", 2, 1),
        ("rollback", 1, 2),
        ("rollback", 2, 1),
    ]
    # nothing of it went to the embedded SQLite files
    assert not (pg_settings.home / "registry.db").exists()
    assert not (pg_settings.home / "state.db").exists()
