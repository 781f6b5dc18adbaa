from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from modelport.batch import ModelInfo
from tests.unit.batch.sklearn_scorer import FEATURES, SklearnScorer, save_mlflow_model, train_model


@pytest.fixture(scope="session")
def model() -> HistGradientBoostingClassifier:
    return train_model()


@pytest.fixture
def scorer(model: HistGradientBoostingClassifier) -> SklearnScorer:
    return SklearnScorer(model)


@pytest.fixture
def model_info() -> ModelInfo:
    return ModelInfo("demo", 1, "models:/demo/1", "native")


@pytest.fixture
def table() -> pa.Table:
    rng = np.random.default_rng(7)
    rows = 1000
    columns = {"id": pa.array(np.arange(rows) + 10_000), "note": pa.array([f"r{i}" for i in range(rows)])}
    columns.update({name: pa.array(rng.normal(size=rows)) for name in FEATURES})
    return pa.table(columns)


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory, model: HistGradientBoostingClassifier) -> Path:
    """The session model saved as a real MLflow model with a column signature."""
    return save_mlflow_model(model, tmp_path_factory.mktemp("mlflow") / "model")
