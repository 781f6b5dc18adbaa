"""Second load of the same version reuses the cached conversion (and a cached refusal)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from modelport.runtime import SAMPLE_FILE, DiskCompiledStore, load_model
from tests.unit.runtime.conftest import Frame, SaveModel, assert_compiled_forest_predicts_like


def test_second_load_reuses_the_converted_model(save_model: SaveModel, numeric_frame: Frame, tmp_path: Path) -> None:
    X, _, multi = numeric_frame
    model = RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0).fit(X, multi)
    path = save_model(model, X, multi)
    cache = tmp_path / "cache"
    first = load_model(path, store=DiskCompiledStore(cache))
    assert first.kind == "onnx"
    assert not first.cache_hit
    (onnx_file,) = cache.rglob("model.onnx")
    mtime = onnx_file.stat().st_mtime_ns

    second = load_model(path, store=DiskCompiledStore(cache))
    assert second.kind == "onnx"
    assert second.cache_hit
    assert onnx_file.stat().st_mtime_ns == mtime
    assert_compiled_forest_predicts_like(second, first, model, X)


def test_changed_files_miss_the_cache(save_model: SaveModel, numeric_frame: Frame, tmp_path: Path) -> None:
    X, binary, _ = numeric_frame
    path = save_model(LogisticRegression().fit(X, binary), X, binary)
    cache = tmp_path / "cache"
    load_model(path, store=DiskCompiledStore(cache))
    X.iloc[:50].to_parquet(path / SAMPLE_FILE, index=False)  # a new sample decides parity anew
    reloaded = load_model(path, store=DiskCompiledStore(cache))
    assert not reloaded.cache_hit
    assert reloaded.parity is not None
    assert reloaded.parity.rows == 50
    assert len(list(cache.rglob("model.onnx"))) == 2


def test_refusal_is_cached_too(save_model: SaveModel, numeric_frame: Frame, tmp_path: Path) -> None:
    X, binary, _ = numeric_frame
    model = make_pipeline(FunctionTransformer(np.tanh), LogisticRegression()).fit(X, binary)
    path = save_model(model, X, binary)
    cache = tmp_path / "cache"
    first = load_model(path, store=DiskCompiledStore(cache))
    second = load_model(path, store=DiskCompiledStore(cache))
    assert (first.kind, second.kind) == ("native", "native")
    assert (first.cache_hit, second.cache_hit) == (False, True)
    assert second.parity == first.parity
    assert not list(cache.rglob("model.onnx"))
