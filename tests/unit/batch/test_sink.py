"""Output streams: parts appended in order, one CSV header, types unified, nothing under the name until commit."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from modelport.batch.sink import OutputStream, part_suffix, write_part
from modelport.batch.source import InputFormat
from modelport.errors import InvalidRequest


def _parts(tmp_path: Path, fmt: InputFormat, *batches: pa.RecordBatch) -> list[Path]:
    paths = [tmp_path / f"part-{i}{part_suffix(fmt)}" for i in range(len(batches))]
    for batch, path in zip(batches, paths, strict=True):
        write_part(batch, path, fmt)
    return paths


def _batch(ids: list[int], id_type: pa.DataType | None = None) -> pa.RecordBatch:
    return pa.record_batch(
        [pa.array(ids, id_type or pa.int64()), pa.array([i / 2 for i in ids])], names=["id", "prediction"]
    )


@pytest.mark.parametrize("fmt", [InputFormat.PARQUET, InputFormat.CSV])
def test_parts_are_appended_in_order_and_appear_only_at_commit(tmp_path: Path, fmt: InputFormat) -> None:
    target = tmp_path / f"out.{fmt.value}"
    stream = OutputStream(target, tmp_path / "out.tmp", fmt, empty_schema=pa.schema([]))
    for part in _parts(tmp_path, fmt, _batch([1, 2]), _batch([3]), _batch([4, 5])):
        stream.append(part)
        assert not target.exists()
    stream.commit()
    table = pq.read_table(target) if fmt is InputFormat.PARQUET else pcsv.read_csv(target)
    assert table.column("id").to_pylist() == [1, 2, 3, 4, 5]
    assert table.column("prediction").to_pylist() == [0.5, 1.0, 1.5, 2.0, 2.5]
    assert not (tmp_path / "out.tmp").exists()


def test_parquet_parts_of_other_types_are_cast_or_refused(tmp_path: Path) -> None:
    clash_batch = pa.record_batch([pa.array(["x"]), pa.array([1.0])], names=["id", "prediction"])
    first, castable, clash = _parts(tmp_path, InputFormat.PARQUET, _batch([1]), _batch([2], pa.int32()), clash_batch)
    target = tmp_path / "out.parquet"
    stream = OutputStream(target, tmp_path / "out.tmp", InputFormat.PARQUET, empty_schema=pa.schema([]))
    stream.append(first)
    stream.append(castable)
    with pytest.raises(InvalidRequest, match="disagree on column types"):
        stream.append(clash)
    stream.abort()
    assert not (tmp_path / "out.tmp").exists()
    assert not target.exists()


@pytest.mark.parametrize("fmt", [InputFormat.PARQUET, InputFormat.CSV])
def test_an_output_without_parts_has_the_empty_schema(tmp_path: Path, fmt: InputFormat) -> None:
    target = tmp_path / f"out.{fmt.value}"
    schema = pa.schema([("id", pa.string()), ("prediction", pa.null())])
    OutputStream(target, tmp_path / "out.tmp", fmt, empty_schema=schema).commit()
    if fmt is InputFormat.PARQUET:
        assert pq.read_table(target).schema.names == ["id", "prediction"]
    else:
        assert target.read_text().strip() == '"id","prediction"'
