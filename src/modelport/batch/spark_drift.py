"""Feature drift of a Spark run: bin counts made in the tasks, summed by Spark, never the rows collected.

Each task counts its Arrow batches of the input's signature columns into the reference bins: the
rows ``score_batch`` would give the model (``scorer_input``: cast to the model's types, rows that do
not cast left out), through the local engine's own ``count_batch`` — so both engines count the same
rows the same way. It yields one small batch: a row per non-empty bin, and one (``feature`` null)
with its row count. Spark sums them by feature and bin; the driver collects at most
one row per feature and bin and builds the report as the local engine does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from modelport.batch.drift import batch_drift_report, count_batch
from modelport.batch.part import scorer_input

if TYPE_CHECKING:
    from modelport.inference.drift import DriftReport, ReferenceBins
    from modelport.settings import DriftSettings

__all__ = ["spark_drift"]

_COUNTS = pa.schema([("feature", pa.string()), ("bin", pa.int32()), ("count", pa.int64())])


def spark_drift(
    frame: Any,
    reference: ReferenceBins,
    settings: DriftSettings,
    *,
    input_types: Mapping[str, pa.DataType],
    started: datetime,
    model: str,
    version: str,
) -> DriftReport:
    """The drift of the rows of ``frame`` (the run's input DataFrame) a scorer of ``input_types`` is given."""
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    names = [b.name for b in reference.features if b.name in frame.columns]
    counted = frame.select(*names).mapInArrow(_bin_counts(reference, input_types), from_arrow_schema(_COUNTS))
    totals = counted.groupBy("feature", "bin").agg(F.sum("count").alias("count")).collect()
    counts = reference.empty()
    rows = 0
    for feature, index, count in totals:
        if feature is None:
            rows = int(count)
        else:
            counts[feature][index] += int(count)
    return batch_drift_report(reference, counts, rows, started, settings, model=model, version=version)


def _bin_counts(
    reference: ReferenceBins, input_types: Mapping[str, pa.DataType]
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function: one task's batches in, its bin counts out."""

    def count(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        totals = reference.empty()
        rows = 0
        types = dict(input_types)
        for batch in batches:
            given = scorer_input(batch, types)
            for name, values in count_batch(reference, given).items():
                totals[name] += values
            rows += given.num_rows
        features: list[str | None] = [None]
        bins, counts = [0], [rows]
        for name, values in totals.items():
            (nonzero,) = np.nonzero(values)
            features += [name] * len(nonzero)
            bins += nonzero.tolist()
            counts += values[nonzero].tolist()
        yield pa.RecordBatch.from_arrays(
            [pa.array(features, pa.string()), pa.array(bins, pa.int32()), pa.array(counts, pa.int64())],
            schema=_COUNTS,
        )

    return count
