"""Casting input columns to the types a model's signature asks for, value by value where needed.

Readers deliver what the file holds (CSV feature columns arrive as text on purpose); this module turns each
input column into the signature's type and reports every value that does not convert as a rejected row,
so one bad cell never fails a run of millions of rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from modelport.model_format import BadRow

__all__ = ["coerce_batch"]


def coerce_batch(batch: pa.RecordBatch, types: Mapping[str, pa.DataType]) -> tuple[pa.RecordBatch, list[BadRow]]:
    """Return ``batch`` with every column of ``types`` cast, plus the rows whose values would not cast.

    Values that do not convert become null in the returned batch; the caller drops the rejected rows.
    Columns absent from ``batch`` are left to the scorer, which knows which ones are optional.
    """
    rejected: list[BadRow] = []
    columns = []
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        target = types.get(name)
        if target is not None and column.type != target:
            column, problems = _cast(column, target)
            rejected.extend(BadRow(row, name, problem) for row, problem in problems)
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names), rejected


def _cast(column: pa.Array, target: pa.DataType) -> tuple[pa.Array, list[tuple[int, str]]]:
    # Imported on first use: Parquet input usually has the model's types already, and the import costs
    # ~20 ms of every start.
    import pyarrow.compute as pc

    try:
        return pc.cast(column, target, safe=True), []
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    # Slow path, only for a batch that holds at least one bad value: convert one value at a time.
    convert = _converter(target)
    values: list[Any] = []
    problems: list[tuple[int, str]] = []
    for row, value in enumerate(column.to_pylist()):
        if value is None:
            values.append(None)
            continue
        try:
            values.append(convert(value))
        except (ValueError, TypeError, OverflowError):
            values.append(None)
            problems.append((row, f"{value!r} is not a valid {target}"))
    return pa.array(values, target), problems


def _converter(target: pa.DataType) -> Any:
    if pa.types.is_floating(target):
        return float
    if pa.types.is_integer(target):
        return _to_int
    if pa.types.is_boolean(target):
        return _to_bool
    if pa.types.is_string(target) or pa.types.is_large_string(target):
        return str
    return _unconvertible


def _to_int(value: Any) -> int:
    number = float(value) if isinstance(value, str) else value
    if isinstance(number, float):
        if not np.isfinite(number) or not number.is_integer():
            raise ValueError(value)
        return int(number)
    return int(number)


def _to_bool(value: Any) -> bool:
    text = str(value).strip().lower()
    if text in {"true", "1"}:
        return True
    if text in {"false", "0"}:
        return False
    raise ValueError(value)


def _unconvertible(value: Any) -> Any:
    raise TypeError(value)
