"""A replica with an empty home serves from modelport's own records: the alias as modelport moved it
and the compiled form linked to the version. No conversion, no download, no MLflow import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import mlflow.pyfunc
import pandas as pd
from mlflow import MlflowClient

from modelport.inference import RegistryCatalog
from modelport.registry import Registry
from modelport.settings import Settings
from tests.integration.cli_runner import Cli

_REPLICA = """
import asyncio, json, sys
import pandas as pd
from modelport.inference import Node
from modelport.inference.codecs import seed
from modelport.settings import Settings

async def main():
    rows = pd.read_csv(sys.argv[1]).head(7).to_dict(orient="records")
    async with Node(Settings(), deployments=["credit"]) as node:
        prediction = await node.plane.predict("credit", seed.decode_features({"features": rows}))
        answer = seed.answer(prediction)
    mlflow = sorted(m for m in sys.modules if m == "mlflow" or m.startswith("mlflow."))
    print(json.dumps({"version": answer["model_version"], "predictions": answer["predictions"].tolist(),
                      "mlflow_modules": len(mlflow)}))

asyncio.run(main())
"""


def _replica(demo_home: Path, home: Path) -> dict[str, Any]:
    """Start a data plane in a fresh interpreter with its own empty home, the demo's registry and state."""
    env = {
        "MODELPORT_HOME": str(home),
        "MODELPORT_REGISTRY_URI": f"sqlite:///{demo_home / 'registry.db'}",
        "MODELPORT_STATE_URI": f"sqlite:///{demo_home / 'state.db'}",
        "PATH": "/usr/bin:/bin",
    }
    source = str(demo_home / "demo" / "credit_to_score.csv")
    done = subprocess.run(
        [sys.executable, "-c", _REPLICA, source], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def _expected(demo_home: Path, version: int) -> list[Any]:
    """What the version predicts in-process, loaded by MLflow itself (no global MLflow URI is set)."""
    rows = pd.read_csv(demo_home / "demo" / "credit_to_score.csv").head(7)
    registry = Registry.open(Settings(home=demo_home))
    model = mlflow.pyfunc.load_model(str(registry.local_model_dir("credit_risk", version)))
    registry.store.close()
    return [int(p) for p in model.predict(rows)]


def test_a_fresh_replica_serves_a_compiled_version_without_mlflow(demo_home: Path, tmp_path: Path) -> None:
    cli = Cli(demo_home)
    cli("deploy", "credit", "--model", "credit_risk")
    cli("compile", "credit_risk/1")  # links version 1 to its compiled form

    first = _replica(demo_home, tmp_path / "a")

    assert first["version"] == "1"
    assert first["mlflow_modules"] == 0
    assert [p.name[:2] for p in (tmp_path / "a" / "cache" / "served" / "credit_risk").iterdir()] == ["1-"]
    assert not (tmp_path / "a" / "cache" / "models").exists()  # nothing downloaded
    assert first["predictions"] == _expected(demo_home, 1)


def test_a_version_not_yet_linked_is_loaded_from_the_registry_then_linked(demo_home: Path, tmp_path: Path) -> None:
    cli = Cli(demo_home)
    cli("deploy", "credit", "--model", "credit_risk")
    cli("promote", "credit_risk", "2")

    first = _replica(demo_home, tmp_path / "a")  # downloads v2, converts it, links it
    second = _replica(demo_home, tmp_path / "b")

    assert (first["version"], second["version"]) == ("2", "2")
    assert first["mlflow_modules"] > 0
    assert (tmp_path / "a" / "cache" / "models").is_dir()
    assert second["mlflow_modules"] == 0
    assert not (tmp_path / "b" / "cache" / "models").exists()
    assert first["predictions"] == second["predictions"]


def test_an_alias_moved_straight_in_mlflow_is_seen_once_verification_is_due(demo_home: Path) -> None:
    settings = Settings(home=demo_home)
    registry = Registry.open(settings)
    trusting = RegistryCatalog(registry, registry.store, verify_aliases_s=3600)
    verifying = RegistryCatalog(registry, registry.store, verify_aliases_s=0)
    client = MlflowClient(settings.resolved_registry_uri, settings.resolved_registry_uri)
    assert trusting.resolve("credit_risk", "production") == "1"

    client.set_registered_model_alias("credit_risk", "production", "2")  # behind modelport's back
    client.set_registered_model_alias("credit_risk", "champion", "2")

    assert trusting.resolve("credit_risk", "production") == "1"  # modelport's record, until verified
    assert verifying.resolve("credit_risk", "production") == "2"
    assert trusting.resolve("credit_risk", "champion") == "2"  # no record: MLflow answers at once
    registry.store.close()


def test_a_batch_run_on_a_fresh_home_scores_from_the_compiled_form(demo_home: Path, tmp_path: Path) -> None:
    source = str(demo_home / "demo" / "credit_to_score.csv")
    Cli(demo_home)("compile", "credit_risk@production")
    env = {
        "MODELPORT_REGISTRY_URI": f"sqlite:///{demo_home / 'registry.db'}",
        "MODELPORT_STATE_URI": f"sqlite:///{demo_home / 'state.db'}",
    }
    fresh = Cli(tmp_path / "fresh", env)

    summary = fresh.json("batch", "score", "credit_risk@production", source, str(tmp_path / "fresh.parquet"))
    at_home = Cli(demo_home).json("batch", "score", "credit_risk@production", source, str(tmp_path / "home.parquet"))

    assert (summary["model_version"], summary["predictor"], summary["compiled"]) == (1, "onnx", "state store")
    assert not (tmp_path / "fresh" / "cache" / "models").exists()  # nothing downloaded through MLflow
    assert summary["drift"] is not None  # the sample came with the compiled form: drift has its reference
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "fresh.parquet"), pd.read_parquet(tmp_path / "home.parquet")
    )
    assert at_home["rows_out"] == summary["rows_out"] > 0
