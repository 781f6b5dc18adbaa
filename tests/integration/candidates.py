"""Bad candidate versions for rollout tests: real MLflow pyfunc models, loadable in a fresh server process.

The classes live in an importable module of the tests package, so the pickled ``python_model`` is
found by reference when a server subprocess (with the repository root on ``PYTHONPATH``) loads it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.models import infer_signature


class FailingModel(mlflow.pyfunc.PythonModel):  # type: ignore[misc,name-defined]
    """Fails on every row whose ``column`` is above ``threshold`` (chosen so ~20 % of rows fail)."""

    def __init__(self, column: str, threshold: float) -> None:
        self.column, self.threshold = column, threshold

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> Any:
        if (model_input[self.column] > self.threshold).any():
            raise RuntimeError(f"candidate bug: {self.column} above {self.threshold:g}")
        return np.zeros(len(model_input), dtype=np.int64)


class SlowModel(mlflow.pyfunc.PythonModel):  # type: ignore[misc,name-defined]
    """Correct answers, but every call takes ``delay_s`` (a candidate far slower than allowed)."""

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> Any:
        time.sleep(self.delay_s)
        return np.zeros(len(model_input), dtype=np.int64)


def save_pyfunc(path: Path, model: Any, frame: pd.DataFrame) -> Path:
    """An MLflow pyfunc model folder whose signature is ``frame``'s columns (explicit requirements: fast)."""
    signature = infer_signature(frame, np.zeros(len(frame), dtype=np.int64))
    mlflow.pyfunc.save_model(path, python_model=model, signature=signature, pip_requirements=["mlflow"])
    return path
