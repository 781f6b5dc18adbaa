"""Arrow <-> numpy without pandas: values, slices (offsets), chunked columns and the fallbacks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from modelport.runtime.arrow_bridge import from_numpy, to_numpy


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int32, np.uint8])
def test_primitive_columns_round_trip(dtype: type) -> None:
    values: np.ndarray[Any, Any] = np.arange(10, dtype=dtype) * 3
    array = from_numpy(values)
    assert array.type == pa.from_numpy_dtype(dtype)
    assert array.to_pylist() == values.tolist()
    out = to_numpy(array)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, values)


def test_a_slice_reads_from_its_offset() -> None:
    array = pa.array(np.arange(100, dtype=np.float64)).slice(37, 5)
    np.testing.assert_array_equal(to_numpy(array), [37.0, 38.0, 39.0, 40.0, 41.0])
    assert len(to_numpy(pa.array(np.arange(5, dtype=np.int64)).slice(5, 0))) == 0


def test_chunked_columns_concatenate_their_chunks() -> None:
    chunked = pa.chunked_array([pa.array([1.0, 2.0]), pa.array([3.0, 4.0, 5.0]).slice(1)])
    np.testing.assert_array_equal(to_numpy(chunked), [1.0, 2.0, 4.0, 5.0])
    np.testing.assert_array_equal(to_numpy(pa.chunked_array([pa.array([7], pa.int32())])), [7])


def test_a_strided_view_is_made_contiguous() -> None:
    matrix = np.arange(12, dtype=np.float64).reshape(4, 3)
    assert from_numpy(matrix[:, 1]).to_pylist() == [1.0, 4.0, 7.0, 10.0]


def test_nulls_strings_and_booleans_fall_back_to_pyarrow() -> None:
    with_null = to_numpy(pa.array([1.0, None, 3.0]))
    assert with_null[0] == 1.0
    assert np.isnan(with_null[1])
    assert to_numpy(pa.array(["a", None])).tolist() == ["a", None]
    assert to_numpy(pa.array([True, False])).tolist() == [True, False]
    assert from_numpy(np.array(["x", "y"], dtype=object)).to_pylist() == ["x", "y"]
    assert from_numpy(np.array([True, False])).type == pa.bool_()
