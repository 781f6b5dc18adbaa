"""Protocol payloads → tensors and parse functions, without a server."""

from __future__ import annotations

import struct

import numpy as np
import orjson
import pytest

from modelport.errors import InvalidInput, InvalidRequest
from modelport.inference.codecs.mlflow import decode_invocation
from modelport.inference.codecs.v2 import datatype_of, decode_request


@pytest.mark.parametrize(
    "payload",
    [
        {"dataframe_split": {"data": [[1]]}, "inputs": [[1]]},
        {"dataframe_split": {"columns": [1], "data": [[1]]}},
        {"dataframe_records": {"a": 1}},
        {"inputs": 3},
        {"inputs": {"a": 1}},
        {"dataframe_records": [], "params": [1]},
    ],
)
def test_bad_invocation_shapes_are_invalid_requests(payload: dict[str, object]) -> None:
    with pytest.raises(InvalidRequest):
        decode_invocation(payload)


def test_rows_are_counted_before_validation() -> None:
    columns = decode_invocation({"inputs": {"a": [1, 2, 3], "b": [4, 5, 6]}})
    split = decode_invocation({"dataframe_split": {"columns": ["a"], "data": [[1], [2]]}})
    assert (columns.n_rows, split.n_rows) == (3, 2)
    assert split.record == {"a": 1}


def test_records_that_are_not_objects_name_the_row() -> None:
    with pytest.raises(InvalidInput) as caught:
        decode_invocation({"dataframe_records": [{"a": 1}, [1]]})
    assert caught.value.details[0]["row"] == 1


def test_v2_json_and_binary_tensors() -> None:
    floats = np.arange(6, dtype=np.float32).reshape(2, 3)
    words = b"".join(struct.pack("<I", len(w)) + w for w in (b"red", b"blue"))
    head = orjson.dumps(
        {
            "id": "r1",
            "inputs": [
                {"name": "m", "shape": [2, 3], "datatype": "FP32", "parameters": {"binary_data_size": 24}},
                {"name": "c", "shape": [2], "datatype": "BYTES", "parameters": {"binary_data_size": len(words)}},
                {"name": "j", "shape": [2, 1], "datatype": "INT64", "data": [[7], [8]]},
            ],
            "outputs": [{"name": "predict"}],
        }
    )
    request = decode_request(head + floats.tobytes() + words, len(head))
    assert request.id == "r1"
    assert request.outputs == ["predict"]
    np.testing.assert_array_equal(request.tensors["m"], floats)
    assert request.tensors["c"].tolist() == ["red", "blue"]
    assert request.tensors["j"].tolist() == [[7], [8]]
    assert request.n_rows == 2


@pytest.mark.parametrize(
    "tensor",
    [
        {"name": "x", "shape": [2], "datatype": "FP64", "data": [1.0]},
        {"name": "x", "shape": [-1], "datatype": "FP64", "data": [1.0]},
        {"name": "x", "shape": [1], "datatype": "FP128", "data": [1.0]},
        {"name": "x", "shape": [1], "datatype": "FP64", "data": ["a"]},
    ],
)
def test_v2_bad_tensors_name_the_input(tensor: dict[str, object]) -> None:
    with pytest.raises(InvalidInput) as caught:
        decode_request(orjson.dumps({"inputs": [tensor]}), None)
    assert caught.value.details[0]["column"] == "x"


def test_v2_truncated_binary_is_an_invalid_request() -> None:
    head = orjson.dumps(
        {"inputs": [{"name": "x", "shape": [4], "datatype": "FP64", "parameters": {"binary_data_size": 32}}]}
    )
    with pytest.raises(InvalidRequest):
        decode_request(head + b"\0" * 8, len(head))


def test_datatypes_of_outputs() -> None:
    assert datatype_of(np.array([1.0])) == "FP64"
    assert datatype_of(np.array([1], dtype=np.int64)) == "INT64"
    assert datatype_of(np.array(["a"], dtype=object)) == "BYTES"
    assert datatype_of(np.array(["a"])) == "BYTES"


@pytest.mark.parametrize(
    ("datatype", "data", "row", "problem"),
    [
        ("INT8", [[1, 2], [3, 1000]], 1, "1000 is outside the INT8 range [-128, 127]"),
        ("UINT8", [[256, 0], [0, 0]], 0, "256 is outside the UINT8 range [0, 255]"),
        ("UINT64", [[0, 0], [-1, 0]], 1, "-1 is outside the UINT64 range [0, 18446744073709551615]"),
        ("INT64", [[1, 2], [1.5, 0]], 1, "1.5 is not a INT64 value"),
        ("FP64", [[1, True], [0, 0]], 0, "True is not a FP64 value"),
        ("FP64", [[1, 2], [0, "35"]], 1, "'35' is not a FP64 value"),
        ("BOOL", [[True, 1], [False, True]], 0, "1 is not a BOOL value"),
        ("BYTES", [["a", "b"], ["c", 4]], 1, "4 is not a BYTES value"),
    ],
)
def test_v2_values_must_be_of_the_declared_type_in_range_and_finite(
    datatype: str, data: list[list[object]], row: int, problem: str
) -> None:
    tensor = {"name": "m", "shape": [2, 2], "datatype": datatype, "data": data}
    with pytest.raises(InvalidInput) as caught:
        decode_request(orjson.dumps({"inputs": [tensor]}), None)
    assert caught.value.details == [{"row": row, "column": "m", "problem": problem}]


def test_v2_duplicate_input_names_are_refused() -> None:
    twice = {"name": "a", "shape": [1], "datatype": "FP64", "data": [1.0]}
    with pytest.raises(InvalidInput, match="sent twice"):
        decode_request(orjson.dumps({"inputs": [twice, twice]}), None)


@pytest.mark.parametrize("parameters", [5, {"binary_data_size": "abc"}, {"binary_data_size": -1}])
def test_v2_bad_parameters_are_4xx(parameters: object) -> None:
    spec = {"name": "m", "shape": [1], "datatype": "FP64", "parameters": parameters}
    with pytest.raises(InvalidInput):
        decode_request(orjson.dumps({"inputs": [spec]}), None)


def test_v2_values_of_the_right_type_pass_exactly() -> None:
    specs = [
        {"name": "i", "shape": [2], "datatype": "INT8", "data": [-128, 127]},
        {"name": "f", "shape": [2], "datatype": "FP32", "data": [1, 2.5]},
        {"name": "b", "shape": [2], "datatype": "BOOL", "data": [True, False]},
    ]
    request = decode_request(orjson.dumps({"inputs": specs}), None)
    assert request.tensors["i"].dtype == np.int8
    assert request.tensors["i"].tolist() == [-128, 127]
    assert request.tensors["f"].tolist() == [1.0, 2.5]
    assert request.tensors["b"].tolist() == [True, False]
