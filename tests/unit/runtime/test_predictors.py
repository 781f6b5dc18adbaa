"""Every model kind through every predictor, checked against the model called directly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow.pyfunc
import numpy as np
import pandas as pd
import pytest
from lightgbm import LGBMClassifier, LGBMRegressor
from mlflow.pyfunc.model import PythonModel
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import LinearSVC
from xgboost import XGBClassifier, XGBRegressor

from modelport.errors import InvalidSource
from modelport.runtime import LoadedModel, load_model
from tests.unit.runtime.conftest import SaveModel

PREFERENCES = {
    "onnx": ("onnx", "native", "pyfunc"),
    "native": ("native", "pyfunc"),
    "pyfunc": ("pyfunc",),
}


def _numeric_models() -> dict[str, tuple[Any, str]]:
    """name -> (unfitted model, target kind)"""
    return {
        "logistic_binary": (make_pipeline(StandardScaler(), LogisticRegression()), "binary"),
        "logistic_multiclass": (LogisticRegression(max_iter=500), "multi"),
        "random_forest": (RandomForestClassifier(n_estimators=15, max_depth=5, random_state=0), "multi"),
        "gradient_boosting": (GradientBoostingClassifier(n_estimators=20, random_state=0), "binary"),
        "linear_svc": (LinearSVC(), "binary"),
        "linear_regression": (LinearRegression(), "regression"),
        "forest_regression": (
            RandomForestRegressor(n_estimators=10, max_depth=6, random_state=0),
            "regression",
        ),
        "hist_gb_regression": (HistGradientBoostingRegressor(max_iter=20, random_state=0), "regression"),
        "xgboost_classifier": (XGBClassifier(n_estimators=15, max_depth=3), "multi"),
        "xgboost_regressor": (XGBRegressor(n_estimators=15, max_depth=3), "regression"),
        "lightgbm_classifier": (LGBMClassifier(n_estimators=15, verbose=-1), "binary"),
        "lightgbm_regressor": (LGBMRegressor(n_estimators=15, verbose=-1), "regression"),
    }


@pytest.fixture(scope="session")
def numeric_models(
    save_model: SaveModel, numeric_frame: tuple[pd.DataFrame, np.ndarray, np.ndarray]
) -> dict[str, tuple[Any, Path]]:
    X, binary, multi = numeric_frame
    targets = {"binary": binary, "multi": multi, "regression": X["a"] * 3.0 - X["b"] + X["c"] * X["d"]}
    fitted = {}
    for name, (model, target) in _numeric_models().items():
        model.fit(X, targets[target])
        fitted[name] = (model, save_model(model, X, targets[target]))
    return fitted


@pytest.fixture(scope="session")
def mixed_model(save_model: SaveModel, mixed_frame: tuple[pd.DataFrame, np.ndarray]) -> tuple[Any, Path]:
    X, y = mixed_frame
    model = Pipeline(
        [
            (
                "prep",
                ColumnTransformer(
                    [
                        ("cat", OneHotEncoder(handle_unknown="ignore"), ["city"]),
                        ("num", StandardScaler(), ["age", "income"]),
                    ]
                ),
            ),
            ("clf", LogisticRegression()),
        ]
    ).fit(X, y)
    return model, save_model(model, X, y)


def assert_matches_ground_truth(loaded: LoadedModel, model: Any, X: pd.DataFrame) -> None:
    features = loaded.schema.from_pandas(X)
    result = loaded.predictor.predict(features)
    expected = model.predict(X)
    if loaded.classes is not None or loaded.kind == "pyfunc":
        if hasattr(model, "classes_"):
            np.testing.assert_array_equal(result.predictions, expected)
        else:
            np.testing.assert_allclose(result.predictions, expected, rtol=1e-4, atol=1e-6)
    else:
        np.testing.assert_allclose(result.predictions, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).mean())
    if loaded.predicts_probabilities:
        assert result.probabilities is not None
        assert result.classes == tuple(model.classes_.tolist())
        np.testing.assert_allclose(result.probabilities, model.predict_proba(X), atol=1e-4)
    else:
        assert result.probabilities is None


@pytest.mark.parametrize("name", list(_numeric_models()))
@pytest.mark.parametrize("kind", list(PREFERENCES))
def test_numeric_models_match_ground_truth(
    numeric_models: dict[str, tuple[Any, Path]],
    numeric_frame: tuple[pd.DataFrame, np.ndarray, np.ndarray],
    name: str,
    kind: str,
) -> None:
    model, path = numeric_models[name]
    loaded = load_model(path, prefer=PREFERENCES[kind])
    assert loaded.kind == kind, loaded.parity
    assert loaded.flavor == "sklearn"
    X = numeric_frame[0]
    assert_matches_ground_truth(loaded, model, X.iloc[:120])
    if kind != "pyfunc":
        assert loaded.model_type == type(model).__name__
        assert loaded.predicts_probabilities == hasattr(model, "predict_proba")
    if kind == "onnx":
        assert loaded.parity is not None
        assert loaded.parity.passed
        assert loaded.parity.rows == len(X)


@pytest.mark.parametrize("kind", list(PREFERENCES))
def test_string_and_integer_columns_match_ground_truth(
    mixed_model: tuple[Any, Path], mixed_frame: tuple[pd.DataFrame, np.ndarray], kind: str
) -> None:
    model, path = mixed_model
    loaded = load_model(path, prefer=PREFERENCES[kind])
    assert loaded.kind == kind, loaded.parity
    assert [c.dtype for c in loaded.schema.columns] == ["string", "long", "double"]
    assert_matches_ground_truth(loaded, model, mixed_frame[0])
    records = [{str(k): v for k, v in r.items()} for r in mixed_frame[0].iloc[:3].to_dict(orient="records")]
    single = loaded.predictor.predict(loaded.schema.from_records(records[:1]))
    assert single.predictions.tolist() == model.predict(mixed_frame[0].iloc[:1]).tolist()


def test_model_fitted_without_feature_names_gets_a_matrix(
    save_model: SaveModel, numeric_frame: tuple[pd.DataFrame, np.ndarray, np.ndarray]
) -> None:
    X, binary, _ = numeric_frame
    model = LogisticRegression().fit(X.to_numpy(), binary)
    loaded = load_model(save_model(model, X, binary), prefer=("native",))
    result = loaded.predictor.predict(loaded.schema.from_pandas(X))
    np.testing.assert_array_equal(result.predictions, model.predict(X.to_numpy()))
    assert result.probabilities is not None
    np.testing.assert_allclose(result.probabilities, model.predict_proba(X.to_numpy()))


def test_no_sample_means_no_onnx_and_says_why(
    save_model: SaveModel, numeric_frame: tuple[pd.DataFrame, np.ndarray, np.ndarray]
) -> None:
    X, binary, _ = numeric_frame
    model = LogisticRegression().fit(X, binary)
    loaded = load_model(save_model(model, X, binary, sample=False))
    assert loaded.kind == "native"
    assert loaded.parity is not None
    assert not loaded.parity.passed
    assert loaded.parity.reason is not None
    assert "no sample" in loaded.parity.reason
    loaded.warm_up()  # nothing to predict, must not fail


def test_warm_up_and_empty_input(numeric_models: dict[str, tuple[Any, Path]]) -> None:
    loaded = load_model(numeric_models["logistic_binary"][1])
    assert loaded.sample is not None
    assert len(loaded.sample) == 300
    loaded.warm_up()
    empty = loaded.predictor.predict(loaded.schema.from_records([]))
    assert empty.n_rows == 0
    assert empty.probabilities is not None
    assert empty.probabilities.shape == (0, 2)


def test_onnx_flavor_runs_in_onnxruntime(
    tmp_path: Path, numeric_frame: tuple[pd.DataFrame, np.ndarray, np.ndarray]
) -> None:
    import mlflow.onnx
    from mlflow.models import infer_signature
    from skl2onnx import to_onnx

    X, _, multi = numeric_frame
    model = LogisticRegression(max_iter=500).fit(X.to_numpy(np.float32), multi)
    onx = to_onnx(model, X.to_numpy(np.float32)[:1], options={id(model): {"zipmap": False}})
    path = tmp_path / "onnx_model"
    mlflow.onnx.save_model(onx, path, signature=infer_signature(X), pip_requirements=["onnxruntime"])
    loaded = load_model(path)
    assert (loaded.kind, loaded.flavor, loaded.model_type) == ("onnx", "onnx", "onnx")
    result = loaded.predictor.predict(loaded.schema.from_pandas(X))
    np.testing.assert_array_equal(result.predictions, model.predict(X.to_numpy(np.float32)))
    assert result.probabilities is not None
    np.testing.assert_allclose(result.probabilities, model.predict_proba(X.to_numpy(np.float32)), atol=1e-4)


def test_not_a_model_directory(tmp_path: Path) -> None:
    with pytest.raises(InvalidSource):
        load_model(tmp_path)
    (tmp_path / "MLmodel").write_text("flavors: [not, a, mapping")
    with pytest.raises(InvalidSource):
        load_model(tmp_path)


class _Doubler(PythonModel):
    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.Series:
        return model_input["a"] * 2 + model_input["n"]


def test_other_flavors_run_through_pyfunc(tmp_path: Path) -> None:
    from mlflow.models import infer_signature

    X = pd.DataFrame({"a": [0.5, 1.5], "n": np.array([1, 2], dtype=np.int64)})
    path = tmp_path / "custom"
    mlflow.pyfunc.save_model(path, python_model=_Doubler(), signature=infer_signature(X), pip_requirements=["mlflow"])
    loaded = load_model(path)
    assert (loaded.kind, loaded.flavor, loaded.model_type) == ("pyfunc", "python_function", "pyfunc")
    assert loaded.parity is None
    result = loaded.predictor.predict(loaded.schema.from_records([{"a": 2.0, "n": 3}, {"a": 0.25, "n": -1}]))
    assert result.predictions.tolist() == [7.0, -0.5]
    assert result.probabilities is None
