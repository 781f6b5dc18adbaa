"""In-process API tests: real MLflow model directories, the real runtime, the ASGI app via httpx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import mlflow.pyfunc
import numpy as np
import pandas as pd
import pytest
from fastapi import FastAPI
from mlflow.models import infer_signature
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import LinearSVC

from modelport.inference import MemoryCatalog
from modelport.serving import create_app
from modelport.settings import Settings
from tests.api.models import NUMERIC, Built, Raising, make_settings, numeric_frame, save_sklearn


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Built]:
    root = tmp_path_factory.mktemp("models")
    x = numeric_frame(0)
    y = (x["a"] + x["b"] > 0).astype(int)
    out = {
        "clf_v1": save_sklearn(root / "clf_v1", GradientBoostingClassifier(n_estimators=10).fit(x, y), x, y),
        "clf_v2": save_sklearn(root / "clf_v2", LogisticRegression().fit(x, y), x, y),
    }
    reg_y = x["a"] * 3.0 - x["c"]
    out["reg"] = save_sklearn(root / "reg", GradientBoostingRegressor(n_estimators=10).fit(x, reg_y), x, reg_y)
    rng = np.random.default_rng(1)
    cat_x = x.copy()
    cat_x["color"] = rng.choice(["red", "green", "blue"], size=len(x))
    cat_y = np.where(cat_x["color"] == "red", "stop", np.where(x["a"] > 0, "go", "wait"))
    pre = ColumnTransformer([("num", StandardScaler(), NUMERIC), ("cat", OneHotEncoder(), ["color"])])
    cat_model = make_pipeline(pre, LogisticRegression(max_iter=500)).fit(cat_x, cat_y)
    out["cat"] = save_sklearn(root / "cat", cat_model, cat_x, cat_y)
    out["svc"] = save_sklearn(root / "svc", LinearSVC().fit(x, y), x, y)
    raising = root / "raising"
    mlflow.pyfunc.save_model(
        raising, python_model=Raising(), signature=infer_signature(x, x["a"]), pip_requirements=["mlflow"]
    )
    out["raising"] = Built(raising, None, x)
    broken = root / "broken"
    broken.mkdir()
    (broken / "MLmodel").write_text("this is not an MLmodel file: [\n")
    out["broken"] = Built(broken, None, x)
    return out


@pytest.fixture
def catalog(models: dict[str, Built]) -> MemoryCatalog:
    cat = MemoryCatalog()
    cat.add_version("clf", "1", models["clf_v1"].path)
    cat.add_version("clf", "2", models["clf_v2"].path)
    cat.add_version("clf", "3", models["broken"].path)
    for name in ("reg", "cat", "svc", "raising"):
        cat.add_version(name, "1", models[name].path)
        cat.point(name, "production", "1")
        cat.deploy(name, name)
    cat.point("clf", "production", "1")
    cat.deploy("clf", "clf")
    return cat


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
async def app(settings: Settings, catalog: MemoryCatalog) -> AsyncIterator[FastAPI]:
    application = create_app(settings, catalog=catalog)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def rows(models: dict[str, Built]) -> pd.DataFrame:
    return models["clf_v1"].frame.head(5)
