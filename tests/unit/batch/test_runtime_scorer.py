from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from modelport.batch import BatchJob, ModelInfo, score_locally
from modelport.batch.runtime_scorer import RuntimeScorer
from modelport.errors import InvalidInput
from tests.unit.batch.sklearn_scorer import FEATURES


def test_runtime_scorer_scores_a_csv_like_the_model_in_process(
    tmp_path: Path,
    model_dir: Path,
    model: HistGradientBoostingClassifier,
    table: pa.Table,
    model_info: ModelInfo,
) -> None:
    pcsv.write_csv(table, tmp_path / "in.csv")
    scorer = RuntimeScorer.from_model_dir(model_dir)

    score_locally(
        BatchJob(input="in.csv", output=tmp_path / "out.parquet", id_column="id", batch_size=128, workers=2),
        scorer,
        model_info,
    )

    out = pq.read_table(tmp_path / "out.parquet")
    matrix = np.column_stack([table.column(name).to_numpy() for name in FEATURES])
    assert scorer.kind in {"onnx", "native", "pyfunc"}
    assert out.column_names == ["id", "prediction", "proba_0", "proba_1"]
    np.testing.assert_array_equal(out.column("prediction").to_numpy(), model.predict(matrix))
    np.testing.assert_allclose(out.column("proba_0").to_numpy(), model.predict_proba(matrix)[:, 0], rtol=1e-6)


def test_runtime_scorer_rejects_nulls_and_refuses_a_missing_column(
    tmp_path: Path, model_dir: Path, table: pa.Table, model_info: ModelInfo
) -> None:
    values = table.column("x1").to_pylist()
    values[5] = None
    pq.write_table(table.set_column(3, "x1", pa.array(values, pa.float64())), tmp_path / "in.parquet")
    scorer = RuntimeScorer.from_model_dir(model_dir)

    summary = score_locally(
        BatchJob(input="in.parquet", output=tmp_path / "out.csv", id_column="id"), scorer, model_info
    )

    assert (summary.rows_out, summary.rows_rejected) == (999, 1)
    rejected = pcsv.read_csv(tmp_path / "out_rejected.csv").to_pylist()
    assert [(r["row"], r["id"], r["column"]) for r in rejected] == [(5, 10_005, "x1")]
    pq.write_table(table.drop_columns(["x2"]), tmp_path / "short.parquet")
    with pytest.raises(InvalidInput, match="x2"):
        score_locally(BatchJob(input="short.parquet", output=tmp_path / "b.csv"), scorer, model_info)
