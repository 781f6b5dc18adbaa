"""``modelport package docker|compose|k8s`` through the real CLI: the files land, bad input is one clear line."""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.integration.cli_runner import Cli


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "home")


def test_docker_writes_a_build_context_hadolint_accepts(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "docker"
    cli("package", "docker", "--out", str(out), "--extras", "onnx")
    assert (out / ".dockerignore").is_file()
    assert (out / "source" / "pyproject.toml").is_file()
    assert (out / "source" / "src" / "modelport" / "package" / "image.py").is_file()
    assert not list((out / "source").rglob("__pycache__"))
    pins = (out / "requirements.lock").read_text().splitlines()
    assert any(p.startswith("mlflow==") for p in pins)
    assert any(p.startswith("onnxruntime==") for p in pins)
    hadolint = str(Path(sys.executable).with_name("hadolint"))
    done = subprocess.run([hadolint, "--failure-threshold", "style", str(out / "Dockerfile")], capture_output=True)
    assert done.returncode == 0, done.stdout


def test_docker_refuses_an_unknown_extra_and_a_latest_base(cli: Cli, tmp_path: Path) -> None:
    cli("package", "docker", "--out", str(tmp_path / "d"), "--extras", "gpu", expect=2)
    assert "error[invalid_request]: unknown extra 'gpu'" in cli.last.stderr
    cli("package", "docker", "--out", str(tmp_path / "d"), "--base", "python:latest", expect=2)
    assert "fixed tag" in cli.last.stderr
    cli("package", "docker", "--out", str(tmp_path / "d"), "--source", str(tmp_path), expect=2)
    assert "not a modelport source checkout" in cli.last.stderr


def test_compose_writes_the_stack_and_a_private_env_file_once(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "compose"
    cli("package", "compose", "--out", str(out), "--replicas", "3")
    env = out / ".env"
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    password = next(line.split("=", 1)[1] for line in env.read_text().splitlines() if line.startswith("POSTGRES_"))
    compose = (out / "compose.yaml").read_text()
    assert password not in compose
    assert yaml.safe_load(compose)["services"]["modelport"]["deploy"]["replicas"] == 3
    assert (out / "initdb" / "10-modelport.sql").read_text().strip().endswith("CREATE DATABASE modelport;")
    cli("package", "compose", "--out", str(out))
    assert password in env.read_text()  # the user's .env is kept


def test_k8s_writes_a_tree_kubectl_builds(cli: Cli, tmp_path: Path) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail("kubectl is needed (`kubectl kustomize`)")
    out = tmp_path / "k8s"
    batch = "name=nightly,model=credit_risk@production,input=/d/in.parquet,output=/d/out.parquet"
    cli("package", "k8s", "--out", str(out), "--image", "modelport:2.0.0", "-d", "credit_risk",
        "--stream", "credit_risk", "--batch", batch)  # fmt: skip
    done = subprocess.run([kubectl, "kustomize", str(out / "overlays" / "production")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    kinds = sorted({doc["kind"] for doc in yaml.safe_load_all(done.stdout) if doc})
    assert "CronJob" in kinds
    assert "ScaledObject" in kinds
    assert "image: modelport:2.0.0" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--image", "modelport:latest"], "fixed tag"),
        (["--image", "modelport"], "fixed tag"),
        (["--batch", "name=nightly,model=credit"], "lacks input, output"),
        (["--batch", "name=Not_A_Label,model=m,input=i,output=o"], "DNS label"),
        (["--registry-uri", "http://admin:pw@mlflow:5000"], "must not carry credentials"),
        (["--stream", "credit", "--stream", "credit"], "two objects would be named"),
    ],
)
def test_k8s_refuses_bad_input_with_one_line(cli: Cli, tmp_path: Path, args: list[str], message: str) -> None:
    cli("package", "k8s", "--out", str(tmp_path / "k8s"), *args, expect=2)
    assert cli.last.stderr.startswith("error[invalid_request]: ")
    assert message in cli.last.stderr
    assert not (tmp_path / "k8s").exists()
