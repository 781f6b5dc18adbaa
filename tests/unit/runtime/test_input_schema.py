"""Strict validation: each problem kind names the right row, column and problem."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from mlflow.models import infer_signature

from modelport.errors import InvalidInput, InvalidSource
from modelport.model_format import BadRow
from modelport.runtime import ColumnSpec, InputSchema

GOOD: dict[str, Any] = {"x": 1.5, "n": 3, "i": -2, "flag": True, "name": "a", "opt": None}


def problems(exc: pytest.ExceptionInfo[InvalidInput]) -> list[tuple[Any, Any, str]]:
    return [(d["row"], d["column"], d["problem"]) for d in exc.value.details]


def test_from_mlflow_signature_reads_names_types_and_required() -> None:
    df = pd.DataFrame({"x": [1.0, np.nan], "n": [1, 2], "s": ["a", "b"], "b": [True, False]})
    schema = InputSchema.from_mlflow_signature(infer_signature(df))
    assert schema.names == ("x", "n", "s", "b")
    assert [c.dtype for c in schema.columns] == ["double", "long", "string", "boolean"]
    assert not schema.all_numeric
    assert InputSchema((ColumnSpec("a", "float"), ColumnSpec("b", "boolean"))).all_numeric


def test_tensor_signature_is_refused() -> None:
    with pytest.raises(InvalidSource):
        InputSchema.from_mlflow_signature(infer_signature(np.zeros((2, 3))))


def test_good_records_convert_to_signature_dtypes(mixed_schema: InputSchema) -> None:
    feats = mixed_schema.from_records([GOOD, {**GOOD, "x": 2, "n": 4.0, "opt": 0.25}])
    cols = feats.columns
    assert feats.n_rows == 2
    assert list(cols) == list(mixed_schema.names)
    assert cols["x"].dtype == np.float64
    assert cols["x"].tolist() == [1.5, 2.0]
    assert cols["n"].dtype == np.int64
    assert cols["n"].tolist() == [3, 4]
    assert cols["i"].dtype == np.int32
    assert cols["flag"].dtype == np.bool_
    assert cols["name"].tolist() == ["a", "a"]
    assert np.isnan(cols["opt"][0])
    assert cols["opt"][1] == 0.25
    frame = feats.to_pandas()
    assert list(frame.columns) == list(mixed_schema.names)
    assert frame["i"].dtype == np.int32


@pytest.mark.parametrize(
    ("change", "column", "problem"),
    [
        ({"x": "1.5"}, "x", "expected a number, got string"),
        ({"x": True}, "x", "expected a number, got boolean"),
        ({"n": 1.5}, "n", "expected an integer, got 1.5"),
        ({"n": "3"}, "n", "expected an integer, got string"),
        ({"i": 2**31}, "i", "integer 2147483648 out of range for integer"),
        ({"flag": 1}, "flag", "expected a boolean, got number"),
        ({"flag": "true"}, "flag", "expected a boolean, got string"),
        ({"name": 7}, "name", "expected a string, got number"),
        ({"x": None}, "x", "null not allowed"),
        ({"x": float("nan")}, "x", "null not allowed"),
        ({"opt": "no"}, "opt", "expected a number, got string"),
        ({"extra": 1}, "extra", "unexpected column"),
    ],
)
def test_each_bad_value_is_named(mixed_schema: InputSchema, change: dict[str, Any], column: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        mixed_schema.from_records([GOOD, GOOD, {**GOOD, **change}])
    assert problems(exc) == [(2, column, problem)]
    assert exc.value.code == "invalid_input"


def test_missing_column_and_optional_column(mixed_schema: InputSchema) -> None:
    without_opt = {k: v for k, v in GOOD.items() if k != "opt"}
    assert mixed_schema.from_records([without_opt]).n_rows == 1
    without_x = {k: v for k, v in GOOD.items() if k != "x"}
    with pytest.raises(InvalidInput) as exc:
        mixed_schema.from_records([without_x])
    assert problems(exc) == [(0, "x", "missing required column")]


def test_details_are_capped_and_sorted_by_row(mixed_schema: InputSchema) -> None:
    records = [{**GOOD, "x": "bad", "name": 1}] * 50
    with pytest.raises(InvalidInput) as exc:
        mixed_schema.from_records(records)
    assert len(exc.value.details) == 20
    assert [d["row"] for d in exc.value.details] == sorted(d["row"] for d in exc.value.details)
    assert "100 problem(s)" in exc.value.message


def test_from_rows_in_given_order_and_wrong_width(mixed_schema: InputSchema) -> None:
    order = ["name", "x", "n", "i", "flag", "opt"]
    feats = mixed_schema.from_rows([["b", 1.0, 2, 3, False, None]], columns=order)
    assert feats.columns["name"].tolist() == ["b"]
    assert feats.columns["n"].tolist() == [2]
    with pytest.raises(InvalidInput) as exc:
        mixed_schema.from_rows([["b", 1.0, 2, 3, False, None], ["b", 1.0]], columns=order)
    assert problems(exc) == [(1, None, "expected 6 values, got 2 values")]


def test_from_columns_numpy_and_lists(mixed_schema: InputSchema) -> None:
    feats = mixed_schema.from_columns(
        {
            "x": np.array([1, 2], dtype=np.int32),
            "n": np.array([1.0, 2.0]),
            "i": [1, 2],
            "flag": np.array([True, False]),
            "name": np.array(["a", "b"]),
        }
    )
    assert feats.columns["x"].tolist() == [1.0, 2.0]
    assert feats.columns["n"].dtype == np.int64
    with pytest.raises(InvalidInput) as exc:
        mixed_schema.from_columns(
            {
                "x": np.array([1.0, np.nan]),
                "n": [1, 2],
                "i": [1, 2],
                "flag": [True, False],
                "name": ["a", "b"],
            }
        )
    assert problems(exc) == [(1, "x", "null not allowed")]


def test_whole_input_column_problems(mixed_schema: InputSchema) -> None:
    with pytest.raises(InvalidInput) as exc:
        mixed_schema.from_columns({"x": [1.0], "n": [1], "i": [1], "flag": [True], "name": ["a"], "zzz": [1]})
    assert problems(exc) == [(None, "zzz", "unexpected column")]
    with pytest.raises(InvalidInput) as exc:
        mixed_schema.from_pandas(pd.DataFrame({"x": [1.0]}))
    assert {(d["column"], d["problem"]) for d in exc.value.details} == {
        (c, "missing required column") for c in ("n", "i", "flag", "name")
    }


def test_from_pandas_rejects_numeric_strings(mixed_schema: InputSchema) -> None:
    df = pd.DataFrame([GOOD, {**GOOD, "x": "2.0"}])
    with pytest.raises(InvalidInput) as exc:
        mixed_schema.from_pandas(df)
    assert problems(exc) == [(1, "x", "expected a number, got string")]


def test_from_arrow_lenient_keeps_good_rows_and_reports_bad_ones(mixed_schema: InputSchema) -> None:
    table = pa.table(
        {
            "x": pa.array([1.0, None, 3.0, 4.0]),
            "n": pa.array([1.0, 2.0, 2.5, 4.0]),
            "i": pa.array([1, 2, 3, 4], type=pa.int32()),
            "flag": pa.array([True, False, True, False]),
            "name": pa.array(["a", "b", "c", None]),
        }
    )
    feats, rejected = mixed_schema.from_arrow(table)
    assert feats.n_rows == 1
    assert feats.columns["x"].tolist() == [1.0]
    assert rejected == [
        BadRow(1, "x", "null not allowed"),
        BadRow(2, "n", "expected an integer, got 2.5"),
        BadRow(3, "name", "null not allowed"),
    ]
    with pytest.raises(InvalidInput) as exc:
        mixed_schema.from_arrow(table, strict=True)
    assert exc.value.details[0] == {"row": 1, "column": "x", "problem": "null not allowed"}
    with pytest.raises(InvalidInput):
        mixed_schema.from_arrow(table.drop_columns(["name"]))


@pytest.mark.parametrize("dtype", ["double", "float"])
def test_all_real_schema_fast_path_agrees_and_still_names_problems(dtype: str) -> None:
    schema = InputSchema((ColumnSpec("a", dtype), ColumnSpec("b", dtype)))
    feats = schema.from_records([{"b": 2, "a": 0.5}, {"a": 1.25, "b": -3.0}])
    assert feats.matrix.tolist() == [[0.5, 2.0], [1.25, -3.0]]
    assert feats.columns["b"].dtype == (np.float64 if dtype == "double" else np.float32)
    assert feats.matrix.dtype == feats.columns["a"].dtype
    for bad, problem in [(True, "expected a number, got boolean"), (float("nan"), "null not allowed")]:
        with pytest.raises(InvalidInput) as exc:
            schema.from_records([{"a": 1.0, "b": 2.0}, {"a": bad, "b": 2.0}])
        assert problems(exc) == [(1, "a", problem)]
    with pytest.raises(InvalidInput) as exc:
        schema.from_records([{"a": 1.0, "c": 2.0}])
    assert set(problems(exc)) == {(0, "c", "unexpected column"), (0, "b", "missing required column")}
