"""A version's drift reference read straight from its model directory (no model loaded).

A server takes the reference from the loaded version (``LoadedModel.sample_features``); the CLI and
batch runs read it here: the ``MLmodel`` signature and the registration sample kept beside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from modelport.errors import InvalidInput, NoReference
from modelport.inference.drift.bins import ReferenceBins
from modelport.model_format import read_mlmodel
from modelport.runtime import SAMPLE_FILE, InputSchema

if TYPE_CHECKING:
    from modelport.runtime import Features
    from modelport.settings import DriftSettings

__all__ = ["no_reference", "reference_bins", "reference_from_dir"]


def no_reference(what: str) -> NoReference:
    return NoReference(
        f"{what} kept no sample at registration: there is no reference to compare its inputs with "
        "(register it with --sample)"
    )


def reference_bins(sample: Features | None, settings: DriftSettings, *, what: str) -> ReferenceBins:
    """Bins fixed from ``sample``; ``NoReference`` (naming ``what``) when there is no sample."""
    if sample is None or sample.n_rows == 0:
        raise no_reference(what)
    return ReferenceBins.from_features(sample, n_bins=settings.bins, max_categories=settings.max_categories)


def reference_from_dir(model_dir: Path, settings: DriftSettings, *, what: str) -> ReferenceBins:
    """The reference of the MLflow model in ``model_dir`` (its signature and its registration sample)."""
    schema = InputSchema(read_mlmodel(model_dir).columns)
    path = model_dir / SAMPLE_FILE
    sample: Features | None = None
    if path.is_file():
        try:
            table = pq.ParquetFile(path).read()
            sample, _rejected = schema.from_arrow(table.select([n for n in table.column_names if n in schema.names]))
        except (OSError, pa.ArrowException, InvalidInput):
            sample = None
    return reference_bins(sample, settings, what=what)
