"""``modelport edge`` end to end: the demo's versions and an MLP pipeline exported through the CLI, then run
by ``predict.py`` in a virtual environment that holds only onnxruntime and numpy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import mlflow.sklearn
import numpy as np
import onnxruntime
import pandas as pd
import pytest
import skops.io
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from modelport.demo import FEATURES, TARGET
from modelport.registry import Registry
from modelport.settings import Settings
from tests.integration.cli_runner import Cli


@pytest.fixture(scope="session")
def device_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plain virtual environment with onnxruntime and numpy only: what a device has. Built once a session."""
    venv = tmp_path_factory.mktemp("device") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    pins = [f"onnxruntime=={onnxruntime.__version__}", f"numpy=={np.__version__}"]
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *pins],
        check=True,
        timeout=600,
        env=_clean_env(),
        capture_output=True,
    )
    for absent in ("sklearn", "pandas", "modelport", "onnx"):
        probe = subprocess.run([str(python), "-c", f"import {absent}"], env=_clean_env(), capture_output=True)
        assert probe.returncode != 0, f"the device venv must not have {absent}"
    return python


def _clean_env() -> dict[str, str]:
    """No PYTHONPATH or virtualenv of ours leaks into the device's interpreter."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}


def _device(python: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), *args], env=_clean_env(), capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture
def cli(demo_home: Path) -> Cli:
    return Cli(demo_home)


def _register_mlp(cli: Cli, demo_home: Path, tmp_path: Path) -> None:
    train = pd.read_csv(demo_home / "demo" / "credit_train.csv").head(3000)
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = make_pipeline(StandardScaler(), MLPClassifier((64, 64), max_iter=60, random_state=0))
        model.fit(train[list(FEATURES)], train[TARGET])
    skops.io.dump(model, tmp_path / "mlp.skops")
    train[list(FEATURES)].head(1000).to_csv(tmp_path / "mlp_sample.csv", index=False)
    cli("register", str(tmp_path / "mlp.skops"), "--name", "mlp", "--sample", str(tmp_path / "mlp_sample.csv"))


def _in_process(home: Path, name: str, version: int) -> object:
    registry = Registry.open(Settings(home=home))
    try:
        return mlflow.sklearn.load_model(str(registry.local_model_dir(name, version)))
    finally:
        registry.store.close()


def _flip_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("ref", "name", "version"),
    [("credit_risk@production", "credit_risk", 1), ("credit_risk/2", "credit_risk", 2), ("mlp/1", "mlp", 1)],
)
def test_exported_bundle_predicts_like_the_model_verifies_and_is_recorded(
    cli: Cli, demo_home: Path, tmp_path: Path, device_python: Path, ref: str, name: str, version: int
) -> None:
    if name == "mlp":
        _register_mlp(cli, demo_home, tmp_path)
    out = tmp_path / "bundle"

    exported = cli.json("edge", "export", ref, "--out", str(out))

    assert exported["parity"]["passed"] is True
    scored = demo_home / "demo" / "credit_to_score.csv"
    run = _device(device_python, str(out / "predict.py"), str(scored))
    assert run.returncode == 0, run.stderr
    answers = [json.loads(line) for line in run.stdout.splitlines()]
    frame = pd.read_csv(scored)
    model = _in_process(demo_home, name, version)
    assert [a["prediction"] for a in answers] == model.predict(frame).tolist()  # type: ignore[attr-defined]
    probabilities = np.array([a["probabilities"] for a in answers])
    np.testing.assert_allclose(probabilities, model.predict_proba(frame), atol=1e-4)  # type: ignore[attr-defined]

    self_test = _device(device_python, str(out / "predict.py"), "--self-test")
    assert self_test.returncode == 0, self_test.stderr
    cli("edge", "verify", str(out))

    _flip_one_byte(out / "model.onnx")
    failed = cli("edge", "verify", str(out), expect=2)
    assert failed.stderr.splitlines() == [
        "error[bundle_invalid]: model.onnx: sha256 differs from the manifest (the file was changed)"
    ]
    refused = _device(device_python, str(out / "predict.py"), str(scored))
    assert refused.returncode == 3
    assert refused.stdout == ""

    last = cli.json("history", name)[-1]
    assert (last["action"], last["to_version"]) == ("export", version)
    assert last["alias"] == ("production" if "@" in ref else None)
    assert exported["manifest"]["files"]["model.onnx"]["sha256"] in last["reason"]


@pytest.mark.slow
def test_int8_mlp_halves_the_model_and_keeps_the_labels_on_the_device(
    cli: Cli, demo_home: Path, tmp_path: Path, device_python: Path
) -> None:
    _register_mlp(cli, demo_home, tmp_path)

    exported = cli.json("edge", "export", "mlp/1", "--out", str(tmp_path / "int8"), "--quantize", "int8")
    cli("edge", "export", "mlp/1", "--out", str(tmp_path / "fp32"))

    parity = json.loads((tmp_path / "int8" / "parity.json").read_text())
    assert parity["label_agreement"] >= 0.99
    assert (tmp_path / "int8" / "model.onnx").stat().st_size <= (tmp_path / "fp32" / "model.onnx").stat().st_size / 2
    assert exported["manifest"]["quantization"] == "int8"
    scored = demo_home / "demo" / "credit_to_score.csv"
    run = _device(device_python, str(tmp_path / "int8" / "predict.py"), str(scored))
    assert run.returncode == 0, run.stderr
    labels = [json.loads(line)["prediction"] for line in run.stdout.splitlines()]
    model = _in_process(demo_home, "mlp", 1)
    expected = model.predict(pd.read_csv(scored))  # type: ignore[attr-defined]
    assert np.mean(np.array(labels) == expected) >= 0.99
    cli("edge", "verify", str(tmp_path / "int8"))


def test_int8_on_gradient_boosting_is_one_clear_line(cli: Cli, tmp_path: Path) -> None:
    result = cli("edge", "export", "credit_risk/2", "--out", str(tmp_path / "b"), "--quantize", "int8", expect=2)

    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error[quantization_unsupported]: int8 needs MatMul/Gemm weights")
    assert "TreeEnsembleClassifier" in lines[0]
    assert not (tmp_path / "b").exists()
    assert all(e["action"] != "export" for e in cli.json("history", "credit_risk"))


def test_signed_bundles_verify_only_with_the_trusted_key(cli: Cli, tmp_path: Path) -> None:
    cli("edge", "keygen", str(tmp_path / "ours.pem"), str(tmp_path / "ours.pub"))
    cli("edge", "keygen", str(tmp_path / "theirs.pem"), str(tmp_path / "theirs.pub"))
    out = tmp_path / "signed"
    cli("edge", "export", "credit_risk@production", "--out", str(out), "--sign", str(tmp_path / "ours.pem"))

    ok = cli.json("edge", "verify", str(out), "--trust", str(tmp_path / "ours.pub"))
    assert ok["signed_by"] == "ours.pub"
    refused = cli("edge", "verify", str(out), "--trust", str(tmp_path / "theirs.pub"), expect=2)
    assert refused.stderr.splitlines() == [
        "error[bundle_invalid]: the manifest signature does not verify with theirs.pub"
    ]


def test_user_mistakes_are_one_line(cli: Cli, tmp_path: Path) -> None:
    missing = cli("edge", "export", "credit_risk/9", "--out", str(tmp_path / "x"), expect=3)
    assert missing.stderr.splitlines() == ["error[version_not_found]: model 'credit_risk' has no version 9"]
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file").write_text("keep")
    taken = cli("edge", "export", "credit_risk/1", "--out", str(tmp_path / "taken"), expect=4)
    assert taken.stderr.startswith("error[already_exists]: ")
    not_bundle = cli("edge", "verify", str(tmp_path), expect=2)
    assert not_bundle.stderr.splitlines() == [
        f"error[bundle_invalid]: {tmp_path} is not an edge bundle (no manifest.json)"
    ]
