"""Model directories and settings for the API tests (real MLflow models, real estimators)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow.pyfunc
import mlflow.sklearn
import numpy as np
import pandas as pd
from mlflow.models import infer_signature

from modelport.settings import ServingSettings, Settings

NUMERIC = ["a", "b", "c", "d"]


@dataclass
class Built:
    """A model directory and the estimator it holds (the ground truth for comparisons)."""

    path: Path
    model: Any
    frame: pd.DataFrame


def save_sklearn(path: Path, model: Any, frame: pd.DataFrame, y: Any, *, sample_rows: int = 50) -> Built:
    """An MLflow sklearn model directory with its signature and a registration sample beside it."""
    mlflow.sklearn.save_model(
        model,
        path,
        signature=infer_signature(frame, y),
        pip_requirements=["scikit-learn"],
        serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_CLOUDPICKLE,
    )
    frame.head(sample_rows).to_parquet(path / "modelport_sample.parquet")
    return Built(path, model, frame)


def numeric_frame(seed: int, n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(size=(n, len(NUMERIC))), columns=NUMERIC)


class Raising(mlflow.pyfunc.PythonModel):  # type: ignore[misc]
    """A model whose code fails for some inputs (a bug in user code, as the server meets it)."""

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> Any:
        if (model_input["a"] > 100).any():
            raise RuntimeError("secret internal detail: a > 100 crashes this model")
        return model_input["a"].to_numpy()


def make_settings(tmp_path: Path, **serving: Any) -> Settings:
    base: dict[str, Any] = {"default_deployment": "clf", "poll_interval_s": 0.05}
    return Settings(home=tmp_path / "home", serving=ServingSettings(**(base | serving)))
