"""What the stream benchmark's runs share: the demo model, a result row, a contender process, waiting for it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import orjson

RESULTS = Path("benchmarks/results")
CACHE = RESULTS / "cache" / "stream"
SRC = Path(__file__).resolve().parents[1] / "src"


@dataclass
class Result:
    broker: str
    contender: str
    records: int
    records_per_s: float
    p50_ms: float | None = None
    p99_ms: float | None = None


def prepare() -> tuple[Path, Path, list[bytes], list[list[float]]]:
    """The demo registry with ``credit_risk`` at v2, the sklearn model as joblib, and the input records."""
    import joblib
    import pandas as pd

    from modelport.demo import run_demo
    from modelport.registry import Registry
    from modelport.settings import Settings

    home = (CACHE / "home").resolve()
    registry = Registry.open(Settings(home=home))
    result = run_demo(registry, home / "demo", actor="benchmark")
    store = registry.store
    if not any(d.name == "credit_risk" for d in store.list_deployments()):
        store.create_deployment("credit_risk", result.model, "production")
    if {m.name: m.aliases for m in registry.list_models()}[result.model].get("production") != 2:
        registry.promote(result.model, 2, reason="benchmark: the gradient-boosting version", actor="benchmark")
    model_dir = registry.local_model_dir(result.model, 2)
    sklearn_path = CACHE / "credit_risk_v2.joblib"
    if not sklearn_path.exists():
        import mlflow.sklearn

        joblib.dump(mlflow.sklearn.load_model(str(model_dir)), sklearn_path)
    store.close()
    frame = pd.read_csv(home / "demo" / "credit_to_score.csv")
    rows = frame.to_dict(orient="records")
    return home, sklearn_path.resolve(), [orjson.dumps(r) for r in rows], frame.to_numpy().tolist()


def bench_env() -> dict[str, str]:
    # One OpenMP thread per process for every contender (modelport sets it itself): sklearn's
    # predict_proba would otherwise spin a thread per core against the broker and the others.
    path = f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"
    return {**os.environ, "PYTHONPATH": path, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


class Contender:
    """A process started for one measurement and stopped after it."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("wb") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)

    def check(self) -> None:
        if self.proc.poll() is not None:
            raise RuntimeError(f"{self.proc.args!r} exited {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def wait_for(what: str, predicate: Callable[[], bool], contender: Contender, timeout_s: float = 300.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        contender.check()
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.01)
