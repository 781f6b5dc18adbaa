"""Reading the ``--sample`` file a version keeps for signature inference, parity checks and warm-up."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from modelport.errors import InvalidSample
from modelport.types import SAMPLE_FILENAME

__all__ = ["SAMPLE_FILENAME", "read_sample"]


def read_sample(path: Path, max_rows: int) -> pd.DataFrame:
    """The first ``max_rows`` rows of a CSV or Parquet file, read without loading the rest."""
    if not path.is_file():
        raise InvalidSample(f"sample file not found: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            batches = pq.ParquetFile(path).iter_batches(batch_size=max_rows)
            table = pa.Table.from_batches([next(batches)])
        elif suffix in (".csv", ".txt"):
            reader = pacsv.open_csv(path)
            chunks, rows = [], 0
            for chunk in reader:
                chunks.append(chunk)
                rows += chunk.num_rows
                if rows >= max_rows:
                    break
            table = pa.Table.from_batches(chunks)
        else:
            raise InvalidSample(f"sample {path.name}: use a .csv or .parquet file")
    except (pa.ArrowInvalid, StopIteration, OSError, UnicodeDecodeError) as exc:
        raise InvalidSample(f"cannot read sample {path}: {exc}") from exc
    frame: pd.DataFrame = table.slice(0, max_rows).to_pandas()
    if frame.empty or not len(frame.columns):
        raise InvalidSample(f"sample {path} has no rows")
    return frame
