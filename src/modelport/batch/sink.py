"""Writing batch output: part files while a run goes, then the final file, assembled and renamed at once.

Every file appears under its name by ``os.replace`` of a finished temporary file in the same folder, so a
reader (or a restarted run) never sees a half-written part or output.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from modelport.batch.source import InputFormat
from modelport.errors import InvalidRequest

__all__ = ["assemble", "write_part"]


def write_part(batch: pa.RecordBatch, path: Path, fmt: InputFormat) -> None:
    """Write one part (CSV parts carry their header; assembly keeps only the first one)."""
    temporary = path.with_name(path.name + ".tmp")
    table = pa.Table.from_batches([batch])
    if fmt is InputFormat.PARQUET:
        pq.write_table(table, temporary)
    elif fmt is InputFormat.CSV:
        pcsv.write_csv(table, temporary)
    else:
        _write_jsonl(table, temporary)
    os.replace(temporary, path)


def assemble(parts: Sequence[Path], target: Path, fmt: InputFormat, *, empty_schema: pa.Schema) -> None:
    """Concatenate ``parts`` (in order) into ``target`` atomically; ``empty_schema`` if there are none."""
    temporary = target.with_name(target.name + ".modelport-tmp")
    if fmt is InputFormat.PARQUET:
        _assemble_parquet(parts, temporary, empty_schema)
    else:
        with temporary.open("wb") as out:
            if not parts and fmt is InputFormat.CSV:
                pcsv.write_csv(empty_schema.empty_table(), out)
            for position, part in enumerate(parts):
                with part.open("rb") as source:
                    if position and fmt is InputFormat.CSV:
                        source.readline()
                    shutil.copyfileobj(source, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
    os.replace(temporary, target)


def _assemble_parquet(parts: Sequence[Path], temporary: Path, empty_schema: pa.Schema) -> None:
    schema = pq.read_schema(parts[0]) if parts else empty_schema
    with pq.ParquetWriter(temporary, schema) as writer:
        for part in parts:
            # One part at a time: memory stays at one part whatever the output size. ParquetFile, not
            # read_table: the latter imports pyarrow.dataset, and with it pandas (~0.3 s).
            table = pq.ParquetFile(part).read()
            if table.schema != schema:
                try:
                    table = table.cast(schema)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                    raise InvalidRequest(
                        f"input files disagree on column types ({exc}); keep fewer columns or convert them",
                        details=[{"part": part.name}],
                    ) from exc
            writer.write_table(table)


def _write_jsonl(table: pa.Table, path: Path) -> None:
    # pandas' JSON writer is native code; it writes NaN as null, which is what JSON readers expect.
    frame = table.to_pandas()
    text = frame.to_json(orient="records", lines=True, date_format="iso") if len(frame) else ""
    with path.open("w", encoding="utf-8") as out:
        out.write(text or "")
        if text and not text.endswith("\n"):
            out.write("\n")
