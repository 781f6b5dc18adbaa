"""Arrow <-> numpy for primitive columns without going through pandas.

``pa.array(ndarray)`` and ``Array.to_numpy(zero_copy_only=False)`` import pandas (~0.3 s) the first
time they run, even for a plain float column. A batch run of a numeric model needs none of pandas, so
primitive columns without nulls take the buffer route here (zero copy from Arrow, one buffer wrap to
Arrow); strings, booleans (bit-packed) and columns with nulls fall back to pyarrow's own conversion.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

__all__ = ["from_numpy", "to_numpy"]

_PRIMITIVE: dict[pa.DataType, np.dtype[Any]] = {
    pa.float64(): np.dtype(np.float64),
    pa.float32(): np.dtype(np.float32),
    pa.int64(): np.dtype(np.int64),
    pa.int32(): np.dtype(np.int32),
    pa.int16(): np.dtype(np.int16),
    pa.int8(): np.dtype(np.int8),
    pa.uint64(): np.dtype(np.uint64),
    pa.uint32(): np.dtype(np.uint32),
    pa.uint16(): np.dtype(np.uint16),
    pa.uint8(): np.dtype(np.uint8),
}
_ARROW_TYPES = {dtype: arrow for arrow, dtype in _PRIMITIVE.items()}


def to_numpy(column: pa.Array | pa.ChunkedArray) -> np.ndarray[Any, Any]:
    """The values of ``column`` as a 1-D array: a read-only view for primitive columns without nulls."""
    if isinstance(column, pa.ChunkedArray):
        if column.num_chunks == 1:
            return to_numpy(column.chunk(0))
        if column.num_chunks == 0 or column.type not in _PRIMITIVE or column.null_count:
            return np.asarray(column.to_numpy())
        return np.concatenate([to_numpy(chunk) for chunk in column.chunks])
    dtype = _PRIMITIVE.get(column.type)
    if dtype is None or column.null_count:
        return np.asarray(column.to_numpy(zero_copy_only=False))
    values = column.buffers()[1]
    if values is None:  # a zero-length array may have no data buffer
        return np.empty(0, dtype=dtype)
    # The buffer starts at the parent array's first row: a slice keeps the parent's buffer and an offset.
    return np.frombuffer(values, dtype=dtype)[column.offset : column.offset + len(column)]


def from_numpy(values: np.ndarray[Any, Any]) -> pa.Array:
    """A 1-D array as an Arrow array; primitive dtypes wrap the numpy buffer (after making it contiguous)."""
    arrow_type = _ARROW_TYPES.get(values.dtype) if values.ndim == 1 else None
    if arrow_type is None:
        return pa.array(values)
    contiguous = np.ascontiguousarray(values)
    # py_buffer keeps a reference to ``contiguous``, so the Arrow array owns what it points at.
    return pa.Array.from_buffers(arrow_type, len(contiguous), [None, pa.py_buffer(contiguous)])
