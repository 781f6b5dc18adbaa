"""The registry through the real CLI on the embedded default (SQLite registry and state)."""

from __future__ import annotations

from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from tests.integration.cli_runner import Cli


@pytest.fixture
def cli(demo_home: Path) -> Cli:
    return Cli(demo_home)


def _production(cli: Cli) -> int | None:
    versions = cli.json("versions", "credit_risk")
    found = [v["version"] for v in versions if "production" in v["aliases"]]
    return found[0] if found else None


def test_demo_left_two_versions_with_production_on_1(cli: Cli) -> None:
    versions = cli.json("versions", "credit_risk")
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["aliases"] == ["production"]
    assert all(len(v["inputs"]) == 20 for v in versions)
    models = cli.json("models")
    assert models == [{"name": "credit_risk", "latest_version": 2, "aliases": {"production": 1}, "description": ""}]


def test_demo_run_twice_reuses_its_versions(cli: Cli) -> None:
    again = cli.json("demo", "--no-serve")
    assert again["reused"] is True
    assert again["versions"] == {"logistic": 1, "gradient_boosting": 2}
    assert [v["version"] for v in cli.json("versions", "credit_risk")] == [1, 2]


def test_promote_and_rollback_follow_the_recorded_history(cli: Cli) -> None:
    cli("promote", "credit_risk", "2", "--reason", "better accuracy")
    assert _production(cli) == 2
    cli("promote", "credit_risk", "1")
    assert _production(cli) == 1
    cli("rollback", "credit_risk")
    assert _production(cli) == 2
    cli("rollback", "credit_risk", "--reason", "incident 42")
    assert _production(cli) == 1
    cli("rollback", "credit_risk", expect=4)
    assert "nothing earlier" in cli.last.stderr
    assert "Traceback" not in cli.last.stderr
    assert _production(cli) == 1

    history = cli.json("history", "credit_risk")
    steps = [(h["action"], h["alias"], h["from_version"], h["to_version"]) for h in history]
    assert steps == [
        ("register", None, None, 1),
        ("register", None, None, 2),
        ("promote", "production", None, 1),
        ("promote", "production", 1, 2),
        ("promote", "production", 2, 1),
        ("rollback", "production", 1, 2),
        ("rollback", "production", 2, 1),
    ]
    assert history[3]["reason"] == "better accuracy"
    assert history[6]["reason"] == "incident 42"
    assert all(h["actor"] and h["time"].endswith("+00:00") for h in history)


def test_stage_names_are_aliases_and_old_stage_uris_resolve(cli: Cli) -> None:
    import mlflow

    cli("promote", "credit_risk", "2", "--alias", "Production")
    assert _production(cli) == 2
    cli("promote", "credit_risk", "1", "--alias", "STAGING")
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{cli.home / 'registry.db'}")
    assert int(client.get_latest_versions("credit_risk", stages=["Production"])[0].version) == 2
    assert int(client.get_latest_versions("credit_risk", stages=["Staging"])[0].version) == 1
    cli("rollback", "credit_risk", "--alias", "production")
    assert int(client.get_latest_versions("credit_risk", stages=["Production"])[0].version) == 1


def test_delete_refuses_an_aliased_version_without_force(cli: Cli) -> None:
    cli("delete", "credit_risk", "1", expect=4)
    assert "production" in cli.last.stderr
    assert [v["version"] for v in cli.json("versions", "credit_risk")] == [1, 2]
    cli("delete", "credit_risk", "2")
    assert [v["version"] for v in cli.json("versions", "credit_risk")] == [1]
    cli("delete", "credit_risk", "1", "--force")
    assert cli.json("versions", "credit_risk") == []
    actions = [(h["action"], h["from_version"], h["alias"]) for h in cli.json("history", "credit_risk")]
    assert actions[-2:] == [("delete", 2, None), ("delete", 1, "production")]


def test_describe_shows_signature_flavor_and_probabilities(cli: Cli) -> None:
    info = cli.json("describe", "credit_risk", "2")
    assert info["flavor"] == "sklearn"
    assert info["predicts_probabilities"] is True
    assert info["inputs"][0] == {"name": "age", "type": "double", "required": True}
    assert info["tags"]["demo"] == "gradient_boosting"
    text = cli("describe", "credit_risk", "2").stdout
    assert "credit_score" in text
    assert "predicts probabilities: yes" in text


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (("describe", "nope", "1"), 3, "no registered model named 'nope'"),
        (("describe", "credit_risk", "9"), 3, "no version 9"),
        (("promote", "credit_risk", "9"), 3, "no version 9"),
        (("promote", "credit_risk", "1", "--alias", "latest"), 2, "invalid alias"),
        (("rollback", "credit_risk", "--alias", "staging"), 4, "no promotion"),
        (("history", "nope"), 3, "no registered model"),
    ],
)
def test_user_mistakes_get_one_line_and_an_exit_code(cli: Cli, args: tuple[str, ...], code: int, needle: str) -> None:
    before = cli.json("history", "credit_risk")
    cli(*args, expect=code)
    lines = cli.last.stderr.strip().splitlines()
    assert len(lines) == 1
    assert needle in lines[0]
    assert lines[0].startswith("error[")
    assert cli.json("history", "credit_risk") == before


def test_registering_bad_sources_changes_nothing(cli: Cli, tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a model")
    fake_pickle = tmp_path / "model.joblib"
    fake_pickle.write_text("not a pickle either")
    regression = tmp_path / "reg.joblib"
    joblib.dump(LinearRegression().fit(np.ones((3, 2)), [1.0, 2.0, 3.0]), regression)
    before = (cli.json("versions", "credit_risk"), cli.json("history", "credit_risk"), cli.json("models"))
    for source, code, needle in [
        (str(text), 2, "unsupported model file"),
        (str(tmp_path / "missing.joblib"), 2, "no such file"),
        (str(fake_pickle), 2, "cannot load model.joblib"),
        (str(regression), 2, "--sample"),
    ]:
        cli("register", source, "--name", "credit_risk", expect=code)
        assert needle in cli.last.stderr, cli.last.stderr
        assert "Traceback" not in cli.last.stderr + cli.last.stdout
    cli("register", str(regression), "--name", "brand_new", expect=2)
    assert (
        cli.json("versions", "credit_risk"),
        cli.json("history", "credit_risk"),
        cli.json("models"),
    ) == before


def test_register_with_sample_infers_the_signature_and_keeps_the_sample(cli: Cli, tmp_path: Path) -> None:
    frame = pd.DataFrame({"x1": np.arange(50.0), "x2": np.arange(50.0) ** 2, "y": np.arange(50.0) * 3})
    model = LinearRegression().fit(frame[["x1", "x2"]], frame["y"])
    joblib.dump(model, tmp_path / "lin.joblib")
    frame.to_parquet(tmp_path / "train.parquet")
    cli(
        "register",
        str(tmp_path / "lin.joblib"),
        "--name",
        "lin",
        "--sample",
        str(tmp_path / "train.parquet"),
        "--description",
        "linear",
        "--tag",
        "team=risk",
        "--tag",
        "owner=ana",
    )
    assert "pickle" in cli.last.stderr  # pickle-based formats warn that they execute code
    assert "Registered lin version 1" in cli.last.stdout
    info = cli.json("describe", "lin", "1")
    assert [c["name"] for c in info["inputs"]] == ["x1", "x2"]  # the target column is not an input
    assert info["tags"] == {"team": "risk", "owner": "ana"}
    assert info["predicts_probabilities"] is False
    from modelport.registry import SAMPLE_FILENAME, Registry
    from modelport.settings import Settings

    registry = Registry.open(Settings(home=cli.home))
    kept = pd.read_parquet(registry.local_model_dir("lin", 1) / SAMPLE_FILENAME)
    assert list(kept.columns) == ["x1", "x2"]
    assert len(kept) == 50


def test_register_mlflow_model_folder_and_onnx(cli: Cli, tmp_path: Path) -> None:
    import mlflow.sklearn
    from mlflow.models import infer_signature
    from skl2onnx import to_onnx

    frame = pd.DataFrame({"a": np.linspace(0, 1, 40), "b": np.linspace(1, 0, 40)})
    target = (frame.a > 0.5).astype(int)
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(frame, target)
    mlflow.sklearn.save_model(
        model,
        tmp_path / "mlmodel",
        signature=infer_signature(frame, target),
        pip_requirements=["scikit-learn"],
    )
    cli("register", str(tmp_path / "mlmodel"), "--name", "folder_model")
    described = cli.json("describe", "folder_model", "1")
    assert described["flavor"] == "sklearn"
    assert described["predicts_probabilities"] is True

    onnx_path = tmp_path / "m.onnx"
    onnx_path.write_bytes(to_onnx(model, frame.to_numpy(np.float32)[:1]).SerializeToString())
    frame.to_csv(tmp_path / "s.csv", index=False)
    cli("register", str(onnx_path), "--name", "onnx_model", expect=2)
    assert "--sample" in cli.last.stderr
    cli("register", str(onnx_path), "--name", "onnx_model", "--sample", str(tmp_path / "s.csv"))
    info = cli.json("describe", "onnx_model", "1")
    assert info["flavor"] == "onnx"
    assert [c["name"] for c in info["inputs"]] == ["a", "b"]
    # an MLflow URI of a version already registered registers as a copy under another name
    cli("register", "models:/folder_model/1", "--name", "copied")
    assert cli.json("versions", "copied")[0]["version"] == 1
