"""Validated model input: typed columns in signature order, viewable as a matrix or a DataFrame."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import DTypeLike

if TYPE_CHECKING:
    import pandas as pd

if TYPE_CHECKING:
    from modelport.runtime.schema import InputSchema

__all__ = ["Features"]


class Features:
    """Rows that passed an :class:`InputSchema`; build them with the schema's ``from_*`` methods.

    Immutable by convention: predictors and the batcher share instances across threads.
    """

    __slots__ = ("_columns", "_matrix", "n_rows", "schema")

    def __init__(
        self,
        schema: InputSchema,
        columns: dict[str, np.ndarray],
        n_rows: int,
        *,
        matrix: np.ndarray | None = None,
    ) -> None:
        self.schema = schema
        self.n_rows = n_rows
        self._columns = columns
        self._matrix = matrix

    def __repr__(self) -> str:
        return f"Features(n_rows={self.n_rows}, columns={list(self._columns)})"

    @property
    def columns(self) -> dict[str, np.ndarray]:
        """One 1-D array per signature column, in signature order."""
        return dict(self._columns)

    @property
    def matrix(self) -> np.ndarray:
        """A C-contiguous 2-D array (float32 when every column is ``float``, else float64).

        Only for all-numeric schemas; booleans become 0/1, nulls of optional columns NaN.
        """
        if self._matrix is None:
            all_float32 = all(c.dtype == "float" for c in self.schema.columns)
            self._matrix = self._fill(np.dtype(np.float32 if all_float32 else np.float64))
        return self._matrix

    def matrix_as(self, dtype: DTypeLike) -> np.ndarray:
        """:attr:`matrix` in ``dtype`` (the model's input tensor type), built in one pass.

        Filling a float32 matrix straight from float64 columns rounds each value exactly as casting the
        float64 matrix would, without a second full copy of every batch.
        """
        wanted = np.dtype(dtype)
        if self._matrix is not None:
            return np.ascontiguousarray(self._matrix, dtype=wanted)
        return self._fill(wanted)

    def _fill(self, dtype: np.dtype[Any]) -> np.ndarray:
        if not self.schema.all_numeric:
            raise ValueError("matrix is only available when every column is numeric")
        out = np.empty((self.n_rows, len(self._columns)), dtype=dtype)
        for j, values in enumerate(self._columns.values()):
            out[:, j] = values
        return out

    def to_pandas(self) -> pd.DataFrame:
        """A DataFrame in signature order with the signature's dtypes (strings as ``object``)."""
        import pandas as pd

        return pd.DataFrame(self._columns, copy=False)

    def slice(self, start: int, stop: int) -> Features:
        """Rows ``start:stop`` (views, no copy)."""
        start, stop, _ = slice(start, stop).indices(self.n_rows)
        cols = {name: values[start:stop] for name, values in self._columns.items()}
        return Features(self.schema, cols, max(0, stop - start))

    def take(self, rows: np.ndarray) -> Features:
        """The rows selected by an index or boolean mask array."""
        cols = {name: values[rows] for name, values in self._columns.items()}
        n_rows = int(rows.sum()) if rows.dtype == np.bool_ else len(rows)
        return Features(self.schema, cols, n_rows)

    @staticmethod
    def concat(parts: Sequence[Features]) -> Features:
        """Rows of every part, in order; all parts must come from the same schema."""
        if not parts:
            raise ValueError("concat needs at least one Features")
        if len(parts) == 1:
            return parts[0]
        schema = parts[0].schema
        if any(p.schema is not schema and p.schema != schema for p in parts):
            raise ValueError("cannot concat Features of different schemas")
        # An optional column may be int64 in one part and float64 (NaN nulls) in another: numpy
        # promotes to float64, as pandas would.
        cols = {name: np.concatenate([p._columns[name] for p in parts]) for name in schema.names}
        return Features(schema, cols, sum(p.n_rows for p in parts))
