"""Scoring one chunk of input into one part of output: the unit of parallelism and of checkpointing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from modelport.batch.coercion import coerce_batch
from modelport.batch.layout import OutputLayout
from modelport.batch.scorer import Scorer
from modelport.model_format import BadRow
from modelport.runtime.arrow_bridge import from_numpy

__all__ = ["ScoredPart", "score_batch", "scorer_input"]


@dataclass(frozen=True)
class ScoredPart:
    """Output rows of a batch and its rejected rows (``row`` = position in the batch), in input order."""

    output: pa.RecordBatch
    rejected: pa.RecordBatch
    first_rejection: BadRow | None


def score_batch(batch: pa.RecordBatch, scorer: Scorer, layout: OutputLayout, *, first_row: int) -> ScoredPart:
    """Cast, score and lay out ``batch``; rows that fail the cast or the scorer's checks are rejected."""
    coerced, kept, cast_rejections = _cast(batch, scorer.input_types)
    scores = scorer.score(_take(coerced, kept))
    # The scorer numbers rows within the batch it was given; bring them back to positions in ``batch``.
    score_rejections = [r.at(int(kept[r.index])) for r in scores.rejected]
    scored_rows = _without(kept, {r.index for r in score_rejections})
    if len(scores.predictions) != len(scored_rows):
        raise RuntimeError(f"scorer returned {len(scores.predictions)} predictions for {len(scored_rows)} valid rows")
    rejections = _merge([*cast_rejections, *score_rejections])
    # Kept columns come from the cast batch: a feature read from CSV as text is written as its number.
    output = layout.scored(
        coerced.take(from_numpy(scored_rows)) if len(scored_rows) < batch.num_rows else coerced,
        scores.predictions,
        scores.probabilities,
    )
    first = None
    if rejections:
        first = rejections[0].at(rejections[0].index + first_row)
    return ScoredPart(output, layout.rejected(batch, rejections, first_row), first)


def scorer_input(batch: pa.RecordBatch, types: Mapping[str, pa.DataType]) -> pa.RecordBatch:
    """What ``score_batch`` gives the scorer of ``batch``: the rows that cast to ``types``, cast.

    Drift counts exactly these rows (the local engine's ``DriftScorer`` wraps the scorer; the Spark
    engine counts ``scorer_input`` in its tasks), so both engines give the same numbers.
    """
    coerced, kept, _ = _cast(batch, types)
    return _take(coerced, kept)


def _cast(
    batch: pa.RecordBatch, types: Mapping[str, pa.DataType]
) -> tuple[pa.RecordBatch, np.ndarray[tuple[int], np.dtype[np.int64]], list[BadRow]]:
    coerced, rejections = coerce_batch(batch, types)
    return coerced, _without(np.arange(batch.num_rows), {r.index for r in rejections}), rejections


def _take(batch: pa.RecordBatch, positions: np.ndarray[tuple[int], np.dtype[np.int64]]) -> pa.RecordBatch:
    return batch.take(from_numpy(positions)) if len(positions) < batch.num_rows else batch


def _without(
    positions: np.ndarray[tuple[int], np.dtype[np.int64]], drop: set[int]
) -> np.ndarray[tuple[int], np.dtype[np.int64]]:
    if not drop:
        return positions
    return positions[~np.isin(positions, np.fromiter(drop, dtype=np.int64))]


def _merge(rejections: list[BadRow]) -> list[BadRow]:
    """One rejection per row, in row order; several problems of one row are joined into one reason."""
    by_row: dict[int, list[BadRow]] = defaultdict(list)
    for rejection in rejections:
        by_row[rejection.index].append(rejection)
    merged = []
    for row in sorted(by_row):
        found = by_row[row]
        columns = [r.column for r in found if r.column]
        reason = "; ".join(f"{r.column}: {r.problem}" if r.column else r.problem for r in found)
        merged.append(BadRow(row, columns[0] if len(set(columns)) == 1 else None, reason))
    return merged
