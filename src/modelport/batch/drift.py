"""Feature drift of a batch run: every scored batch counted into the bins of the version's reference.

``DriftScorer`` wraps the local engine's scorer: each batch is scored, then its signature columns are
counted (numpy, in the worker thread that scored it) into the bins fixed from the registration
sample — the rows ``score_batch`` gives the model, cast. The Spark engine counts the same rows
(``part.scorer_input``) with the same ``count_batch`` in its tasks (``batch.spark_drift``). Either
way the run summary's ``drift`` section is the same ``DriftReport`` a server gives, over the rows
this invocation scored (parts resumed from a checkpoint were counted by the invocation that scored
them).
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

__all__ = ["DriftScorer", "batch_drift_report", "count_batch", "drift_reference", "drift_scorer"]


def drift_reference(model_dir: Path, settings: DriftSettings, *, what: str) -> ReferenceBins | None:
    """The bins of the sample kept in ``model_dir``; None when drift is off or there is no sample."""
    if not settings.enabled:
        return None
    try:
        return reference_from_dir(model_dir, settings, what=what)
    except NoReference:
        return None


def drift_scorer(scorer: Scorer, model_dir: Path, settings: DriftSettings, *, what: str) -> DriftScorer | None:
    """``scorer`` counting drift against the sample kept in ``model_dir``; None when drift is off or no sample."""
    reference = drift_reference(model_dir, settings, what=what)
    return None if reference is None else DriftScorer(scorer, reference, settings)


def count_batch(reference: ReferenceBins, batch: pa.RecordBatch) -> dict[str, np.ndarray]:
    """``batch``'s counts per bin of every reference feature it has."""
    names = batch.schema.names
    return {b.name: b.count(_numpy(batch.column(b.name))) for b in reference.features if b.name in names}


def batch_drift_report(
    reference: ReferenceBins,
    counts: Mapping[str, np.ndarray],
    rows: int,
    started: datetime,
    settings: DriftSettings,
    *,
    model: str,
    version: str,
) -> DriftReport:
    """The run's drift: ``counts`` of ``rows`` rows scored since ``started`` against ``reference``."""
    end = datetime.now(UTC)
    window = DriftWindow((end - started).total_seconds(), started, end, rows, reference.rows)
    return build_report(
        reference,
        counts,
        deployment="batch",
        model=model,
        version=version,
        window=window,
        threshold=settings.threshold,
        min_rows=settings.min_rows,
    )


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
        counted = count_batch(self._reference, batch)
        with self._lock:
            for name, values in counted.items():
                self._counts[name] += values
            self._rows += batch.num_rows
        return scores

    def report(self, *, model: str, version: str) -> DriftReport:
        """The drift of everything scored so far against the version's reference."""
        with self._lock:
            counts = {name: values.copy() for name, values in self._counts.items()}
            rows = self._rows
        return batch_drift_report(
            self._reference, counts, rows, self._started, self._settings, model=model, version=version
        )


def _numpy(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    # The runtime's bridge: Arrow's own to_numpy imports pandas (~0.3 s), which a numeric batch run never
    # needs. Nulls of numeric columns become NaN and land in the missing bin, like a null in a request.
    return to_numpy(column)
