"""Compile once: a second replica (its own empty home, the same state store) loads without converting.

Every test runs on a SQLite state file and on a PostgreSQL database. A "replica" is what a process on
another machine has: its own ``Settings.home`` (so its own disk cache), its own copy of the model folder
(as the registry would download it there) and its own connection to the shared state store.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from modelport.runtime import LoadedModel, model_loader
from modelport.runtime.compilation import compile_version, compiled_status
from modelport.runtime.version_loader import compiled_store
from modelport.settings import Settings
from modelport.state import StateStore
from tests.conftest import PostgresDatabases
from tests.unit.runtime.conftest import Frame, SaveModel, assert_compiled_forest_predicts_like

Replica = Callable[[str], tuple[Settings, StateStore]]


@pytest.fixture(params=["sqlite", "postgresql"])
def replica(request: pytest.FixtureRequest, tmp_path: Path, postgres: PostgresDatabases) -> Iterator[Replica]:
    """``replica(name)``: settings with an empty home of its own, and a connection to the shared state."""
    url = f"sqlite:///{tmp_path / 'shared-state.db'}" if request.param == "sqlite" else postgres.create()
    opened: list[StateStore] = []

    def make(name: str) -> tuple[Settings, StateStore]:
        store = StateStore.from_url(url)
        opened.append(store)
        return Settings(home=tmp_path / name, state_uri=url), store

    yield make
    for store in opened:
        store.close()


def _load_on(replica: Replica, name: str, model: Path) -> LoadedModel:
    settings, store = replica(name)
    local = settings.resolved_home / "cache" / "models" / "m" / "1-run"
    if not local.exists():
        shutil.copytree(model, local)  # what the registry's download gives this replica
    return model_loader(settings, store)(local, model="m", version="1")


def test_second_replica_loads_onnx_without_converting(
    replica: Replica, save_model: SaveModel, numeric_frame: Frame
) -> None:
    X, _, multi = numeric_frame
    estimator = RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0).fit(X, multi)
    model = save_model(estimator, X, multi)

    first = _load_on(replica, "a", model)
    second = _load_on(replica, "b", model)
    again = _load_on(replica, "b", model)

    assert (first.kind, first.converted, first.compiled_from) == ("onnx", True, None)
    assert (second.kind, second.converted, second.compiled_from) == ("onnx", False, "state store")
    assert (again.converted, again.compiled_from) == (False, "disk")  # copied to replica b's own cache
    assert_compiled_forest_predicts_like(second, first, estimator, X)


def test_a_refusal_is_shared_too(replica: Replica, save_model: SaveModel, numeric_frame: Frame) -> None:
    X, binary, _ = numeric_frame
    model = save_model(make_pipeline(FunctionTransformer(np.tanh), LogisticRegression()).fit(X, binary), X, binary)

    first = _load_on(replica, "a", model)
    second = _load_on(replica, "b", model)

    assert (first.kind, first.converted) == ("native", True)
    assert (second.kind, second.converted, second.compiled_from) == ("native", False, "state store")
    assert second.parity == first.parity
    assert second.parity is not None
    assert not second.parity.passed


def test_without_onnx_in_prefer_nothing_is_converted_or_stored(
    replica: Replica, save_model: SaveModel, numeric_frame: Frame
) -> None:
    X, binary, _ = numeric_frame
    model = save_model(LogisticRegression().fit(X, binary), X, binary)
    settings, store = replica("a")
    settings = settings.model_copy(update={"runtime": settings.runtime.model_copy(update={"prefer": ("native",)})})

    loaded = model_loader(settings, store)(model, model="m", version="1")

    assert (loaded.kind, loaded.converted) == ("native", False)
    status = compiled_status(compiled_store(settings, store), model, model="m", version="1", prefer=("native",))
    assert status.status == "not compiled"


def test_compile_ahead_of_time_then_every_replica_finds_it(
    replica: Replica, save_model: SaveModel, numeric_frame: Frame
) -> None:
    X, binary, _ = numeric_frame
    model = save_model(LogisticRegression().fit(X, binary), X, binary)
    settings, store = replica("builder")
    before = compiled_status(compiled_store(settings, store), model, model="m", version="1", prefer=("onnx",))

    made = compile_version(model_loader(settings, store), model, model="m", version="1")
    again = compile_version(model_loader(settings, store), model, model="m", version="1")
    elsewhere = _load_on(replica, "server", model)

    assert before.status == "not compiled"
    assert (made.status, made.predictor, made.origin) == ("compiled", "onnx", None)
    assert (again.status, again.origin) == ("already compiled", "disk")
    assert made.parity is not None
    assert made.parity.passed
    assert made.key == again.key
    assert (elsewhere.converted, elsewhere.compiled_from) == (False, "state store")
    record = store.compiled.get(str(made.key))
    assert record is not None
    assert (record.model, record.version) == ("m", "1")


def test_a_broken_state_store_never_fails_a_load(
    tmp_path: Path, save_model: SaveModel, numeric_frame: Frame, caplog: pytest.LogCaptureFixture
) -> None:
    X, binary, _ = numeric_frame
    model = save_model(LogisticRegression().fit(X, binary), X, binary)
    url = f"sqlite:///{tmp_path / 'state.db'}"
    store = StateStore.from_url(url)
    with sqlite3.connect(tmp_path / "state.db") as conn:  # a damaged database: the table is gone
        conn.execute("DROP TABLE modelport_compiled")

    loaded = model_loader(Settings(home=tmp_path / "home", state_uri=url), store)(model)
    store.close()

    assert (loaded.kind, loaded.converted) == ("onnx", True)
    assert any("cannot read compiled models from the state store" in r.getMessage() for r in caplog.records)
    assert any("cannot store the compiled" in r.getMessage() for r in caplog.records)
