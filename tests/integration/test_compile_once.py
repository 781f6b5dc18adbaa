"""Compile once, through the real CLI and real servers: other homes sharing the registry and state find it.

A "replica" is a process with its own empty ``MODELPORT_HOME`` (so its own download of the version and
its own disk cache) and the same registry and state store: another machine, as far as modelport can tell.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from modelport.demo import run_demo
from modelport.registry import Registry
from modelport.serving import create_app
from modelport.settings import Settings
from tests.integration.cli_runner import Cli


def _shared(demo_home: Path, other: Path) -> Cli:
    """The CLI of another home using ``demo_home``'s registry and state store."""
    env = {
        "MODELPORT_REGISTRY_URI": f"sqlite:///{demo_home / 'registry.db'}",
        "MODELPORT_STATE_URI": f"sqlite:///{demo_home / 'state.db'}",
    }
    return Cli(other, env)


def test_compile_then_describe_shows_the_predictor_and_parity(demo_home: Path) -> None:
    cli = Cli(demo_home)
    before = cli.json("describe", "credit_risk", "2")

    made = cli.json("compile", "credit_risk/2")
    again = cli.json("compile", "credit_risk/2")
    after = cli.json("describe", "credit_risk", "2")
    cli("compile", "credit_risk/2")

    assert (before["predictor"], before["compiled"]["status"]) == (None, "not compiled")
    assert (made["status"], made["predictor"], made["model_type"]) == (
        "compiled",
        "onnx",
        "HistGradientBoostingClassifier",
    )
    assert made["parity"]["passed"]
    assert made["parity"]["rows"] > 0
    assert again["status"] == "already compiled"
    assert after["predictor"] == "onnx"
    assert after["compiled"]["parity"] == made["parity"]
    assert "already compiled, predictor onnx (parity passed" in cli.last.stdout
    # What another machine sees: the state store's copy (its own disk cache is empty).
    elsewhere = _shared(demo_home, demo_home.parent / "elsewhere").json("describe", "credit_risk", "2")
    assert (elsewhere["compiled"]["status"], elsewhere["compiled"]["origin"]) == ("already compiled", "state store")


def test_first_and_second_batch_run_use_the_same_compiled_result(demo_home: Path, tmp_path: Path) -> None:
    source = str(demo_home / "demo" / "credit_to_score.csv")
    first_home, second_home = _shared(demo_home, tmp_path / "a"), _shared(demo_home, tmp_path / "b")

    first = first_home.json("batch", "score", "credit_risk/2", source, "one.parquet")
    second = second_home.json("batch", "score", "credit_risk/2", source, "two.parquet")
    third = second_home.json("batch", "score", "credit_risk/2", source, "three.parquet")

    assert (first["predictor"], first["compiled"]) == ("onnx", "converted")
    assert (second["predictor"], second["compiled"]) == ("onnx", "state store")
    assert (third["predictor"], third["compiled"]) == ("onnx", "disk")
    one, two = pd.read_parquet(tmp_path / "one.parquet"), pd.read_parquet(tmp_path / "two.parquet")
    pd.testing.assert_frame_equal(one, two)


def test_compile_errors_are_one_line(demo_home: Path) -> None:
    cli = Cli(demo_home)
    cli("compile", "nobody/1", expect=3)
    assert cli.last.stderr.startswith("error[model_not_found]:")
    cli("compile", "credit_risk/9", expect=3)
    assert cli.last.stderr.count("\n") == 1


@pytest.mark.postgres
def test_a_second_server_on_postgres_serves_without_converting(
    serve_app: Any, pg_settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    control = Registry.open(pg_settings)
    demo = run_demo(control, tmp_path / "demo", actor="test")
    control.store.create_deployment("credit", demo.model, "production")
    control.store.close()
    rows = pd.read_csv(demo.data_dir / "credit_to_score.csv").head(3)
    payload = {"features": rows.to_dict(orient="records")}
    caplog.set_level(logging.INFO, logger="modelport.runtime.loader")

    first = serve_app(create_app(pg_settings.model_copy(update={"home": tmp_path / "replica-a"})))
    converted_by_first = [r.getMessage() for r in caplog.records if "compiling" in r.getMessage()]
    caplog.clear()
    second = serve_app(create_app(pg_settings.model_copy(update={"home": tmp_path / "replica-b"})))
    messages = [r.getMessage() for r in caplog.records]

    assert len(converted_by_first) == 1
    assert not [m for m in messages if "compiling" in m]
    # The second replica never downloads the model files: it serves the form linked to the version.
    assert [m for m in messages if "served from its compiled form in the state store" in m]
    assert not (tmp_path / "replica-b" / "cache" / "models").exists()
    answers = [httpx.post(f"{s.url}/predict", json=payload, timeout=30).json() for s in (first, second)]
    assert answers[0]["predictions"] == answers[1]["predictions"]
    info = httpx.get(f"{second.url}/model/info", timeout=30).json()
    assert info["predictor"] == "onnx"
    assert info["parity"]["passed"]
