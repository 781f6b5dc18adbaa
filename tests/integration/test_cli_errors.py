"""Every CLI failure is one line ``error[code]: message`` with its documented exit code, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest


def _run(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MODELPORT_", "MLFLOW_"))}
    clean |= {"MODELPORT_HOME": str(home), **env}
    argv = [sys.executable, "-m", "modelport", *args]
    return subprocess.run(argv, env=clean, capture_output=True, text=True, timeout=180, check=False)


def _one_line(done: subprocess.CompletedProcess[str], code: str, exit_code: int) -> str:
    lines = done.stderr.strip().splitlines()
    assert done.returncode == exit_code, done.stderr
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"error[{code}]: "), done.stderr
    return lines[0]


@pytest.mark.parametrize(("variable", "value"), [("MODELPORT_SAMPLE_ROWS", "0"), ("MODELPORT_SERVING__PORT", "http")])
def test_a_setting_that_does_not_validate_is_one_line(tmp_path: Path, variable: str, value: str) -> None:
    line = _one_line(_run("models", home=tmp_path, **{variable: value}), "invalid_settings", 2)
    assert variable in line


def test_a_port_already_taken_is_one_line_naming_it(demo_home: Path) -> None:
    assert _run("deploy", "credit", "--model", "credit_risk", home=demo_home).returncode == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = _one_line(_run("serve", "--port", str(port), home=demo_home), "address_in_use", 4)
    assert f"port {port}" in line
    assert "--port" in line


def test_serve_with_nothing_to_serve_says_where_it_looked(tmp_path: Path) -> None:
    # The port is taken so the server stops right after the warning instead of serving nothing.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        done = _run("serve", "--port", str(taken.getsockname()[1]), home=tmp_path / "empty")
    warning, error = done.stderr.strip().splitlines()
    assert warning.startswith(f"warning: no deployments in {tmp_path / 'empty'}")
    assert "modelport deploy NAME --model MODEL" in warning
    assert error.startswith("error[address_in_use]")


def test_listings_say_which_home_and_global_options_follow_the_command(tmp_path: Path) -> None:
    home = tmp_path / "elsewhere"
    cwd_home = tmp_path / "cwd"
    deployments = _run("deployments", "--home", str(home), home=cwd_home)
    assert deployments.returncode == 0, deployments.stderr
    assert deployments.stderr.strip() == (f"no deployments in {home}; create one: modelport deploy NAME --model MODEL")
    models = _run("models", f"--home={home}", home=cwd_home)
    assert models.returncode == 0, models.stderr
    assert f"no models in the registry sqlite:///{home}/registry.db (home {home})" in models.stderr
    assert not cwd_home.exists()


def test_register_names_a_missing_model_file_before_anything_else(tmp_path: Path) -> None:
    done = _run("register", "missing.joblib", "--name", "m", "--sample", "missing.csv", home=tmp_path)
    assert _one_line(done, "invalid_source", 2) == "error[invalid_source]: no such file or folder: missing.joblib"


def test_the_spark_engine_without_pyspark_names_the_extra(demo_home: Path, tmp_path: Path) -> None:
    # A pyspark that cannot be imported stands for an installation without the [spark] extra.
    shadow = tmp_path / "no-spark" / "pyspark"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('No module named pyspark')\n")
    out = tmp_path / "scores.parquet"
    to_score = demo_home / "demo" / "credit_to_score.csv"
    done = _run(
        "batch", "score", "credit_risk@production", str(to_score), str(out), "--engine", "spark",
        home=demo_home, PYTHONPATH=os.pathsep.join([str(shadow.parent), *sys.path]),
    )  # fmt: skip
    line = _one_line(done, "missing_extra", 2)
    assert "modelport[spark]" in line
    assert not out.exists()
