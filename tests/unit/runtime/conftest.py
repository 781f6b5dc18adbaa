"""Fixtures for the runtime tests: real MLflow model directories saved once per session.

The hermetic environment (no MODELPORT_*/MLFLOW_* variables, a temp working dir) comes from
``tests/conftest.py``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mlflow.sklearn
import numpy as np
import pandas as pd
import pytest
import skops.io
from mlflow.models import infer_signature

from modelport.runtime import SAMPLE_FILE, ColumnSpec, InputSchema

SaveModel = Callable[..., Path]
Frame = tuple[pd.DataFrame, np.ndarray, np.ndarray]


@pytest.fixture(scope="session")
def save_model(tmp_path_factory: pytest.TempPathFactory) -> SaveModel:
    """``save_model(model, X, y, sample=True)`` -> an MLflow model dir (+ sample parquet)."""
    root = tmp_path_factory.mktemp("models")
    counter = iter(range(1_000_000))

    def save(model: Any, X: pd.DataFrame, y: Any, *, sample: bool = True) -> Path:
        path = root / f"model{next(counter)}"
        signature = infer_signature(X, y)
        try:
            # We made these models ourselves, so every type skops flags is one we trust.
            trusted = skops.io.get_untrusted_types(data=skops.io.dumps(model))
            mlflow.sklearn.save_model(
                model,
                path,
                signature=signature,
                pip_requirements=["scikit-learn"],
                skops_trusted_types=trusted,
            )
        except Exception:  # skops cannot serialize some third-party estimators; MLflow offers cloudpickle
            shutil.rmtree(path, ignore_errors=True)
            mlflow.sklearn.save_model(
                model,
                path,
                signature=signature,
                pip_requirements=["scikit-learn"],
                serialization_format="cloudpickle",
            )
        if sample:
            X.to_parquet(path / SAMPLE_FILE, index=False)
        return path

    return save


@pytest.fixture(scope="session")
def numeric_frame() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Four float columns, a binary and a 3-class target, a regression target."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(300, 4)), columns=["a", "b", "c", "d"])
    binary = (X["a"] + X["b"] * 0.5 > 0).to_numpy().astype(np.int64)
    multi = np.digitize(X["c"] + X["d"], [-0.7, 0.7])
    return X, binary, multi


@pytest.fixture(scope="session")
def mixed_frame() -> tuple[pd.DataFrame, np.ndarray]:
    """A string column, an integer column and a float column; string labels."""
    rng = np.random.default_rng(1)
    n = 300
    X = pd.DataFrame(
        {
            "city": rng.choice(["paris", "lyon", "nice"], size=n).astype(object),
            "age": rng.integers(18, 80, size=n).astype(np.int64),
            "income": rng.normal(50.0, 10.0, size=n),
        }
    )
    score = (X["city"] == "paris") * 1.0 + (X["age"] > 45) * 1.0 + (X["income"] > 52) * 0.7
    y = np.where(score > 1.2, "yes", "no").astype(object)
    return X, y


@pytest.fixture
def mixed_schema() -> InputSchema:
    return InputSchema(
        (
            ColumnSpec("x", "double"),
            ColumnSpec("n", "long"),
            ColumnSpec("i", "integer"),
            ColumnSpec("flag", "boolean"),
            ColumnSpec("name", "string"),
            ColumnSpec("opt", "double", required=False),
        )
    )


def assert_compiled_forest_predicts_like(loaded: Any, first: Any, estimator: Any, X: pd.DataFrame) -> None:
    """A RandomForest loaded from a compiled form: the first load's parity, its classes, its predictions."""
    assert loaded.parity == first.parity
    assert (loaded.model_type, loaded.classes, loaded.predicts_probabilities) == (
        "RandomForestClassifier",
        (0, 1, 2),
        True,
    )
    result = loaded.predictor.predict(loaded.schema.from_pandas(X))
    np.testing.assert_array_equal(result.predictions, estimator.predict(X))
    assert result.probabilities is not None
    np.testing.assert_allclose(result.probabilities, estimator.predict_proba(X), atol=1e-4)
