"""Real MLflow model folders (with their registration sample) for the edge tests, built once per session."""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mlflow.sklearn
import numpy as np
import pandas as pd
import pytest
from lightgbm import LGBMClassifier
from mlflow.models import infer_signature
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits
from xgboost import XGBClassifier

from modelport.demo import FEATURES, TARGET
from modelport.demo.dataset import make_credit_data
from modelport.edge import ExportRequest, export_bundle
from modelport.edge.bundle import ExportResult
from modelport.types import SAMPLE_FILENAME

Export = Callable[..., ExportResult]


def save(path: Path, model: Any, frame: pd.DataFrame, y: Any, sample_rows: int = 400) -> Path:
    mlflow.sklearn.save_model(
        model,
        path,
        signature=infer_signature(frame, y),
        pip_requirements=["scikit-learn"],
        serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_CLOUDPICKLE,
    )
    frame.head(sample_rows).to_parquet(path / SAMPLE_FILENAME, index=False)
    return path


@pytest.fixture(scope="session")
def credit() -> tuple[pd.DataFrame, np.ndarray]:
    frame = make_credit_data(1500)
    return frame[list(FEATURES)], frame[TARGET].to_numpy()


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory, credit: tuple[pd.DataFrame, np.ndarray]) -> dict[str, Path]:
    """Classifiers on the credit data (logistic, boosting, mlp, mlp_raw with unscaled inputs, xgboost,
    lightgbm), a regressor, and mixed (a string column)."""
    x, y = credit
    root = tmp_path_factory.mktemp("edge-models")
    # One thread: OpenMP/BLAS spinning on a machine busy with other work turns seconds into minutes.
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore", ConvergenceWarning)  # a few epochs make a fine MLP for these tests
        mlp = make_pipeline(StandardScaler(), MLPClassifier((64, 64), max_iter=80, random_state=0)).fit(x, y)
        mlp_raw = MLPClassifier((64, 64), max_iter=80, random_state=0).fit(x, y)
        boosting = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(x, y)
        xgboost = XGBClassifier(n_estimators=20, max_depth=3, n_jobs=1).fit(x, y)
        lightgbm = LGBMClassifier(n_estimators=20, n_jobs=1, verbose=-1).fit(x, y)
    built = {
        "logistic": make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(x, y),
        "boosting": boosting,
        "mlp": mlp,
        "mlp_raw": mlp_raw,
        "xgboost": xgboost,
        "lightgbm": lightgbm,
    }
    paths = {name: save(root / name, model, x, y) for name, model in built.items()}
    target = x["income"].to_numpy() * 0.1 + x["age"].to_numpy() * 3.0
    paths["regressor"] = save(root / "regressor", LinearRegression().fit(x, target), x, target)
    rng = np.random.default_rng(3)
    mixed = pd.DataFrame(
        {
            "city": rng.choice(["paris", "lyon", "nice"], size=300).astype(object),
            "age": rng.integers(18, 80, size=300).astype(np.int64),
            "score": rng.normal(size=300),
        }
    )
    labels = np.where((mixed["city"] == "paris") | (mixed["score"] > 0.5), "yes", "no")
    encoder = ColumnTransformer([("city", OneHotEncoder(), ["city"]), ("num", StandardScaler(), ["age", "score"])])
    paths["mixed"] = save(
        root / "mixed", make_pipeline(encoder, LogisticRegression()).fit(mixed, labels), mixed, labels
    )
    return paths


@pytest.fixture
def export(models: dict[str, Path], tmp_path: Path) -> Export:
    """``export("mlp", quantization=..., ...)`` -> the result of a real export into a fresh folder."""
    counter = iter(range(1000))

    def run(model: str, **options: Any) -> ExportResult:
        out = options.pop("out", tmp_path / f"{model}-{next(counter)}")
        return export_bundle(ExportRequest(models[model], out, model, 1, alias="production", **options))

    return run


@pytest.fixture(scope="session")
def pristine(models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``pristine(model)`` -> a bundle exported once per session with default options; never modify it."""
    root = tmp_path_factory.mktemp("pristine")
    done: dict[str, Path] = {}

    def get(model: str) -> Path:
        if model not in done:
            done[model] = export_bundle(ExportRequest(models[model], root / model, model, 3)).out
        return done[model]

    return get


@pytest.fixture
def bundle(pristine: Callable[[str], Path], tmp_path: Path) -> Callable[[str], Path]:
    """``bundle(model)`` -> a fresh copy of the pristine bundle of ``model``, free to change."""

    def copy(model: str) -> Path:
        target = tmp_path / f"copy-{model}"
        shutil.copytree(pristine(model), target)
        return target

    return copy
