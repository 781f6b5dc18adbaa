"""The one home of model-format knowledge: MLmodel, flavor, probabilities, type tables, bad rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pyarrow as pa
import pytest
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from modelport.errors import InvalidInput, InvalidSource, MissingSignature
from modelport.model_format import (
    ARROW_TYPES,
    NUMERIC_TYPES,
    NUMPY_DTYPES,
    BadRow,
    estimator_predicts_probabilities,
    flavor_of,
    onnx_predicts_probabilities,
    read_mlmodel,
)
from modelport.types import ColumnSpec

_X = np.random.default_rng(0).normal(size=(60, 3))
_Y = (_X[:, 0] > 0).astype(int)


def test_bad_row_is_one_dict_shape_everywhere() -> None:
    assert BadRow(3, "age", "null not allowed").to_dict() == {"row": 3, "column": "age", "problem": "null not allowed"}
    assert BadRow(None, None, "no rows").to_dict() == {"row": None, "column": None, "problem": "no rows"}
    error = InvalidInput("bad", details=[BadRow(1, "x", "expected a number, got string")])
    assert error.to_dict()["details"] == [{"row": 1, "column": "x", "problem": "expected a number, got string"}]


def test_bad_row_moves_between_numberings_and_refuses_a_row_it_lacks() -> None:
    assert BadRow(2, "x", "p").at(102) == BadRow(102, "x", "p")
    assert BadRow(2, "x", "p").index == 2
    with pytest.raises(ValueError, match="no single row"):
        _ = BadRow(None, "x", "missing required column").index


def test_flavor_is_the_first_that_is_not_pyfunc() -> None:
    assert flavor_of({"python_function": {}, "sklearn": {}}) == "sklearn"
    assert flavor_of({"onnx": {}, "python_function": {}}) == "onnx"
    assert flavor_of({"python_function": {}}) == "python_function"


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (LogisticRegression().fit(_X, _Y), True),
        (make_pipeline(StandardScaler(), LogisticRegression()).fit(_X, _Y), True),
        (SVC(probability=False).fit(_X, _Y), False),  # classes_ but no predict_proba
        (LinearRegression().fit(_X, _Y), False),
        (LogisticRegression(), False),  # not fitted: no classes_ yet
    ],
)
def test_estimator_probabilities_need_classes_and_predict_proba(model: object, expected: bool) -> None:
    assert estimator_predicts_probabilities(model) is expected


def _session(model: object, options: dict[int, dict[str, bool]] | None = None) -> ort.InferenceSession:
    proto = convert_sklearn(model, initial_types=[("input", FloatTensorType([None, 3]))], options=options)
    return ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])


def test_onnx_probabilities_are_a_second_float_tensor() -> None:
    classifier = LogisticRegression().fit(_X, _Y)
    assert onnx_predicts_probabilities(_session(classifier, {id(classifier): {"zipmap": False}}))
    # ZipMap gives a list of dicts per row: two outputs, but nothing the runtime can use as probabilities.
    assert not onnx_predicts_probabilities(_session(classifier))
    assert not onnx_predicts_probabilities(_session(LinearRegression().fit(_X, _X[:, 0])))


def test_type_tables_name_the_same_types_and_agree() -> None:
    assert set(NUMPY_DTYPES) == set(ARROW_TYPES)
    assert set(NUMERIC_TYPES) < set(NUMPY_DTYPES)
    for name in NUMERIC_TYPES:
        assert pa.from_numpy_dtype(NUMPY_DTYPES[name]) == ARROW_TYPES[name], name


_MLMODEL = """\
flavors:
  python_function: {{loader_module: mlflow.sklearn}}
  sklearn: {{sklearn_version: 1.5.0}}
{signature}
"""


def _write(tmp_path: Path, signature: str) -> Path:
    (tmp_path / "MLmodel").write_text(_MLMODEL.format(signature=signature))
    return tmp_path


def test_mlmodel_gives_flavor_and_columns(tmp_path: Path) -> None:
    inputs = '[{"name": "a", "type": "double"}, {"name": "b", "type": "long", "required": false}]'
    meta = read_mlmodel(_write(tmp_path, f"signature:\n  inputs: '{inputs}'"))
    assert meta.flavor == "sklearn"
    assert meta.columns == (ColumnSpec("a", "double", True), ColumnSpec("b", "long", False))


def test_mlmodel_of_older_mlflow_says_optional(tmp_path: Path) -> None:
    inputs = '[{"name": "a", "type": "double", "optional": true}]'
    assert read_mlmodel(_write(tmp_path, f"signature:\n  inputs: '{inputs}'")).columns == (
        ColumnSpec("a", "double", False),
    )


def test_mlmodel_refusals_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(InvalidSource, match="no MLmodel file"):
        read_mlmodel(tmp_path)
    with pytest.raises(MissingSignature):
        read_mlmodel(_write(tmp_path, ""))
    tensor = '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 3]}}]'
    with pytest.raises(InvalidSource, match="column-based"):
        read_mlmodel(_write(tmp_path, f"signature:\n  inputs: '{tensor}'"))
