"""``modelport batch`` through its typer runner, on a real MLflow model folder."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from modelport.cli.batch import app


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = Path(__file__).resolve().parents[1] / "unit" / "batch" / "sklearn_scorer.py"
    spec = importlib.util.spec_from_file_location("batch_sklearn_support", path)
    assert spec is not None
    assert spec.loader is not None
    support = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(support)
    return support.save_mlflow_model(support.train_model(), tmp_path_factory.mktemp("cli") / "model")  # type: ignore[no-any-return]


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MODELPORT_HOME", str(tmp_path / ".modelport"))


def _input(path: Path, rows: int = 500) -> pa.Table:
    rng = np.random.default_rng(5)
    table = pa.table({"id": np.arange(rows), **{f"x{i}": rng.normal(size=rows) for i in range(4)}})
    pcsv.write_csv(table, path)
    return table


def test_score_prints_the_summary_as_json(tmp_path: Path, model_dir: Path) -> None:
    _input(tmp_path / "in.csv")

    result = CliRunner().invoke(
        app, ["score", str(model_dir), "in.csv", "out.parquet", "--id", "id", "--workers", "2", "--json"]
    )

    assert result.exit_code == 0, result.output
    summary = orjson.loads(result.stdout)
    assert summary["rows_out"] == 500
    assert summary["predictor"] in {"onnx", "native", "pyfunc"}
    assert summary["model_uri"] == model_dir.resolve().as_uri()
    assert pq.read_table(tmp_path / "out.parquet").column_names == ["id", "prediction", "proba_0", "proba_1"]


def test_score_refuses_an_existing_output_and_strict_names_the_row(tmp_path: Path, model_dir: Path) -> None:
    _input(tmp_path / "in.csv")
    lines = (tmp_path / "in.csv").read_text().splitlines()
    lines[1 + 321] = "321,1.0,nope,1.0,1.0"
    (tmp_path / "in.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "out.csv").write_text("precious\n")
    runner = CliRunner()

    refused = runner.invoke(app, ["score", str(model_dir), "in.csv", "out.csv"])
    strict = runner.invoke(app, ["score", str(model_dir), "in.csv", "out.csv", "--overwrite", "--strict"])
    unknown = runner.invoke(app, ["score", "credit_risk@nope", "in.csv", "x.csv"])

    assert refused.exit_code == 4
    assert "error[already_exists]" in refused.stderr
    assert strict.exit_code == 2
    assert "row 321" in strict.stderr
    assert (tmp_path / "out.csv").read_text() == "precious\n"
    assert unknown.exit_code != 0
    assert "credit_risk@nope" in unknown.stderr


def test_schedule_writes_a_cronjob_and_a_dag(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["schedule", "credit_risk@production", "/data/in", "/data/out.parquet", "--name", "nightly",
         "--env", "MODELPORT_REGISTRY_URI=postgresql://db/mlflow", "--id", "customer_id",
         "--out-dir", "deploy"],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    cronjob = yaml.safe_load((tmp_path / "deploy" / "nightly-cronjob.yaml").read_text())
    assert cronjob["spec"]["schedule"] == "0 2 * * *"
    command = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command[:6] == [
        "modelport",
        "batch",
        "score",
        "credit_risk@production",
        "/data/in",
        "/data/out.parquet",
    ]
    compile((tmp_path / "deploy" / "nightly_dag.py").read_text(), "nightly_dag.py", "exec")
