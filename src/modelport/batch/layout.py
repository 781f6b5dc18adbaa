"""The shape of batch output: which input columns are kept, then ``prediction``, then ``proba_<class>``.

One probability column per class, named ``proba_`` + the class label as text (``proba_0``, ``proba_yes``),
in the order of the model's classes. Rejected rows go to their own table: ``row`` (global, 0-based input
row number), the id column when there is one, ``column`` and ``reason``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from modelport.errors import InvalidRequest
from modelport.model_format import BadRow
from modelport.runtime.arrow_bridge import from_numpy

__all__ = ["KEEP_ALL", "OutputLayout", "parse_keep"]

KEEP_ALL = "all"
PREDICTION = "prediction"
PROBA_PREFIX = "proba_"


def parse_keep(text: str | None, id_column: str | None) -> tuple[str, ...] | str:
    """``--keep`` as given (``all``, ``none``, ``a,b``; default: the id column) -> ``KEEP_ALL`` or names."""
    if text is None:
        return (id_column,) if id_column else ()
    if text.strip() == KEEP_ALL:
        return KEEP_ALL
    if text.strip() == "none":
        return ()
    names = [name.strip() for name in text.split(",") if name.strip()]
    if id_column and id_column not in names:
        names.insert(0, id_column)
    return tuple(names)


@dataclass(frozen=True)
class OutputLayout:
    """Builds output and rejected-row batches; ``keep`` is ``KEEP_ALL`` or a tuple of input column names."""

    keep: tuple[str, ...] | str
    id_column: str | None
    classes: tuple[Any, ...] | None

    def check(self, input_columns: Sequence[str]) -> None:
        """Refuse kept or id columns the input does not have, naming them."""
        wanted = [] if self.keep == KEEP_ALL else list(self.keep)
        if self.id_column:
            wanted.append(self.id_column)
        missing = [name for name in dict.fromkeys(wanted) if name not in input_columns]
        if missing:
            raise InvalidRequest(
                f"column(s) {', '.join(missing)} asked for by --keep/--id are not in the input",
                details=[BadRow(None, name, "not in input") for name in missing],
            )

    def scored(
        self,
        rows: pa.RecordBatch,
        predictions: np.ndarray[Any, Any],
        probabilities: np.ndarray[Any, Any] | None,
    ) -> pa.RecordBatch:
        """Kept columns of ``rows`` + predictions (+ probabilities), one output row per input row."""
        names = list(rows.schema.names) if self.keep == KEEP_ALL else list(self.keep)
        arrays = [rows.column(name) for name in names]
        names.append(PREDICTION)
        arrays.append(from_numpy(np.asarray(predictions).ravel()))
        if probabilities is not None and self.classes is not None:
            for position, label in enumerate(self.classes):
                names.append(f"{PROBA_PREFIX}{label}")
                arrays.append(from_numpy(np.asarray(probabilities[:, position], dtype=np.float64)))
        return pa.RecordBatch.from_arrays(arrays, names=names)

    def rejected(self, rows: pa.RecordBatch, rejections: Sequence[BadRow], first_row: int) -> pa.RecordBatch:
        """One line per rejected row; ``rejections`` rows are positions in ``rows``, one per row."""
        positions = np.array([r.index for r in rejections], dtype=np.int64)
        names = ["row"]
        arrays: list[pa.Array] = [from_numpy(positions + first_row)]
        if self.id_column:
            names.append(self.id_column)
            arrays.append(rows.column(self.id_column).take(from_numpy(positions)))
        names += ["column", "reason"]
        arrays.append(_strings([r.column for r in rejections]))
        arrays.append(_strings([r.problem for r in rejections]))
        return pa.RecordBatch.from_arrays(arrays, names=names)


def _strings(values: list[str | None]) -> pa.Array:
    # Most batches reject nothing; pa.array([]) would import pandas (~0.3 s) for nothing.
    return pa.array(values, pa.string()) if values else pa.nulls(0, pa.string())
