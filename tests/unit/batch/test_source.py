from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from modelport.batch import InputFormat, discover_inputs, read_chunks
from modelport.errors import InvalidInput, InvalidRequest


def test_chunks_have_the_batch_size_and_never_cross_files(tmp_path: Path) -> None:
    pq.write_table(pa.table({"a": list(range(250))}), tmp_path / "a.parquet", row_group_size=70)
    pcsv.write_csv(pa.table({"a": list(range(250, 330))}), tmp_path / "b.csv")

    chunks = list(read_chunks(discover_inputs(tmp_path), batch_size=100))

    assert [c.batch.num_rows for c in chunks] == [100, 100, 50, 80]
    assert [c.first_row for c in chunks] == [0, 100, 200, 250]
    assert [c.index for c in chunks] == [0, 1, 2, 3]
    assert [v for c in chunks for v in c.batch.column("a").to_pylist()] == list(range(330))


def test_glob_and_folder_are_sorted_and_skip_hidden_files(tmp_path: Path) -> None:
    for name in ("b.csv", "a.csv", "_SUCCESS.csv", ".hidden.csv"):
        (tmp_path / name).write_text("a\n1\n")

    assert [f.path.name for f in discover_inputs(tmp_path)] == ["a.csv", "b.csv"]
    assert [f.path.name for f in discover_inputs(str(tmp_path / "[ab].csv"))] == ["a.csv", "b.csv"]
    assert discover_inputs(tmp_path / "a.csv")[0].format is InputFormat.CSV


def test_no_match_and_unknown_format_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequest, match="no input files"):
        discover_inputs(str(tmp_path / "*.parquet"))
    (tmp_path / "data.txt").write_text("a\n")
    with pytest.raises(InvalidRequest, match="--input-format"):
        discover_inputs(tmp_path / "data.txt")
    assert discover_inputs(tmp_path / "data.txt", InputFormat.CSV)[0].format is InputFormat.CSV


def test_csv_text_columns_survive_a_bad_value_far_into_the_file(tmp_path: Path) -> None:
    lines = ["x,name"] + [f"{i}.5,n{i}" for i in range(500_000)]
    lines[450_001] = "oops,n450000"  # beyond the first 4 MB block the CSV parser types from
    (tmp_path / "big.csv").write_text("\n".join(lines) + "\n")
    files = discover_inputs(tmp_path / "big.csv")

    chunks = list(read_chunks(files, batch_size=150_000, text_columns={"x"}))

    assert chunks[3].batch.column("x")[0].as_py() == "oops"
    with pytest.raises(InvalidInput, match=r"big\.csv"):
        list(read_chunks(files, batch_size=150_000))


def test_jsonl_with_mixed_types_and_missing_keys(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_text('{"x": 1.5, "id": 1}\n\n{"x": "abc", "id": 2}\n{"id": 3}\n')

    (chunk,) = read_chunks(discover_inputs(tmp_path / "in.jsonl"), batch_size=10)

    assert chunk.batch.to_pylist() == [
        {"x": "1.5", "id": 1},
        {"x": "abc", "id": 2},
        {"x": None, "id": 3},
    ]


def test_jsonl_line_that_is_not_json_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_text('{"x": 1}\n{"x": \n')

    with pytest.raises(InvalidInput, match="line 2"):
        list(read_chunks(discover_inputs(tmp_path / "in.jsonl"), batch_size=10))


def test_reading_parquet_does_not_hold_the_rows_already_read(tmp_path: Path) -> None:
    rows = 400_000
    table = pa.table({f"x{i}": np.arange(rows, dtype=np.float64) for i in range(4)})  # 12.8 MB
    pq.write_table(table, tmp_path / "big.parquet", row_group_size=10_000)
    baseline = pa.total_allocated_bytes()
    peak = 0
    for chunk in read_chunks(discover_inputs(tmp_path / "big.parquet"), batch_size=10_000):
        peak = max(peak, pa.total_allocated_bytes() - baseline)
        del chunk

    assert peak < table.nbytes // 4
