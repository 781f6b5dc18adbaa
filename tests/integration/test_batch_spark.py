"""The Spark engine (PySpark local mode) against the local engine on the same model and input."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from modelport.batch import BatchJob, ModelInfo, drift_scorer, score_locally
from modelport.batch.model_ref import ResolvedModel
from modelport.batch.runtime_scorer import RuntimeScorer
from modelport.batch.spark import score_with_spark, spark_session
from modelport.errors import InvalidInput
from modelport.runtime import SAMPLE_FILE, model_loader
from modelport.settings import DriftSettings, RuntimeSettings, Settings
from tests.integration.cli_runner import Cli
from tests.unit.batch.sklearn_scorer import save_mlflow_model, train_model

pytestmark = pytest.mark.spark


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local session for the whole run: starting one costs seconds."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = spark_session("local[2]")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> ResolvedModel:
    folder = save_mlflow_model(train_model(), tmp_path_factory.mktemp("spark") / "model")
    return ResolvedModel(folder, "demo", 1, "models:/demo/1")


def _input(rows: int = 3000) -> pa.Table:
    rng = np.random.default_rng(11)
    return pa.table({"id": np.arange(rows), **{f"x{i}": rng.normal(size=rows) for i in range(4)}})


def _local(job: BatchJob, resolved: ResolvedModel) -> pa.Table:
    scorer = RuntimeScorer.from_model_dir(resolved.model_dir)
    info = ModelInfo(resolved.name, resolved.version, resolved.uri, scorer.kind)
    score_locally(job, scorer, info)
    return pq.read_table(job.output)


def test_spark_and_local_engines_give_the_same_parquet_output(
    tmp_path: Path, spark: Any, resolved: ResolvedModel
) -> None:
    pq.write_table(_input(), tmp_path / "in.parquet")
    local = _local(
        BatchJob(input=str(tmp_path / "in.parquet"), output=tmp_path / "l.parquet", id_column="id"), resolved
    )

    summary = score_with_spark(
        BatchJob(input=str(tmp_path / "in.parquet"), output=tmp_path / "s.parquet", id_column="id"),
        resolved,
        session=spark,
    )

    remote = ds.dataset(tmp_path / "s.parquet", format="parquet").to_table().sort_by("id")
    assert remote.column_names == local.column_names == ["id", "prediction", "proba_0", "proba_1"]
    assert remote.column("id").to_pylist() == local.column("id").to_pylist()
    np.testing.assert_array_equal(remote.column("prediction").to_numpy(), local.column("prediction").to_numpy())
    np.testing.assert_allclose(remote.column("proba_1").to_numpy(), local.column("proba_1").to_numpy())
    assert (summary.rows_in, summary.rows_out, summary.rows_rejected) == (3000, 3000, 0)


def test_spark_rejects_the_same_bad_csv_rows_as_local(tmp_path: Path, spark: Any, resolved: ResolvedModel) -> None:
    pcsv.write_csv(_input(500), tmp_path / "in.csv")
    lines = (tmp_path / "in.csv").read_text().splitlines()
    lines[1 + 42] = lines[1 + 42].replace(lines[1 + 42].split(",")[3], "abc", 1)
    (tmp_path / "in.csv").write_text("\n".join(lines) + "\n")
    local = _local(BatchJob(input=str(tmp_path / "in.csv"), output=tmp_path / "l.parquet", keep="all"), resolved)

    summary = score_with_spark(
        BatchJob(input=str(tmp_path / "in.csv"), output=tmp_path / "s.csv", id_column="id", keep="all"),
        resolved,
        session=spark,
    )

    remote = ds.dataset(tmp_path / "s.csv", format="csv").to_table().sort_by("id")
    rejected = ds.dataset(tmp_path / "s_rejected.csv", format="csv").to_table().to_pylist()
    assert (summary.rows_out, summary.rows_rejected) == (499, 1)
    assert [(r["id"], r["column"]) for r in rejected] == [(42, "x2")]
    assert remote.column("id").to_pylist() == local.column("id").to_pylist()
    np.testing.assert_array_equal(remote.column("prediction").to_numpy(), local.column("prediction").to_numpy())


def test_cli_engine_spark_writes_a_dataset_and_a_summary(tmp_path: Path, spark: Any, resolved: ResolvedModel) -> None:
    pq.write_table(_input(200), tmp_path / "in.parquet")
    cli = Cli(tmp_path / "home")

    summary = cli.json("batch", "score", str(resolved.model_dir), "in.parquet", "out.parquet", "--engine", "spark")

    assert summary["engine"].startswith("spark")
    assert summary["rows_out"] == 200
    assert ds.dataset(tmp_path / "out.parquet", format="parquet").to_table().num_rows == 200
    assert (tmp_path / "out.parquet.summary.json").is_file()
    cli("batch", "score", str(resolved.model_dir), "in.parquet", "out.parquet", "--engine", "spark", expect=4)


def test_spark_strict_fails_naming_the_bad_value(tmp_path: Path, spark: Any, resolved: ResolvedModel) -> None:
    (tmp_path / "in.csv").write_text("id,x0,x1,x2,x3\n0,0.1,0.2,0.3,0.4\n1,0.1,oops,0.3,0.4\n")

    with pytest.raises(InvalidInput, match="oops") as caught:
        score_with_spark(
            BatchJob(input=str(tmp_path / "in.csv"), output=tmp_path / "s.csv", strict=True), resolved, session=spark
        )

    assert caught.value.details[0]["column"] == "x1"
    assert not (tmp_path / "s.csv").exists()


def test_spark_honours_runtime_prefer_and_tasks_never_convert(
    tmp_path: Path, spark: Any, resolved: ResolvedModel
) -> None:
    pq.write_table(_input(300), tmp_path / "in.parquet")
    # With a registration sample, so that ONNX can pass parity and be chosen.
    folder = tmp_path / "model"
    shutil.copytree(resolved.model_dir, folder)
    pq.write_table(_input(200).drop_columns(["id"]), folder / SAMPLE_FILE)
    resolved = ResolvedModel(folder, "demo", 1, "models:/demo/1")
    native_only = Settings(home=tmp_path / "native", runtime=RuntimeSettings(prefer=("native", "pyfunc")))
    onnx_first = Settings(home=tmp_path / "onnx")

    native = score_with_spark(
        BatchJob(input=str(tmp_path / "in.parquet"), output=tmp_path / "n.parquet"),
        resolved,
        loader=model_loader(native_only),
        session=spark,
    )
    first = score_with_spark(
        BatchJob(input=str(tmp_path / "in.parquet"), output=tmp_path / "o.parquet"),
        resolved,
        loader=model_loader(onnx_first),
        session=spark,
    )
    second = score_with_spark(
        BatchJob(input=str(tmp_path / "in.parquet"), output=tmp_path / "o2.parquet"),
        resolved,
        loader=model_loader(onnx_first),
        session=spark,
    )

    assert (native.predictor, native.compiled) == ("native", None)
    # Had any task ignored `prefer`, it would have compiled the version into this cache.
    assert not (native_only.cache_dir / "compiled").exists()
    assert (first.predictor, first.compiled) == ("onnx", "converted")
    assert (second.predictor, second.compiled) == ("onnx", "disk")
    assert len(list((onnx_first.cache_dir / "compiled").iterdir())) == 1


@pytest.fixture(scope="session")
def with_sample(tmp_path_factory: pytest.TempPathFactory, resolved: ResolvedModel) -> ResolvedModel:
    """The model with a registration sample: the reference drift is measured against."""
    folder = tmp_path_factory.mktemp("spark-drift") / "model"
    shutil.copytree(resolved.model_dir, folder)
    rng = np.random.default_rng(5)
    pq.write_table(pa.table({f"x{i}": rng.normal(size=1000) for i in range(4)}), folder / SAMPLE_FILE)
    return ResolvedModel(folder, "demo", 1, "models:/demo/1")


def _shifted(rows: int = 3000) -> pa.Table:
    table = _input(rows)
    return table.set_column(3, "x2", pa.array(table.column("x2").to_numpy() + 5.0))  # five standard deviations


def _without_times(drift: dict[str, Any]) -> dict[str, Any]:
    window = {k: v for k, v in drift["window"].items() if k not in ("seconds", "start", "end")}
    return drift | {"window": window}


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_spark_writes_the_drift_section_of_the_local_engine(
    tmp_path: Path, spark: Any, with_sample: ResolvedModel, fmt: str
) -> None:
    source = tmp_path / f"in.{fmt}"
    if fmt == "parquet":
        pq.write_table(_shifted(), source)
    else:  # features read as text by both engines; a row that does not cast is rejected, not counted
        pcsv.write_csv(_shifted(), source)
        lines = source.read_text().splitlines()
        lines[1 + 42] = lines[1 + 42].replace(lines[1 + 42].split(",")[1], "abc", 1)
        source.write_text("\n".join(lines) + "\n")
    settings = DriftSettings()
    scorer = RuntimeScorer.from_model_dir(with_sample.model_dir)
    counting = drift_scorer(scorer, with_sample.model_dir, settings, what="demo v1")
    assert counting is not None
    info = ModelInfo(with_sample.name, with_sample.version, with_sample.uri, scorer.kind)
    score_locally(BatchJob(input=str(source), output=tmp_path / "l.parquet"), counting, info)
    local = counting.report(model="demo", version="1").to_dict()

    summary = score_with_spark(
        BatchJob(input=str(source), output=tmp_path / f"s.{fmt}"), with_sample, session=spark, drift=settings
    )

    assert summary.drift is not None
    assert summary.drift["drifted"] == ["x2"]
    assert summary.drift["window"]["rows"] == (3000 if fmt == "parquet" else 2999)
    assert summary.drift["window"]["reference_rows"] == 1000
    assert _without_times(summary.drift) == _without_times(local)
    written = orjson.loads((tmp_path / f"s.{fmt}.summary.json").read_bytes())
    assert written["drift"] == summary.drift


def test_cli_engine_spark_reports_drift_and_none_without_a_sample(
    tmp_path: Path, spark: Any, resolved: ResolvedModel, with_sample: ResolvedModel
) -> None:
    pq.write_table(_shifted(600), tmp_path / "in.parquet")
    cli = Cli(tmp_path / "home")

    summary = cli.json("batch", "score", str(with_sample.model_dir), "in.parquet", "o.parquet", "--engine", "spark")
    assert summary["drift"]["drifted"] == ["x2"]
    assert summary["drift"]["window"]["rows"] == 600

    unmeasured = cli.json("batch", "score", str(resolved.model_dir), "in.parquet", "n.parquet", "--engine", "spark")
    assert unmeasured["drift"] is None
