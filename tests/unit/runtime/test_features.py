"""Features views: matrix, DataFrame, slicing and concatenation."""

from __future__ import annotations

import numpy as np
import pytest

from modelport.runtime import ColumnSpec, Features, InputSchema, PredictionResult

NUMERIC = InputSchema((ColumnSpec("a", "double"), ColumnSpec("n", "long"), ColumnSpec("b", "boolean")))


def test_matrix_is_c_contiguous_in_signature_order() -> None:
    feats = NUMERIC.from_records([{"b": True, "n": 2, "a": 0.5}, {"a": 1.5, "n": 3, "b": False}])
    matrix = feats.matrix
    assert matrix.flags.c_contiguous
    assert matrix.dtype == np.float64
    assert matrix.tolist() == [[0.5, 2.0, 1.0], [1.5, 3.0, 0.0]]
    floats = InputSchema((ColumnSpec("a", "float"), ColumnSpec("b", "float")))
    assert floats.from_rows([[1, 2]]).matrix.dtype == np.float32


def test_matrix_as_a_dtype_equals_the_cast_matrix() -> None:
    rng = np.random.default_rng(1)
    values = rng.normal(size=(50, 3)) * 1e3
    rows = [[float(a), int(n), bool(b > 0)] for a, n, b in values]
    feats = NUMERIC.from_rows(rows)
    as_float32 = feats.matrix_as(np.float32)
    assert as_float32.dtype == np.float32
    assert as_float32.flags.c_contiguous
    np.testing.assert_array_equal(as_float32, NUMERIC.from_rows(rows).matrix.astype(np.float32))
    # Once the float64 matrix exists (records fast path, or asked for), it is cast instead of rebuilt.
    natural = feats.matrix
    assert feats.matrix_as(np.float64) is natural
    np.testing.assert_array_equal(feats.matrix_as(np.float32), as_float32)


def test_matrix_needs_numeric_columns() -> None:
    schema = InputSchema((ColumnSpec("s", "string"),))
    with pytest.raises(ValueError, match="numeric"):
        _ = schema.from_rows([["x"]]).matrix
    with pytest.raises(ValueError, match="numeric"):
        schema.from_rows([["x"]]).matrix_as(np.float32)


def test_to_pandas_keeps_signature_dtypes() -> None:
    frame = NUMERIC.from_rows([[0.5, 2, True]]).to_pandas()
    assert [str(t) for t in frame.dtypes] == ["float64", "int64", "bool"]


def test_concat_and_slice_round_trip() -> None:
    parts = [NUMERIC.from_rows([[float(i), i, i % 2 == 0]] * (i + 1)) for i in range(3)]
    whole = Features.concat(parts)
    assert whole.n_rows == 6
    assert whole.columns["n"].tolist() == [0, 1, 1, 2, 2, 2]
    middle = whole.slice(1, 3)
    assert middle.n_rows == 2
    assert middle.columns["a"].tolist() == [1.0, 1.0]
    assert Features.concat(parts[:1]) is parts[0]


def test_concat_refuses_other_schemas() -> None:
    other = InputSchema((ColumnSpec("z", "double"),)).from_rows([[1.0]])
    with pytest.raises(ValueError, match="schemas"):
        Features.concat([NUMERIC.from_rows([[1.0, 1, True]]), other])


def test_prediction_result_slice() -> None:
    result = PredictionResult(np.array([0, 1, 1]), np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6]]), (0, 1))
    part = result.slice(1, 3)
    assert part.predictions.tolist() == [1, 1]
    assert part.probabilities is not None
    assert part.probabilities.tolist() == [[0.2, 0.8], [0.4, 0.6]]
    assert part.classes == (0, 1)
