"""A real scikit-learn model wrapped in the batch ``Scorer`` protocol, for the batch engine tests."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from sklearn.ensemble import HistGradientBoostingClassifier

from modelport.batch import Scores
from modelport.errors import InvalidInput
from modelport.model_format import BadRow

FEATURES = ("x0", "x1", "x2", "x3")


def train_model(seed: int = 0) -> HistGradientBoostingClassifier:
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(400, len(FEATURES)))
    labels = (features[:, 0] + features[:, 1] * features[:, 2] > 0).astype(np.int64)
    return HistGradientBoostingClassifier(max_iter=20, random_state=seed).fit(features, labels)


def save_mlflow_model(model: HistGradientBoostingClassifier, path: Path) -> Path:
    """Save ``model`` as a real MLflow model with a column signature (x0..x3 doubles)."""
    import mlflow.sklearn
    import pandas as pd
    from mlflow.models import infer_signature

    sample = pd.DataFrame(np.random.default_rng(1).normal(size=(20, len(FEATURES))), columns=list(FEATURES))
    mlflow.sklearn.save_model(
        model,
        path,
        signature=infer_signature(sample, model.predict(sample.to_numpy())),
        pip_requirements=["scikit-learn"],
        skops_trusted_types=["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"],
    )
    return path


class SklearnScorer:
    """Rejects rows with a missing feature, like the runtime's signature check; ``delay`` slows it down
    so that a subprocess can be killed halfway."""

    def __init__(self, model: HistGradientBoostingClassifier, delay: float = 0.0) -> None:
        self.model = model
        self.delay = delay

    @property
    def input_types(self) -> Mapping[str, pa.DataType]:
        return dict.fromkeys(FEATURES, pa.float64())

    @property
    def classes(self) -> Sequence[Any] | None:
        return tuple(self.model.classes_.tolist())

    def score(self, batch: pa.RecordBatch) -> Scores:
        missing = [name for name in FEATURES if name not in batch.schema.names]
        if missing:  # as the runtime's schema does
            raise InvalidInput(f"missing column(s) {missing}", details=[{"column": m} for m in missing])
        if self.delay:
            time.sleep(self.delay)
        matrix = np.column_stack([batch.column(name).to_numpy(zero_copy_only=False) for name in FEATURES])
        bad = np.isnan(matrix).any(axis=1)
        rejected = [BadRow(int(row), None, "missing value") for row in np.flatnonzero(bad)]
        good = matrix[~bad]
        return Scores(self.model.predict(good), self.model.predict_proba(good), rejected)
