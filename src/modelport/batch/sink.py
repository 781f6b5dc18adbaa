"""Writing batch output: part files while a run goes, and the final file, appended part by part in order.

A part is the checkpoint of one scored chunk: written by a worker thread, then appended to the final file by
the engine as soon as every earlier part is done, so no pass over the whole output is left for the end of the
run. Parquet output keeps its parts as Arrow IPC files (written and read back without encoding; the final file
is encoded once); CSV and JSON Lines parts are already in the output's bytes and are copied.

Every file appears under its name by ``os.replace`` of a finished temporary file, so a reader (or a restarted
run) never sees a half-written part or output. A killed run leaves only its work folder behind; its restart
appends every part again, the ones from before the kill included.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from modelport.batch.source import InputFormat
from modelport.errors import InvalidRequest

__all__ = ["OutputStream", "part_suffix", "write_part"]

_IPC_SUFFIX = ".arrow"


def part_suffix(fmt: InputFormat) -> str:
    """The file suffix of the parts of an output in ``fmt``."""
    return _IPC_SUFFIX if fmt is InputFormat.PARQUET else f".{fmt.value}"


def write_part(batch: pa.RecordBatch, path: Path, fmt: InputFormat) -> None:
    """Write one part of an output in ``fmt`` (CSV parts carry their header; the output keeps the first)."""
    temporary = path.with_name(path.name + ".tmp")
    if fmt is InputFormat.PARQUET:
        with pa.OSFile(str(temporary), "wb") as sink, pa.ipc.new_file(sink, batch.schema) as writer:
            writer.write_batch(batch)
    elif fmt is InputFormat.CSV:
        pcsv.write_csv(pa.Table.from_batches([batch]), temporary)
    else:
        _write_jsonl(pa.Table.from_batches([batch]), temporary)
    os.replace(temporary, path)


class OutputStream:
    """The final output of a run, built from its parts in order; ``commit`` renames it into place at once.

    ``temporary`` must be on the same file system as ``target``. ``empty_schema`` is what an output
    without any part holds.
    """

    def __init__(self, target: Path, temporary: Path, fmt: InputFormat, *, empty_schema: pa.Schema) -> None:
        self.target = target
        self.parts = 0
        self._temporary = temporary
        self._format = fmt
        self._empty_schema = empty_schema
        self._file: BinaryIO | None = None
        self._parquet: pq.ParquetWriter | None = None

    def append(self, part: Path) -> None:
        """Append a part written by :func:`write_part` for this output's format."""
        if self._format is InputFormat.PARQUET:
            self._append_ipc(part)
        else:
            out = self._file or self._temporary.open("wb")
            self._file = out
            with part.open("rb") as source:
                if self.parts and self._format is InputFormat.CSV:
                    source.readline()
                shutil.copyfileobj(source, out, 1 << 20)
        self.parts += 1

    def commit(self) -> None:
        """Finish the file and give it its final name."""
        if self._format is InputFormat.PARQUET:
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self._temporary, self._empty_schema)
            self._parquet.close()
        else:
            out = self._file or self._temporary.open("wb")
            if not self.parts and self._format is InputFormat.CSV:
                pcsv.write_csv(self._empty_schema.empty_table(), out)
            out.flush()
            os.fsync(out.fileno())
            out.close()
        os.replace(self._temporary, self.target)

    def abort(self) -> None:
        """Drop the unfinished file (a failed run; a restart appends every part again)."""
        if self._parquet is not None:
            self._parquet.close()
        if self._file is not None:
            self._file.close()
        self._temporary.unlink(missing_ok=True)

    def _append_ipc(self, part: Path) -> None:
        with pa.memory_map(str(part)) as source:
            self._write_table(pa.ipc.open_file(source).read_all(), part)

    def _write_table(self, table: pa.Table, part: Path) -> None:
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self._temporary, table.schema)
        elif table.schema != self._parquet.schema:
            try:
                table = table.cast(self._parquet.schema)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise InvalidRequest(
                    f"input files disagree on column types ({exc}); keep fewer columns or convert them",
                    details=[{"part": part.name}],
                ) from exc
        self._parquet.write_table(table)


def _write_jsonl(table: pa.Table, path: Path) -> None:
    # pandas' JSON writer is native code; it writes NaN as null, which is what JSON readers expect.
    frame = table.to_pandas()
    text = frame.to_json(orient="records", lines=True, date_format="iso") if len(frame) else ""
    with path.open("w", encoding="utf-8") as out:
        out.write(text or "")
        if text and not text.endswith("\n"):
            out.write("\n")
