"""``modelport batch`` through the real CLI: the demo registry, a bare model folder, schedules."""

from __future__ import annotations

from pathlib import Path

import mlflow.sklearn
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from modelport.demo import FEATURES
from modelport.registry import Registry
from modelport.settings import Settings
from tests.integration.cli_runner import Cli
from tests.unit.batch.sklearn_scorer import save_mlflow_model, train_model


@pytest.fixture
def cli(demo_home: Path) -> Cli:
    return Cli(demo_home)


def _in_process(home: Path, version: int, frame: pd.DataFrame) -> np.ndarray:
    registry = Registry.open(Settings(home=home))
    model = mlflow.sklearn.load_model(str(registry.local_model_dir("credit_risk", version)))
    registry.store.close()
    return np.asarray(model.predict(frame[list(FEATURES)]))


@pytest.mark.parametrize("ref", ["credit_risk@production", "credit_risk/2"])
def test_score_a_registered_version_equals_the_model_in_process(
    cli: Cli, demo_home: Path, tmp_path: Path, ref: str
) -> None:
    source = demo_home / "demo" / "credit_to_score.csv"
    frame = pd.read_csv(source)
    frame.insert(0, "row_id", np.arange(len(frame)))
    frame.iloc[:1500].to_csv(tmp_path / "a.csv", index=False)
    frame.iloc[1500:].to_parquet(tmp_path / "b.parquet")

    summary = cli.json("batch", "score", ref, str(tmp_path / "[ab].*"), "out.parquet", "--id", "row_id")

    out = pq.read_table(tmp_path / "out.parquet")
    version = 1 if ref.endswith("@production") else 2
    assert (summary["model_version"], summary["model_uri"]) == (version, f"models:/credit_risk/{version}")
    assert summary["rows_out"] == len(frame)
    assert out.column("row_id").to_pylist() == list(range(len(frame)))
    np.testing.assert_array_equal(out.column("prediction").to_numpy(), _in_process(demo_home, version, frame))


def test_unknown_model_and_existing_output_are_one_line_errors(cli: Cli, demo_home: Path, tmp_path: Path) -> None:
    source = str(demo_home / "demo" / "credit_to_score.csv")
    (tmp_path / "out.csv").write_text("precious\n")

    cli("batch", "score", "nobody@production", source, "x.csv", expect=3)
    assert "nobody" in cli.last.stderr
    cli("batch", "score", "credit_risk/2", source, "out.csv", expect=4)
    assert "--overwrite" in cli.last.stderr
    assert (tmp_path / "out.csv").read_text() == "precious\n"


def test_strict_names_the_first_bad_row_of_a_model_folder_run(tmp_path: Path) -> None:
    folder = save_mlflow_model(train_model(), tmp_path / "model")
    rows = ["id,x0,x1,x2,x3"] + [f"{i},0.1,0.2,0.3,0.4" for i in range(300)]
    rows[1 + 217] = "217,0.1,nope,0.3,0.4"
    (tmp_path / "in.csv").write_text("\n".join(rows) + "\n")
    cli = Cli(tmp_path / "home")

    cli("batch", "score", str(folder), "in.csv", "out.csv", "--strict", expect=2)
    assert "row 217" in cli.last.stderr
    summary = cli.json("batch", "score", str(folder), "in.csv", "out.csv", "--id", "id")
    assert (summary["rows_out"], summary["rows_rejected"]) == (299, 1)
    assert summary["rejected_output"] == str(tmp_path / "out_rejected.csv")


def test_schedule_writes_a_cronjob_and_a_dag(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "home")
    cli("batch", "schedule", "credit_risk@production", "/data/in", "/data/out.parquet", "--name", "nightly",
        "--env", "MODELPORT_REGISTRY_URI=postgresql://db/mlflow", "--id", "customer_id",
        "--out-dir", "deploy")  # fmt: skip

    cronjob = yaml.safe_load((tmp_path / "deploy" / "nightly-cronjob.yaml").read_text())
    assert cronjob["spec"]["schedule"] == "0 2 * * *"
    command = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command[:6] == ["modelport", "batch", "score", "credit_risk@production", "/data/in", "/data/out.parquet"]
    compile((tmp_path / "deploy" / "nightly_dag.py").read_text(), "nightly_dag.py", "exec")
