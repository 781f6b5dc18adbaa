"""A model's input schema and the strict conversion of every input shape into :class:`Features`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from modelport.errors import InvalidInput, InvalidSource
from modelport.model_format import NUMERIC_TYPES, NUMPY_DTYPES, BadRow
from modelport.runtime._coerce import MISSING, coerce_column
from modelport.runtime.arrow_bridge import to_numpy
from modelport.runtime.features import Features
from modelport.types import ColumnSpec

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ColumnSpec", "InputSchema"]

#: Enough to fix a request; a million-row batch must not produce a million-entry error body.
MAX_DETAILS = 20


@dataclass(frozen=True)
class InputSchema:
    """The columns a model accepts, in signature order."""

    columns: tuple[ColumnSpec, ...]
    names: tuple[str, ...] = field(init=False, compare=False)
    all_numeric: bool = field(init=False, compare=False)
    _all_real: bool = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        for col in self.columns:
            if col.dtype not in NUMPY_DTYPES:
                raise InvalidSource(f"column {col.name!r} has unsupported type {col.dtype!r}")
        object.__setattr__(self, "names", tuple(c.name for c in self.columns))
        object.__setattr__(self, "all_numeric", all(c.dtype in NUMERIC_TYPES for c in self.columns))
        object.__setattr__(self, "_all_real", all(c.dtype in ("double", "float") for c in self.columns))

    @classmethod
    def from_mlflow_signature(cls, signature: Any) -> InputSchema:
        """Build from an ``mlflow.models.ModelSignature`` with a column-based input schema."""
        inputs = getattr(signature, "inputs", None)
        if inputs is None or not inputs.has_input_names() or inputs.is_tensor_spec():
            raise InvalidSource("the model signature must be column-based with named inputs")
        specs = []
        for col in inputs.inputs:
            dtype = getattr(col.type, "name", str(col.type))
            specs.append(ColumnSpec(col.name, dtype, bool(getattr(col, "required", True))))
        return cls(tuple(specs))

    # -- strict entry points (online requests) ---------------------------------------------------

    def from_records(self, records: Sequence[Mapping[str, Any]]) -> Features:
        """Rows as ``{column: value}`` objects (``dataframe_records``, ``/predict``)."""
        fast = self._real_records(records)
        if fast is not None:
            return fast
        known = set(self.names)
        cols: dict[str, list[Any]] = {name: [] for name in self.names}
        row_errors: list[BadRow] = []
        for row, record in enumerate(records):
            if not isinstance(record, Mapping):
                row_errors.append(BadRow(row, None, "expected an object of column values"))
                record = {}
            elif len(record) != len(known) or not known.issuperset(record):
                row_errors.extend(BadRow(row, str(k), "unexpected column") for k in record if k not in known)
            for name, values in cols.items():
                values.append(record.get(name, MISSING))
        return self._build(cols, len(records), row_errors, strict=True)[0]

    def _real_records(self, records: Sequence[Mapping[str, Any]]) -> Features | None:
        """The hot path: all-float schemas fed clean JSON numbers go straight into the matrix.

        Anything unusual (a missing key, a bool, a string, a NaN) returns None and takes the
        general path, which names the problem.
        """
        if not self._all_real:
            return None
        names = self.names
        flat: list[Any] = []
        for record in records:
            if type(record) is not dict or len(record) != len(names):
                return None
            for name in names:
                value = record.get(name)
                if type(value) is not float and type(value) is not int:
                    return None
                flat.append(value)
        matrix = np.array(flat, dtype=np.float64).reshape(len(records), len(names))
        if not np.isfinite(matrix).all():
            return None  # the slow path names the row and column
        if all(c.dtype == "float" for c in self.columns):
            with np.errstate(over="ignore"):
                matrix = matrix.astype(np.float32)
            if not np.isfinite(matrix).all():
                return None
        cols = {c.name: matrix[:, j].astype(NUMPY_DTYPES[c.dtype], copy=False) for j, c in enumerate(self.columns)}
        return Features(self, cols, len(records), matrix=matrix)

    def from_columns(self, columns: Mapping[str, Sequence[Any] | np.ndarray]) -> Features:
        """One sequence per column, all of the same length."""
        self._check_names(columns.keys())
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            raise InvalidInput(
                "columns have different lengths",
                details=[BadRow(None, k, f"{len(v)} values") for k, v in columns.items()],
            )
        n_rows = lengths.pop() if lengths else 0
        cols = {name: columns.get(name, [None] * n_rows) for name in self.names}
        return self._build(cols, n_rows, [], strict=True)[0]

    def from_rows(self, rows: Sequence[Sequence[Any]], columns: Sequence[str] | None = None) -> Features:
        """Rows as value lists, in ``columns`` order (default: signature order)."""
        order = list(self.names if columns is None else columns)
        self._check_names(order)
        width = len(order)
        cols: dict[str, list[Any]] = {name: [] for name in order}
        row_errors: list[BadRow] = []
        for row, values in enumerate(rows):
            size = _length(values)
            if size != width:
                got = type(values).__name__ if size is None else f"{size} values"
                row_errors.append(BadRow(row, None, f"expected {width} values, got {got}"))
                values = [None] * width
            for name, value in zip(order, values, strict=True):
                cols[name].append(value)
        full = {name: cols.get(name, [None] * len(rows)) for name in self.names}
        return self._build(full, len(rows), row_errors, strict=True)[0]

    def from_pandas(self, df: pd.DataFrame) -> Features:
        """A DataFrame whose columns are the signature's (any order)."""
        self._check_names([str(c) for c in df.columns])
        cols = {name: df[name].to_numpy() if name in df.columns else [None] * len(df) for name in self.names}
        return self._build(cols, len(df), [], strict=True)[0]

    # -- lenient entry point (batch) ---------------------------------------------------------------

    def from_arrow(self, batch: pa.RecordBatch | pa.Table, *, strict: bool = False) -> tuple[Features, list[BadRow]]:
        """Valid rows of ``batch`` plus one :class:`BadRow` per rejected row.

        A missing or extra column is a whole-input problem and raises :class:`InvalidInput` even when
        lenient; ``strict=True`` also raises for the first bad rows.
        """
        self._check_names(batch.schema.names)
        n_rows = batch.num_rows
        cols: dict[str, Any] = {}
        for name in self.names:
            if name in batch.schema.names:
                cols[name] = to_numpy(batch.column(name))
            else:
                cols[name] = [None] * n_rows
        return self._build(cols, n_rows, [], strict=strict)

    # -- shared ------------------------------------------------------------------------------------

    def _check_names(self, given: Iterable[str]) -> None:
        given = list(given)
        given_set = set(given)
        details = [
            BadRow(None, c.name, "missing required column")
            for c in self.columns
            if c.required and c.name not in given_set
        ]
        known = set(self.names)
        details += [BadRow(None, name, "unexpected column") for name in given if name not in known]
        if len(given_set) != len(given):
            details.append(BadRow(None, None, "duplicate column names"))
        if details:
            raise InvalidInput(_summary(details), details=details[:MAX_DETAILS])

    def _build(
        self, cols: Mapping[str, Any], n_rows: int, row_errors: list[BadRow], *, strict: bool
    ) -> tuple[Features, list[BadRow]]:
        arrays: dict[str, np.ndarray] = {}
        errors = list(row_errors)
        # A row that is wrong as a whole (wrong width, not an object) holds placeholders: its
        # per-column "problems" would only be noise.
        broken_rows = {e.row for e in row_errors if e.column is None}
        for spec in self.columns:
            array, problems = coerce_column(spec.dtype, spec.required, cols[spec.name])
            arrays[spec.name] = array
            errors.extend(BadRow(row, spec.name, problem) for row, problem in problems if row not in broken_rows)
        features = Features(self, arrays, n_rows)
        if not errors:
            return features, []
        errors.sort(key=lambda e: e.index)
        if strict:
            raise InvalidInput(_summary(errors, total=len(errors)), details=errors[:MAX_DETAILS])
        first_per_row: dict[int, BadRow] = {}
        for error in errors:
            first_per_row.setdefault(error.index, error)
        keep = np.ones(n_rows, dtype=np.bool_)
        keep[list(first_per_row)] = False
        return features.take(keep), list(first_per_row.values())


def _length(values: Any) -> int | None:
    if isinstance(values, str | bytes | Mapping):
        return None
    try:
        return len(values)
    except TypeError:
        return None


def _summary(details: list[BadRow], total: int | None = None) -> str:
    first = details[0]
    where = f"row {first.row}, " if first.row is not None else ""
    count = total if total is not None else len(details)
    return (
        f"input does not match the model signature ({count} problem(s); {where}column {first.column}: {first.problem})"
    )
