from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from modelport.batch import BatchJob, ModelInfo, Scores, partial_dir, score_locally
from modelport.errors import AlreadyExists, InvalidInput, InvalidRequest
from tests.unit.batch.sklearn_scorer import FEATURES, SklearnScorer


def _read(path: Path) -> pa.Table:
    if path.suffix == ".parquet":
        return pq.read_table(path)
    if path.suffix == ".csv":
        return pcsv.read_csv(path)
    return pa.Table.from_pylist([orjson.loads(line) for line in path.read_bytes().splitlines()])


def _expected(model: HistGradientBoostingClassifier, table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    matrix = np.column_stack([table.column(name).to_numpy() for name in FEATURES])
    return model.predict(matrix), model.predict_proba(matrix)


@pytest.mark.parametrize(("source", "target"), [("in.csv", "out.parquet"), ("in.parquet", "out.csv")])
def test_predictions_equal_the_model_called_in_process(
    tmp_path: Path, table: pa.Table, scorer: SklearnScorer, model_info: ModelInfo, source: str, target: str
) -> None:
    src = tmp_path / source
    pq.write_table(table, src) if source.endswith(".parquet") else pcsv.write_csv(table, src)
    job = BatchJob(input=str(src), output=tmp_path / target, id_column="id", workers=3, batch_size=64)

    summary = score_locally(job, scorer, model_info)

    out = _read(tmp_path / target)
    predictions, probabilities = _expected(scorer.model, table)
    assert out.column_names == ["id", "prediction", "proba_0", "proba_1"]
    assert out.column("id").to_pylist() == table.column("id").to_pylist()
    np.testing.assert_array_equal(out.column("prediction").to_numpy(), predictions)
    np.testing.assert_allclose(out.column("proba_1").to_numpy(), probabilities[:, 1], rtol=1e-12)
    assert (summary.rows_in, summary.rows_out, summary.rows_rejected) == (1000, 1000, 0)
    assert summary.parts == 16
    assert not partial_dir(tmp_path / target).exists()


def test_folder_of_files_keeps_input_order_across_files_and_workers(
    tmp_path: Path, table: pa.Table, scorer: SklearnScorer, model_info: ModelInfo
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for position, start in enumerate(range(0, 1000, 300)):
        pq.write_table(table.slice(start, 300), folder / f"p{position}.parquet")
    job = BatchJob(input=str(folder), output=tmp_path / "out.jsonl", keep="all", workers=4, batch_size=50)

    score_locally(job, scorer, model_info)

    out = _read(tmp_path / "out.jsonl")
    assert out.column("id").to_pylist() == table.column("id").to_pylist()
    assert out.column_names == [*table.column_names, "prediction", "proba_0", "proba_1"]
    np.testing.assert_array_equal(out.column("prediction").to_numpy(), _expected(scorer.model, table)[0])


def test_bad_rows_go_to_the_rejected_file_and_the_rest_is_scored(
    tmp_path: Path, table: pa.Table, scorer: SklearnScorer, model_info: ModelInfo
) -> None:
    src = tmp_path / "in.csv"
    pcsv.write_csv(table, src)
    lines = src.read_text().splitlines()
    # Data row 3 gets text in a number column, row 777 (in a later chunk) loses a value.
    lines[1 + 3] = lines[1 + 3].replace(lines[1 + 3].split(",")[2], '"abc"', 1)
    cells = lines[1 + 777].split(",")
    cells[4] = ""
    lines[1 + 777] = ",".join(cells)
    src.write_text("\n".join(lines) + "\n")
    job = BatchJob(input=str(src), output=tmp_path / "out.parquet", id_column="id", batch_size=100)

    summary = score_locally(job, scorer, model_info)

    rejected = pq.read_table(tmp_path / "out_rejected.parquet").to_pylist()
    assert [(r["row"], r["id"]) for r in rejected] == [(3, 10_003), (777, 10_777)]
    assert "'abc' is not a valid double" in rejected[0]["reason"]
    assert rejected[0]["column"] == "x0"
    assert rejected[1]["reason"] == "missing value"
    out = pq.read_table(tmp_path / "out.parquet")
    assert out.num_rows == 998
    assert 10_003 not in out.column("id").to_pylist()
    assert (summary.rows_in, summary.rows_out, summary.rows_rejected) == (1000, 998, 2)
    assert summary.rejected_output == str(tmp_path / "out_rejected.parquet")


def test_strict_fails_naming_the_first_bad_row(
    tmp_path: Path, table: pa.Table, scorer: SklearnScorer, model_info: ModelInfo
) -> None:
    values = table.column("x2").to_pylist()
    values[612] = None
    values[901] = None
    bad = table.set_column(table.column_names.index("x2"), "x2", pa.array(values, pa.float64()))
    pq.write_table(bad, tmp_path / "in.parquet")
    job = BatchJob(input="in.parquet", output=tmp_path / "out.parquet", strict=True, batch_size=100, workers=2)

    with pytest.raises(InvalidInput, match="row 612") as caught:
        score_locally(job, scorer, model_info)

    assert caught.value.details[0]["row"] == 612
    assert not (tmp_path / "out.parquet").exists()


def test_existing_output_is_refused_without_overwrite(
    tmp_path: Path, table: pa.Table, scorer: SklearnScorer, model_info: ModelInfo
) -> None:
    pq.write_table(table, tmp_path / "in.parquet")
    (tmp_path / "out.csv").write_text("old\n")

    with pytest.raises(AlreadyExists, match="--overwrite"):
        score_locally(BatchJob(input="in.parquet", output=tmp_path / "out.csv"), scorer, model_info)
    assert (tmp_path / "out.csv").read_text() == "old\n"

    score_locally(BatchJob(input="in.parquet", output=tmp_path / "out.csv", overwrite=True), scorer, model_info)
    assert _read(tmp_path / "out.csv").num_rows == 1000


class _FailingScorer(SklearnScorer):
    """Dies on the chunk holding row ``fail_at``, as a killed run would."""

    fail_at = 600

    def score(self, batch: pa.RecordBatch) -> Scores:
        if self.fail_at in batch.column("x0").to_pylist():
            raise RuntimeError("boom")
        return super().score(batch)


def test_a_failed_run_resumes_and_matches_an_uninterrupted_run(
    tmp_path: Path, table: pa.Table, model: HistGradientBoostingClassifier, model_info: ModelInfo
) -> None:
    marked = table.set_column(
        table.column_names.index("x0"),
        "x0",
        pa.array([600.0 if i == 650 else v for i, v in enumerate(table.column("x0").to_pylist())]),
    )
    pq.write_table(marked, tmp_path / "in.parquet")
    job = BatchJob(input="in.parquet", output=tmp_path / "out.csv", id_column="id", batch_size=100, workers=2)
    reference = BatchJob(input="in.parquet", output=tmp_path / "ref.csv", id_column="id", batch_size=100)
    score_locally(reference, SklearnScorer(model), model_info)

    with pytest.raises(RuntimeError, match="boom"):
        score_locally(job, _FailingScorer(model), model_info)
    assert not (tmp_path / "out.csv").exists()
    assert partial_dir(tmp_path / "out.csv").exists()

    summary = score_locally(job, SklearnScorer(model), model_info)

    assert summary.parts_resumed >= 5
    assert (tmp_path / "out.csv").read_bytes() == (tmp_path / "ref.csv").read_bytes()


def test_changed_arguments_start_afresh(
    tmp_path: Path, table: pa.Table, model: HistGradientBoostingClassifier, model_info: ModelInfo
) -> None:
    pq.write_table(table, tmp_path / "in.parquet")
    scorer = _FailingScorer(model)
    scorer.fail_at = table.column("x0")[550].as_py()
    with pytest.raises(RuntimeError):
        score_locally(BatchJob(input="in.parquet", output=tmp_path / "o.csv", batch_size=100), scorer, model_info)

    summary = score_locally(
        BatchJob(input="in.parquet", output=tmp_path / "o.csv", batch_size=100, keep="all"),
        SklearnScorer(model),
        model_info,
    )

    assert summary.parts_resumed == 0
    assert _read(tmp_path / "o.csv").column_names[: len(table.column_names)] == table.column_names


def test_summary_is_written_next_to_the_output(
    tmp_path: Path, table: pa.Table, scorer: SklearnScorer, model_info: ModelInfo
) -> None:
    pq.write_table(table, tmp_path / "in.parquet")

    score_locally(BatchJob(input="in.parquet", output=tmp_path / "out.parquet"), scorer, model_info)

    summary = orjson.loads((tmp_path / "out.parquet.summary.json").read_bytes())
    assert summary["model_name"] == "demo"
    assert summary["model_uri"] == "models:/demo/1"
    assert summary["rows_out"] == 1000
    assert summary["inputs"] == [str(tmp_path / "in.parquet")]
    assert summary["started_utc"] <= summary["finished_utc"]


def test_unknown_keep_column_and_missing_feature_are_clear_errors(
    tmp_path: Path, table: pa.Table, scorer: SklearnScorer, model_info: ModelInfo
) -> None:
    pq.write_table(table, tmp_path / "in.parquet")
    with pytest.raises(InvalidRequest, match="nope"):
        score_locally(BatchJob(input="in.parquet", output=tmp_path / "a.csv", keep="nope"), scorer, model_info)
    pq.write_table(table.drop_columns(["x3"]), tmp_path / "short.parquet")
    with pytest.raises(InvalidInput, match="x3"):
        score_locally(BatchJob(input="short.parquet", output=tmp_path / "b.csv"), scorer, model_info)


def test_output_inside_the_input_folder_is_never_read_back(
    tmp_path: Path, table: pa.Table, scorer: SklearnScorer, model_info: ModelInfo
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    pq.write_table(table, folder / "in.parquet")
    job = BatchJob(input=str(folder), output=folder / "out.parquet", keep="all", overwrite=True)

    score_locally(job, scorer, model_info)
    summary = score_locally(job, scorer, model_info)

    assert summary.inputs == [str(folder / "in.parquet")]
    assert pq.read_table(folder / "out.parquet").num_rows == 1000
