"""Feature drift of a batch run: every scored batch counted into the bins of the version's reference.

``DriftScorer`` wraps the run's scorer: each batch is scored, then its signature columns are counted
(numpy, in the worker thread that scored it) into the bins fixed from the registration sample. The
run summary's ``drift`` section is the same ``DriftReport`` a server gives, over the rows this
invocation scored (parts resumed from a checkpoint were counted by the invocation that scored them).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from modelport.errors import NoReference
from modelport.inference.drift import DriftReport, DriftWindow, ReferenceBins, build_report, reference_from_dir
from modelport.runtime.arrow_bridge import to_numpy

if TYPE_CHECKING:
    from pathlib import Path

    from modelport.batch.scorer import Scorer, Scores
    from modelport.settings import DriftSettings

__all__ = ["DriftScorer", "drift_scorer"]


def drift_scorer(scorer: Scorer, model_dir: Path, settings: DriftSettings, *, what: str) -> DriftScorer | None:
    """``scorer`` counting drift against the sample kept in ``model_dir``; None when drift is off or no sample."""
    if not settings.enabled:
        return None
    try:
        reference = reference_from_dir(model_dir, settings, what=what)
    except NoReference:
        return None
    return DriftScorer(scorer, reference, settings)


class DriftScorer:
    """A ``Scorer`` that also counts the inputs it scores against ``reference``; thread-safe."""

    def __init__(self, scorer: Scorer, reference: ReferenceBins, settings: DriftSettings) -> None:
        self._scorer = scorer
        self._reference = reference
        self._settings = settings
        self._lock = threading.Lock()
        self._counts = reference.empty()
        self._rows = 0
        self._started = datetime.now(UTC)

    @property
    def input_types(self) -> Mapping[str, pa.DataType]:
        return self._scorer.input_types

    @property
    def classes(self) -> Sequence[Any] | None:
        return self._scorer.classes

    def score(self, batch: pa.RecordBatch) -> Scores:
        scores = self._scorer.score(batch)
        names = batch.schema.names
        counted = {
            bins.name: bins.count(_numpy(batch.column(bins.name)))
            for bins in self._reference.features
            if bins.name in names
        }
        with self._lock:
            for name, values in counted.items():
                self._counts[name] += values
            self._rows += batch.num_rows
        return scores

    def report(self, *, model: str, version: str) -> DriftReport:
        """The drift of everything scored so far against the version's reference."""
        end = datetime.now(UTC)
        with self._lock:
            counts = {name: values.copy() for name, values in self._counts.items()}
            rows = self._rows
        window = DriftWindow((end - self._started).total_seconds(), self._started, end, rows, self._reference.rows)
        return build_report(
            self._reference,
            counts,
            deployment="batch",
            model=model,
            version=version,
            window=window,
            threshold=self._settings.threshold,
            min_rows=self._settings.min_rows,
        )


def _numpy(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    # The runtime's bridge: Arrow's own to_numpy imports pandas (~0.3 s), which a numeric batch run never
    # needs. Nulls of numeric columns become NaN and land in the missing bin, like a null in a request.
    return to_numpy(column)
