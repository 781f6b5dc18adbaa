"""Promotes of one model racing from several real processes keep the alias and the history consistent."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import pytest

from modelport.demo import run_demo
from modelport.registry import Registry
from modelport.settings import Settings
from tests.conftest import PostgresDatabases
from tests.integration import promote_worker

WORKERS, ROUNDS = 4, 6


def _race(settings: Settings) -> None:
    procs = [
        subprocess.Popen(
            promote_worker.command(settings, w, ROUNDS),
            cwd=promote_worker.ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(WORKERS)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_racing_promotes_leave_alias_and_history_consistent(
    backend: str, tmp_path: Path, postgres: PostgresDatabases
) -> None:
    if backend == "sqlite":
        settings = Settings(home=tmp_path / "home")
    else:
        settings = Settings(home=tmp_path / "home", registry_uri=postgres.create(), state_uri=postgres.create())
    registry = Registry.open(settings)
    run_demo(registry, tmp_path / "demo", actor="tester")

    _race(settings)

    promotes = [e for e in registry.history("credit_risk") if e.action == "promote"]
    assert len(promotes) == 1 + WORKERS * ROUNDS  # the demo's, then every racing one: none lost
    # each promotion saw exactly what the one before it left: no interleaving
    for before, after in itertools.pairwise(promotes):
        assert after.from_version == before.to_version, (before, after)
    assert registry.alias_version("credit_risk", "production") == promotes[-1].to_version
    assert registry.store.aliases("credit_risk") == {"production": promotes[-1].to_version}
    assert {e.actor for e in promotes[1:]} == {f"worker-{w}" for w in range(WORKERS)}
    registry.store.close()
