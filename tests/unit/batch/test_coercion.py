from __future__ import annotations

import pyarrow as pa

from modelport.batch.coercion import coerce_batch


def test_clean_columns_are_cast_in_one_go() -> None:
    batch = pa.record_batch({"a": pa.array(["1.5", "2", None]), "b": pa.array([1, 2, 3]), "c": ["x", "y", "z"]})

    coerced, rejected = coerce_batch(batch, {"a": pa.float64(), "b": pa.float64()})

    assert rejected == []
    assert coerced.schema == pa.schema([("a", pa.float64()), ("b", pa.float64()), ("c", pa.string())])
    assert coerced.column("a").to_pylist() == [1.5, 2.0, None]


def test_values_that_do_not_convert_are_rejected_by_row() -> None:
    batch = pa.record_batch(
        {
            "f": pa.array(["1", "abc", "3"]),
            "i": pa.array(["1", "2.5", "7.0"]),
            "b": pa.array(["true", "0", "maybe"]),
        }
    )

    coerced, rejected = coerce_batch(batch, {"f": pa.float64(), "i": pa.int64(), "b": pa.bool_()})

    assert [(r.row, r.column) for r in rejected] == [(1, "f"), (1, "i"), (2, "b")]
    assert "'abc' is not a valid double" in rejected[0].problem
    assert coerced.column("i").to_pylist() == [1, None, 7]
    assert coerced.column("b").to_pylist() == [True, False, None]


def test_absent_columns_are_left_to_the_scorer() -> None:
    coerced, rejected = coerce_batch(pa.record_batch({"a": ["1"]}), {"a": pa.float64(), "x9": pa.float64()})
    assert coerced.schema.names == ["a"]
    assert rejected == []
