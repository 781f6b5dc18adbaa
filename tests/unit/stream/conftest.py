"""Stream worker unit fixtures: real MLflow models on a ``MemoryCatalog``, a real ``Node``, a list as the broker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path

import mlflow.pyfunc
import pytest
from mlflow.models import infer_signature
from sklearn.ensemble import GradientBoostingClassifier

from modelport.inference import MemoryCatalog, Node
from modelport.settings import Settings, StreamSettings
from modelport.stream import Outcome, Record, Source
from tests.api.models import Built, Raising, numeric_frame, save_sklearn


@pytest.fixture(scope="session")
def stream_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Built]:
    root = tmp_path_factory.mktemp("stream-models")
    x = numeric_frame(0)
    y = (x["a"] + x["b"] > 0).astype(int)
    raising = root / "raising"
    mlflow.pyfunc.save_model(
        raising, python_model=Raising(), signature=infer_signature(x, x["a"]), pip_requirements=["mlflow"]
    )
    broken = root / "broken"
    broken.mkdir()
    (broken / "MLmodel").write_text("this is not an MLmodel file: [\n")
    return {
        "clf": save_sklearn(root / "clf", GradientBoostingClassifier(n_estimators=10).fit(x, y), x, y),
        "raising": Built(raising, None, x),
        "broken": Built(broken, None, x),
    }


@pytest.fixture
def stream_catalog(stream_models: dict[str, Built]) -> MemoryCatalog:
    cat = MemoryCatalog()
    for name in ("clf", "raising", "broken"):
        cat.add_version(name, "1", stream_models[name].path)
        cat.point(name, "production", "1")
        cat.deploy(name, name)
    return cat


@pytest.fixture
async def node(tmp_path: Path, stream_catalog: MemoryCatalog) -> AsyncIterator[Node]:
    settings = Settings(home=tmp_path / "home")
    async with Node(settings, catalog=stream_catalog) as started:
        yield started


def stream_settings(**given: object) -> StreamSettings:
    return StreamSettings.model_validate({"poll_timeout_s": 0.05, "max_latency_ms": 0.0, **given})


class ListSource(Source):
    """The ``Source`` protocol over a list, for the loop's own rules (brokers: tests/integration)."""

    name = "list"

    def __init__(self, records: Sequence[Record]) -> None:
        self.records = list(records)
        self.written: list[list[Outcome]] = []
        self.reads: list[int] = []
        self.write_gate: asyncio.Event | None = None
        self.writing = asyncio.Event()
        self.stopped = False

    def describe(self) -> str:
        return "a list"

    async def open(self) -> None:
        pass

    async def read(self, max_records: int, timeout_s: float) -> list[Record]:
        taken, self.records = self.records[:max_records], self.records[max_records:]
        self.reads.append(len(taken))
        if not taken:
            await asyncio.sleep(min(timeout_s, 0.01))
        return taken

    async def write(self, outcomes: Sequence[Outcome]) -> int:
        self.writing.set()
        if self.write_gate is not None:
            await self.write_gate.wait()
        self.written.append(list(outcomes))
        return len(outcomes)

    async def lag(self) -> Mapping[str, int]:
        return {"pending": len(self.records)}

    def stop(self) -> None:
        self.stopped = True

    async def close(self) -> None:
        pass
